use replimap_arm_emulator::{Seed, SeedRegistry};
use replimap_types::RegistrySummary;

use crate::support::{TestPortal, SUB};

#[tokio::test]
async fn lists_the_seeded_registry_and_explains_non_premium_ones() {
    let seed =
        Seed::docs_example().with_registry(SeedRegistry::standard(SUB, "myresourcegroup", "basicreg01", "westeurope"));
    let t = TestPortal::with_seed(seed).await;
    let regs: Vec<RegistrySummary> = t.get("/api/v1/registries").await.json().await.unwrap();
    assert_eq!(regs.len(), 2);
    let docs = regs.iter().find(|r| r.key.name.as_str() == "myACR0007").unwrap();
    assert!(docs.replicable);
    assert_eq!(docs.location.as_str(), "eastus");
    assert_eq!(docs.sku, "Premium");
    let basic = regs.iter().find(|r| r.key.name.as_str() == "basicreg01").unwrap();
    assert!(!basic.replicable);
    assert!(basic.not_replicable_reason.as_deref().unwrap().contains("Premium"));
}

#[tokio::test]
async fn the_configured_filter_narrows_the_registries() {
    let seed =
        Seed::docs_example().with_registry(SeedRegistry::premium(SUB, "myresourcegroup", "otherreg01", "westeurope"));
    let t = TestPortal::with_seed_and(seed, |c| c.filter.registries = vec!["OTHERREG01".into()]).await;
    let regs: Vec<RegistrySummary> = t.get("/api/v1/registries").await.json().await.unwrap();
    assert_eq!(regs.len(), 1);
    assert_eq!(regs[0].key.name.as_str(), "otherreg01");
}

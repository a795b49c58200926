use replimap_types::Region;

use crate::support::TestPortal;

#[tokio::test]
async fn lists_every_physical_region_and_marks_restricted_ones() {
    let t = TestPortal::start().await;
    let regions: Vec<Region> = t.get("/api/v1/locations").await.json().await.unwrap();
    assert_eq!(regions.len(), 62);
    let je = regions.iter().find(|r| r.name.as_str() == "japaneast").unwrap();
    assert!(je.accepts_replicas);
    assert_eq!(je.display_name, "Japan East");
    assert!((je.latitude - 35.68).abs() < 0.1);
    let canary = regions.iter().filter(|r| !r.accepts_replicas).count();
    assert_eq!(canary, 4, "two euap and two stg regions");
}

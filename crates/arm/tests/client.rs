//! The ARM client against the real emulator over HTTP: LROs, paging, retries, errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use azure_core::credentials::Secret;
use replimap_arm::{
    ArmClient, ArmError, ArmOptions, Auth, LroStatus, ReplicationPatch, ReplicationPatchProperties, ReplicationPut,
    ReplicationPutProperties, RetryPolicy,
};
use replimap_arm_emulator::{spawn, EmulatorConfig, EmulatorHandle, FaultRule};
use replimap_types::{ProvisioningState, RegistryKey};

async fn setup(config: EmulatorConfig) -> (EmulatorHandle, ArmClient) {
    let emu = spawn(config).await.unwrap();
    let options = ArmOptions {
        retry: RetryPolicy { max_retries: 3, base_delay: Duration::from_millis(20), max_delay: Duration::from_secs(2) },
        ..ArmOptions::default()
    };
    // Tokens the emulator signs, as the portal's embedded mode gets them.
    let client = ArmClient::new(&emu.base_url(), Auth::Credential(emu.credential()), Some(options)).unwrap();
    (emu, client)
}

fn fast() -> EmulatorConfig {
    EmulatorConfig { provisioning_delay: Duration::from_millis(200), ..EmulatorConfig::default() }
}

fn docs_registry() -> RegistryKey {
    RegistryKey {
        subscription_id: "00000000-0000-0000-0000-000000000000".parse().unwrap(),
        resource_group: "myresourcegroup".parse().unwrap(),
        name: "myACR0007".parse().unwrap(),
    }
}

fn put(location: &str) -> ReplicationPut {
    ReplicationPut {
        location: location.into(),
        tags: Default::default(),
        properties: ReplicationPutProperties::default(),
    }
}

#[tokio::test]
async fn create_follows_azure_async_operation_and_delete_follows_location() {
    let (_emu, arm) = setup(fast()).await;
    let reg = docs_registry();
    let name = "japaneast".parse().unwrap();
    let (created, poller) = arm.create_replication(&reg, &name, &put("japaneast")).await.unwrap();
    assert_eq!(created.properties.provisioning_state, Some(ProvisioningState::Creating));
    let mut poller = poller.expect("a 201 carries Azure-AsyncOperation");
    assert!(matches!(poller.poll().await.unwrap(), LroStatus::InProgress));
    poller.wait().await.unwrap();
    let got = arm.get_replication(&reg, &name).await.unwrap();
    assert_eq!(got.properties.provisioning_state, Some(ProvisioningState::Succeeded));

    let poller = arm.delete_replication(&reg, &name).await.unwrap().expect("a 202 carries Location");
    poller.wait().await.unwrap();
    assert!(arm.get_replication(&reg, &name).await.unwrap_err().is_not_found());
    // Nothing left to delete: 204, no poller.
    assert!(arm.delete_replication(&reg, &name).await.unwrap().is_none());
}

#[tokio::test]
async fn lists_follow_next_link_across_pages() {
    let (emu, arm) = setup(EmulatorConfig { page_size: 2, ..fast() }).await;
    let reg = docs_registry();
    for loc in ["japaneast", "westeurope", "brazilsouth", "uksouth"] {
        arm.create_replication(&reg, &loc.parse().unwrap(), &put(loc)).await.unwrap();
    }
    emu.emulator().reset_requests();
    let all = arm.list_replications(&reg).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(emu.emulator().request_count(), 3, "three pages of two");
}

#[tokio::test]
async fn throttled_put_is_retried_once_without_a_duplicate_create() {
    let (emu, arm) = setup(fast()).await;
    emu.emulator().add_fault(FaultRule::throttle(1).method("PUT").path_contains("/replications/").times(1));
    let reg = docs_registry();
    let (created, _) = arm.create_replication(&reg, &"westeurope".parse().unwrap(), &put("westeurope")).await.unwrap();
    assert_eq!(created.name, "westeurope");
    assert_eq!(arm.stats().throttled, 1);
    assert_eq!(emu.emulator().request_stats().count_matching("PUT", "/replications/westeurope"), 2);
    assert_eq!(arm.list_replications(&reg).await.unwrap().len(), 2);
}

#[tokio::test]
async fn server_errors_are_retried_for_idempotent_requests_only() {
    let (emu, arm) = setup(fast()).await;
    let reg = docs_registry();
    emu.emulator().add_fault(FaultRule::status(503).method("GET").path_contains("/replications").times(2));
    assert_eq!(arm.list_replications(&reg).await.unwrap().len(), 1, "GET recovers after two 503s");

    emu.emulator().add_fault(FaultRule::status(500).method("PATCH").times(1));
    let patch = ReplicationPatch {
        tags: None,
        properties: ReplicationPatchProperties { region_endpoint_enabled: Some(false) },
    };
    let err = arm.update_replication(&reg, &"eastus".parse().unwrap(), &patch).await.unwrap_err();
    assert_eq!(err.status(), Some(500), "PATCH is not blindly re-sent");
    assert_eq!(emu.emulator().request_stats().count_matching("PATCH", "/replications/eastus"), 1);
}

#[tokio::test]
async fn arm_error_envelopes_become_typed_errors() {
    let (_emu, arm) = setup(fast()).await;
    let missing = RegistryKey { name: "nosuchreg1".parse().unwrap(), ..docs_registry() };
    let err = arm.list_replications(&missing).await.unwrap_err();
    match &err {
        ArmError::Status { status: 404, code, request_id, .. } => {
            assert!(!code.is_empty());
            assert!(request_id.is_some());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.user_message().contains("nosuchreg1"));
}

#[tokio::test]
async fn a_failed_replica_ends_the_lro_with_the_arm_error() {
    let (emu, arm) = setup(fast()).await;
    emu.emulator().add_fault(
        FaultRule::fail_replica_in("westeurope").with_error("ReplicationFailed", "Quota exceeded in westeurope"),
    );
    let (_, poller) =
        arm.create_replication(&docs_registry(), &"westeurope".parse().unwrap(), &put("westeurope")).await.unwrap();
    let err = poller.unwrap().wait().await.unwrap_err();
    assert!(matches!(err, ArmError::OperationFailed { .. }));
    assert!(err.user_message().contains("Quota exceeded"), "{}", err.user_message());
}

#[tokio::test]
async fn monitor_links_stay_on_the_host_the_client_used() {
    let (emu, _) = setup(fast()).await;
    // The client refuses links to any other origin (unit-tested in client.rs), so the
    // emulator must build them from the Host header the client sent.
    let url = emu.base_url().replace("127.0.0.1", "localhost");
    let arm = ArmClient::new(&url, Auth::Credential(emu.credential()), None).unwrap();
    let reg = docs_registry();
    let (_, poller) = arm
        .create_replication(&reg, &"japaneast".parse().unwrap(), &put("japaneast"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The emulator builds links from the Host header, so these stay on localhost and work.
    poller.unwrap().wait().await.unwrap();
}

#[tokio::test]
async fn the_credential_fetches_a_new_token_before_the_old_one_expires() {
    let (emu, arm) = setup(EmulatorConfig { token_lifetime: Duration::from_secs(4), ..fast() }).await;
    let reg = docs_registry();
    arm.list_replications(&reg).await.unwrap();
    arm.list_replications(&reg).await.unwrap();
    assert_eq!(emu.emulator().request_stats().tokens_issued, 1, "one token, cached");
    // Half of its four seconds gone: the next call brings a new one, and is never refused.
    // (Four, not two: on a loaded CI machine the first two calls once took over a second.)
    tokio::time::sleep(Duration::from_millis(2100)).await;
    arm.list_replications(&reg).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    arm.list_replications(&reg).await.unwrap();
    let stats = emu.emulator().request_stats();
    assert_eq!(stats.tokens_issued, 3);
    assert_eq!(stats.auth_refused, 0);
}

#[tokio::test]
async fn a_token_the_emulator_did_not_issue_is_refused() {
    let emu = spawn(fast()).await.unwrap();
    let arm = ArmClient::new(&emu.base_url(), Auth::Static(Secret::new("not-a-token")), None).unwrap();
    let err = arm.list_replications(&docs_registry()).await.unwrap_err();
    match &err {
        ArmError::Status { status: 401, code, .. } => assert_eq!(code, "InvalidAuthenticationToken"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(emu.emulator().request_stats().auth_refused, 1, "a 401 is not retried");
}

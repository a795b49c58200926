//! The portal in its Azure mode (`ArmMode::Live`), as production runs it: a real
//! `azure_identity` client-secret credential signing in at the emulator's token endpoint
//! (the authority host), ARM and sign-in over HTTPS trusting the emulator's CA through a
//! CA bundle file, and tokens that expire during a long-running operation.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use azure_core::credentials::Secret;
use leptos::config::LeptosOptions;
use replimap_arm::CredentialKind;
use replimap_arm_emulator::{spawn_tls_on, EmulatorConfig, EmulatorHandle, Seed, TlsIdentity};
use replimap_server::config::ArmEndpoint;
use replimap_server::hub::PollIntervals;
use replimap_server::{start, ArmMode, Config};
use replimap_types::{Operation, OperationState};
use serde_json::{json, Value};

use crate::support::{scratch_dir, TestPortal, REG};

const TENANT: &str = "72f988bf-0000-4000-8000-00000000e0e0";

/// An HTTPS emulator, and its CA certificate written to `dir/ca.pem`.
async fn tls_emulator(config: EmulatorConfig, dir: &std::path::Path) -> (EmulatorHandle, PathBuf) {
    let identity = TlsIdentity::generate(&[]).unwrap();
    let ca_file = dir.join("ca.pem");
    identity.write_ca_pem(&ca_file).unwrap();
    let handle = spawn_tls_on("127.0.0.1:0".parse().unwrap(), config, identity).await.unwrap();
    (handle, ca_file)
}

/// Azure mode against `emu`: a service principal, the emulator as ARM and as authority host.
fn live(emu: &EmulatorHandle, ca_bundle: Option<PathBuf>) -> ArmMode {
    let url = url::Url::parse(&emu.base_url()).unwrap();
    ArmMode::Live {
        endpoint: ArmEndpoint::new(url.clone()).unwrap(),
        credential: CredentialKind::ClientSecret {
            tenant_id: TENANT.into(),
            client_id: "replimap-portal".into(),
            secret: Secret::new("not-a-real-secret"),
        },
        authority_host: Some(url),
        ca_bundle,
    }
}

/// A portal on port 0 with `arm`; the caller sends on the sender to stop it.
async fn start_portal(
    arm: ArmMode,
    data_dir: PathBuf,
) -> anyhow::Result<(replimap_server::Portal, tokio::sync::oneshot::Sender<()>)> {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        arm,
        poll: PollIntervals { fast: Duration::from_millis(100), slow: Duration::from_millis(500) },
        data_dir,
        ..Config::emulator_defaults()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let options = LeptosOptions::builder().output_name("replimap").build();
    let portal = start(config, options, async {
        let _ = rx.await;
    })
    .await?;
    Ok((portal, tx))
}

/// A create whose provisioning outlasts three token lifetimes succeeds, with every ARM
/// request authorised: the credential fetched new tokens during the operation.
///
/// azure_identity's cache renews a token once it is within 300 s of expiry, so a 2 s token
/// is never reused: each ARM request signs in again. What matters is that the portal holds
/// on to no token itself: had it kept the operation's first one, every request after 2 s
/// would be refused `ExpiredAuthenticationToken`.
#[tokio::test]
async fn the_portal_signs_in_with_a_client_secret_and_renews_tokens_during_an_operation() {
    let lifetime = Duration::from_secs(2);
    let provisioning = Duration::from_secs(6);
    let dir = scratch_dir("azure-mode");
    let config = EmulatorConfig {
        provisioning_delay: provisioning,
        token_lifetime: lifetime,
        seed: Seed::docs_example(),
        ..EmulatorConfig::default()
    };
    let (emu, ca_file) = tls_emulator(config, &dir).await;
    let arm = live(&emu, Some(ca_file));
    // Waits until the registry has been polled once, through sign-in and TLS.
    let t = TestPortal::with_seed_and(Seed::docs_example(), |c| c.arm = arm).await;
    assert!(t.portal.emulator.is_none(), "no embedded emulator in Azure mode");
    let ready = t.get("/readyz").await;
    assert_eq!(ready.status(), 200, "{}", ready.text().await.unwrap());

    let before = emu.emulator().request_stats();
    assert!(before.tokens_issued >= 1);
    let started = Instant::now();
    let resp = t.put(&format!("/api/v1/registries/{REG}/replications"), json!({"location": "japaneast"})).await;
    assert_eq!(resp.status(), 202);
    let op_id = resp.headers()["operation-id"].to_str().unwrap().to_owned();
    let op = loop {
        let op: Operation = t.get(&format!("/api/v1/operations/{op_id}")).await.json().await.unwrap();
        if op.state != OperationState::Running {
            break op;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "operation still running: {op:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let took = started.elapsed();
    assert_eq!(op.state, OperationState::Succeeded, "{op:?}");
    assert!(took >= provisioning, "the operation outlived {} token lifetimes ({took:?})", took.as_secs() / 2);

    let after = emu.emulator().request_stats();
    let tokens = after.tokens_issued - before.tokens_issued;
    let requests = after.total - before.total;
    assert!(tokens >= 3, "tokens issued during the operation: {tokens} (ARM requests: {requests})");
    assert_eq!(
        after.auth_refused,
        0,
        "no ARM request was refused: {:?}",
        after.recent.iter().filter(|r| r.status == 401).collect::<Vec<_>>()
    );
    assert_eq!(after.count_matching("PUT", "/replications/japaneast"), 1);
    let list: Vec<Value> = t.get(&format!("/api/v1/registries/{REG}/replications")).await.json().await.unwrap();
    assert!(list.iter().any(|r| r["name"] == "japaneast"), "{list:?}");
    emu.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without the CA bundle the emulator's certificate is not trusted: the portal is not ready,
/// and the error says why (in the log and the ARM client's error; the HTTP answer stays generic).
#[tokio::test]
async fn without_the_ca_bundle_the_portal_says_the_certificate_is_not_trusted() {
    let dir = scratch_dir("azure-mode-untrusted");
    let (emu, _ca_file) = tls_emulator(EmulatorConfig::default(), &dir).await;
    let (portal, stop) = start_portal(live(&emu, None), dir.join("data")).await.unwrap();
    let http = reqwest::Client::new();
    let ready = http.get(format!("{}/readyz", portal.url())).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body = ready.text().await.unwrap();
    assert!(body.contains("access token"), "{body}");
    let err = portal.state.arm.list_subscriptions().await.unwrap_err().to_string();
    assert!(err.contains("invalid peer certificate") && err.contains("UnknownIssuer"), "{err}");
    let stats = emu.emulator().request_stats();
    assert_eq!((stats.tokens_issued, stats.total), (0, 0), "no request got past the handshake");
    let _ = stop.send(());
    portal.wait().await.unwrap();
    emu.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A CA bundle that is not one stops start-up, naming the file.
#[tokio::test]
async fn a_bad_ca_bundle_stops_start_up_naming_the_file() {
    let dir = scratch_dir("azure-mode-bad-bundle");
    let (emu, _) = tls_emulator(EmulatorConfig::default(), &dir).await;
    let bundle = dir.join("proxy-ca.pem");
    std::fs::write(&bundle, "this is not a certificate\n").unwrap();
    let err = start_portal(live(&emu, Some(bundle.clone())), dir.join("data")).await.err().expect("start-up fails");
    let message = format!("{err:#}");
    assert!(message.contains(&bundle.display().to_string()) && message.contains("no PEM certificate"), "{message}");
    emu.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

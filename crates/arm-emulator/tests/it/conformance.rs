//! Replays every example in `tests/fixtures/azure-specs/**/examples/*.json` (the official spec's examples) against
//! the emulator and compares status codes, LRO headers and body *shapes*
//! (same keys recursively, same JSON types; values such as ids, timestamps
//! and login servers are ignored).
//!
//! Known, deliberate differences (each one is also noted where it applies):
//! * `systemData` is sent although the examples omit it: the real RP sends it
//!   (arm-facts §2.1 recording) and the portal reads `createdByType`.
//! * Replication 201 bodies: while `Creating` the real RP sends `status` with
//!   only a timestamp (arm-facts §2.1), so `displayStatus`/`message` may be
//!   missing there.
//! * Registry PUT answers 200 synchronously (arm-facts §2.2), so
//!   RegistryCreate is compared with its 200 response only.
//! * Delete `Location` values point at `…/operationResults/…` as in the real
//!   recording, not at the examples' `…/operationStatuses/…`: only the header's
//!   presence is compared.

use std::path::{Path, PathBuf};

use replimap_arm_emulator::{Seed, SeedRegistry, SeedReplica, SeedSubscription};
use serde_json::Value;

use crate::support::*;

const SPECS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/azure-specs");
const EX_RG: &str = "myResourceGroup";
const EX_REG: &str = "myRegistry";
const EX_REP: &str = "myReplication";

/// Keys the emulator may add to an example's object (see module docs).
const EXTRA_KEYS_ALLOWED: &[&str] = &["systemData"];

fn examples() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for channel in ["stable", "preview"] {
        let Ok(versions) = std::fs::read_dir(Path::new(SPECS).join(channel)) else {
            continue;
        };
        for v in versions.flatten() {
            let Ok(files) = std::fs::read_dir(v.path().join("examples")) else {
                continue;
            };
            out.extend(files.flatten().map(|f| f.path()).filter(|p| p.extension().is_some_and(|e| e == "json")));
        }
    }
    out.sort();
    out
}

/// Fails with every difference in shape between `expected` and `actual`.
fn shape_diff(expected: &Value, actual: &Value, at: &str, may_miss: &[&str], out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let here = format!("{at}/{k}");
                match a.get(k) {
                    Some(av) => shape_diff(ev, av, &here, may_miss, out),
                    None if may_miss.contains(&here.as_str()) => {}
                    None => out.push(format!("missing {here}")),
                }
            }
            for k in a.keys().filter(|k| !e.contains_key(*k) && !EXTRA_KEYS_ALLOWED.contains(&k.as_str())) {
                out.push(format!("unexpected {at}/{k}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let Some(first) = e.first() {
                assert!(!a.is_empty(), "{at}: expected a non-empty array");
                for (i, item) in a.iter().enumerate() {
                    shape_diff(first, item, &format!("{at}[{i}]"), may_miss, out);
                }
            }
        }
        (e, a) if std::mem::discriminant(e) != std::mem::discriminant(a) => {
            out.push(format!("{at}: expected {e}, got {a}"))
        }
        _ => {}
    }
}

fn assert_shape(name: &str, expected: &Value, actual: &Value, may_miss: &[&str]) {
    let mut diffs = Vec::new();
    shape_diff(expected, actual, "", may_miss, &mut diffs);
    assert!(diffs.is_empty(), "{name}: body shape differs:\n  {}\nactual: {actual:#}", diffs.join("\n  "));
}

fn assert_headers(name: &str, example: &Value, code: &str, resp: &Resp) {
    if let Some(h) = example["responses"][code]["headers"].as_object() {
        for k in h.keys() {
            assert!(resp.header(k).is_some(), "{name}: {code} response lacks header {k}");
        }
    }
}

fn registry_seed(sku: &str) -> Seed {
    let reg = match sku {
        "Premium" => SeedRegistry::premium(SUB, EX_RG, EX_REG, "westus"),
        _ => SeedRegistry::standard(SUB, EX_RG, EX_REG, "westus"),
    };
    Seed::empty().with_subscription(SeedSubscription::demo()).with_registry(reg.with_tag("key", "value"))
}

fn with_example_replica() -> Seed {
    let mut seed = registry_seed("Premium");
    seed.registries[0].replicas.push(SeedReplica::user(EX_REP, "eastus").with_tag("key", "value"));
    seed
}

struct Example {
    name: String,
    json: Value,
    env: Env,
    path: String,
}

impl Example {
    fn body(&self, code: &str) -> &Value {
        &self.json["responses"][code]["body"]
    }
    fn request(&self, param: &str) -> Value {
        self.json["parameters"][param].clone()
    }
}

/// Sets up state for the example and derives its request path.
async fn prepare(file: &Path) -> Example {
    let name = file.file_stem().unwrap().to_string_lossy().into_owned();
    let json: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let api = json["parameters"]["api-version"].as_str().unwrap().to_owned();
    let rg_path =
        format!("/subscriptions/{SUB}/resourceGroups/{EX_RG}/providers/Microsoft.ContainerRegistry/registries");
    let reg_path = format!("{rg_path}/{EX_REG}");
    let (seed, path) = match name.as_str() {
        "RegistryCreate" => (
            Seed::empty().with_subscription(SeedSubscription::demo()).with_resource_group(SUB, EX_RG, "westus"),
            reg_path,
        ),
        "RegistryGet" | "RegistryUpdate" | "RegistryDelete" => (registry_seed("Standard"), reg_path),
        "RegistryList" => (
            registry_seed("Standard"),
            format!("/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/registries"),
        ),
        "RegistryListByResourceGroup" => (registry_seed("Standard"), rg_path),
        "ReplicationCreate" | "ReplicationCreateZoneRedundant" => {
            (registry_seed("Premium"), format!("{reg_path}/replications/{EX_REP}"))
        }
        "ReplicationGet" | "ReplicationUpdate" | "ReplicationDelete" => {
            (with_example_replica(), format!("{reg_path}/replications/{EX_REP}"))
        }
        "ReplicationList" => {
            // Only the example's replica, so the list matches value[0] exactly.
            let mut seed = with_example_replica();
            seed.registries[0].replicas.remove(0);
            (seed, format!("{reg_path}/replications"))
        }
        other => panic!("no conformance scenario for example {other}: add one in conformance.rs"),
    };
    let env = start_with(test_config(seed)).await;
    Example { name, json, env, path: format!("{path}?api-version={api}") }
}

async fn run(ex: &Example) {
    let (env, name, path) = (&ex.env, ex.name.as_str(), ex.path.as_str());
    match name {
        "RegistryGet" | "RegistryList" | "RegistryListByResourceGroup" | "ReplicationGet" | "ReplicationList" => {
            let r = env.get(path).await;
            assert_eq!(r.status, 200, "{name}: {}", r.text);
            assert_shape(name, ex.body("200"), &r.body, &[]);
        }
        "RegistryCreate" => {
            // 200 only: the real RP creates registries synchronously (module docs).
            let r = env.put(path, &ex.request("registry")).await;
            assert_eq!(r.status, 200, "{name}: {}", r.text);
            assert_shape(name, ex.body("200"), &r.body, &[]);
        }
        "RegistryUpdate" => {
            let r = env.patch(path, &ex.request("registryUpdateParameters")).await;
            assert_eq!(r.status, 200, "{name}: {}", r.text);
            assert_shape(name, ex.body("200"), &r.body, &[]);
            assert_eq!(r.body["properties"]["adminUserEnabled"], true);
        }
        "ReplicationCreate" | "ReplicationCreateZoneRedundant" => {
            let body = ex.request("replication");
            let r = env.put(path, &body).await;
            assert_eq!(r.status, 201, "{name}: {}", r.text);
            assert_headers(name, &ex.json, "201", &r);
            // Creating: the real RP sends only a timestamp (module docs).
            let may_miss = ["/properties/status/displayStatus", "/properties/status/message"];
            assert_shape(name, ex.body("201"), &r.body, &may_miss);
            env.poll_async(r.header("azure-asyncoperation").unwrap()).await;
            let done = env.get(path).await;
            assert_shape(name, ex.body("200"), &done.body, &[]);
            assert_eq!(done.body["properties"]["zoneRedundancy"], ex.body("200")["properties"]["zoneRedundancy"]);
            // Repeating the same PUT on the finished replica: the idempotent 200.
            let again = env.put(path, &body).await;
            assert_eq!(again.status, 200, "{name}: {}", again.text);
            assert_shape(name, ex.body("200"), &again.body, &[]);
        }
        "ReplicationUpdate" => {
            let r = env.patch(path, &ex.request("replicationUpdateParameters")).await;
            assert_eq!(r.status, 201, "{name}: {}", r.text);
            assert_headers(name, &ex.json, "201", &r);
            assert_shape(name, ex.body("201"), &r.body, &[]);
            env.poll_async(r.header("azure-asyncoperation").unwrap()).await;
            assert_shape(name, ex.body("200"), &env.get(path).await.body, &[]);
        }
        "RegistryDelete" | "ReplicationDelete" => {
            let r = env.delete(path).await;
            assert_eq!(r.status, 202, "{name}: {}", r.text);
            assert_headers(name, &ex.json, "202", &r);
            assert!(r.text.is_empty());
            env.poll_location(r.header("location").unwrap()).await;
            assert!(ex.json["responses"].get("204").is_some());
            assert_eq!(env.delete(path).await.status, 204, "{name}: second delete");
        }
        other => panic!("no conformance run for {other}"),
    }
}

#[tokio::test]
async fn spec_examples_replay() {
    let files = examples();
    assert!(files.len() >= 12, "expected the spec examples under {SPECS}, found {files:?}");
    for file in files {
        let ex = prepare(&file).await;
        run(&ex).await;
        let Example { env, .. } = ex;
        env.handle.shutdown().await;
    }
}

#[test]
fn shape_diff_catches_differences() {
    let expected = serde_json::json!({"a": {"b": 1, "c": [{"d": "x"}]}, "e": null});
    let mut diffs = Vec::new();
    shape_diff(&expected, &serde_json::json!({"a": {"b": 2, "c": [{"d": "y"}]}, "e": null}), "", &[], &mut diffs);
    assert!(diffs.is_empty(), "{diffs:?}");
    let wrong = serde_json::json!({"a": {"b": "1", "c": [{}], "z": 1}, "e": null, "systemData": {}});
    shape_diff(&expected, &wrong, "", &[], &mut diffs);
    assert_eq!(diffs, vec!["/a/b: expected 1, got \"1\"", "missing /a/c[0]/d", "unexpected /a/z"]);
}

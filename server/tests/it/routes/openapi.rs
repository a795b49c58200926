//! `api/openapi.json` and the router agree: every served route is documented, every documented
//! path is served with exactly the documented methods, and every error is an `ApiError`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{TestPortal, SUB};

/// `{subscription_id}` and `{subscriptionId}` alike become `{}`.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            _ if inside => {}
            _ => out.push(c),
        }
    }
    out
}

/// A documented path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{subscriptionId}", SUB)
        .replace("{resourceGroup}", "myresourcegroup")
        .replace("{registry}", "myACR0007")
        .replace("{name}", "eastus")
        .replace("{id}", "someoperation")
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

#[tokio::test]
async fn the_openapi_document_and_the_router_agree() {
    let t = TestPortal::start().await;
    let doc: Value = t.get("/api/v1/openapi.json").await.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();

    let documented: BTreeSet<String> = paths.keys().map(|p| shape(p)).collect();
    let served: BTreeSet<String> = replimap_server::api_paths().into_iter().map(shape).collect();
    assert_eq!(served.len(), replimap_server::api_paths().len(), "two routes with one shape");
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(undocumented.is_empty(), "served but not in openapi.json: {undocumented:?}");
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(unserved.is_empty(), "in openapi.json but not served: {unserved:?}");

    for (path, item) in paths {
        let ops: BTreeSet<String> =
            item.as_object().unwrap().keys().filter(|k| METHODS.contains(&k.as_str())).cloned().collect();
        assert!(!ops.is_empty(), "{path} documents no operation");
        // OPTIONS is served nowhere, so the router answers 405 and lists the path's methods.
        let resp = t.http.request(reqwest::Method::OPTIONS, t.url(&concrete(path))).send().await.unwrap();
        assert_eq!(resp.status(), 405, "{path} is not served");
        let allowed: BTreeSet<String> = resp.headers()["allow"]
            .to_str()
            .unwrap()
            .split(',')
            .map(|m| m.trim().to_ascii_lowercase())
            .filter(|m| m != "head")
            .collect();
        assert_eq!(allowed, ops, "{path}: methods served vs documented");

        for (method, op) in item.as_object().unwrap().iter().filter(|(k, _)| METHODS.contains(&k.as_str())) {
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path} has no success response");
            for (status, resp) in responses.iter().filter(|(s, _)| !s.starts_with('2')) {
                let resp = match resp["$ref"].as_str() {
                    Some(r) => &doc["components"]["responses"][r.trim_start_matches("#/components/responses/")],
                    None => resp,
                };
                assert_eq!(
                    resp["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ApiError",
                    "{method} {path} {status} is not an ApiError"
                );
            }
            // The probes answer whatever the Host (a Kubernetes probe sends the pod's address).
            let probe = ["/healthz", "/readyz"].contains(&path.as_str());
            assert_eq!(responses.contains_key("403"), !probe, "{method} {path}: only the probes take any Host");
        }
    }

    // Unknown paths and wrong methods are documented once, for the whole API.
    for r in ["NotFound", "MethodNotAllowed"] {
        assert_eq!(
            doc["components"]["responses"][r]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ApiError"
        );
    }
    assert!(doc["components"]["responses"]["MethodNotAllowed"]["headers"]["Allow"].is_object());
}

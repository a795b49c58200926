use serde_json::{json, Value};

use crate::support::{TestPortal, REG};

fn row<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|r| r["name"] == name)
}

fn ready(list: &[Value], name: &str) -> bool {
    row(list, name).is_some_and(|r| r["provisioningState"] == "Succeeded" && r["status"]["displayStatus"] == "Ready")
}

/// The docs example: replicate myACR0007 to japaneast, then both replicas are Succeeded/Ready.
#[tokio::test]
async fn docs_journey_create_list_delete() {
    let t = TestPortal::start().await;
    let resp = t.put(&format!("/api/v1/registries/{REG}/replications"), json!({"location": "japaneast"})).await;
    assert_eq!(resp.status(), 202);
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["name"], "japaneast");
    assert_eq!(created["provisioningState"], "Creating");

    let list = t.wait_for_list(|l| ready(l, "japaneast")).await;
    assert_eq!(list.len(), 2);
    assert!(ready(&list, "eastus"));
    assert_eq!(row(&list, "eastus").unwrap()["isHome"], true);
    assert_eq!(row(&list, "japaneast").unwrap()["regionEndpointEnabled"], true);

    let one: Value = t.get(&format!("/api/v1/registries/{REG}/replications/japaneast")).await.json().await.unwrap();
    assert_eq!(one["location"], "japaneast");

    let resp = t.delete(&format!("/api/v1/registries/{REG}/replications/japaneast")).await;
    assert_eq!(resp.status(), 202);
    let list = t.wait_for_list(|l| row(l, "japaneast").is_none()).await;
    assert_eq!(list.len(), 1);
}

#[tokio::test]
async fn create_accepts_display_names_options_and_an_explicit_name() {
    let t = TestPortal::start().await;
    let body = json!({"location": "West Europe", "regionEndpointEnabled": false, "zoneRedundancy": "Enabled", "tags": {"team": "platform"}});
    let resp = t.put(&format!("/api/v1/registries/{REG}/replications/weureplica"), body).await;
    assert_eq!(resp.status(), 202);
    let list = t.wait_for_list(|l| ready(l, "weureplica")).await;
    let r = row(&list, "weureplica").unwrap();
    assert_eq!(r["location"], "westeurope");
    assert_eq!(r["regionEndpointEnabled"], false);
    assert_eq!(r["zoneRedundancy"], "Enabled");
    assert_eq!(r["tags"]["team"], "platform");
}

#[tokio::test]
async fn update_changes_routing_and_tags() {
    let t = TestPortal::start().await;
    t.put(&format!("/api/v1/registries/{REG}/replications"), json!({"location": "japaneast"})).await;
    t.wait_for_list(|l| ready(l, "japaneast")).await;
    let resp = t
        .http
        .patch(t.url(&format!("/api/v1/registries/{REG}/replications/japaneast")))
        .header(replimap_server::CSRF_HEADER, "1")
        .json(&json!({"regionEndpointEnabled": false, "tags": {"env": "prod"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let list = t
        .wait_for_list(|l| {
            row(l, "japaneast")
                .is_some_and(|r| r["regionEndpointEnabled"] == false && r["provisioningState"] == "Succeeded")
        })
        .await;
    assert_eq!(row(&list, "japaneast").unwrap()["tags"]["env"], "prod");
}

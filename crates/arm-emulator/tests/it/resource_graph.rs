//! Resource Graph: the portal's three named queries over the demo seed, paging through
//! 2,500 rows, skip-token misuse, the per-user quota and the 403 switch.

use std::collections::HashSet;

use replimap_arm_emulator::{Seed, SeedWorkload};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::*;

pub const GRAPH: &str = "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01";

pub const WORKLOADS: &str = "resources
| where type in~ ('microsoft.containerservice/managedclusters','microsoft.app/containerapps',
  'microsoft.app/jobs','microsoft.containerinstance/containergroups','microsoft.web/sites',
  'microsoft.machinelearningservices/workspaces','microsoft.batch/batchaccounts')
| project id, name, type, kind, location, subscriptionId, resourceGroup, tags, properties";
const TAGGED: &str = "resources | where isnotempty(tags['replimap.io/pulls-from']) \
| project id, name, type, kind, location, subscriptionId, resourceGroup, tags, properties";
const ACRPULL: &str = "authorizationresources | where type =~ 'microsoft.authorization/roleassignments' \
| extend roleDefinitionId = tolower(tostring(properties.roleDefinitionId)) \
| where roleDefinitionId endswith '7f951dda-4ed3-4680-a7ca-43fe172d538d' \
| project id, principalId = tostring(properties.principalId), scope = tolower(tostring(properties.scope))";

pub async fn query(env: &Env, body: &Value) -> Resp {
    env.send(Method::POST, GRAPH, Some(&body.to_string())).await
}

#[tokio::test]
async fn named_queries_over_the_demo_seed() {
    let env = start().await;
    let r =
        query(&env, &json!({"subscriptions": [SUB], "query": WORKLOADS, "options": {"resultFormat": "objectArray"}}))
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["resultTruncated"], "false");
    assert_eq!(r.body["facets"], json!([]));
    assert!(r.body.get("$skipToken").is_none(), "one page");
    let data = r.body["data"].as_array().unwrap();
    assert_eq!(r.body["count"], data.len());
    assert_eq!(r.body["totalRecords"], data.len());
    // 2 AKS, 1 app, 1 job, 2 groups, 2 sites (one not a container: the portal filters), 1 ML, 1 Batch.
    assert_eq!(data.len(), 10);
    let ids: Vec<String> = data.iter().map(|d| d["id"].as_str().unwrap().to_ascii_lowercase()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "stable order by id");
    let aks = data.iter().find(|d| d["name"] == "aks-shop-weu").unwrap();
    assert_eq!(aks["type"], "microsoft.containerservice/managedclusters", "ARG lower-cases types");
    assert_eq!(aks["resourceGroup"], "shop-westeurope");
    assert_eq!(aks["subscriptionId"], SUB);
    assert_eq!(aks["kind"], "");
    assert_eq!(aks["properties"]["nodeResourceGroup"], "MC_shop-westeurope_aks-shop-weu_westeurope");
    assert!(aks["properties"]["identityProfile"]["kubeletidentity"]["objectId"].is_string());
    let site = data.iter().find(|d| d["name"] == "catalog-web").unwrap();
    assert_eq!(site["kind"], "app,linux,container");
    assert_eq!(
        site["properties"]["siteProperties"]["properties"][0]["value"],
        "DOCKER|myacr0007.azurecr.io/catalog:3.0"
    );
    let ml = data.iter().find(|d| d["name"] == "ml-research").unwrap();
    assert_eq!(ml["properties"]["containerRegistry"], registry_path());

    let tagged = query(&env, &json!({"query": TAGGED})).await;
    assert_eq!(tagged.status, 200, "{}", tagged.text);
    let rows = tagged.body["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "only the node-pool scale set is tagged");
    assert_eq!(rows[0]["type"], "microsoft.compute/virtualmachinescalesets");
    assert_eq!(rows[0]["tags"]["aks-managed-poolName"], "nodepool1");

    let pulls = query(&env, &json!({"subscriptions": [SUB], "query": ACRPULL})).await;
    assert_eq!(pulls.status, 200, "{}", pulls.text);
    let rows = pulls.body["data"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "the Reader assignment is not AcrPull");
    for row in rows {
        assert_eq!(row.as_object().unwrap().len(), 3, "{row}");
        assert_eq!(row["scope"].as_str().unwrap(), row["scope"].as_str().unwrap().to_ascii_lowercase());
    }
    assert!(rows.iter().any(|r| r["scope"] == registry_path().to_ascii_lowercase()));

    // Another subscription in scope sees none of them.
    let other =
        query(&env, &json!({"subscriptions": ["11111111-1111-1111-1111-111111111111"], "query": WORKLOADS})).await;
    assert_eq!(other.body["totalRecords"], 0);
}

fn many(n: usize) -> Seed {
    let mut seed = Seed::registry_only();
    for i in 0..n {
        let sub = if i % 2 == 0 { SUB } else { "22222222-2222-2222-2222-222222222222" };
        seed = seed.with_workload(
            serde_json::from_value::<SeedWorkload>(json!({
                "id": format!("/subscriptions/{sub}/resourceGroups/rg{}/providers/Microsoft.App/containerApps/app{i:05}", i % 7),
                "type": "Microsoft.App/containerApps",
                "location": "westeurope",
                "properties": {"template": {"containers": [{"image": format!("myacr0007.azurecr.io/a:{i}")}]}}
            }))
            .unwrap(),
        );
    }
    seed
}

#[tokio::test]
async fn pages_through_2500_rows_with_skip_tokens() {
    let env = start_with(test_config(many(2500))).await;
    env.admin(Method::POST, "/config", Some(&json!({"resourceGraphQuota": false}))).await;
    let q = "resources | where type in~ ('microsoft.app/containerapps') | project id, name, location";
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut options = json!({"$top": 1000});
        if let Some(t) = &token {
            options["$skipToken"] = t.clone().into();
        }
        let r = query(&env, &json!({"query": q, "options": options})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["totalRecords"], 2500);
        assert_eq!(r.body["resultTruncated"], "false", "paged, not truncated");
        let data = r.body["data"].as_array().unwrap();
        assert_eq!(r.body["count"], data.len());
        seen.extend(data.iter().map(|d| d["id"].as_str().unwrap().to_owned()));
        pages += 1;
        match r.body.get("$skipToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 2500);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 2500, "no row twice");
    let mut sorted = seen.clone();
    sorted.sort_by_key(|s| s.to_ascii_lowercase());
    assert_eq!(seen, sorted);

    // Default page size is 100; subscription scope narrows.
    let r = query(&env, &json!({"query": q, "subscriptions": [SUB]})).await;
    assert_eq!((r.body["count"].as_u64(), r.body["totalRecords"].as_u64()), (Some(100), Some(1250)));
    // Without `id` there is no way to page: truncated, no token.
    let r = query(&env, &json!({"query": "resources | where type in~ ('microsoft.app/containerapps') | project name"}))
        .await;
    assert_eq!(r.body["resultTruncated"], "true");
    assert!(r.body.get("$skipToken").is_none());
}

#[tokio::test]
async fn skip_token_misuse_and_bad_bodies() {
    let env = start_with(test_config(many(30))).await;
    let q = "resources | where type in~ ('microsoft.app/containerapps') | project id";
    let first = query(&env, &json!({"query": q, "options": {"$top": 10}})).await;
    let token = first.body["$skipToken"].as_str().unwrap().to_owned();
    let other_query = query(&env, &json!({"query": TAGGED, "options": {"$skipToken": token}})).await;
    assert_eq!((other_query.status, other_query.code()), (400, "InvalidSkipToken"), "{}", other_query.text);
    let other_scope = query(&env, &json!({"query": q, "subscriptions": [SUB], "options": {"$skipToken": token}})).await;
    assert_eq!(other_scope.code(), "InvalidSkipToken");
    let forged = query(&env, &json!({"query": q, "options": {"$skipToken": "eyAibm8iOiAibHVjayIgfQ=="}})).await;
    assert_eq!(forged.code(), "InvalidSkipToken");
    let same = query(&env, &json!({"query": q, "options": {"$skipToken": token, "$top": 25}})).await;
    assert_eq!((same.status, same.body["count"].as_u64()), (200, Some(20)), "$top overrides with a token");

    let unknown = query(&env, &json!({"query": "resources | summarize count() by location"})).await;
    assert_eq!((unknown.status, unknown.code()), (400, "BadRequest"));
    assert!(unknown.message().contains("three query shapes"), "{}", unknown.message());
    assert_eq!(unknown.body["error"]["details"][0]["code"], "InvalidQuery");
    let table = query(&env, &json!({"query": q, "options": {"resultFormat": "table"}})).await;
    assert!(table.message().contains("'table' is not supported"), "{}", table.text);
    let top = query(&env, &json!({"query": q, "options": {"$top": 5000}})).await;
    assert_eq!(top.status, 400);
    let no_query = query(&env, &json!({"subscriptions": [SUB]})).await;
    assert_eq!(no_query.status, 400);
}

#[tokio::test]
async fn quota_headers_and_429() {
    let env = start().await;
    for left in (0..15).rev() {
        let r = query(&env, &json!({"query": TAGGED})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("x-ms-user-quota-remaining"), Some(left.to_string().as_str()));
        let resets = r.header("x-ms-user-quota-resets-after").unwrap();
        assert!(resets.starts_with("00:00:0"), "{resets}");
    }
    let over = query(&env, &json!({"query": TAGGED})).await;
    assert_eq!((over.status, over.code()), (429, "RateLimiting"), "{}", over.text);
    assert_eq!(over.header("x-ms-user-quota-remaining"), Some("0"));
    let secs: u64 = over.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=5).contains(&secs));
    // ARM reads are not Resource Graph queries: they are unaffected and counted apart.
    assert_eq!(env.get(&registry_path()).await.status, 200);
    let stats = env.admin(Method::GET, "/requests", None).await;
    assert_eq!(stats.body["resourceGraphQueries"], 16);
    assert_eq!(stats.body["armReads"], 1);

    // A smaller quota through the config, so the window is short to wait out.
    env.admin(Method::POST, "/config", Some(&json!({"resourceGraphQuota": {"queries": 1, "windowSecs": 1}}))).await;
    assert_eq!(query(&env, &json!({"query": TAGGED})).await.status, 200);
    assert_eq!(query(&env, &json!({"query": TAGGED})).await.status, 429);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(query(&env, &json!({"query": TAGGED})).await.status, 200, "a new window");
}

#[tokio::test]
async fn refusal_switch_answers_403_until_cleared() {
    let env = start().await;
    let on = env.admin(Method::PUT, "/faults/resource-graph", Some(&json!({"refuse": true}))).await;
    assert_eq!(on.status, 200, "{}", on.text);
    let r = query(&env, &json!({"query": WORKLOADS})).await;
    assert_eq!((r.status, r.code()), (403, "AuthorizationFailed"));
    assert!(r.message().contains("Microsoft.ResourceGraph/resources/read"), "{}", r.message());
    // The fallback still works meanwhile.
    assert_eq!(env.get(&format!("/subscriptions/{SUB}/resources?api-version=2021-04-01")).await.status, 200);
    env.admin(Method::PUT, "/faults/resource-graph", Some(&json!({"refuse": false}))).await;
    assert_eq!(query(&env, &json!({"query": WORKLOADS})).await.status, 200);
    env.admin(Method::PUT, "/faults/resource-graph", Some(&json!({"refuse": true}))).await;
    env.admin(Method::POST, "/reset", None).await;
    assert_eq!(query(&env, &json!({"query": WORKLOADS})).await.status, 200, "reset clears it");
}

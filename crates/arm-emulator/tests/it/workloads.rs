//! Workloads through plain ARM (the fallback when Resource Graph is refused): the
//! `/resources` filters and paging, each type's own GET and api-version, Batch pools,
//! `config/web`, role assignments; the admin calls; the state file; Retail Prices.

use reqwest::Method;
use serde_json::{json, Value};

use crate::resource_graph::{query, WORKLOADS};
use crate::support::*;

fn rg_path(rg: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers")
}

fn names(r: &Resp) -> Vec<String> {
    let mut n: Vec<String> =
        r.body["value"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap().to_owned()).collect();
    n.sort();
    n
}

#[tokio::test]
async fn resources_filters_and_next_link() {
    let env = start().await;
    let filter =
        "resourceType eq 'Microsoft.ContainerService/managedClusters' or resourceType eq 'Microsoft.App/containerApps'";
    let url = format!("/subscriptions/{SUB}/resources?$filter={filter}&$top=2&api-version=2021-04-01");
    let first = env.get(&url).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["value"].as_array().unwrap().len(), 2);
    assert!(first.body["value"][0].get("properties").is_none(), "the generic envelope has no properties");
    let next = first.body["nextLink"].as_str().unwrap().to_owned();
    assert!(next.starts_with(&env.base) && next.contains("%24top=2"), "{next}");
    let second = env.get(&next).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert!(second.body.get("nextLink").is_none());
    let mut all = names(&first);
    all.extend(names(&second));
    all.sort();
    assert_eq!(all, ["aks-legacy-brs", "aks-shop-weu", "storefront"]);
    let aks = first.body["value"].as_array().unwrap().iter().find(|v| v["name"] == "aks-shop-weu").unwrap();
    assert_eq!(aks["identity"]["type"], "SystemAssigned");

    let tagged = env
        .get(&format!(
            "/subscriptions/{SUB}/resources?$filter=tagName eq 'replimap.io/pulls-from'&api-version=2021-04-01"
        ))
        .await;
    assert_eq!(tagged.status, 200, "{}", tagged.text);
    let value = tagged.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0]["type"], "Microsoft.Compute/virtualMachineScaleSets");
    assert_eq!(value[0]["tags"]["aks-managed-poolName"], "nodepool1");

    let all = env.get(&format!("/subscriptions/{SUB}/resources?api-version=2021-04-01")).await;
    let types: Vec<&str> = all.body["value"].as_array().unwrap().iter().map(|v| v["type"].as_str().unwrap()).collect();
    assert!(!types.contains(&"Microsoft.Batch/batchAccounts/pools"), "child resources are not listed");
    let bad =
        env.get(&format!("/subscriptions/{SUB}/resources?$filter=resourceType ne 'x'&api-version=2021-04-01")).await;
    assert_eq!((bad.status, bad.code()), (400, "InvalidFilterInQueryString"));
}

#[tokio::test]
async fn each_type_at_its_own_path_and_api_version() {
    let env = start().await;
    let cases = [
        ("shop-westeurope", "Microsoft.ContainerService/managedClusters/aks-shop-weu", "2024-09-01"),
        ("shop-westeurope", "Microsoft.App/containerApps/storefront", "2024-03-01"),
        ("shop-eastus", "Microsoft.App/jobs/nightly-report", "2024-03-01"),
        ("shop-eastus", "Microsoft.ContainerInstance/containerGroups/orders-api", "2023-05-01"),
        ("shop-japaneast", "Microsoft.Web/sites/catalog-web", "2023-12-01"),
        ("ml-australiaeast", "Microsoft.MachineLearningServices/workspaces/ml-research", "2024-04-01"),
        ("ml-australiaeast", "Microsoft.Batch/batchAccounts/batchshopaue", "2024-07-01"),
    ];
    for (rg, rest, api) in cases {
        let path = format!("{}/{rest}", rg_path(rg));
        let r = env.get(&format!("{path}?api-version={api}")).await;
        assert_eq!(r.status, 200, "{rest}: {}", r.text);
        assert_eq!(r.body["id"], path);
        assert!(r.body["properties"].is_object());
        let wrong = env.get(&format!("{path}?api-version=2019-01-01")).await;
        assert_eq!((wrong.status, wrong.code()), (400, "NoRegisteredProviderFound"), "{rest}");
    }
    let aci = env
        .get(&format!(
            "{}/Microsoft.ContainerInstance/containerGroups/orders-api?api-version=2023-05-01",
            rg_path("shop-eastus")
        ))
        .await;
    assert_eq!(aci.body["properties"]["containers"][0]["properties"]["image"], "myacr0007.azurecr.io/orders:1.4");

    let account = format!("{}/Microsoft.Batch/batchAccounts/batchshopaue", rg_path("ml-australiaeast"));
    let pools = env.get(&format!("{account}/pools?api-version=2024-07-01")).await;
    assert_eq!(pools.status, 200, "{}", pools.text);
    let registries = &pools.body["value"][0]["properties"]["deploymentConfiguration"]["virtualMachineConfiguration"]
        ["containerConfiguration"]["containerRegistries"];
    assert_eq!(registries[0]["registryServer"], "myacr0007.azurecr.io");

    let site = format!("{}/Microsoft.Web/sites/catalog-web", rg_path("shop-japaneast"));
    let web = env.get(&format!("{site}/config/web?api-version=2023-12-01")).await;
    assert_eq!(web.status, 200, "{}", web.text);
    assert_eq!(web.body["properties"]["linuxFxVersion"], "DOCKER|myacr0007.azurecr.io/catalog:3.0");

    let missing = env
        .get(&format!("{}/Microsoft.App/containerApps/nope?api-version=2024-03-01", rg_path("shop-westeurope")))
        .await;
    assert_eq!((missing.status, missing.code()), (404, "ResourceNotFound"));
    assert!(missing.message().contains("Microsoft.App/containerApps/nope"), "{}", missing.message());
    let no_group =
        env.get(&format!("{}/Microsoft.App/containerApps/x?api-version=2024-03-01", rg_path("nogroup"))).await;
    assert_eq!(no_group.code(), "ResourceGroupNotFound");
    // A tagged resource of any type: any api-version.
    let vmss_list = env
        .get(&format!(
            "/subscriptions/{SUB}/resources?$filter=tagName eq 'replimap.io/pulls-from'&api-version=2021-04-01"
        ))
        .await;
    let vmss_id = vmss_list.body["value"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(env.get(&format!("{vmss_id}?api-version=2021-04-01")).await.status, 200);

    let ra = env
        .get(&format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"))
        .await;
    assert_eq!(ra.status, 200, "{}", ra.text);
    let value = ra.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 3);
    assert!(value.iter().all(|a| a["type"] == "Microsoft.Authorization/roleAssignments"));
    assert!(value.iter().any(|a| a["properties"]["scope"] == registry_path()
        && a["properties"]["roleDefinitionId"].as_str().unwrap().ends_with("7f951dda-4ed3-4680-a7ca-43fe172d538d")));
}

#[tokio::test]
async fn admin_adds_and_removes_workloads_and_assignments() {
    let env = start().await;
    let id = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/newrg/providers/Microsoft.App/containerApps/late";
    let body = json!({
        "id": id, "type": "Microsoft.App/containerApps", "location": "Korea Central",
        "tags": {"team": "x"},
        "properties": {"template": {"containers": [{"image": "myacr0007.azurecr.io/late:1"}]}}
    });
    let put = env.admin(Method::PUT, "/workloads", Some(&body)).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["location"], "koreacentral");
    // Its subscription and group now exist.
    assert_eq!(env.get("/subscriptions/33333333-3333-3333-3333-333333333333/resourcegroups/newrg").await.status, 200);
    let r = query(&env, &json!({"query": WORKLOADS})).await;
    assert!(r.body["data"].as_array().unwrap().iter().any(|d| d["id"] == id), "tenant scope sees the new one");
    assert_eq!(env.get(&format!("{id}?api-version=2024-03-01")).await.status, 200);

    let bad = env
        .admin(Method::PUT, "/workloads", Some(&json!({"id": id, "type": "Microsoft.App/jobs", "location": "x"})))
        .await;
    assert_eq!((bad.status, bad.code()), (400, "InvalidAdminRequest"));

    let del = env.admin(Method::DELETE, &format!("/workloads?id={id}"), None).await;
    assert_eq!(del.status, 204);
    assert_eq!(env.get(&format!("{id}?api-version=2024-03-01")).await.code(), "ResourceNotFound");
    assert_eq!(env.admin(Method::DELETE, &format!("/workloads?id={id}"), None).await.status, 404);

    let a = env.admin(Method::PUT, "/role-assignments", Some(&json!({
        "principalId": "p-1", "scope": registry_path(), "roleDefinitionId": "7f951dda-4ed3-4680-a7ca-43fe172d538d"
    }))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let aid = a.body["id"].as_str().unwrap().to_owned();
    let list = env.admin(Method::GET, "/workloads", None).await;
    assert_eq!(list.body["roleAssignments"].as_array().unwrap().len(), 4);
    let gone = env.admin(Method::DELETE, &format!("/role-assignments?id={}", urlencode(&aid)), None).await;
    assert_eq!(gone.status, 204, "{}", gone.text);

    let gen = env
        .admin(
            Method::POST,
            "/workloads/generate",
            Some(&json!({
                "subscriptions": 20, "workloads": 1000, "registry": "myacr0007.azurecr.io"
            })),
        )
        .await;
    assert_eq!(gen.status, 200, "{}", gen.text);
    assert_eq!(gen.body["aksClusters"], 200);
    let subs = env.get("/subscriptions").await;
    assert_eq!(subs.body["value"].as_array().unwrap().len(), 22, "demo + the one made above + 20");
    env.admin(Method::POST, "/config", Some(&json!({"resourceGraphQuota": false}))).await;
    let r = query(&env, &json!({"query": WORKLOADS, "options": {"$top": 1000}})).await;
    assert_eq!(r.body["totalRecords"], 1000 + 10, "generated plus the demo's");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn workloads_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("replimap-workloads-{}", uuid::Uuid::new_v4()));
    let state = dir.join("state.json");
    let config = || replimap_arm_emulator::EmulatorConfig {
        state_file: Some(state.clone()),
        ..test_config(replimap_arm_emulator::Seed::docs_example())
    };
    let env = start_with(config()).await;
    let id = format!("{}/Microsoft.ContainerInstance/containerGroups/added", rg_path("shop-eastus"));
    let body = json!({"id": id, "type": "Microsoft.ContainerInstance/containerGroups", "location": "eastus", "properties": {}});
    assert_eq!(env.admin(Method::PUT, "/workloads", Some(&body)).await.status, 200);
    env.handle.shutdown().await;
    let env = start_with(config()).await;
    assert_eq!(env.get(&format!("{id}?api-version=2023-05-01")).await.status, 200, "kept across the restart");
    let demo = format!("{}/Microsoft.App/containerApps/storefront?api-version=2024-03-01", rg_path("shop-westeurope"));
    assert_eq!(env.get(&demo).await.status, 200);
    std::fs::remove_dir_all(&dir).ok();
}

async fn prices(env: &Env, query: &str) -> (u16, Value) {
    let url =
        if query.starts_with("http") { query.to_owned() } else { format!("{}/api/retail/prices?{query}", env.base) };
    // Unauthenticated, like prices.azure.com.
    let resp = env.http.get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn retail_prices_filters_and_pages() {
    let env = start().await;
    let (status, one) = prices(&env, "api-version=2023-01-01-preview&$filter=serviceName eq 'Container Registry' and armRegionName eq 'eastus2' and priceType eq 'Consumption'").await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["BillingCurrency"], "USD");
    assert_eq!(one["CustomerEntityType"], "Retail");
    assert_eq!(one["NextPageLink"], Value::Null);
    let items = one["Items"].as_array().unwrap();
    assert_eq!(one["Count"], items.len());
    let premium = items.iter().find(|i| i["meterName"] == "Premium Registry Unit").unwrap();
    assert_eq!((premium["retailPrice"].as_f64(), premium["unitOfMeasure"].as_str()), (Some(1.6666), Some("1/Day")));
    let stored = items.iter().find(|i| i["meterName"] == "Data Stored").unwrap();
    assert_eq!((stored["retailPrice"].as_f64(), stored["unitOfMeasure"].as_str()), (Some(0.10), Some("1 GB/Month")));

    // Case-sensitive from 2023-01-01-preview.
    let (_, lower) = prices(&env, "api-version=2023-01-01-preview&$filter=serviceName eq 'container registry'").await;
    assert_eq!(lower["Count"], 0);

    let (_, page1) = prices(&env, "api-version=2023-01-01-preview&$filter=serviceName eq 'Container Registry'").await;
    assert_eq!(page1["Count"], 100);
    let mut total = 100;
    let mut next = page1["NextPageLink"].as_str().map(str::to_owned);
    while let Some(link) = next {
        assert!(link.starts_with(&env.base), "{link}");
        let (status, page) = prices(&env, &link).await;
        assert_eq!(status, 200);
        assert!(page["Items"].as_array().unwrap().iter().all(|i| i["serviceName"] == "Container Registry"));
        total += page["Count"].as_u64().unwrap();
        next = page["NextPageLink"].as_str().map(str::to_owned);
    }
    assert!(total > 200, "several pages: {total}");

    let (status, err) = prices(&env, "api-version=2023-01-01-preview&$filter=colour eq 'blue'").await;
    assert_eq!(status, 400);
    assert!(err["Error"]["Message"].as_str().unwrap().starts_with("Invalid OData parameters supplied"), "{err}");
    let stats = env.admin(Method::GET, "/requests", None).await;
    assert!(stats.body["retailPriceRequests"].as_u64().unwrap() >= 5);
    assert_eq!(stats.body["total"], 0, "not ARM requests");
}

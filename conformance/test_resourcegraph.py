"""The real Python SDK (azure-mgmt-resourcegraph) against the emulator's Resource
Graph: the portal's named queries, paging with skip tokens, the per-user quota
headers, the 429 over quota and the 403 refusal switch."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity import ClientSecretCredential
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions, ResultFormat

from conftest import REG, RG, SUB, TENANT

REGISTRY_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerRegistry/registries/{REG}"
SERVER = f"{REG.lower()}.azurecr.io"
WORKLOADS = (
    "resources | where type in~ ('microsoft.containerservice/managedclusters', "
    "'microsoft.app/containerapps', 'microsoft.app/jobs', 'microsoft.containerinstance/containergroups', "
    "'microsoft.web/sites', 'microsoft.machinelearningservices/workspaces', 'microsoft.batch/batchaccounts') "
    "| project id, name, type, kind, location, subscriptionId, resourceGroup, tags, properties"
)
ACRPULL = (
    "authorizationresources | where type =~ 'microsoft.authorization/roleassignments' "
    "| extend roleDefinitionId = tolower(tostring(properties.roleDefinitionId)) "
    "| where roleDefinitionId endswith '7f951dda-4ed3-4680-a7ca-43fe172d538d' "
    "| project id, principalId = tostring(properties.principalId), scope = tolower(tostring(properties.scope))"
)


@pytest.fixture(scope="session")
def graph(emulator) -> ResourceGraphClient:
    credential = ClientSecretCredential(
        TENANT,
        "replimap-graph-tests",
        "any-secret",
        authority=emulator.url,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_pem),
    )
    # No retries: the 429 must reach the test instead of being waited out.
    return ResourceGraphClient(
        credential, base_url=emulator.url, connection_verify=str(emulator.ca_pem), retry_total=0
    )


@pytest.fixture
def workloads(emulator):
    """The conformance seed has none: 250 generated over 3 subscriptions, plus one
    hand-made container app in the seed's subscription."""
    status, summary = emulator.admin(
        "POST", "/workloads/generate", {"subscriptions": 3, "workloads": 250, "registry": SERVER}
    )
    assert status == 200, summary
    app = {
        "id": f"/subscriptions/{SUB}/resourceGroups/apps/providers/Microsoft.App/containerApps/web",
        "type": "Microsoft.App/containerApps",
        "location": "westeurope",
        "properties": {"template": {"containers": [{"name": "web", "image": f"{SERVER}/web:1"}]}},
    }
    status, body = emulator.admin("PUT", "/workloads", app)
    assert status == 200, body
    return summary


def test_pages_through_every_workload_with_skip_tokens(graph, workloads):
    seen, token, pages = [], None, 0
    while True:
        options = QueryRequestOptions(top=100, skip_token=token, result_format=ResultFormat.OBJECT_ARRAY)
        page = graph.resources(QueryRequest(query=WORKLOADS, options=options))
        assert page.total_records == 251
        assert page.result_truncated == "false"
        assert page.count == len(page.data)
        seen.extend(row["id"] for row in page.data)
        pages += 1
        token = page.skip_token
        if not token:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 251
    assert seen == sorted(seen, key=str.lower), "stable order by id"
    row = page.data[0]
    assert set(row) == {"id", "name", "type", "kind", "location", "subscriptionId", "resourceGroup", "tags", "properties"}


def test_subscription_scope_and_acrpull_rows(graph, workloads):
    mine = graph.resources(QueryRequest(subscriptions=[SUB], query=WORKLOADS))
    assert [r["name"] for r in mine.data] == ["web"]
    pulls = graph.resources(QueryRequest(query=ACRPULL, options=QueryRequestOptions(top=1000)))
    assert pulls.total_records == workloads["roleAssignments"] > 0
    assert all(set(r) == {"id", "principalId", "scope"} for r in pulls.data)
    assert {r["scope"] for r in pulls.data} == {REGISTRY_ID.lower()}


def test_quota_headers_are_visible_on_every_answer(graph, emulator):
    seen = []

    def hook(response):
        seen.append(response.http_response.headers)

    graph.resources(QueryRequest(query=ACRPULL), raw_response_hook=hook)
    graph.resources(QueryRequest(query=ACRPULL), raw_response_hook=hook)
    remaining = [int(h["x-ms-user-quota-remaining"]) for h in seen]
    assert remaining[1] == remaining[0] - 1
    assert all(h["x-ms-user-quota-resets-after"].startswith("00:00:0") for h in seen)


def test_over_quota_is_a_429_with_retry_after(graph, emulator):
    status, _ = emulator.admin("POST", "/config", {"resourceGraphQuota": {"queries": 2, "windowSecs": 60}})
    assert status == 200
    try:
        graph.resources(QueryRequest(query=ACRPULL))
        graph.resources(QueryRequest(query=ACRPULL))
        with pytest.raises(HttpResponseError) as err:
            graph.resources(QueryRequest(query=ACRPULL))
        assert err.value.status_code == 429
        assert err.value.error.code == "RateLimiting"
        assert int(err.value.response.headers["Retry-After"]) >= 1
        assert err.value.response.headers["x-ms-user-quota-remaining"] == "0"
    finally:
        emulator.admin("POST", "/config", {"resourceGraphQuota": True})


def test_refused_resource_graph_is_a_403(graph, emulator):
    status, _ = emulator.admin("PUT", "/faults/resource-graph", {"refuse": True})
    assert status == 200
    with pytest.raises(HttpResponseError) as err:
        graph.resources(QueryRequest(query=WORKLOADS))
    assert err.value.status_code == 403
    assert err.value.error.code == "AuthorizationFailed"
    assert "Microsoft.ResourceGraph/resources/read" in err.value.error.message


def test_unknown_query_shapes_and_bad_tokens_are_400s(graph, workloads):
    with pytest.raises(HttpResponseError) as err:
        graph.resources(QueryRequest(query="resources | summarize count() by location"))
    assert err.value.status_code == 400
    assert "three query shapes" in err.value.error.message
    first = graph.resources(QueryRequest(query=WORKLOADS, options=QueryRequestOptions(top=10)))
    with pytest.raises(HttpResponseError) as err:
        graph.resources(
            QueryRequest(subscriptions=[SUB], query=WORKLOADS, options=QueryRequestOptions(skip_token=first.skip_token))
        )
    assert err.value.error.code == "InvalidSkipToken"

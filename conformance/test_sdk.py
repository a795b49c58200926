"""The real Python SDK (azure-mgmt-containerregistry) against the emulator:
its own LRO pollers for create/update/delete, paging, and error mapping."""

from __future__ import annotations

import base64
import json
import time

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.containerregistry.models import (
    Replication,
    ReplicationProperties,
    ReplicationUpdateParameters,
    ReplicationUpdateParametersProperties,
)

from conftest import REG, RG, SDK_REG, SDK_RG, STANDARD_REG, STANDARD_RG, SUB, TENANT

# The emulator answers Retry-After: 1; this is only the fallback.
POLL = 0.2


@pytest.fixture(scope="session")
def credential(emulator):
    """A real azure-identity credential against the emulator's token endpoint."""
    return ClientSecretCredential(
        TENANT,
        "replimap-sdk-tests",
        "any-secret",
        authority=emulator.url,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_pem),
    )


@pytest.fixture(scope="session")
def client(emulator, credential) -> ContainerRegistryManagementClient:
    return ContainerRegistryManagementClient(
        credential,
        SUB,
        base_url=emulator.url,
        connection_verify=str(emulator.ca_pem),
        # Keep the suite fast if a retry happens; the emulator sends Retry-After.
        retry_backoff_factor=0.1,
    )


class StaticToken:
    """The smallest credential the SDK accepts: no identity provider at all."""

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        return AccessToken("static-token", int(time.time()) + 3600)


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def names(client, rg=SDK_RG, reg=SDK_REG) -> list[str]:
    return [r.name for r in client.replications.list(rg, reg)]


def test_token_from_the_emulated_identity_provider(credential):
    token = credential.get_token("https://management.azure.com/.default")
    claims = jwt_claims(token.token)
    assert claims["aud"] == "https://management.azure.com/"
    assert claims["tid"] == TENANT
    assert claims["appid"] == "replimap-sdk-tests"
    assert token.expires_on > time.time() + 600


def test_create_list_get_update_delete_through_pollers(client, emulator):
    assert names(client) == []

    poller = client.replications.begin_create(
        SDK_RG, SDK_REG, "japaneast",
        Replication(location="japaneast", tags={"team": "a"},
                    properties=ReplicationProperties(zone_redundancy="Disabled")),
        polling_interval=POLL,
    )
    created = poller.result()
    assert poller.status().lower() == "succeeded"
    assert created.properties.provisioning_state == "Succeeded"
    assert created.properties.status.display_status == "Ready"
    assert created.tags == {"team": "a"}
    # The RP-created home replica comes first, then the new one (arm-facts §2.3).
    assert names(client) == ["westus2", "japaneast"]
    home = client.replications.get(SDK_RG, SDK_REG, "westus2")
    assert home.system_data.created_by_type == "Application"

    updated = client.replications.begin_update(
        SDK_RG, SDK_REG, "japaneast",
        ReplicationUpdateParameters(
            tags={"env": "prod"},
            properties=ReplicationUpdateParametersProperties(region_endpoint_enabled=False),
        ),
        polling_interval=POLL,
    ).result()
    assert updated.tags == {"env": "prod"}
    assert updated.properties.region_endpoint_enabled is False
    assert updated.properties.provisioning_state == "Succeeded"

    got = client.replications.get(SDK_RG, SDK_REG, "japaneast")
    assert got.properties.region_endpoint_enabled is False
    assert got.location == "japaneast"

    assert client.replications.begin_delete(
        SDK_RG, SDK_REG, "japaneast", polling_interval=POLL
    ).result() is None
    assert names(client) == ["westus2"]
    with pytest.raises(ResourceNotFoundError):
        client.replications.get(SDK_RG, SDK_REG, "japaneast")

    # Each LRO really polled: Azure-AsyncOperation for PUT/PATCH, Location for DELETE.
    paths = [r["path"] for r in emulator.requests()]
    assert sum("/operationStatuses/" in p for p in paths) >= 2
    assert any("/operationResults/" in p for p in paths)


def test_delete_of_a_missing_replica_is_a_no_op(client, emulator):
    assert client.replications.begin_delete(
        SDK_RG, SDK_REG, "nosuchreplica", polling_interval=POLL
    ).result() is None
    deletes = [r for r in emulator.requests() if r["method"] == "DELETE"]
    assert [r["status"] for r in deletes] == [204]


def test_registries_list_get_and_static_token(emulator):
    # Any credential object works: the emulator checks no token.
    client = ContainerRegistryManagementClient(
        StaticToken(), SUB, base_url=emulator.url, connection_verify=str(emulator.ca_pem)
    )
    all_names = sorted(r.name for r in client.registries.list())
    assert all_names == sorted([REG, STANDARD_REG, SDK_REG])
    assert [r.name for r in client.registries.list_by_resource_group(RG)] == [REG]
    reg = client.registries.get(RG, REG)
    assert reg.sku.name == "Premium"
    assert reg.location == "eastus"
    assert reg.properties.login_server == "myacr0007.azurecr.io"


def test_paging_follows_absolute_next_links(client, emulator):
    status, _ = emulator.admin("POST", "/config", {"pageSize": 1})
    assert status == 200
    try:
        assert len(list(client.registries.list())) == 3
    finally:
        emulator.admin("POST", "/config", {"pageSize": 100})
    pages = [r for r in emulator.requests() if "/registries" in r["path"]]
    assert len(pages) == 3
    assert sum("$skipToken=" in r["path"] for r in pages) == 2


def test_failed_replica_raises_with_code_and_message(client, emulator):
    emulator.add_fault({"failReplicaIn": "japaneast", "code": "RegionCapacityExceeded",
                        "message": "No capacity in Japan East."})
    poller = client.replications.begin_create(
        SDK_RG, SDK_REG, "japaneast", Replication(location="japaneast"), polling_interval=POLL
    )
    with pytest.raises(HttpResponseError) as err:
        poller.result()
    assert err.value.error.code == "RegionCapacityExceeded"
    assert "No capacity in Japan East." in str(err.value)
    failed = client.replications.get(SDK_RG, SDK_REG, "japaneast")
    assert failed.properties.provisioning_state == "Failed"
    assert failed.properties.status.message == "No capacity in Japan East."


def test_out_of_band_failure_is_seen(client, emulator):
    client.replications.begin_create(
        SDK_RG, SDK_REG, "japaneast", Replication(location="japaneast"), polling_interval=POLL
    ).result()
    status, _ = emulator.admin(
        "PATCH", f"/registries/{SDK_REG}/replications/japaneast",
        {"provisioningState": "Failed", "message": "Broken on Azure's side."},
    )
    assert status == 204
    rep = client.replications.get(SDK_RG, SDK_REG, "japaneast")
    assert rep.properties.provisioning_state == "Failed"
    assert rep.properties.status.message == "Broken on Azure's side."


def test_non_premium_registry_refuses_replications(emulator):
    client = ContainerRegistryManagementClient(
        StaticToken(), SUB, base_url=emulator.url, connection_verify=str(emulator.ca_pem)
    )
    with pytest.raises(HttpResponseError) as err:
        client.replications.begin_create(
            STANDARD_RG, STANDARD_REG, "westeurope", Replication(location="westeurope")
        )
    assert err.value.status_code == 400
    assert err.value.error.code == "RegistrySkuNotSupported"


def test_location_is_immutable(client):
    client.replications.begin_create(
        SDK_RG, SDK_REG, "japaneast", Replication(location="japaneast"), polling_interval=POLL
    ).result()
    with pytest.raises(HttpResponseError) as err:
        client.replications.begin_create(
            SDK_RG, SDK_REG, "japaneast", Replication(location="westeurope")
        )
    assert err.value.error.code == "InvalidResourceLocation"


def test_invalid_name_and_tags_are_rejected(client):
    with pytest.raises(HttpResponseError) as bad_name:
        client.replications.begin_create(SDK_RG, SDK_REG, "jp", Replication(location="japaneast"))
    assert bad_name.value.error.code == "InvalidResourceName"
    with pytest.raises(HttpResponseError) as bad_tag:
        client.replications.begin_create(
            SDK_RG, SDK_REG, "japaneast", Replication(location="japaneast", tags={"a/b": "x"})
        )
    assert bad_tag.value.error.code == "InvalidTag"


def test_missing_api_version_is_rejected(client):
    path = f"/subscriptions/{SUB}/resourceGroups/{SDK_RG}/providers/Microsoft.ContainerRegistry/registries/{SDK_REG}"
    resp = client.send_request(HttpRequest("GET", path))
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "MissingApiVersionParameter"
    ok = client.send_request(HttpRequest("GET", path + "?api-version=2019-05-01"))
    assert ok.status_code == 200


def test_token_bucket_throttling_is_retried(client, emulator):
    status, cfg = emulator.admin(
        "POST", "/config", {"throttling": {"reads": {"bucket": 2, "refillPerSec": 2}}}
    )
    assert status == 200 and cfg["throttling"]["reads"]["bucket"] == 2
    try:
        for _ in range(4):
            client.registries.get(SDK_RG, SDK_REG)
    finally:
        emulator.admin("POST", "/config", {"throttling": False})
    statuses = [r["status"] for r in emulator.requests()]
    assert 429 in statuses
    assert statuses.count(200) == 4

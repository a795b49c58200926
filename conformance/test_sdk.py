"""The real Python SDK (azure-mgmt-containerregistry) against the emulator:
its own LRO pollers for create/update/delete, paging, and error mapping."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
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


class FixedToken:
    """The smallest credential the SDK accepts: always the same token."""

    def __init__(self, token: str, expires_on: int | None = None):
        self.token = token
        self.expires_on = expires_on or int(time.time()) + 3600

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        return AccessToken(self.token, self.expires_on)


def fixed_client(emulator, token: str, expires_on: int | None = None):
    return ContainerRegistryManagementClient(
        FixedToken(token, expires_on), SUB, base_url=emulator.url,
        connection_verify=str(emulator.ca_pem),
    )


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def stats(emulator) -> dict:
    """The emulator's counters (`GET /_emulator/requests`): tokens issued, 401s."""
    return emulator.admin("GET", "/requests")[1]


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


def test_registries_list_and_get(client):
    all_names = sorted(r.name for r in client.registries.list())
    assert all_names == sorted([REG, STANDARD_REG, SDK_REG])
    assert [r.name for r in client.registries.list_by_resource_group(RG)] == [REG]
    reg = client.registries.get(RG, REG)
    assert reg.sku.name == "Premium"
    assert reg.location == "eastus"
    assert reg.properties.login_server == "myacr0007.azurecr.io"


def test_a_token_the_emulator_did_not_issue_is_refused(emulator):
    with pytest.raises(ClientAuthenticationError) as err:
        fixed_client(emulator, "static-token").registries.get(RG, REG)
    assert err.value.status_code == 401
    assert err.value.error.code == "InvalidAuthenticationToken"
    challenge = err.value.response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer authorization_uri=") and 'error="invalid_token"' in challenge
    assert stats(emulator)["authRefused"] == 1


def test_an_expired_token_is_refused(emulator, credential):
    status, _ = emulator.admin("POST", "/config", {"tokenLifetimeSecs": 1})
    assert status == 200
    try:
        # A private credential: the session one keeps its hour-long token.
        fresh = ClientSecretCredential(
            TENANT, "replimap-expiry", "any-secret", authority=emulator.url,
            disable_instance_discovery=True, connection_verify=str(emulator.ca_pem),
        )
        token = fresh.get_token("https://management.azure.com/.default")
    finally:
        emulator.admin("POST", "/config", {"tokenLifetimeSecs": 3599})
    claims = jwt_claims(token.token)
    assert claims["exp"] - claims["iat"] == 1
    time.sleep(1.2)
    with pytest.raises(ClientAuthenticationError) as err:
        fixed_client(emulator, token.token, token.expires_on).registries.get(RG, REG)
    assert err.value.error.code == "ExpiredAuthenticationToken"
    assert re.fullmatch(
        r"The access token expiry UTC time '\d+/\d+/\d{4} \d+:\d\d:\d\d [AP]M' is earlier than "
        r"current UTC time '\d+/\d+/\d{4} \d+:\d\d:\d\d [AP]M'\.",
        err.value.error.message,
    ), err.value.error.message


def test_the_sdk_fetches_new_tokens_before_they_expire(emulator):
    status, _ = emulator.admin("POST", "/config", {"tokenLifetimeSecs": 2})
    assert status == 200
    try:
        cred = ClientSecretCredential(
            TENANT, "replimap-renewal", "any-secret", authority=emulator.url,
            disable_instance_discovery=True, connection_verify=str(emulator.ca_pem),
        )
        short = ContainerRegistryManagementClient(
            cred, SUB, base_url=emulator.url, connection_verify=str(emulator.ca_pem)
        )
        for _ in range(3):
            short.registries.get(RG, REG)
            time.sleep(1.1)
    finally:
        emulator.admin("POST", "/config", {"tokenLifetimeSecs": 3599})
    counts = stats(emulator)
    # Tokens this short are always "about to expire" for azure-core: one per call at least.
    assert counts["tokensIssued"] >= 3, counts
    assert counts["authRefused"] == 0, counts


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


def test_non_premium_registry_refuses_replications(client):
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

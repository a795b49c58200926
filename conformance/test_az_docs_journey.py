"""The real Azure CLI runs the docs journey against the emulator, unchanged:
create → list (table) → show → update → delete, with and without
--resource-group, plus the errors users meet on the way (arm-facts §6, §8)."""

from __future__ import annotations

import pytest

from conftest import REG, RG, STANDARD_REG, SUB

TABLE_HEADER = ["NAME", "LOCATION", "PROVISIONING STATE", "STATUS", "REGION ENDPOINT ENABLED"]


def table_rows(text: str) -> tuple[list[str], list[list[str]]]:
    """Parses knack's table output: header, dashes, rows. Columns are split on
    the dash runs, so values with spaces stay whole."""
    lines = [l for l in text.splitlines() if l.strip()]
    header, dashes, *rows = lines
    spans, start = [], None
    for i, ch in enumerate(dashes + " "):
        if ch == "-" and start is None:
            start = i
        elif ch != "-" and start is not None:
            spans.append((start, i))
            start = None
    cut = lambda line: [line[a:b].strip() for a, b in spans]  # noqa: E731
    return cut(header), [cut(r) for r in rows]


def test_create_prints_the_replication_as_json(az):
    out = az("acr", "replication", "create", "--registry", REG, "--location", "japaneast").json()
    assert out["provisioningState"] == "Succeeded"
    assert out["status"]["displayStatus"] == "Ready"
    assert out["location"] == "japaneast"
    assert out["name"] == "japaneast"
    assert out["type"] == "Microsoft.ContainerRegistry/registries/replications"
    assert out["id"] == (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
        f"Microsoft.ContainerRegistry/registries/{REG}/replications/japaneast"
    )
    assert out["resourceGroup"] == RG
    assert out["regionEndpointEnabled"] is True
    assert out["zoneRedundancy"] == "Disabled"
    assert out["systemData"]["createdByType"] in ("User", "Application")


def test_list_table_shows_both_regions_ready(az):
    az("acr", "replication", "create", "--registry", REG, "--location", "japaneast")
    out = az("acr", "replication", "list", "--registry", REG, "--output", "table").stdout
    header, rows = table_rows(out)
    assert header == TABLE_HEADER
    assert sorted(rows) == [
        ["eastus", "eastus", "Succeeded", "Ready", "True"],
        ["japaneast", "japaneast", "Succeeded", "Ready", "True"],
    ]


@pytest.mark.parametrize("group", [[], ["--resource-group", RG]], ids=["no-group", "group"])
def test_show_with_and_without_resource_group(az, group):
    out = az("acr", "replication", "show", "--name", "eastus", "--registry", REG, *group).json()
    assert out["name"] == "eastus"
    assert out["provisioningState"] == "Succeeded"
    # The RP created the home replica itself (arm-facts §2.1).
    assert out["systemData"]["createdByType"] == "Application"


def test_display_name_location_and_group(az, emulator):
    out = az(
        "acr", "replication", "create", "-r", REG, "-g", RG, "--location", "Japan East"
    ).json()
    assert (out["name"], out["location"]) == ("japaneast", "japaneast")
    # The CLI mapped the display name through the locations list.
    assert any(
        r["method"] == "GET" and f"/subscriptions/{SUB}/locations" in r["path"]
        for r in emulator.requests()
    )


def test_update_routing_and_tags(az, emulator):
    az("acr", "replication", "create", "-r", REG, "-l", "westeurope", "--tags", "team=a")
    out = az(
        "acr", "replication", "update", "-n", "westeurope", "-r", REG,
        "--global-endpoint-routing", "false", "--tags", "env=prod", "owner=me",
    ).json()
    assert out["regionEndpointEnabled"] is False
    # PATCH replaces the whole tag map (the CLI sends only the new tags).
    assert out["tags"] == {"env": "prod", "owner": "me"}
    assert out["provisioningState"] == "Succeeded"
    patches = [r for r in emulator.requests() if r["method"] == "PATCH"]
    assert len(patches) == 1 and patches[0]["status"] == 201

    shown = az("acr", "replication", "show", "-n", "westeurope", "-r", REG, "-g", RG).json()
    assert shown["regionEndpointEnabled"] is False
    assert shown["tags"] == {"env": "prod", "owner": "me"}

    table = az(
        "acr", "replication", "update", "-n", "westeurope", "-r", REG, "-g", RG,
        "--global-endpoint-routing", "true", "-o", "table",
    ).stdout
    header, rows = table_rows(table)
    assert header == TABLE_HEADER
    assert rows == [["westeurope", "westeurope", "Succeeded", "Ready", "True"]]


@pytest.mark.parametrize("group", [[], ["-g", RG]], ids=["no-group", "group"])
def test_delete_with_and_without_resource_group(az, emulator, group):
    az("acr", "replication", "create", "-r", REG, "-l", "japaneast")
    done = az("acr", "replication", "delete", "-n", "japaneast", "-r", REG, *group)
    assert done.stdout.strip() == ""
    names = [r["name"] for r in az("acr", "replication", "list", "-r", REG).json()]
    assert names == ["eastus"]
    # The delete went through the Location LRO: 202 then polling to 200.
    statuses = [r["status"] for r in emulator.requests() if r["method"] == "DELETE"]
    assert statuses == [202]
    assert any("/operationResults/" in r["path"] for r in emulator.requests())

    missing = az("acr", "replication", "show", "-n", "japaneast", "-r", REG, check=False)
    assert missing.returncode != 0
    assert "ResourceNotFound" in missing.stderr


def test_home_region_is_refused(az):
    res = az("acr", "replication", "create", "-r", REG, "-l", "eastus", check=False)
    assert res.returncode != 0
    assert "Replication could not be created in the same location as the registry." in res.stderr


def test_non_premium_registry_is_refused(az, emulator):
    res = az("acr", "replication", "create", "-r", STANDARD_REG, "-l", "westeurope", check=False)
    assert res.returncode != 0
    assert "Replications are only supported for managed registries in Premium SKU." in res.stderr
    # The CLI checked the SKU itself; no replication PUT reached the emulator.
    assert not [r for r in emulator.requests() if r["method"] == "PUT"]


def test_missing_registry(az):
    res = az("acr", "replication", "list", "-r", "nosuchACR1", check=False)
    assert res.returncode != 0
    assert "The resource with name 'nosuchACR1' and type " in res.stderr
    with_group = az("acr", "replication", "list", "-r", "nosuchACR1", "-g", RG, check=False)
    assert with_group.returncode != 0
    assert "ResourceNotFound" in with_group.stderr


def test_failed_replica_shows_the_error(az, emulator):
    emulator.add_fault(
        {"failReplicaIn": "westeurope", "code": "RegionCapacityExceeded",
         "message": "No capacity in West Europe."}
    )
    res = az("acr", "replication", "create", "-r", REG, "-l", "westeurope", check=False)
    assert res.returncode != 0
    assert "(RegionCapacityExceeded) No capacity in West Europe." in res.stderr
    header, rows = table_rows(az("acr", "replication", "list", "-r", REG, "-o", "table").stdout)
    assert ["westeurope", "westeurope", "Failed", "Failed", "True"] in rows


def test_throttling_is_retried_by_the_cli(az, emulator):
    emulator.add_fault(
        {"method": "GET", "pathContains": "/replications", "status": 429, "retryAfter": 1, "times": 1}
    )
    rows = table_rows(az("acr", "replication", "list", "-r", REG, "-g", RG, "-o", "table").stdout)[1]
    assert [r[0] for r in rows] == ["eastus"]
    statuses = [r["status"] for r in emulator.requests() if r["path"].split("?")[0].endswith("/replications")]
    assert statuses == [429, 200]


def test_recreate_right_after_delete_conflicts(az, emulator):
    emulator.add_fault({"recreateConflictMs": 60000, "times": 1})
    az("acr", "replication", "create", "-r", REG, "-l", "japaneast")
    az("acr", "replication", "delete", "-n", "japaneast", "-r", REG)
    res = az("acr", "replication", "create", "-r", REG, "-l", "japaneast", check=False)
    assert res.returncode != 0
    assert "(Conflict)" in res.stderr
    assert "deleted moments ago" in res.stderr


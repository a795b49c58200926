"""`az group delete`, as the docs example ends (`az group delete --name myResourceGroup
--no-wait`): ARM's long-running resource group deletion, waited for and not, with the
registries in the group going with it."""

from __future__ import annotations

import time

from conftest import SUB

GROUP = "deleteme"
REGISTRY = "deleteACR01"


def seed_group(az, emulator, group: str = GROUP) -> None:
    """A group made with the real CLI, and a replicated registry in it (the admin API
    stands in for `az acr create`)."""
    az("group", "create", "--name", group, "--location", "westus")
    status, body = emulator.admin("POST", "/registries", {
        "subscriptionId": SUB, "resourceGroup": group, "name": REGISTRY,
        "location": "westus", "sku": "Premium",
        "replicas": [{"name": "westus", "location": "westus"},
                     {"name": "japaneast", "location": "japaneast"}],
    })
    assert status == 200, body


def test_group_delete_waits_until_the_group_is_gone(az, emulator):
    seed_group(az, emulator)
    # Names are case-insensitive.
    done = az("group", "delete", "--name", "DeleteMe", "--yes")
    assert done.stdout.strip() == ""
    assert az("group", "exists", "--name", GROUP).stdout.strip() == "false"
    missing = az("acr", "replication", "list", "-r", REGISTRY, check=False)
    assert missing.returncode != 0, "the registry went with its group"

    # One DELETE, answered 202; the CLI then followed the Location monitor to its 200.
    requests = emulator.requests()
    deletes = [r for r in requests if r["method"] == "DELETE"]
    assert [r["status"] for r in deletes] == [202]
    monitor = [r["status"] for r in requests if f"/subscriptions/{SUB}/operationresults/" in r["path"]]
    assert monitor and monitor[-1] == 200 and set(monitor[:-1]) <= {202}, monitor


def test_group_delete_no_wait_returns_while_it_runs(az, emulator):
    seed_group(az, emulator)
    status, _ = emulator.admin("POST", "/config", {"provisioningDelayMs": 10000})
    assert status == 200
    try:
        az("group", "delete", "--name", GROUP, "--yes", "--no-wait")
        shown = az("group", "show", "--name", GROUP).json()
        assert shown["properties"]["provisioningState"] == "Deleting"
        assert not [r for r in emulator.requests() if "/operationresults/" in r["path"]], \
            "--no-wait does not poll"
        deadline = time.time() + 60
        while az("group", "exists", "--name", GROUP).stdout.strip() != "false":
            assert time.time() < deadline, "the group was never deleted"
            time.sleep(1)
    finally:
        emulator.admin("POST", "/config", {"provisioningDelayMs": 300})


def test_deleting_an_unknown_group(az):
    res = az("group", "delete", "--name", "nosuchgroup", "--yes", check=False)
    assert res.returncode != 0
    assert "(ResourceGroupNotFound) Resource group 'nosuchgroup' could not be found." in res.stderr

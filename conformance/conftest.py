"""Fixtures for running the real Azure clients against the ARM emulator.

Builds nothing: it starts the already-built `replimap-emulator` binary
(`REPLIMAP_EMULATOR_BIN`, default `target/debug/replimap-emulator` at the repo
root) on free loopback ports with TLS, sets up an isolated `AZURE_CONFIG_DIR`
exactly as docs/emulator.md tells users to, and tears it all down.

Every test starts from the seed (`POST /_emulator/reset` before each test),
so tests do not depend on each other's order.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SUB = "00000000-0000-0000-0000-000000000000"
TENANT = "72f988bf-0000-4000-8000-00000000e0e0"
RG = "myresourcegroup"
REG = "myACR0007"
# A Standard registry: the CLI refuses replications on it (Premium only).
STANDARD_RG = "standardrg"
STANDARD_REG = "standardACR01"
# A registry only the SDK tests touch.
SDK_RG = "sdkrg"
SDK_REG = "sdkACR0001"
CLOUD = "ReplimapEmulator"
# Short enough to keep the suite fast, long enough that clients really poll.
DELAY_MS = 300
START_TIMEOUT_S = 30

SEED = {
    "subscriptions": [{"id": SUB, "displayName": "replimap demo", "tenantId": TENANT}],
    "registries": [
        {
            "subscriptionId": SUB,
            "resourceGroup": RG,
            "name": REG,
            "location": "eastus",
            "sku": "Premium",
            "replicas": [
                {"name": "eastus", "location": "eastus", "createdByType": "Application"}
            ],
        },
        {
            "subscriptionId": SUB,
            "resourceGroup": STANDARD_RG,
            "name": STANDARD_REG,
            "location": "westus",
            "sku": "Standard",
        },
        {
            "subscriptionId": SUB,
            "resourceGroup": SDK_RG,
            "name": SDK_REG,
            "location": "westus2",
            "sku": "Premium",
        },
    ],
}


def emulator_binary() -> Path:
    env = os.environ.get("REPLIMAP_EMULATOR_BIN")
    path = Path(env) if env else REPO / "target" / "debug" / "replimap-emulator"
    if not path.is_absolute():
        path = REPO / path
    if not path.exists():
        pytest.exit(
            f"emulator binary not found at {path}: run "
            "`cargo build -p replimap-arm-emulator --bin replimap-emulator` "
            "or set REPLIMAP_EMULATOR_BIN",
            returncode=2,
        )
    return path


@dataclass
class Emulator:
    """A running emulator: its https URL for clients, its http URL for the
    admin API, and the CA certificate clients must trust."""

    url: str
    http_url: str
    ca_pem: Path
    process: subprocess.Popen

    def admin(self, method: str, path: str, body: object | None = None):
        """Calls `/_emulator{path}`; returns (status, parsed JSON or None)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.http_url}/_emulator{path}", data=data, method=method
        )
        req.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                text = resp.read().decode()
                return resp.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as err:
            text = err.read().decode()
            return err.code, (json.loads(text) if text else None)

    def add_fault(self, rule: dict) -> None:
        status, body = self.admin("POST", "/faults", rule)
        assert status == 200, body

    def requests(self) -> list[dict]:
        """ARM requests served since the last reset: {method, path, status}."""
        return self.admin("GET", "/requests")[1]["recent"]


def _read_banner(proc: subprocess.Popen) -> dict[str, str]:
    """Reads the start-up lines (http URL, https URL, CA path) with a timeout."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.strip())

    threading.Thread(target=pump, daemon=True).start()
    found: dict[str, str] = {}
    while "ca" not in found:
        try:
            line = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            pytest.fail(f"emulator printed no banner within {START_TIMEOUT_S}s: {found}")
        if line.startswith("replimap ARM emulator listening on http://"):
            found["http"] = line.rsplit(" ", 1)[1]
        elif line.startswith("replimap ARM emulator listening on https://"):
            found["https"] = line.rsplit(" ", 1)[1]
        elif line.startswith("CA certificate: "):
            found["ca"] = line.split(": ", 1)[1]
    return found


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> Emulator:
    work = tmp_path_factory.mktemp("emulator")
    seed = work / "seed.json"
    seed.write_text(json.dumps(SEED))
    proc = subprocess.Popen(
        [
            str(emulator_binary()),
            "--listen", "127.0.0.1:0",
            "--tls-listen", "127.0.0.1:0",
            "--ca-out", str(work / "emulator-ca.pem"),
            "--seed", str(seed),
            "--delay-ms", str(DELAY_MS),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = _read_banner(proc)
        yield Emulator(
            url=banner["https"],
            http_url=banner["http"],
            ca_pem=Path(banner["ca"]),
            process=proc,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(autouse=True)
def fresh_state(request):
    """Back to the seed before each test (state, faults, request log)."""
    if "emulator" in request.fixturenames:
        emu = request.getfixturevalue("emulator")
        status, _ = emu.admin("POST", "/reset")
        assert status == 204


@pytest.fixture(scope="session")
def client_env(emulator, tmp_path_factory) -> dict[str, str]:
    """Environment for anything that talks to the emulator over https."""
    env = {
        k: v
        for k, v in os.environ.items()
        # Credentials or cloud settings of the machine must not leak in.
        if not k.startswith(("AZURE_", "ARM_", "MSAL_"))
    }
    env.update(
        AZURE_CONFIG_DIR=str(tmp_path_factory.mktemp("azure-config")),
        REQUESTS_CA_BUNDLE=str(emulator.ca_pem),
        AZURE_CORE_COLLECT_TELEMETRY="false",
        AZURE_CORE_NO_COLOR="true",
        NO_PROXY="localhost,127.0.0.1",
        no_proxy="localhost,127.0.0.1",
    )
    return env


@dataclass
class AzResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


class Az:
    """Runs the real `az` (the venv's azure-cli) in the isolated config dir."""

    def __init__(self, env: dict[str, str]):
        self.env = env

    def __call__(self, *args: str, check: bool = True) -> AzResult:
        proc = subprocess.run(
            [sys.executable, "-m", "azure.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        result = AzResult(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            pytest.fail(f"az {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
        return result


@pytest.fixture(scope="session")
def az(emulator, client_env) -> Az:
    """`az`, logged in as a service principal to the emulator's cloud: the
    one-time client setup from docs/emulator.md, verbatim."""
    if shutil.which("az", path=str(Path(sys.executable).parent)) is None:
        pytest.exit("azure-cli is not installed in this Python: run scripts/setup-python", 2)
    run = Az(client_env)
    run("config", "set", "core.instance_discovery=false")
    run(
        "cloud", "register", "--name", CLOUD,
        "--endpoint-resource-manager", emulator.url + "/",
        "--endpoint-active-directory", emulator.url,
        "--endpoint-active-directory-resource-id", "https://management.core.windows.net/",
    )
    run("cloud", "set", "--name", CLOUD)
    run(
        "login", "--service-principal",
        "--username", "replimap-conformance",
        "--password", "any-secret",
        "--tenant", TENANT,
    )
    return run

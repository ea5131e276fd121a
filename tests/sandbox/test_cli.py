"""`python -m stripe_sandbox` as a process: fast start, loopback, a state file across restarts."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from stripe_sandbox.testing import DEFAULT_TEST_KEY

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(*args: str) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "stripe_sandbox", "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline()
    assert f"127.0.0.1:{port}" in line
    return process, f"http://127.0.0.1:{port}", time.monotonic() - started


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=5)
    process.stdout.close()


def api(base: str, method: str, path: str, body: bytes | None = None) -> dict:
    request = urllib.request.Request(  # noqa: S310 - loopback
        base + path,
        data=body,
        method=method,
        headers={"Authorization": f"Bearer {DEFAULT_TEST_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def test_process_keeps_accounts_across_restarts(tmp_path):
    # Start-up time is measured in `make bench`, not asserted here (timed tests are flaky).
    state_file = tmp_path / "sandbox.json"
    process, base, _ = start("--state-file", str(state_file))
    try:
        created = api(base, "POST", "/v1/accounts", b"type=express&metadata[demo]=yes")
    finally:
        stop(process)
    process, base, _ = start("--state-file", str(state_file))
    try:
        again = api(base, "GET", f"/v1/accounts/{created['id']}")
    finally:
        stop(process)
    assert again["metadata"] == {"demo": "yes"}


@pytest.mark.parametrize("flag", ["--webhook=ftp://x=whsec_1", "--webhook=http://x/hook=nope"])
def test_webhook_flag_needs_url_and_whsec_secret(flag):
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "stripe_sandbox", flag],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode == 2
    assert "URL=whsec_SECRET" in result.stderr

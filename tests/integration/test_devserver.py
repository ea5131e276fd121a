"""`make run`'s launcher: "Demo ready" only once the app answers, and Ctrl-C stops it all."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.helpers import TEST_ENCRYPTION_KEY

ROOT = Path(__file__).resolve().parents[2]
DEMO_KEY = "sk_test_demoPlatformKey000000000000000000"
DEMO_WEBHOOK_SECRET = "whsec_demoWebhookSecret00000000000000000"  # noqa: S105 — test value


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on right now."""
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def sandbox_json(url: str) -> list[dict]:
    """The `data` of a sandbox control's answer."""
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 — loopback sandbox
        return json.loads(response.read())["data"]


def test_the_demo_is_ready_only_when_the_app_answers_and_ctrl_c_stops_everything(tmp_path):
    app_port, sandbox_port, smtp_port, mail_web_port = ports = free_ports(4)
    env = {
        **os.environ,
        "FLASK_APP": "app",
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "SECRET_KEY": "demo-secret-key-that-is-long-enough-0123456789",
        "JWT_SECRET": "demo-jwt-secret-that-is-long-enough-0123456789",
        "ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "STRIPE_API_BASE": f"http://127.0.0.1:{sandbox_port}",
        "STRIPE_SECRET_KEY": DEMO_KEY,
        "STRIPE_WEBHOOK_SECRET": DEMO_WEBHOOK_SECRET,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{app_port}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "PYTHONPATH": str(ROOT),
    }
    upgrade = [sys.executable, "-m", "flask", "db", "upgrade"]
    subprocess.run(upgrade, cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    launcher = subprocess.Popen(  # noqa: S603 — our own interpreter, fixed arguments
        [
            *(sys.executable, "-m", "app.devserver", "--app-port", str(app_port)),
            *("--sandbox-port", str(sandbox_port), "--smtp-port", str(smtp_port)),
            *("--mail-web-port", str(mail_web_port), "--webhook-secret", DEMO_WEBHOOK_SECRET),
            *("--state-file", str(tmp_path / "sandbox-state.json")),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # as a terminal's foreground group: Ctrl-C reaches only it
    )
    output: list[str] = []
    try:
        for line in launcher.stdout:
            output.append(line)
            if "Demo ready" in line:
                break
        assert any("Demo ready" in line for line in output), "".join(output)
        # Ready means ready: the app answers at once.
        with urllib.request.urlopen(f"http://127.0.0.1:{app_port}/auth/login", timeout=5) as page:  # noqa: S310
            assert page.status == 200
        # The seed's webhooks waited for the app: the disconnected kiosk's reached it.
        control = f"http://127.0.0.1:{sandbox_port}/_sandbox"
        events = sandbox_json(f"{control}/webhooks/events")
        (deauthorized,) = [e for e in events if e["type"] == "account.application.deauthorized"]
        deadline = time.monotonic() + 15
        while not any(
            d["event_id"] == deauthorized["id"] and d["status"] == "succeeded"
            for d in sandbox_json(f"{control}/webhooks/deliveries")
        ):
            assert time.monotonic() < deadline, sandbox_json(f"{control}/webhooks/deliveries")
            time.sleep(0.1)

        launcher.send_signal(signal.SIGINT)  # what Ctrl-C sends the foreground process
        rest, _ = launcher.communicate(timeout=30)
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
    text = "".join(output) + rest
    assert launcher.returncode == 0, text
    assert "Segmentation fault" not in text and "Traceback" not in text, text
    assert "demo@example.com" in text
    deadline = time.monotonic() + 5
    while any(listening(port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(listening(port) for port in ports)

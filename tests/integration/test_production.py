"""The production entry point: gunicorn with gthread workers serving the app over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_serves_the_app_in_production_mode(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "JWT_SECRET": "j" * 48,
        "MAIL_SERVER": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "BIND": f"127.0.0.1:{port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "FLASK_APP": "app",
    }
    migrate = subprocess.run(  # noqa: S603 — our own interpreter
        [sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, capture_output=True
    )
    assert migrate.returncode == 0, migrate.stderr
    server = subprocess.Popen(  # noqa: S603 — our own interpreter
        [sys.executable, "-m", "gunicorn"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = urllib.request.urlopen(  # noqa: S310 — loopback
                    f"http://127.0.0.1:{port}/auth/login", timeout=2
                )
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert response.status == 200
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert (
            "form-action 'self' https://connect.stripe.com"
            in response.headers["Content-Security-Policy"]
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_production_without_secrets_refuses_to_start_with_one_line():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ENCRYPTION_KEYS")}
    env.update({"APP_ENV": "production", "FLASK_APP": "app"})
    done = subprocess.run(  # noqa: S603 — our own interpreter
        [sys.executable, "-m", "flask", "routes"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "Refusing to start in production: set SECRET_KEY, ENCRYPTION_KEYS" in done.stderr

"""With Redis as the limiter's storage, separate app processes count toward one sign-in limit.

Each "process" here is a real OS process: in-process apps would share the limiter object and
prove nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet

from app import create_app
from app.extensions import db
from tests.factories import Factory

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# Signs in N times in a fresh process and prints the statuses.
ATTEMPTS = """
import json, sys
from app import create_app
from tests.helpers import AuthActions
app = create_app(json.loads(sys.argv[1]))
password, count = sys.argv[2], int(sys.argv[3])
client = app.test_client()
print(json.dumps([AuthActions(client).login("ada@example.com", password).status_code
                  for _ in range(count)]))
"""


@pytest.fixture
def redis_url():
    """The Redis the deployment would share; CI has one, a laptop may not."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI at {REDIS_URL}")
        pytest.skip(f"needs Redis at {REDIS_URL} (set TEST_REDIS_URL)")
    return REDIS_URL


def attempts_in_a_new_process(config: dict, password: str, count: int) -> list[int]:
    done = subprocess.run(  # noqa: S603 — our own interpreter and script
        [sys.executable, "-c", ATTEMPTS, json.dumps(config), password, str(count)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_separate_processes_share_one_sign_in_limit(tmp_path, redis_url):
    prefix = f"co-test-{uuid.uuid4().hex[:8]}"
    config = {
        "APP_ENV": "testing",
        "SECRET_KEY": "x" * 40,
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix,
        # An hour, not a minute: three interpreters starting on a busy machine can take a minute.
        "LOGIN_RATE_LIMIT": "4 per hour",
    }
    app = create_app(dict(config))
    with app.app_context():
        db.create_all()
    Factory(app).user("ada@example.com")
    try:
        assert attempts_in_a_new_process(config, "wrong password!", 2) == [401, 401]
        assert attempts_in_a_new_process(config, "wrong password!", 2) == [401, 401]
        # A third process gets the fifth attempt: over the shared limit, even with the
        # right password.
        assert attempts_in_a_new_process(config, Factory.PASSWORD, 1) == [429]
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()

"""`flask db upgrade` builds the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]


def flask(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "app", "APP_ENV": "testing"}
    return subprocess.run(  # noqa: S603 — our own interpreter, fixed arguments
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def assert_upgrade_builds_the_model_schema(url: str) -> None:
    upgraded = flask("db", "upgrade", database_url=url)
    assert upgraded.returncode == 0, upgraded.stderr
    checked = flask("db", "check", database_url=url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No new upgrade operations detected" in checked.stdout + checked.stderr
    downgraded = flask("db", "downgrade", "base", database_url=url)
    assert downgraded.returncode == 0, downgraded.stderr


def test_migrations_match_the_models_on_sqlite(tmp_path):
    assert_upgrade_builds_the_model_schema(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgresql():
    base = os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    name = f"co_migrations_{uuid.uuid4().hex[:8]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        assert_upgrade_builds_the_model_schema(base.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

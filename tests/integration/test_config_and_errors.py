"""Configuration safety and error answers."""

from __future__ import annotations

import pytest

from app import create_app
from app.config import UnsafeConfigError
from app.extensions import db


def test_production_refuses_to_start_without_real_secrets(monkeypatch):
    for name in ("SECRET_KEY", "ENCRYPTION_KEYS", "JWT_SECRET", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UnsafeConfigError) as error:
        create_app({"APP_ENV": "production"})
    message = str(error.value)
    assert "\n" not in message
    assert "SECRET_KEY" in message and "ENCRYPTION_KEYS" in message


def test_production_refuses_an_invalid_encryption_key(monkeypatch):
    with pytest.raises(UnsafeConfigError, match="invalid Fernet key"):
        create_app(
            {
                "APP_ENV": "production",
                "SECRET_KEY": "x" * 40,
                "ENCRYPTION_KEYS": ["not-a-key"],
                "JWT_SECRET": "y" * 40,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
            }
        )


def test_production_with_real_secrets_marks_cookies_secure():
    from cryptography.fernet import Fernet

    app = create_app(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "x" * 40,
            "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
            "JWT_SECRET": "y" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "PUBLIC_BASE_URL": "https://onboarding.example.com",
            "WEB_CONCURRENCY": 1,
            "MAIL_SERVER": "smtp.example.com",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.internal/app")
    monkeypatch.setenv("STRIPE_ACCOUNTS_API", "v2")
    monkeypatch.setenv("STRIPE_ACCOUNT_LINKS_API", "v2")
    app = create_app({"APP_ENV": "testing"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/app"
    assert app.config["STRIPE_ACCOUNTS_API"] == app.config["STRIPE_ACCOUNT_LINKS_API"] == "v2"


def test_v2_account_links_with_v1_accounts_stop_the_app_saying_why(monkeypatch):
    monkeypatch.setenv("STRIPE_ACCOUNT_LINKS_API", "v2")
    with pytest.raises(UnsafeConfigError, match="Account Links v2 for accounts created with"):
        create_app({"APP_ENV": "testing"})


def test_the_postgresql_pool_holds_one_connection_per_gunicorn_thread(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.internal/app")
    monkeypatch.setenv("GUNICORN_THREADS", "12")
    app = create_app({"APP_ENV": "testing"})
    with app.app_context():
        assert db.engine.pool.size() == 12
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("APP_ENV", "prod"),
        ("STRIPE_ACCOUNT_LINKS_API", "v3"),
        ("STRIPE_ACCOUNTS_API", "v3"),
        ("STRIPE_COLLECTION_FIELDS", "all"),
        ("STRIPE_FUTURE_REQUIREMENTS", "yes"),
        ("STRIPE_ACCOUNT_DASHBOARD", "custom"),
    ],
)
def test_a_mistyped_setting_stops_the_app_naming_the_choices(monkeypatch, setting, value):
    monkeypatch.setenv(setting, value)
    with pytest.raises(UnsafeConfigError, match=f"{setting}='{value}' is not valid; use one of"):
        create_app({"APP_ENV": "testing"} if setting != "APP_ENV" else None)


def test_unknown_page_is_html_for_browsers_and_json_for_api_clients(client):
    html = client.get("/nope", headers={"Accept": "text/html"})
    assert html.status_code == 404 and html.mimetype == "text/html"
    assert "We couldn&#39;t find that." in html.get_data(as_text=True)
    api = client.get("/nope", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json["error"]["code"] == "not_found"


def test_every_page_carries_a_strict_csp(client):
    csp = client.get("/auth/login").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "form-action 'self' https://connect.stripe.com" in csp


@pytest.fixture
def exploding_app(tmp_path):
    """A separate app with one route that fails, to see what a crash looks like from outside."""
    from cryptography.fernet import Fernet

    app = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "x" * 40,
            "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'boom.sqlite3'}",
        }
    )

    def boom():
        raise RuntimeError("exploded while holding sk_test_canary0000000000000000")

    app.add_url_rule("/boom", "boom", boom)
    return app


def test_a_crash_answers_a_generic_500_without_traceback_or_secrets(exploding_app, caplog):
    client = exploding_app.test_client()
    html = client.get("/boom", headers={"Accept": "text/html"})
    assert html.status_code == 500 and html.mimetype == "text/html"
    body = html.get_data(as_text=True)
    assert "Something went wrong on our side" in body
    assert "Traceback" not in body and "sk_test_canary" not in body
    api = client.get("/boom", headers={"Accept": "application/json"})
    assert api.status_code == 500
    assert api.json == {
        "error": {
            "status": 500,
            "code": "server_error",
            "message": "Something went wrong on our side. It has been logged.",
        }
    }
    assert "unhandled error on GET /boom" in caplog.text


PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "x" * 40,
    "JWT_SECRET": "y" * 40,
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "WEB_CONCURRENCY": 1,
    "MAIL_SERVER": "smtp.example.com",
}


@pytest.mark.parametrize(
    ("key", "base", "refused"),
    [
        ("sk_live_appKey000000000001", "http://onboarding.example.com", True),
        ("rk_live_appKey000000000001", "http://onboarding.example.com", True),
        ("sk_live_appKey000000000001", "https://onboarding.example.com", False),
        ("sk_test_appKey000000000001", "http://onboarding.example.com", False),
    ],
)
def test_production_with_a_live_key_refuses_to_start_unless_links_are_https(key, base, refused):
    from cryptography.fernet import Fernet

    config = {
        **PRODUCTION,
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
        "STRIPE_SECRET_KEY": key,
        "PUBLIC_BASE_URL": base,
    }
    if not refused:
        assert create_app(config).config["PUBLIC_BASE_URL"] == base
        return
    with pytest.raises(UnsafeConfigError) as error:
        create_app(config)
    message = str(error.value)
    assert "\n" not in message and "PUBLIC_BASE_URL" in message and "https://" in message
    assert key not in message

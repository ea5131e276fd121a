"""Sessions and limits that hold: HSTS, __Host- cookies, trusted hosts, CSRF renewal at sign-in,
memory:// refused with several workers, a per-account sign-in limit, the refresh loop guard per
person, and JWT times that must be numbers."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from app import create_app
from app.config import UnsafeConfigError
from app.extensions import db
from app.models import utcnow
from app.security.jwt_tokens import mint_jwt
from tests.helpers import SIBLING_SETTINGS, AuthActions
from tests.integration.onboarding.test_connect import connect

PUBLIC = "https://onboarding.example.com"


def production_settings(app, **overrides) -> dict:
    """The test deployment's settings, as production (the test database, one worker)."""
    settings = {key: app.config[key] for key in SIBLING_SETTINGS}
    settings.update(
        APP_ENV="production",
        TESTING=False,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SQLALCHEMY_ENGINE_OPTIONS=app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        PUBLIC_BASE_URL=PUBLIC,
        WEB_CONCURRENCY=1,
        MAIL_SERVER="smtp.example.com",
    )
    settings.update(overrides)
    return settings


@pytest.fixture
def production(app):
    """A production app on the test database, reached at PUBLIC_BASE_URL."""
    prod = create_app(production_settings(app))
    yield prod
    with prod.app_context():
        db.engine.dispose()


def test_production_sends_hsts_for_a_year(production):
    response = production.test_client().get("/auth/login", base_url=PUBLIC)
    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    max_age = int(hsts.split("max-age=")[1].split(";")[0])
    assert max_age >= 365 * 24 * 3600


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers


def test_production_cookies_carry_the_host_prefix(production, factory):
    owner = factory.user("owner@example.com")
    client = production.test_client()
    page = client.get("/auth/login", base_url=PUBLIC).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/auth/login",
        base_url=PUBLIC,
        headers={"Referer": f"{PUBLIC}/auth/login"},  # Flask-WTF checks it over HTTPS
        data={
            "email": owner.email,
            "password": factory.PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"__Host-session", "__Host-remember_token"}
    for cookie in cookies.values():
        # What browsers demand of __Host- cookies: Secure, Path=/, no Domain.
        assert "Secure" in cookie and "Path=/" in cookie and "Domain=" not in cookie


def test_a_forged_host_is_refused_in_production(production):
    client = production.test_client()
    assert client.get("/auth/login", base_url=PUBLIC).status_code == 200
    response = client.get("/auth/login", base_url="https://attacker.example")
    assert response.status_code == 400


def test_production_requires_public_base_url(app):
    with pytest.raises(UnsafeConfigError, match="set PUBLIC_BASE_URL"):
        create_app(production_settings(app, PUBLIC_BASE_URL=None))


@pytest.mark.parametrize(
    ("storage", "workers", "refused"),
    [
        ("memory://", 2, True),
        ("memory://", 1, False),
        ("redis://127.0.0.1:6379/5", 4, False),
    ],
)
def test_production_refuses_memory_limits_with_several_workers(app, storage, workers, refused):
    settings = production_settings(app, RATELIMIT_STORAGE_URI=storage, WEB_CONCURRENCY=workers)
    if refused:
        with pytest.raises(UnsafeConfigError, match="memory://.*redis://"):
            create_app(settings)
    else:
        create_app(settings)


def test_web_concurrency_defaults_to_gunicorns_worker_count(app, monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    settings = production_settings(app)
    del settings["WEB_CONCURRENCY"]
    with pytest.raises(UnsafeConfigError, match="2 worker processes"):
        create_app(settings)


def test_the_pre_sign_in_csrf_token_is_dead_after_sign_in(client, auth, factory):
    owner = factory.user("owner@example.com")
    planted = auth.csrf()  # e.g. from a page an attacker made the victim load
    response = client.post(
        "/auth/login",
        data={"email": owner.email, "password": factory.PASSWORD, "csrf_token": planted},
    )
    assert response.status_code == 303
    assert client.post("/auth/logout", data={"csrf_token": planted}).status_code == 400
    assert auth.logout().status_code == 303  # a token minted after sign-in works


def test_one_account_gets_limited_tries_however_many_addresses_try(
    app, client, auth, factory, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "3 per hour")
    victim = factory.user("victim@example.com")
    other = factory.user("other@example.com")

    def attempt(email: str, password: str, address: str) -> int:
        data = {"email": email, "password": password, "csrf_token": auth.csrf()}
        return client.post(
            "/auth/login", data=data, environ_overrides={"REMOTE_ADDR": address}
        ).status_code

    codes = [attempt(victim.email, "wrong", f"198.51.100.{n}") for n in range(1, 5)]
    assert codes == [401, 401, 401, 429]
    # Case and blanks do not make it another account.
    assert attempt("  VICTIM@example.com ", "wrong", "198.51.100.9") == 429
    # Another account from the same addresses is not affected.
    assert attempt(other.email, "wrong", "198.51.100.1") == 401


def test_successful_sign_ins_do_not_count_against_the_account(
    app, client, auth, factory, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "2 per hour")
    owner = factory.user("owner@example.com")
    for _ in range(3):
        assert auth.login(owner.email).status_code == 303
        auth.logout()


def test_one_persons_refresh_loop_does_not_lock_out_another(
    app, client, auth, factory, owned, sandbox
):
    colleague = factory.member(owned.workspace, "developer")
    auth.login(owned.owner.email)
    assert connect(auth, owned.server.id).status_code == 303
    refresh = f"/payments/{owned.server.id}/onboarding/refresh"
    for _ in range(app.config["REFRESH_LOOP_LIMIT"]):
        assert client.get(refresh).status_code == 303
    assert client.get(refresh).status_code == 429  # the owner's loop is stopped…

    other = app.test_client()
    AuthActions(other).login(colleague.email)
    assert other.get(refresh).status_code == 303  # …the colleague's link still renews


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": "9999999999"},
        {"exp": "9999999999", "iat": "0"},
        {"iat": "1700000000"},
        {"exp": True},
    ],
)
def test_jwt_times_must_be_numbers(app, client, factory, claims):
    owner = factory.user("owner@example.com")
    workspace = factory.workspace(owner, "Acme")
    now = utcnow()
    payload = {
        "sub": owner.id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
        **claims,
    }
    token = jwt.encode(payload, app.config["JWT_SECRET"], algorithm="HS256")
    response = client.get(
        f"/web/v1/workspaces/{workspace.id}/stripe/connections",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    assert response.get_json()["code"] == "4010"


def test_a_jwt_with_numeric_times_still_works(app, client, factory):
    owner = factory.user("owner@example.com")
    workspace = factory.workspace(owner, "Acme")
    with app.app_context():
        token = mint_jwt(owner.id)
    response = client.get(
        f"/web/v1/workspaces/{workspace.id}/stripe/connections",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200

"""Sign-in, sign-out, sessions and the safety of `next`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import LoginSession, utcnow
from app.services.users import set_active
from tests.factories import Factory
from tests.helpers import AuthActions


@pytest.fixture
def user(factory):
    return factory.user("ada@example.com", name="Ada")


def test_good_credentials_sign_in_and_land_on_the_dashboard(client, auth, user):
    response = auth.login("ada@example.com")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Payments resources" in client.get("/").get_data(as_text=True)


def test_email_is_matched_whatever_its_case(auth, user):
    assert auth.login("ADA@Example.com").status_code == 303


@pytest.mark.parametrize(
    ("email", "password"),
    [("ada@example.com", "wrong password!"), ("nobody@example.com", Factory.PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_bad_credentials_get_one_message_and_status(client, auth, user, email, password):
    response = auth.login(email, password)
    assert response.status_code == 401
    assert "don&#39;t match an active account" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_unknown_email_and_wrong_password_answer_identically(client, auth, user):
    bodies = []
    for email, password in [("ada@example.com", "wrong password!"), ("zed@example.com", "x" * 12)]:
        response = auth.login(email, password)
        body = response.get_data(as_text=True)
        # The CSRF token differs per request; everything else must be the same.
        bodies.append((response.status_code, body.split('name="email"')[1].split("</form>")[0]))
    assert bodies[0][0] == bodies[1][0]
    assert bodies[0][1].replace("ada@example.com", "") == bodies[1][1].replace(
        "zed@example.com", ""
    )


def test_a_forged_form_without_csrf_token_signs_nobody_in(client, user):
    response = client.post(
        "/auth/login", data={"email": "ada@example.com", "password": Factory.PASSWORD}
    )
    assert response.status_code == 400
    assert "expired or was not sent from our site" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_too_many_attempts_get_a_friendly_429(app, client, auth, user):
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for _ in range(limit):
        auth.login("ada@example.com", "wrong password!")
    response = auth.login("ada@example.com")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many requests" in html
    assert f"the limit on sign-in attempts ({limit} per 1 minute)" in html
    assert '<a class="button button-primary" href="/auth/login">Back to where you were' in html
    assert response.headers["Retry-After"]


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example/",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%0d%0aLocation:%20https://evil.example",
        "javascript:alert(1)",
        "////evil.example",
        "https:/evil.example",
        "%2F%2Fevil.example",
        " //evil.example",
    ],
)
def test_next_never_leaves_the_site(client, auth, user, target):
    response = auth.login("ada@example.com", next_=target)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location and "javascript" not in location


def test_next_to_a_same_site_path_is_honoured(auth, user):
    response = auth.login("ada@example.com", next_="/payments/new?x=1")
    assert response.headers["Location"] == "/payments/new?x=1"


def test_session_cookie_is_httponly_and_samesite_lax(auth, user):
    response = auth.login("ada@example.com", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session, remember):
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app, client, auth, user):
    auth.login("ada@example.com", remember=True)
    stolen = {c.key: c.value for c in client._cookies.values()}
    assert auth.logout().status_code == 303
    thief = app.test_client()
    for key, value in stolen.items():
        thief.set_cookie(key, value)
    assert thief.get("/").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(LoginSession)).all() == []


def test_deactivating_a_user_ends_their_open_sessions(app, client, auth, user):
    auth.login("ada@example.com")
    assert client.get("/").status_code == 200
    with app.app_context():
        set_active("ada@example.com", False)
    assert client.get("/").status_code == 302
    assert AuthActions(app.test_client()).login("ada@example.com").status_code == 401


def test_an_expired_session_signs_the_browser_out(app, client, auth, user):
    auth.login("ada@example.com")
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get("/").status_code == 302


def test_a_session_met_from_another_address_and_browser_keeps_its_cookie(client, auth, user):
    auth.login("ada@example.com")
    client.get("/")  # the first page stores the form secret in the session
    moved = client.get(
        "/", environ_base={"REMOTE_ADDR": "203.0.113.9", "HTTP_USER_AGENT": "Phone/2.0"}
    )
    assert moved.status_code == 200
    assert moved.headers.getlist("Set-Cookie") == []


def test_sign_out_is_a_post_with_csrf(client, auth, user):
    auth.login("ada@example.com")
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_remember_me_signs_the_browser_back_in_after_it_forgot_its_session(app, client, auth, user):
    auth.login("ada@example.com", remember=True)
    remember = client.get_cookie("remember_token")
    assert remember is not None
    returning = app.test_client()  # a restarted browser: only the persistent cookie survives
    returning.set_cookie("remember_token", remember.value)
    assert returning.get("/").status_code == 200


def test_without_remember_me_no_persistent_cookie_is_set(client, auth, user):
    auth.login("ada@example.com")
    assert client.get_cookie("remember_token") is None

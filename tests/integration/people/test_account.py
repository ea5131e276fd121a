"""Account self-service: name, password change, forgotten password, and what each ends."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import LoginSession, PasswordResetToken, User, utcnow
from app.security.jwt_tokens import mint_jwt
from app.services import api_tokens
from app.services.users import set_active
from tests.factories import Factory
from tests.helpers import AuthActions
from tests.integration.people.helpers import link_path, mail_to, send_outbox

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def ada(factory, team):
    """Ada, a developer of Acme."""
    return factory.member(team.workspace, "developer", factory.user("ada@example.com", "Ada"))


def credentials(app, user) -> tuple[str, str]:
    """A fresh API token and JWT of `user`."""
    with app.app_context():
        return api_tokens.create_token(user.id, "ci").secret, mint_jwt(user.id)


def api_accepts(client, token: str, jwt: str, workspace_id: str) -> tuple[bool, bool]:
    """Whether /v1 takes the API token and /web/v1 takes the JWT."""
    v1 = client.get("/v1/servers", headers={"Authorization": f"Bearer {token}"})
    web = client.get(
        f"/web/v1/workspaces/{workspace_id}/stripe/connections",
        headers={"Authorization": f"Bearer {jwt}"},
    )
    return v1.status_code == 200, web.status_code != 401


def browser_with_remember_cookie(app, email: str):
    """A browser signed in with "keep me signed in", and a copy holding only that cookie."""
    browser = app.test_client()
    AuthActions(browser).login(email, remember=True)
    restarted = app.test_client()
    restarted.set_cookie("remember_token", browser.get_cookie("remember_token").value)
    assert restarted.get("/").status_code == 200
    return browser, restarted


def test_changing_the_name(app, client, auth, ada):
    auth.login(ada.email)
    response = auth.post("/account/name", {"name": "Ada Lovelace"}, page="/account")
    assert response.status_code == 303
    assert "Ada Lovelace" in client.get("/account").get_data(as_text=True)


def test_a_wrong_current_password_changes_nothing(app, client, auth, ada):
    auth.login(ada.email)
    response = auth.post(
        "/account/password",
        {
            "current_password": "not my password",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        page="/account",
    )
    assert response.status_code == 400
    assert "That is not your current password." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, ada.id).credentials_valid_after is None


def test_changing_the_password_ends_every_other_credential_but_keeps_this_browser(
    app, client, auth, ada, team
):
    other_browser, restarted = browser_with_remember_cookie(app, ada.email)
    token, jwt = credentials(app, ada)
    assert api_accepts(client, token, jwt, team.workspace.id) == (True, True)
    auth.login(ada.email)

    response = auth.post(
        "/account/password",
        {
            "current_password": Factory.PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        page="/account",
    )

    assert response.status_code == 303
    assert client.get("/account").status_code == 200  # this browser stays signed in
    assert other_browser.get("/").status_code == 302
    assert restarted.get("/").status_code == 302  # remember-me cookie dead too
    assert api_accepts(app.test_client(), token, jwt, team.workspace.id) == (False, False)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1
    # Credentials issued after the change work (JWT `iat` has whole seconds: wait for the next).
    time.sleep(1.05)
    new_token, new_jwt = credentials(app, ada)
    assert api_accepts(app.test_client(), new_token, new_jwt, team.workspace.id) == (True, True)
    assert AuthActions(app.test_client()).login(ada.email, NEW_PASSWORD).status_code == 303


def test_reactivating_a_user_does_not_revive_what_they_held_before(app, client, ada, team):
    token, jwt = credentials(app, ada)
    with app.app_context():
        set_active(ada.email, False)
        set_active(ada.email, True)
    assert api_accepts(client, token, jwt, team.workspace.id) == (False, False)


def forgot(auth, email: str, **kwargs):
    return auth.post(
        "/account/forgot-password", {"email": email}, page="/account/forgot-password", **kwargs
    )


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(
    app, client, auth, mailbox, ada
):
    pages = []
    for email in ("ada@example.com", "nobody@example.com"):
        response = forgot(auth, email)
        assert response.status_code == 303
        assert response.headers["Location"] == "/account/forgot-password"
        body = client.get(response.headers["Location"]).get_data(as_text=True)
        pages.append(body.replace(email, "EMAIL").split('name="csrf_token"')[0])
    assert pages[0] == pages[1]
    assert "If EMAIL has an account" in pages[0]

    assert send_outbox(app).sent == 2
    [to_ada] = mail_to(mailbox, "ada@example.com")
    [to_nobody] = mail_to(mailbox, "nobody@example.com")
    assert to_ada.subject == to_nobody.subject
    assert "/account/reset/" in to_ada.text
    assert "no active account uses this address" in to_nobody.text
    assert "http" not in to_nobody.text


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(
    app, client, auth, mailbox, ada, team
):
    other_browser, restarted = browser_with_remember_cookie(app, ada.email)
    token, jwt = credentials(app, ada)
    forgot(auth, ada.email)
    send_outbox(app)
    path = link_path(mail_to(mailbox, ada.email)[0])

    assert "For <strong>ada@example.com</strong>" in client.get(path).get_data(as_text=True)
    response = auth.post(path, {"password": NEW_PASSWORD}, page=path)

    assert response.status_code == 303 and response.headers["Location"] == "/auth/login"
    assert other_browser.get("/").status_code == 302
    assert restarted.get("/").status_code == 302
    assert api_accepts(client, token, jwt, team.workspace.id) == (False, False)
    assert AuthActions(app.test_client()).login(ada.email, Factory.PASSWORD).status_code == 401
    assert AuthActions(app.test_client()).login(ada.email, NEW_PASSWORD).status_code == 303

    # The link cannot be replayed, not even to set yet another password.
    replay = auth.post(path, {"password": "attacker chosen pass"}, page="/auth/login")
    assert replay.status_code == 404
    assert "can't be used" in replay.get_data(as_text=True)
    assert AuthActions(app.test_client()).login(ada.email, NEW_PASSWORD).status_code == 303


def test_an_expired_reset_link_changes_nothing(app, client, auth, mailbox, ada):
    forgot(auth, ada.email)
    send_outbox(app)
    path = link_path(mail_to(mailbox, ada.email)[0])
    with app.app_context():
        db.session.execute(
            update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert client.get(path).status_code == 404
    assert auth.post(path, {"password": NEW_PASSWORD}, page="/auth/login").status_code == 404
    assert AuthActions(app.test_client()).login(ada.email, Factory.PASSWORD).status_code == 303


def test_reset_links_live_one_hour(app, auth, mailbox, ada):
    forgot(auth, ada.email)
    with app.app_context():
        row = db.session.scalars(select(PasswordResetToken)).one()
        assert row.expires_at - row.created_at == timedelta(hours=1)


def test_reset_requests_are_limited_per_account_whoever_asks(app, auth, mailbox, ada):
    statuses = [
        forgot(auth, "Ada@example.com ", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code
        for n in range(1, 5)
    ]
    assert statuses == [303, 303, 303, 429]
    # Another address is not held back by Ada's limit.
    assert forgot(auth, "bob@example.com").status_code == 303


def test_reset_requests_are_limited_per_client_address(app, auth, mailbox):
    statuses = [forgot(auth, f"user{n}@example.com").status_code for n in range(11)]
    assert statuses == [303] * 10 + [429]


def test_cli_set_password_ends_every_credential(app, runner, client, ada, team):
    token, jwt = credentials(app, ada)
    result = runner.invoke(args=["users", "set-password", ada.email, "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert api_accepts(client, token, jwt, team.workspace.id) == (False, False)
    assert AuthActions(app.test_client()).login(ada.email, NEW_PASSWORD).status_code == 303
    short = runner.invoke(args=["users", "set-password", ada.email, "--password", "short"])
    assert short.exit_code == 1 and "at least 10 characters" in short.output

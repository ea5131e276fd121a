"""The connection admin pages: forms, validation, verification, permissions, actions."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, PaymentsAccount, StripeConnection
from tests.helpers import (
    ENDPOINT,
    TEST_KEY,
    WEBHOOK_SECRET,
    connection_row,
    service_values,
)

OTHER_TEST_KEY = "sk_test_connectionKeyOther00000000000002"


def form_values(**overrides) -> dict:
    """The add form as a browser posts it, verification ticked."""
    values = service_values()
    values["verify"] = "y"
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


@pytest.fixture
def owner(factory):
    user = factory.user("owner@example.com")
    return user, factory.workspace(user, "Acme")


def new_url(workspace) -> str:
    return f"/workspaces/{workspace.id}/connections/new"


def stored(app) -> list[StripeConnection]:
    with app.app_context():
        rows = db.session.scalars(select(StripeConnection)).all()
        db.session.expunge_all()
        return rows


def test_an_admin_adds_a_connection_and_sees_the_notification_secret_once(
    app, client, auth, owner, sandbox
):
    _user, workspace = owner
    auth.login("owner@example.com")
    response = auth.post(new_url(workspace), form_values(), page=new_url(workspace))
    assert response.status_code == 303
    (connection,) = stored(app)
    detail = f"/workspaces/{workspace.id}/connections/{connection.id}"
    assert response.headers["Location"] == detail
    first = client.get(detail).get_data(as_text=True)
    assert "Notification signing secret" in first and "won't be shown again" in first
    assert "nsec_" in first
    assert "sk_test_…0001" in first and connection.stripe_account_id in first
    again = client.get(detail).get_data(as_text=True)
    assert "nsec_" not in again
    listing = client.get(f"/workspaces/{workspace.id}/connections").get_data(as_text=True)
    assert "Acme test platform" in listing and "sk_test_…0001" in listing
    for page in (first, again, listing):
        assert TEST_KEY not in page and WEBHOOK_SECRET not in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Give the connection a name."),
        ({"name": "n" * 101}, "name", "Keep the name under 100 characters."),
        ({"description": "d" * 501}, "description", "Keep the description under 500"),
        ({"stripe_account_id": ""}, "stripe_account_id", "Enter the platform's Stripe account"),
        ({"stripe_account_id": "acct-123"}, "stripe_account_id", "starts with acct_"),
        ({"api_key": ""}, "api_key", "Enter the platform's secret key"),
        ({"api_key": "pk_test_publishable000000000"}, "api_key", "not a Stripe secret"),
        ({"api_key": "sk_prod_0000000000000000"}, "api_key", "not a Stripe secret"),
        # Unverified, nothing is registered at Stripe: the secret must be pasted.
        ({"webhook_secret": "", "verify": ""}, "webhook_secret", "Enter the webhook signing"),
        ({"webhook_secret": "wh_0000000000000"}, "webhook_secret", "starts with whsec_"),
        ({"partner_endpoint": ""}, "partner_endpoint", "Enter the partner's callback URL"),
        ({"partner_endpoint": "partner.example.com"}, "partner_endpoint", "absolute URL"),
        ({"partner_endpoint": "ftp://partner.example.com/x"}, "partner_endpoint", "absolute URL"),
        ({"partner_endpoint": "http://partner.example.com/x"}, "partner_endpoint", "https://"),
        (
            {"partner_endpoint": "https://u:p@partner.example.com/"},
            "partner_endpoint",
            "credentials",
        ),
        ({"config_json": "{oops"}, "config_json", "not valid JSON"),
        ({"config_json": '"a string"'}, "config_json", "Enter a JSON object"),
        ({"config_json": '{"dashboard": "standard"}'}, "config_json", "one of express, full, none"),
        ({"config_json": '{"account_links_api": 2}'}, "config_json", "one of v1, v2"),
        (
            {"config_json": '{"account_links_api": "v2"}'},
            "config_json",
            "Account Links v2 for accounts created with Accounts v2",
        ),
        ({"config_json": '{"k": "' + "x" * 16400 + '"}'}, "config_json", "under 16 KiB"),
    ],
)
def test_every_rule_shows_an_inline_error_saves_nothing_and_echoes_no_secret(
    app, client, auth, owner, overrides, field, message
):
    _user, workspace = owner
    auth.login("owner@example.com")
    response = auth.post(new_url(workspace), form_values(**overrides), page=new_url(workspace))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message.replace("'", "&#39;") in html
    # Focus lands on the invalid field, and only there.
    [focused] = re.findall(r"<(?:input|textarea|select)[^>]*\bautofocus\b[^>]*>", html)
    assert f'id="{field}"' in focused
    assert TEST_KEY not in html and WEBHOOK_SECRET not in html
    assert stored(app) == []


def test_http_endpoints_on_localhost_are_allowed_while_testing(app, client, auth, owner):
    _user, workspace = owner
    auth.login("owner@example.com")
    values = form_values(partner_endpoint="http://127.0.0.1:8123/hook", verify=None)
    response = auth.post(new_url(workspace), values, page=new_url(workspace))
    assert response.status_code == 303
    assert stored(app)[0].partner_endpoint == "http://127.0.0.1:8123/hook"


def test_a_key_for_another_account_is_a_form_error(app, client, auth, owner, sandbox):
    _user, workspace = owner
    auth.login("owner@example.com")
    values = form_values(stripe_account_id="acct_1NotTheKeysAccount0")
    response = auth.post(new_url(workspace), values, page=new_url(workspace))
    assert response.status_code == 400
    assert "belongs to a different Stripe account" in response.get_data(as_text=True)
    assert stored(app) == []


def test_a_revoked_key_is_a_form_error(app, client, auth, owner, sandbox):
    _user, workspace = owner
    sandbox.revoke_key(TEST_KEY)
    auth.login("owner@example.com")
    response = auth.post(new_url(workspace), form_values(), page=new_url(workspace))
    assert response.status_code == 400
    assert "Stripe rejected this key" in response.get_data(as_text=True)
    assert stored(app) == []


def test_stripe_unreachable_offers_save_unverified_which_works(app, client, auth, owner, sandbox):
    _user, workspace = owner
    sandbox.inject_fault("/v1/account", "drop", count=3)
    auth.login("owner@example.com")
    response = auth.post(new_url(workspace), form_values(), page=new_url(workspace))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Stripe could not be reached" in html
    assert "Save without verifying" in html
    assert TEST_KEY not in html
    assert stored(app) == []
    values = form_values(save_unverified="Save without verifying")
    response = auth.post(new_url(workspace), values, page=new_url(workspace))
    assert response.status_code == 303
    (connection,) = stored(app)
    assert connection.verified_at is None


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_members_without_manage_get_403_on_every_page(app, client, auth, factory, owner, role):
    _user, workspace = owner
    member = factory.member(workspace, role)
    with app.app_context():
        from app.services import connections

        connection, _ = connections.create_connection(
            workspace.id, actor_user_id=None, verify=False, **service_values()
        )
        base = f"/workspaces/{workspace.id}/connections/{connection.id}"
    auth.login(member.email)
    for path in (
        f"/workspaces/{workspace.id}/connections",
        new_url(workspace),
        base,
        base + "/edit",
        base + "/deactivate",
        base + "/notification-secret",
    ):
        assert client.get(path).status_code == 403, path
    assert client.get("/connections").status_code == 403
    for action in ("deactivate", "make-default", "notification-secret", "delete"):
        assert auth.post(f"{base}/{action}").status_code == 403
    assert stored(app)[0].is_active


def test_another_workspaces_connections_are_404(app, client, auth, factory, owner):
    _user, workspace = owner
    foreign = factory.workspace(name="Foreign")
    with app.app_context():
        from app.services import connections

        connection, _ = connections.create_connection(
            foreign.id, actor_user_id=None, verify=False, **service_values()
        )
    auth.login("owner@example.com")
    assert client.get(f"/workspaces/{foreign.id}/connections").status_code == 404
    assert client.get(new_url(foreign)).status_code == 404
    # The connection exists, but not in the workspace named by the path.
    base = f"/workspaces/{workspace.id}/connections/{connection.id}"
    assert client.get(base).status_code == 404
    assert client.get(base + "/deactivate").status_code == 404
    assert client.get(base + "/notification-secret").status_code == 404
    assert auth.post(base + "/deactivate").status_code == 404
    assert auth.post(base + "/delete").status_code == 404
    assert stored(app)[0].is_active


def test_the_overview_redirects_to_the_only_workspace_or_lists_them_all(
    client, auth, factory, owner
):
    user, workspace = owner
    auth.login("owner@example.com")
    response = client.get("/connections")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/workspaces/{workspace.id}/connections"
    factory.workspace(user, "Globex")
    html = client.get("/connections").get_data(as_text=True)
    assert "Acme" in html and "Globex" in html


def test_editing_with_blank_secrets_keeps_them(app, client, auth, owner, add_connection):
    user, workspace = owner
    connection, _ = add_connection(workspace, actor=user)
    edit = f"/workspaces/{workspace.id}/connections/{connection.id}/edit"
    auth.login("owner@example.com")
    form = client.get(edit).get_data(as_text=True)
    assert "Acme test platform" in form and ENDPOINT in form
    assert 'type="password"' in form and 'autocomplete="off"' in form
    values = {
        "name": "Renamed",
        "description": "",
        "partner_endpoint": "https://partner.example.com/v2",
        "config_json": "",
        "api_key": "",
        "webhook_secret": "",
        "verify": "y",
    }
    response = auth.post(edit, values, page=edit)
    assert response.status_code == 303
    (after,) = stored(app)
    assert (after.name, after.partner_endpoint, after.config_json) == (
        "Renamed",
        "https://partner.example.com/v2",
        None,
    )
    assert after.api_key_ciphertext == connection.api_key_ciphertext
    assert after.webhook_secret_ciphertext == connection.webhook_secret_ciphertext


def test_a_new_key_on_edit_is_verified_and_replaces_the_old(
    app, client, auth, owner, add_connection, sandbox
):
    user, workspace = owner
    connection, _ = add_connection(workspace, actor=user)
    edit = f"/workspaces/{workspace.id}/connections/{connection.id}/edit"
    auth.login("owner@example.com")
    values = {
        "name": "Acme",
        "partner_endpoint": ENDPOINT,
        "api_key": OTHER_TEST_KEY,  # belongs to another Stripe account
        "verify": "y",
    }
    response = auth.post(edit, values, page=edit)
    assert response.status_code == 400
    assert OTHER_TEST_KEY not in response.get_data(as_text=True)
    assert stored(app)[0].api_key_ciphertext == connection.api_key_ciphertext


@pytest.mark.parametrize("verify", ["y", ""])
def test_a_replacement_key_of_another_platform_is_an_error_at_the_key_field(
    app, client, auth, owner, add_connection, sandbox, verify
):
    user, workspace = owner
    connection, _ = add_connection(workspace, actor=user)
    edit = f"/workspaces/{workspace.id}/connections/{connection.id}/edit"
    auth.login("owner@example.com")
    values = {"name": "Acme", "partner_endpoint": ENDPOINT, "api_key": OTHER_TEST_KEY}
    if verify:
        values["verify"] = verify
    response = auth.post(edit, values, page=edit)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="api_key-error"' in html
    assert f"another Stripe platform account, not {connection.stripe_account_id}" in html
    assert OTHER_TEST_KEY not in html
    assert stored(app)[0].api_key_ciphertext == connection.api_key_ciphertext


def test_a_replacement_key_is_not_saved_while_stripe_cannot_confirm_it(
    app, client, auth, owner, add_connection, sandbox
):
    user, workspace = owner
    connection, _ = add_connection(workspace, actor=user)
    edit = f"/workspaces/{workspace.id}/connections/{connection.id}/edit"
    sandbox.inject_fault("/v1/account", "drop", count=3)
    auth.login("owner@example.com")
    values = {"name": "Acme", "partner_endpoint": ENDPOINT, "api_key": TEST_KEY}
    response = auth.post(edit, values, page=edit)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="api_key-error"' in html and "Stripe could not be reached" in html
    assert "Save without verifying" not in html
    assert stored(app)[0].verified_at == connection.verified_at


def test_a_replacement_key_of_the_same_platform_is_saved_verified(
    app, client, auth, owner, add_connection, sandbox
):
    user, workspace = owner
    connection, _ = add_connection(workspace, actor=user)
    edit = f"/workspaces/{workspace.id}/connections/{connection.id}/edit"
    auth.login("owner@example.com")
    values = {"name": "Acme", "partner_endpoint": ENDPOINT, "api_key": TEST_KEY}
    response = auth.post(edit, values, page=edit)
    assert response.status_code == 303
    (after,) = stored(app)
    assert after.api_key_ciphertext != connection.api_key_ciphertext
    assert after.verified_at is not None


def test_deactivate_reactivate_and_make_default_redirect_back_with_303(
    app, client, auth, owner, add_connection
):
    user, workspace = owner
    first, _ = add_connection(workspace, actor=user)
    second, _ = add_connection(workspace, actor=user, api_key=OTHER_TEST_KEY, name="Second")
    base = f"/workspaces/{workspace.id}/connections/{second.id}"
    auth.login("owner@example.com")
    response = auth.post(base + "/make-default")
    assert (response.status_code, response.headers["Location"]) == (303, base)
    assert {c.id: c.is_default for c in stored(app)} == {first.id: False, second.id: True}
    assert auth.post(base + "/deactivate").status_code == 303
    assert {c.id: (c.is_active, c.is_default) for c in stored(app)} == {
        first.id: (True, True),
        second.id: (False, False),
    }
    assert auth.post(base + "/reactivate").status_code == 303
    assert {c.id: c.is_active for c in stored(app)} == {first.id: True, second.id: True}
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_id == second.id)
            .order_by(AuditEvent.id)
        ).all()
    assert actions == [
        "connection.created",
        "connection.made_default",
        "connection.deactivated",
        "connection.reactivated",
    ]


def test_delete_asks_first_and_is_refused_while_resources_onboard_under_it(
    app, client, auth, factory, owner, add_connection
):
    user, workspace = owner
    connection, _ = add_connection(workspace, actor=user)
    resource = factory.resource(workspace)
    with app.app_context():
        db.session.get(PaymentsAccount, resource.payments.id).connection_id = connection.id
        db.session.commit()
    base = f"/workspaces/{workspace.id}/connections/{connection.id}"
    auth.login("owner@example.com")
    confirm = client.get(base + "/delete").get_data(as_text=True)
    assert "can't be deleted: 1 payments resource onboard under it" in confirm
    response = auth.post(base + "/delete")
    assert (response.status_code, response.headers["Location"]) == (303, base)
    assert "can&#39;t be deleted" in client.get(base).get_data(as_text=True)
    assert len(stored(app)) == 1
    with app.app_context():
        db.session.get(PaymentsAccount, resource.payments.id).connection_id = None
        db.session.commit()
    assert "Delete connection" in client.get(base + "/delete").get_data(as_text=True)
    response = auth.post(base + "/delete")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/workspaces/{workspace.id}/connections"
    assert stored(app) == []


def test_rolling_the_notification_secret_shows_the_new_one_once(
    app, client, auth, owner, add_connection
):
    user, workspace = owner
    connection, first_secret = add_connection(workspace, actor=user)
    base = f"/workspaces/{workspace.id}/connections/{connection.id}"
    auth.login("owner@example.com")
    assert first_secret not in client.get(base).get_data(as_text=True)
    assert auth.post(base + "/notification-secret").status_code == 303
    shown = client.get(base).get_data(as_text=True)
    assert "nsec_" in shown and first_secret not in shown
    assert "nsec_" not in client.get(base).get_data(as_text=True)


def test_pages_never_change_state_on_get(app, client, auth, owner, add_connection):
    user, workspace = owner
    connection, secret = add_connection(workspace, actor=user)
    base = f"/workspaces/{workspace.id}/connections/{connection.id}"
    auth.login("owner@example.com")
    assert client.get(base + "/make-default").status_code == 405
    for path in ("/deactivate", "/notification-secret", "/delete"):
        assert client.get(base + path).status_code == 200
    assert stored(app)[0].is_active
    assert connection_row(app, connection.id).notification_secret_ciphertext == (
        connection.notification_secret_ciphertext
    )


@pytest.mark.parametrize(
    ("action", "button"),
    [("deactivate", "Deactivate connection"), ("notification-secret", "Make a new secret")],
)
def test_irreversible_actions_ask_first_on_a_page_that_works_without_javascript(
    app, client, auth, owner, add_connection, action, button
):
    user, workspace = owner
    connection, _ = add_connection(workspace, actor=user)
    base = f"/workspaces/{workspace.id}/connections/{connection.id}"
    auth.login("owner@example.com")
    detail = client.get(base).get_data(as_text=True)
    assert f'href="{base}/{action}"' in detail
    assert f'action="{base}/{action}"' not in detail  # no one-click form on the detail page
    page = client.get(f"{base}/{action}").get_data(as_text=True)
    form = page.split(f'<form method="post" action="{base}/{action}"')[1].split("</form>")[0]
    assert 'name="csrf_token"' in form
    assert button in form and f'href="{base}"' in form
    assert auth.post(f"{base}/{action}", page=f"{base}/{action}").status_code == 303


def test_a_canary_secret_never_reaches_a_page_an_api_answer_or_a_log(
    app, client, auth, owner, sandbox, caplog
):
    """Across add (failed and good), edit, API reads and rotation, the secrets stay hidden."""
    caplog.set_level(logging.DEBUG)
    _user, workspace = owner
    canary_key = "sk_test_CANARYcanaryCANARY0000000000000099"
    canary_whsec = "whsec_CANARYcanaryWebhookSecret000000099"
    canary_edit_key = "sk_test_CANARYreplacementKey00000000000098"
    bodies: list[str] = []
    auth.login("owner@example.com")
    values = form_values(api_key=canary_key, webhook_secret=canary_whsec, name="")
    values["stripe_account_id"] = service_values(api_key=canary_key)["stripe_account_id"]
    bodies.append(auth.post(new_url(workspace), values, page=new_url(workspace)).get_data(True))
    values["name"] = "Canary"
    response = auth.post(new_url(workspace), values, page=new_url(workspace))
    assert response.status_code == 303
    detail = response.headers["Location"]
    bodies.append(client.get(detail).get_data(as_text=True))
    bodies.append(client.get(detail + "/edit").get_data(as_text=True))
    edit = {"name": "Canary", "partner_endpoint": ENDPOINT, "api_key": canary_edit_key}
    bodies.append(auth.post(detail + "/edit", edit, page=detail + "/edit").get_data(True))
    bodies.append(client.get(f"/workspaces/{workspace.id}/connections").get_data(as_text=True))
    with app.app_context():
        from app.security.jwt_tokens import mint_jwt

        token = mint_jwt(_user.id)
    api = f"/web/v1/workspaces/{workspace.id}/stripe/connections"
    bodies.append(client.get(api, headers={"Authorization": f"Bearer {token}"}).get_data(True))
    with app.app_context():
        rows = db.session.execute(
            select(
                StripeConnection.api_key_ciphertext,
                StripeConnection.webhook_secret_ciphertext,
                StripeConnection.api_key_masked,
                StripeConnection.webhook_secret_masked,
            )
        ).all()
        audit_details = [str(e.details) for e in db.session.scalars(select(AuditEvent))]
    columns = [str(value) for row in rows for value in row]
    for canary in (canary_key, canary_whsec, canary_edit_key):
        for text in bodies + columns + audit_details + [caplog.text]:
            assert canary not in text

"""Payments resource detail pages and the create form."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AuditEvent, PaymentsAccount, Server


@pytest.fixture
def ada(factory):
    return factory.user("ada@example.com")


def test_detail_shows_every_field_and_the_activity(client, auth, factory, ada):
    workspace = factory.workspace(ada, "Acme")
    server = factory.resource(workspace, "EU storefront", currency="eur", country="DE")
    auth.login("ada@example.com")
    html = client.get(f"/payments/{server.id}").get_data(as_text=True)
    for expected in (
        "EU storefront",
        "Acme",
        server.id,
        server.payments.id,
        "EUR",
        "Germany",
        "Not started",
        "Resource created",
        "test mode",
    ):
        assert expected in html


def test_another_workspaces_resource_is_a_404(client, auth, factory, ada):
    factory.workspace(ada)
    foreign = factory.resource(factory.workspace(name="Foreign"), "Secret")
    auth.login("ada@example.com")
    response = client.get(f"/payments/{foreign.id}")
    assert response.status_code == 404
    assert "Secret" not in response.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in_and_back(client, factory, ada):
    server = factory.resource(factory.workspace(ada))
    response = client.get(f"/payments/{server.id}")
    assert response.status_code == 302
    assert f"next=%2Fpayments%2F{server.id}" in response.headers["Location"]


def valid_form(workspace: str, **overrides) -> dict:
    data = {
        "workspace_id": workspace,
        "name": "EU storefront",
        "description": "Prints",
        "mode": "test",
        "currency": "eur",
        "country": "DE",
    }
    data.update(overrides)
    return data


def test_a_manager_creates_a_resource_and_lands_on_it(app, client, auth, factory, ada):
    workspace = factory.workspace(ada)
    auth.login("ada@example.com")
    response = auth.post("/payments/new", valid_form(workspace.id), page="/payments/new")
    assert response.status_code == 303
    with app.app_context():
        server = db.session.scalars(select(Server)).one()
        assert response.headers["Location"] == f"/payments/{server.id}"
        assert (server.kind, server.payments.mode, server.payments.currency) == (
            "payments",
            "test",
            "eur",
        )
        assert server.payments.onboarding_status == "not_started"
        assert (
            db.session.scalar(select(func.count()).where(AuditEvent.action == "resource.created"))
            == 1
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "Give the resource a name."),
        ({"name": "x" * 121}, "under 120 characters"),
        ({"description": "x" * 1001}, "under 1000 characters"),
        ({"mode": "sandbox"}, "Not a valid choice"),
        ({"currency": "xxx"}, "Not a valid choice"),
        ({"country": "ZZ"}, "Not a valid choice"),
        ({"workspace_id": "ws_doesnotexist"}, "Not a valid choice"),
    ],
)
def test_invalid_input_is_refused_inline_and_nothing_is_saved(
    app, client, auth, factory, ada, overrides, message
):
    workspace = factory.workspace(ada)
    auth.login("ada@example.com")
    response = auth.post(
        "/payments/new", valid_form(workspace.id, **overrides), page="/payments/new"
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Server)) == 0


def test_cannot_create_in_a_workspace_one_does_not_manage(app, client, auth, factory, ada):
    mine = factory.workspace(ada)
    viewed = factory.workspace(name="Viewed")
    factory.member(viewed, "developer", ada)
    auth.login("ada@example.com")
    response = auth.post("/payments/new", valid_form(viewed.id), page="/payments/new")
    assert response.status_code == 400
    assert 'value="' + viewed.id + '"' not in client.get("/payments/new").get_data(as_text=True)
    assert 'value="' + mine.id + '"' in client.get("/payments/new").get_data(as_text=True)


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_members_without_manage_cannot_open_the_form(client, auth, factory, role):
    workspace = factory.workspace()
    factory.member(workspace, role, factory.user("dev@example.com"))
    auth.login("dev@example.com")
    assert client.get("/payments/new").status_code == 403
    assert "New payments resource" not in client.get("/").get_data(as_text=True)


def test_create_without_csrf_is_refused(app, client, auth, factory, ada):
    workspace = factory.workspace(ada)
    auth.login("ada@example.com")
    assert client.post("/payments/new", data=valid_form(workspace.id)).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Server)) == 0


def test_detail_shows_the_onboarding_steps_and_tells_its_statuses_apart(client, auth, factory, ada):
    server = factory.resource(factory.workspace(ada, "Acme"), "EU storefront")
    auth.login("ada@example.com")
    html = client.get(f"/payments/{server.id}").get_data(as_text=True)
    stepper = html.split('<ol class="stepper"')[1].split("</ol>")[0]
    current = stepper.split('aria-current="step"')[1].split("</li>")[0]
    assert "Account created" in current and "Connect with Stripe to create the account." in current
    assert stepper.count('class="step step-upcoming"') == 4
    for label in ("Onboarding status", "Payments record</dt>", "Deployment status</dt>"):
        assert label in html
    assert "Lifecycle" not in html


@pytest.mark.parametrize(("status", "asked"), [("complete", False), ("pending", True)])
def test_a_viewer_is_asked_to_find_someone_to_onboard_only_an_unfinished_resource(
    app, client, auth, factory, ada, status, asked
):
    workspace = factory.workspace(ada, "Acme")
    viewer = factory.member(workspace, "viewer")
    server = factory.resource(workspace, "EU storefront")
    with app.app_context():
        db.session.execute(
            update(PaymentsAccount)
            .where(PaymentsAccount.server_id == server.id)
            .values(onboarding_status=status)
        )
        db.session.commit()
    auth.login(viewer.email)
    html = client.get(f"/payments/{server.id}").get_data(as_text=True)
    assert ("ask a workspace admin or developer to onboard it" in html) is asked

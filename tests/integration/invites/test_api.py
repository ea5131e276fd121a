"""`POST /v1/servers/{serverId}/payments/onboarding-invites`: mail the invite or return its link."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.models import OutboundMail
from app.services import api_tokens
from tests.integration.invites.helpers import invite_actions


class Bearer:
    """`client` posting with a user's API token."""

    def __init__(self, client, token: str) -> None:
        self._client = client
        self._token = token

    def post(self, path: str, json: dict):
        return self._client.post(
            path, json=json, headers={"Authorization": f"Bearer {self._token}"}
        )


@pytest.fixture
def bearer(app, client):
    """`bearer(user)`: a client acting as `user` with a fresh API token."""

    def make(user) -> Bearer:
        with app.app_context():
            return Bearer(client, api_tokens.create_token(user.id, "tests").secret)

    return make


@pytest.fixture
def api(owned, bearer) -> Bearer:
    """A bearer client acting as the owner."""
    return bearer(owned.owner)


def invites_path(server_id: str) -> str:
    return f"/v1/servers/{server_id}/payments/onboarding-invites"


def outbox_size(app) -> int:
    with app.app_context():
        return db.session.query(OutboundMail).count()


def test_without_mail_the_link_is_returned_once_and_works(app, api, owned, invitee):
    response = api.post(
        invites_path(owned.server.id),
        json={"email": "Owner@Business.example", "locale": "de", "sendEmail": False},
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "Owner@business.example"
    assert (body["state"], body["mailed"], body["locale"]) == ("sent", False, "de")
    assert body["id"].startswith("obi_")
    assert outbox_size(app) == 0
    page = invitee.get(urlsplit(body["url"]).path)
    assert page.status_code == 200 and "Weiter zu Stripe" in page.get_data(as_text=True)
    assert invite_actions(app, owned.server.id) == ["invite.created", "invite.opened"]


def test_by_default_the_invite_is_mailed_and_no_link_is_returned(app, api, owned):
    response = api.post(invites_path(owned.server.id), json={"email": "owner@business.example"})

    assert response.status_code == 201
    assert "url" not in response.get_json() and response.get_json()["mailed"] is True
    assert outbox_size(app) == 1


def test_a_second_live_invite_is_a_conflict(api, owned):
    api.post(invites_path(owned.server.id), json={"email": "owner@business.example"})
    again = api.post(invites_path(owned.server.id), json={"email": "owner@business.example"})

    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "invite_exists"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "nope"}, "email"),
        ({"email": "a@business.example", "locale": "it"}, "locale"),
        ({"email": "a@business.example", "sendEmail": "no"}, "sendEmail"),
        ({"email": "a@business.example", "extra": 1}, "extra"),
    ],
)
def test_invalid_bodies_are_refused_field_by_field(app, api, owned, body, field):
    response = api.post(invites_path(owned.server.id), json=body)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert invite_actions(app, owned.server.id) == []


def test_a_viewer_may_not_invite_and_a_stranger_gets_404(owned, factory, bearer):
    as_viewer = bearer(factory.member(owned.workspace, "viewer"))
    stranger = bearer(factory.user("stranger@example.com"))

    body = {"email": "owner@business.example"}
    assert as_viewer.post(invites_path(owned.server.id), json=body).status_code == 403
    assert stranger.post(invites_path(owned.server.id), json={}).status_code == 404

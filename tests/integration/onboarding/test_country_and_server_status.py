"""An account's country is fixed once chosen; `server.status` belongs to the server, not to
onboarding, and `lastDeployedAt` follows it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Server, utcnow
from app.services import api_tokens, onboarding
from app.services.onboarding import CountryMismatch, LinkUrls
from tests.integration.onboarding.test_connect import connect
from tests.integration.onboarding.test_return_and_refresh import return_path

URLS = LinkUrls(
    refresh_url="https://app.example.com/refresh", return_url="https://app.example.com/return"
)


def connect_account(client, token: str, server_id: str, body: dict):
    return client.post(
        f"/v1/servers/{server_id}/payments/connect-account",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


def test_v1_refuses_another_country_for_an_existing_account_naming_both(
    app, client, owned, sandbox, stored
):
    with app.app_context():
        token = api_tokens.create_token(owned.owner.id, "tests").secret
    first = connect_account(client, token, owned.server.id, {"country": "DE"})
    assert first.status_code == 200
    sandbox.clear_requests()

    response = connect_account(client, token, owned.server.id, {"country": "FR"})

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "country_mismatch"
    assert "DE" in error["message"] and "FR" in error["message"]
    assert sandbox.requests() == []  # no link minted, no account made
    assert stored(owned.server.id).country == "DE"
    assert connect_account(client, token, owned.server.id, {"country": "DE"}).status_code == 200


@pytest.mark.parametrize(("requested", "refused"), [("de", False), ("De", False), ("fr", True)])
def test_the_country_is_compared_in_any_case(app, owned, sandbox, requested, refused):
    with app.app_context():
        onboarding.connect_or_continue(owned.server.id, user_id=owned.owner.id, urls=URLS)
        db.session.remove()
    with app.app_context():
        if refused:
            with pytest.raises(CountryMismatch) as raised:
                onboarding.connect_or_continue(
                    owned.server.id, user_id=owned.owner.id, urls=URLS, country=requested
                )
            assert (raised.value.existing, raised.value.requested) == ("DE", "FR")
        else:
            result = onboarding.connect_or_continue(
                owned.server.id, user_id=owned.owner.id, urls=URLS, country=requested
            )
            assert result.link is not None
        db.session.remove()


def test_finishing_onboarding_leaves_the_server_status_alone(
    app, auth, client, signed_in, sandbox, stored
):
    server_id = signed_in.server.id
    with app.app_context():
        db.session.get(Server, server_id).status = "failed"
        db.session.commit()
    connect(auth, server_id)
    sandbox.force_account_state(stored(server_id).stripe_account_id, "complete")

    assert client.get(return_path(server_id)).status_code == 200

    assert stored(server_id).onboarding_status == "complete"
    with app.app_context():
        server = db.session.get(Server, server_id)
        assert (server.status, server.last_deployed_at) == ("failed", None)


def test_last_deployed_at_is_set_whenever_the_status_becomes_deployed(app, owned):
    with app.app_context():
        server = db.session.get(Server, owned.server.id)
        assert (server.status, server.last_deployed_at) == ("draft", None)

        server.status = "deployed"
        db.session.commit()
        first = db.session.get(Server, owned.server.id).last_deployed_at
        assert first is not None and utcnow() - first < timedelta(seconds=5)

        server.status = "deployed"  # no change of status: the stamp stays
        db.session.commit()
        assert db.session.get(Server, owned.server.id).last_deployed_at == first

        server.status = "inactive"
        db.session.commit()
        server.status = "deployed"
        db.session.commit()
        assert db.session.get(Server, owned.server.id).last_deployed_at > first
        db.session.remove()

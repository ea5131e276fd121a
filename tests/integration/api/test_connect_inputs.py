"""The Connect inputs follow one rule on every surface: /v1 and the service the button calls.

The Connect button posts no inputs of its own (the resource's country comes from its form); it
calls `onboarding.connect_or_continue`, the same service /v1 calls, and both go through
`validate_connect_inputs`. Each row is tried on both and must be judged, and worded, the same.
"""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services import onboarding
from app.services.onboarding.inputs import (
    COUNTRY_MESSAGE,
    DESCRIPTION_MESSAGE,
    EMAIL_LENGTH_MESSAGE,
)
from app.urls import onboarding_urls
from tests.helpers import connect_path

REFUSED = [
    ({"country": "ZZ"}, "country", COUNTRY_MESSAGE),
    ({"country": "KP"}, "country", COUNTRY_MESSAGE),
    ({"email": "not-an-email"}, "email", "Enter a valid email address: "),
    ({"email": "owner@shop.test"}, "email", "special-use or reserved"),
    ({"email": "owner@shop.INVALID"}, "email", "special-use or reserved"),
    ({"email": "a@" + "b" * 250 + ".com"}, "email", EMAIL_LENGTH_MESSAGE),
    ({"productDescription": "x" * 501}, "productDescription", DESCRIPTION_MESSAGE),
]
ACCEPTED = [
    ({"country": "de"}, "country", "DE"),
    ({"country": " Fr "}, "country", "FR"),
    ({"email": " Owner@Example.COM "}, "email", "Owner@example.com"),
    ({"productDescription": "  Tea  "}, "product_description", "Tea"),
]
SERVICE_ARGUMENT = {
    "country": "country",
    "email": "email",
    "productDescription": "product_description",
}


def _through_the_service(app, owned, body: dict) -> onboarding.ConnectResult | Exception:
    arguments = {SERVICE_ARGUMENT[name]: value for name, value in body.items()}
    with app.test_request_context():
        try:
            return onboarding.connect_or_continue(
                owned.server.id,
                user_id=owned.owner.id,
                urls=onboarding_urls(owned.server.id),
                **arguments,
            )
        except onboarding.InvalidOnboardingInput as refused:
            return refused
        finally:
            db.session.remove()


@pytest.mark.parametrize(("body", "field", "words"), REFUSED)
def test_both_surfaces_refuse_with_the_same_message(app, api, owned, sandbox, body, field, words):
    through_api = api.post(connect_path(owned.server.id), json=body)
    through_service = _through_the_service(app, owned, body)

    assert through_api.status_code == 422
    api_message = through_api.get_json()["error"]["fields"][field]
    assert isinstance(through_service, onboarding.InvalidOnboardingInput)
    assert through_service.fields == {field: api_message}
    assert words in api_message
    assert sandbox.accounts() == []


@pytest.mark.parametrize("surface", ["api", "service"])
@pytest.mark.parametrize(("body", "column", "stored"), ACCEPTED)
def test_both_surfaces_accept_and_normalise_alike(
    app, api, owned, sandbox, surface, body, column, stored
):
    if surface == "api":
        assert api.post(connect_path(owned.server.id), json=body).status_code == 200
    else:
        assert not isinstance(_through_the_service(app, owned, body), Exception)
    [entry] = sandbox.accounts()
    sent = {
        "country": entry["account"]["country"],
        "email": entry["account"].get("email"),
        "product_description": (entry["account"].get("business_profile") or {}).get(
            "product_description"
        ),
    }
    assert sent[column] == stored

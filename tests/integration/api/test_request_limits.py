"""Requests over the size limits: the app answers what it can see in the family's own shape.

gunicorn refuses an over-long request line (400) or too many / too large header fields (431)
before the app runs (its `limit_request_*` settings, gunicorn.conf.py); a body over
`MAX_CONTENT_LENGTH` reaches the app, which answers 413 in the caller's shape.
"""

from __future__ import annotations

import pytest

from app.security.jwt_tokens import mint_jwt

OVERSIZED = 1024 * 1024 + 1  # one byte over MAX_CONTENT_LENGTH


def oversized_json() -> bytes:
    return b'{"name": "' + b"a" * OVERSIZED + b'"}'


def test_a_v1_body_over_the_limit_gets_413_in_the_v1_shape(client, owned, token_for):
    response = client.post(
        f"/v1/servers/{owned.server.id}/payments/connect-account",
        data=oversized_json(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for(owned.owner)}"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["status"] == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_a_web_v1_body_over_the_limit_gets_413_in_seed_004s_envelope(app, client, owned):
    with app.app_context():
        jwt = mint_jwt(owned.owner.id)
    response = client.post(
        f"/web/v1/workspaces/{owned.workspace.id}/stripe/connections",
        data=oversized_json(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {jwt}"},
    )
    assert response.status_code == 413
    body = response.get_json()
    assert body["success"] is False
    assert body["code"] == "4130"


@pytest.mark.parametrize("path", ["/auth/login", "/webhooks/stripe"])
def test_a_page_or_webhook_body_over_the_limit_is_a_413_not_a_500(client, path):
    response = client.post(path, data=oversized_json(), content_type="application/json")
    assert response.status_code == 413


def test_gunicorn_limits_are_explicit_and_the_ones_documented():
    from pathlib import Path

    settings: dict = {}
    source = Path(__file__).resolve().parents[3] / "gunicorn.conf.py"
    names = ("limit_request_line", "limit_request_fields", "limit_request_field_size")
    exec(compile(source.read_text(), str(source), "exec"), settings)  # noqa: S102 — our file
    assert {name: settings[name] for name in names} == {
        "limit_request_line": 4094,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
    }

"""A new secret is shown once, on its own page: connection secrets and API tokens alike."""

from __future__ import annotations

from app import create_app
from app.security.reveal import reveal_once, take_revealed


def test_a_secret_is_taken_once_and_only_by_its_own_kind_and_owner():
    app = create_app({"TESTING": True, "APP_ENV": "testing", "SECRET_KEY": "x" * 32})
    with app.test_request_context("/"):
        reveal_once("notification_secret", "sc_1", "nsec_fresh")
        assert take_revealed("api_token") is None
        assert take_revealed("notification_secret", "sc_2") is None
        assert take_revealed("notification_secret", "sc_1") == ("sc_1", "nsec_fresh")
        assert take_revealed("notification_secret", "sc_1") is None


def test_the_session_holds_the_secret_encrypted():
    app = create_app({"TESTING": True, "APP_ENV": "testing", "SECRET_KEY": "x" * 32})
    with app.test_request_context("/") as context:
        reveal_once("api_token", "tok_1", "cot_plainSecretValue")
        assert "cot_plainSecretValue" not in repr(dict(context.session))

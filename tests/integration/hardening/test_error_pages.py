"""Error pages render without the database, and an unreachable database answers a styled 503."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from app import create_app
from app.errors import database_unavailable
from app.extensions import db
from app.models import User
from app.security.jwt_tokens import mint_jwt
from app.services.api_tokens import create_token
from tests.helpers import SIBLING_SETTINGS, AuthActions


def test_with_the_database_gone_pages_answer_a_styled_503_and_recover(factory, outage_app):
    web, cut_off = outage_app
    owner = factory.user("owner@example.com")
    factory.workspace(owner, "Acme")
    client = web.test_client()
    AuthActions(client).login(owner.email)
    assert client.get("/").status_code == 200

    stranger = AuthActions(web.test_client())
    with cut_off():
        answers = [client.get(path) for path in ("/", "/connections", "/payments/new")]
        assert [a.headers["Retry-After"] for a in answers] == ["5", "5", "5"]
        answers.append(stranger.login(owner.email))  # signing in needs the database too
        for response in answers:
            html = response.get_data(as_text=True)
            assert response.status_code == 503, response.request.path
            # (On rate-limited routes Flask-Limiter's own header replaces ours: still a hint.)
            assert int(response.headers["Retry-After"]) > 0
            assert "The database is unavailable for a moment" in html
            assert 'href="/static/app.css' in html  # styled: our layout, not a bare page
            assert response.headers["Content-Security-Policy"]  # and our headers

    response = client.get("/")
    assert response.status_code == 200
    assert "Sign out" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (OperationalError("SELECT 1", {}, Exception("connection refused")), True),
        (IntegrityError("INSERT", {}, Exception("duplicate key")), False),
        (ValueError("not a database error"), False),
    ],
)
def test_only_connection_trouble_counts_as_the_database_being_unavailable(error, unavailable):
    assert database_unavailable(error) is unavailable


@pytest.fixture
def failing_app(app):
    """An app like the test app with one page that breaks its session, then fails on."""
    settings = {key: app.config[key] for key in SIBLING_SETTINGS}
    settings.update(
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SQLALCHEMY_ENGINE_OPTIONS=app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        # As in production: the error handler's own failure would reach the client.
        TESTING=False,
    )
    failing = create_app(settings)

    @failing.get("/_test/broken-session")
    def broken_session() -> str:
        for _ in range(2):
            db.session.add(User(email="same@example.com", name="Twin", password_hash="x"))
        db.session.flush()  # IntegrityError: the transaction is now unusable until rolled back
        return "unreachable"

    yield failing
    with failing.app_context():
        db.engine.dispose()


def test_a_broken_session_still_gets_the_styled_500_page(failing_app, factory):
    # Before: the handler rendered a page that loaded the user through the broken session, died
    # of PendingRollbackError, and Werkzeug answered its bare "Internal Server Error".
    owner = factory.user("owner@example.com")
    client = failing_app.test_client()
    AuthActions(client).login(owner.email)  # the error page must not load this user again

    response = client.get("/_test/broken-session")

    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert 'href="/static/app.css' in html
    assert response.headers["Content-Security-Policy"]
    with failing_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_with_the_database_gone_the_apis_answer_503_in_their_family_shape(factory, outage_app):
    web, cut_off = outage_app
    owner = factory.user("owner@example.com")
    workspace = factory.workspace(owner, "Acme")
    with web.app_context():
        jwt_token = mint_jwt(owner.id)
        api_token = create_token(owner.id, "ci").secret
        db.session.remove()
    client = web.test_client()
    with cut_off():
        v1 = client.get("/v1/servers", headers={"Authorization": f"Bearer {api_token}"})
        web_v1 = client.get(
            f"/web/v1/workspaces/{workspace.id}/stripe/connections",
            headers={"Authorization": f"Bearer {jwt_token}"},
        )
    assert v1.status_code == 503 and v1.is_json
    assert web_v1.status_code == 503 and web_v1.is_json
    assert "Retry-After" in v1.headers and "Retry-After" in web_v1.headers


def test_a_4xx_page_keeps_the_account_menu_and_still_renders_without_the_database(
    factory, outage_app
):
    web, cut_off = outage_app
    owner = factory.user("owner@example.com")
    client = web.test_client()
    AuthActions(client).login(owner.email)
    assert "Sign out" in client.get("/no-such-page").get_data(as_text=True)

    with cut_off():
        response = client.get("/no-such-page")
    assert response.status_code == 404  # not a 500 from the header's failed query
    html = response.get_data(as_text=True)
    assert "We couldn" in html and "Sign out" not in html

"""Control characters in forms and URLs get a 4xx and an inline error, never a 500.

PostgreSQL is where a NUL crashed (psycopg's DataError); run this file on both databases.
"""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from app.extensions import db
from app.models import Server, StripeConnection
from app.security.input import CONTROL_CHARACTERS_MESSAGE, AppForm
from tests.integration.connections.test_pages import form_values, new_url

HOSTILE = ["a\x00b", "\x00", "name\x01", "tab\x1bescape", "del\x7f", "c1\x85"]
MESSAGE = CONTROL_CHARACTERS_MESSAGE


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("value", HOSTILE)
def test_sign_in_with_control_characters_is_an_inline_error(client, auth, factory, value):
    factory.user("owner@example.com")
    token = auth.csrf()
    response = client.post(
        "/auth/login",
        data={"email": f"owner{value}@example.com", "password": "x", "csrf_token": token},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-error"' in html and MESSAGE in html


@pytest.mark.parametrize("field", ["name", "description", "partner_endpoint", "config_json"])
def test_connection_form_fields_with_nul_are_inline_errors(app, client, auth, factory, field):
    owner = factory.user("owner@example.com")
    workspace = factory.workspace(owner, "Acme")
    auth.login(owner.email)
    values = form_values(**{field: "x\x00y", "verify": None})
    response = auth.post(new_url(workspace), values, page=new_url(workspace))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in html and MESSAGE in html
    assert count(app, StripeConnection) == 0


@pytest.mark.parametrize("field", ["name", "description"])
def test_resource_form_fields_with_nul_are_inline_errors(app, client, auth, factory, field):
    owner = factory.user("owner@example.com")
    workspace = factory.workspace(owner, "Acme")
    auth.login(owner.email)
    data = {"workspace_id": workspace.id, "name": "Shop", "description": "", "mode": "test"}
    data.update({"currency": "eur", "country": "DE", field: "x\x00y"})
    response = auth.post("/payments/new", data, page="/payments/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in html and MESSAGE in html
    assert count(app, Server) == 0


def test_api_token_names_with_nul_are_inline_errors(client, auth, factory):
    owner = factory.user("owner@example.com")
    auth.login(owner.email)
    response = auth.post("/settings/tokens", {"name": "ci\x00"}, page="/settings/tokens")
    assert response.status_code in (400, 422)
    assert MESSAGE in response.get_data(as_text=True)


def test_line_breaks_and_tabs_stay_allowed_in_text_areas(app, client, auth, factory):
    owner = factory.user("owner@example.com")
    workspace = factory.workspace(owner, "Acme")
    auth.login(owner.email)
    data = {"workspace_id": workspace.id, "name": "Shop", "mode": "test", "currency": "eur"}
    data.update({"country": "DE", "description": "Line one\r\n\tLine two"})
    assert auth.post("/payments/new", data, page="/payments/new").status_code == 303


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/webhooks/stripe/%00", 404),
        # /v1 checks its own path parameters, after the token (tests/integration/api/test_edges.py).
        ("GET", "/v1/servers/%00", 401),
        ("GET", "/payments/srv_%00", 404),
        ("GET", "/payments/%01abc", 404),
        ("GET", "/?status=%00", 400),
        ("GET", "/auth/login?next=%2F%00", 400),
        ("GET", "/?work%00space=x", 400),
    ],
)
def test_control_characters_in_urls_are_a_4xx_not_a_500(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status


def test_every_form_in_the_app_derives_from_the_guarded_base():
    """A new form that forgot the base would let a NUL through to the database again."""
    import app.views  # noqa: F401 - every form class is defined once the views are imported

    def subclasses(cls: type) -> list[type]:
        return [sub for direct in cls.__subclasses__() for sub in (direct, *subclasses(direct))]

    ours = [form for form in subclasses(FlaskForm) if form.__module__.startswith("app.")]
    assert ours, "no form found"
    assert [f.__qualname__ for f in ours if not issubclass(f, AppForm)] == []

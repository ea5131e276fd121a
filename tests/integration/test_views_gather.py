"""Views gather, templates show: rendering a page never runs a query."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask import before_render_template, template_rendered
from sqlalchemy import event

from app.extensions import db
from app.services import connections
from stripe_sandbox import platform_account_id

KEY = "sk_test_viewsGatherKey000000000000000001"

# The only globals our templates get; each is pure (no database, no Stripe).
PURE_GLOBALS = {
    "status_copy",
    "countries",
    "csrf_token",
    "nav_items",
    "stripe_backend_label",
    "rate_limit_note",
    "first_invalid",
    "current_locale",
}
# Jinja's i18n extension (installed by Flask-Babel): translation lookups, no queries.
I18N_GLOBALS = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
FLASK_AND_JINJA_GLOBALS = {
    "range",
    "dict",
    "lipsum",
    "cycler",
    "joiner",
    "namespace",
    "url_for",
    "get_flashed_messages",
    "config",
    "request",
    "session",
    "g",
    "csrf_meta_tag",  # Flask-WTF's
}


@contextmanager
def queries_while_rendering(app):
    """Collect the SQL statements run between the start and the end of a template render."""
    state = {"depth": 0, "statements": []}

    def started(_sender, **_extra):
        state["depth"] += 1

    def finished(_sender, **_extra):
        state["depth"] -= 1

    def executed(_conn, _cursor, statement, *_args):
        if state["depth"]:
            state["statements"].append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", executed)
    before_render_template.connect(started, app)
    template_rendered.connect(finished, app)
    try:
        yield state["statements"]
    finally:
        template_rendered.disconnect(finished, app)
        before_render_template.disconnect(started, app)
        event.remove(engine, "before_cursor_execute", executed)


def test_the_template_globals_are_the_pure_helpers(app):
    ours = set(app.jinja_env.globals) - FLASK_AND_JINJA_GLOBALS - I18N_GLOBALS
    assert ours == PURE_GLOBALS


@pytest.fixture
def pages(app, factory):
    """An owner with a resource and a connection: the signed-in pages worth rendering."""
    owner = factory.user("owner@example.com")
    workspace = factory.workspace(owner, "Acme")
    server = factory.resource(workspace, "Shop")
    with app.app_context():
        connection, _ = connections.create_connection(
            workspace.id,
            actor_user_id=owner.id,
            verify=False,
            name="Main",
            description=None,
            stripe_account_id=platform_account_id(KEY),
            api_key=KEY,
            webhook_secret="whsec_viewsGatherSecret0000001",  # noqa: S106
            partner_endpoint="https://partner.example.com/events",
            config_json=None,
        )
        connection_id = connection.id
    connection_page = f"/workspaces/{workspace.id}/connections/{connection_id}"
    return [
        "/",
        f"/payments/{server.id}",
        "/payments/new",
        f"/workspaces/{workspace.id}/connections",
        connection_page,
        f"{connection_page}/edit",
        f"{connection_page}/delete",
        "/settings/tokens",
    ]


def test_no_page_queries_the_database_while_it_renders(app, client, auth, pages):
    auth.login("owner@example.com")
    for path in pages:
        with queries_while_rendering(app) as statements:
            response = client.get(path)
        assert response.status_code == 200, path
        assert statements == [], path

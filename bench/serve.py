"""What `make bench` serves with gunicorn (gunicorn.conf.py, gthread): the app and its baselines."""

from __future__ import annotations

import os

import stripe
from flask import Flask, Response, abort, jsonify, request, session
from sqlalchemy import create_engine, text

from app import create_app
from app.config import DEFAULT_GUNICORN_THREADS, _normalise_database_url, size_pool


def connect_onboarding() -> Flask:
    """The app as deployed, configured from the environment; the bench signs in from one address
    many times, so rate limits are off."""
    return create_app({"RATELIMIT_ENABLED": False})


def hello_world() -> Flask:
    """The bare Flask baseline: the dearest page can only be compared with the cheapest one."""
    app = Flask(__name__)

    @app.get("/")
    def hello() -> str:
        return "Hello, World!"

    return app


def verify_and_insert() -> Flask:
    """The webhook baseline: a bare Flask + SQLAlchemy endpoint that verifies Stripe's signature
    with the SDK and inserts one row, on the same PostgreSQL and the same size of pool."""
    engine = create_engine(
        os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1),
        pool_size=int(os.environ.get("GUNICORN_THREADS", DEFAULT_GUNICORN_THREADS)),
        pool_pre_ping=True,
    )
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    app = Flask(__name__)

    @app.post("/webhook")
    def webhook() -> tuple[Response, int]:
        try:
            event = stripe.Webhook.construct_event(
                request.get_data(), request.headers.get("Stripe-Signature"), secret
            )
        except (stripe.SignatureVerificationError, ValueError):
            return jsonify(error="bad signature"), 400
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO bench_webhook_events (id, type, account_id, received_at) "
                    "VALUES (:id, :type, :account, now())"
                ),
                {"id": event.id, "type": event.type, "account": getattr(event, "account", None)},
            )
        return jsonify(received=True), 200

    return app


# Twenty rows with the columns the dashboard shows, each value escaped by Jinja's autoescape.
FLOOR_PAGE = """<!doctype html><html lang="en"><head><title>Floor</title></head><body>
<table><tbody>{% for row in rows %}<tr data-server-id="{{ row.id }}">
<td><a href="/payments/{{ row.id }}">{{ row.name }}</a>
<div>{{ row.workspace }} · {{ row.mode }}</div></td>
<td>{{ row.status }}</td><td>{{ row.earned }}</td><td>{{ row.updated }}</td>
</tr>{% endfor %}</tbody></table></body></html>"""

FLOOR_QUERY = text(
    "SELECT servers.id, servers.name, workspaces.name AS workspace, payments_accounts.mode,"
    " payments_accounts.onboarding_status AS status, payments_accounts.total_earned_cents"
    " AS earned, payments_accounts.updated_at AS updated FROM servers"
    " JOIN payments_accounts ON payments_accounts.server_id = servers.id"
    " JOIN workspaces ON workspaces.id = servers.workspace_id"
    " WHERE servers.workspace_id = :workspace_id AND servers.kind = 'payments'"
    " ORDER BY servers.created_at DESC, servers.id DESC LIMIT 20"
)


def session_query_render() -> Flask:
    """The floor of any dashboard in Flask: read a signed session cookie, run one SQL statement
    on the same pool settings as the app, render 20 escaped rows with Jinja. No Flask-Login,
    CSRF, ORM or security headers: what is left when all of those cost nothing."""
    app = Flask(__name__)
    app.secret_key = os.environ["SECRET_KEY"]
    config = {
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(os.environ["DATABASE_URL"]),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "GUNICORN_THREADS": os.environ.get("GUNICORN_THREADS", DEFAULT_GUNICORN_THREADS),
    }
    size_pool(config)
    engine = create_engine(config["SQLALCHEMY_DATABASE_URI"], **config["SQLALCHEMY_ENGINE_OPTIONS"])
    template = app.jinja_env.from_string(FLOOR_PAGE)

    @app.get("/sign-in/<workspace_id>")
    def sign_in(workspace_id: str) -> str:
        session["workspace_id"] = workspace_id
        return "signed in"

    @app.get("/")
    def page() -> str:
        workspace_id = session.get("workspace_id") or abort(401)
        with engine.connect() as conn:
            rows = conn.execute(FLOOR_QUERY, {"workspace_id": workspace_id}).all()
        return template.render(rows=rows)

    return app

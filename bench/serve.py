"""What `make bench` serves with gunicorn (gunicorn.conf.py, gthread): the app and its baselines."""

from __future__ import annotations

import os

import stripe
from flask import Flask, Response, jsonify, request
from sqlalchemy import create_engine, text

from app import create_app
from app.config import DEFAULT_GUNICORN_THREADS


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

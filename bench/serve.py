"""What `make bench` serves with gunicorn (gunicorn.conf.py, gthread): the app and its baseline."""

from __future__ import annotations

from flask import Flask

from app import create_app


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

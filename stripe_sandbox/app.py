"""The sandbox's WSGI app: wiring only."""

from __future__ import annotations

from flask import Flask

from stripe_sandbox import api_v1, api_v2, api_webhooks, controls, hosted, pipeline
from stripe_sandbox.state import SandboxState


def create_sandbox_app(state: SandboxState | None = None) -> Flask:
    """Build the sandbox app around `state` (a fresh in-memory one by default)."""
    app = Flask(__name__)
    app.extensions["stripe_sandbox"] = state or SandboxState()
    app.json.sort_keys = False  # keep Stripe's field order readable
    pipeline.init_app(app)
    app.register_blueprint(api_v1.bp)
    app.register_blueprint(api_v2.bp)
    app.register_blueprint(api_webhooks.bp)
    app.register_blueprint(hosted.bp)
    app.register_blueprint(controls.bp)
    app.wsgi_app = pipeline.NetworkFaults(app.wsgi_app, app.extensions["stripe_sandbox"])
    return app

"""connect-onboarding: onboard a platform's payments resources onto Stripe Connect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, errors, CLI. Wiring only."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    from app.config import load_config

    load_config(app, test_config)
    # JSON answers keep their fields in the order the API documents (seeds 000 and 004).
    app.json.sort_keys = False
    register_request_context(app)
    register_extensions(app)
    register_blueprints(app)
    register_security(app)
    register_errors(app)
    register_template_helpers(app)
    register_cli(app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def register_request_context(app: Flask) -> None:
    """The request id, and `Retry-After` kept to waits; first, so their hooks wrap the others'."""
    from app import errors, request_id

    request_id.init_app(app)
    # After-request hooks run last-registered first: this one sees Flask-Limiter's headers.
    app.after_request(errors.retry_after_only_when_waiting)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extension objects to this app."""
    from app import stripe_gateway
    from app.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
    from app.i18n import select_locale
    from app.security import sessions

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    sessions.init_app(app)
    stripe_gateway.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Mount every blueprint; each view module holds one `bp`."""
    from app.views import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def register_security(app: Flask) -> None:
    """Security headers (CSP, HSTS and friends) on every response; hostile URLs stop early."""
    from app.security import headers, input

    headers.init_app(app)
    input.init_app(app)


def register_errors(app: Flask) -> None:
    """Error pages for browsers, JSON for API clients."""
    from app import errors

    errors.init_app(app)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates use."""
    from app import presentation

    presentation.init_app(app)


def register_cli(app: Flask) -> None:
    """`flask users|workspaces|demo|…` commands."""
    from app import cli

    cli.init_app(app)

"""Thin blueprints: parse the request, call one service, render, redirect or answer JSON."""

from app.api import v1_bp, web_v1_bp
from app.views.account import bp as account_bp
from app.views.activity import bp as activity_bp
from app.views.auth import bp as auth_bp
from app.views.connections import bp as connections_bp
from app.views.docs import bp as docs_bp
from app.views.invitations import bp as invitations_bp
from app.views.invites import bp as invites_bp
from app.views.notifications import bp as notifications_bp
from app.views.onboarding import bp as onboarding_bp
from app.views.overview import bp as overview_bp
from app.views.payments import bp as payments_bp
from app.views.settings import bp as settings_bp
from app.views.webhooks import bp as webhooks_bp
from app.views.workspaces import bp as workspaces_bp

BLUEPRINTS = [
    auth_bp,
    payments_bp,
    onboarding_bp,
    web_v1_bp,
    connections_bp,
    webhooks_bp,
    notifications_bp,
    v1_bp,
    settings_bp,
    docs_bp,
    workspaces_bp,
    activity_bp,
    invitations_bp,
    invites_bp,
    account_bp,
    overview_bp,
]

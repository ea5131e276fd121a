"""Connect with Stripe, Stripe's return and refresh redirects, Check status, the dashboard link.

Return and refresh are GETs that Stripe's redirect lands on: they need a signed-in user (sign-in
then back via `next`) and take the resource only from the path — never from the session, which
may have ended or belong to another tab.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from app.extensions import limiter
from app.presentation import status_copy
from app.services import onboarding, resources
from app.stripe_errors import PERSON, StripeGatewayError, StripeUnavailable
from app.urls import onboarding_urls

bp = Blueprint("onboarding", __name__)

NEXT_ACTION_MESSAGES = {
    "dashboard": "Onboarding is complete. Open the Stripe dashboard to change the details.",
    "update": "Onboarding is complete. Use Update details to change what Stripe holds.",
    "none": "Onboarding is complete; there is nothing to do in Stripe right now.",
}


def _check_status_limit() -> str:
    return current_app.config["CHECK_STATUS_RATE_LIMIT"]


def _per_user_and_resource() -> str:
    """Rate-limit key: one person checking one resource (others are not slowed down)."""
    user = getattr(current_user, "id", None) or get_remote_address()
    return f"check-status:{user}:{(request.view_args or {}).get('server_id')}"


def _detail(server_id: str) -> Response:
    return redirect(url_for("payments.detail", server_id=server_id), code=303)


@bp.post("/payments/<server_id>/connect")
@login_required
def connect(server_id: str) -> Response:
    """Connect with Stripe / Continue onboarding / Update details: 303 to a fresh link."""
    link_kind = "update" if request.form.get("link_kind") == "update" else "auto"
    result = onboarding.connect_or_continue(
        server_id, user_id=current_user.id, urls=onboarding_urls(server_id), link_kind=link_kind
    )
    if result.link is None:
        flash(NEXT_ACTION_MESSAGES[result.next_action], "info")
        return _detail(server_id)
    return redirect(result.link.url, code=303)


@bp.get("/payments/<server_id>/onboarding/return")
@login_required
def return_(server_id: str) -> str:
    """Where Stripe sends people back: re-read the account and say truthfully where it stands."""
    change = onboarding.sync_status(server_id, user_id=current_user.id, source="return")
    server = resources.get_resource(current_user.id, server_id)
    return render_template(
        "onboarding/return.html",
        server=server,
        change=change,
        ob=resources.resource_onboarding(current_user, server),
    )


@bp.get("/payments/<server_id>/onboarding/refresh")
@login_required
def refresh(server_id: str) -> Response:
    """Stripe's refresh_url (link expired or used): mint a new one and go straight back."""
    try:
        link = onboarding.refresh_link(
            server_id, user_id=current_user.id, urls=onboarding_urls(server_id)
        )
    except onboarding.NothingToRefresh:
        flash("Onboarding is already complete; there is no link to renew.", "info")
        return _detail(server_id)
    return redirect(link.url, code=303)


@bp.post("/payments/<server_id>/check-status")
@login_required
@limiter.limit(_check_status_limit, key_func=_per_user_and_resource)
def check_status(server_id: str) -> Response:
    """Re-sync one resource with Stripe on demand."""
    change = onboarding.sync_status(server_id, user_id=current_user.id, source="check")
    server = resources.get_resource(current_user.id, server_id)
    label = status_copy(server.payments.onboarding_status, server.payments.status_reason)[0]
    if change is None:
        flash(f"Checked with Stripe: still “{label}”.", "info")
    else:
        flash(f"Checked with Stripe: the status is now “{label}”.", "success")
    return _detail(server_id)


@bp.post("/payments/<server_id>/dashboard")
@login_required
def dashboard(server_id: str) -> Response:
    """Open the account's Express dashboard through a single-use login link."""
    return redirect(onboarding.dashboard_link(server_id, user_id=current_user.id), code=303)


# Errors: each says what happened and what to do; none shows a key, URL or traceback ----------


def _problem(
    status: int,
    title: str,
    message: str,
    *,
    retry: str | None = None,
    request_id: str | None = None,
    stripe_said: str | None = None,
) -> Response:
    server_id = (request.view_args or {}).get("server_id")
    html = render_template(
        "onboarding/problem.html",
        status=status,
        title=title,
        message=message,
        retry=retry,
        server_id=server_id,
        request_id=request_id,
        stripe_said=stripe_said,
    )
    return Response(html, status=status, mimetype="text/html")


def _retry_for_endpoint() -> str:
    """Which button retries: Check status after a return or check, else Connect again."""
    endpoint = request.endpoint or ""
    if endpoint in ("onboarding.return_", "onboarding.check_status"):
        return "check"
    if endpoint == "onboarding.dashboard":
        return "dashboard"
    return "connect"


@bp.errorhandler(onboarding.OnboardingBlocked)
def blocked(error: onboarding.OnboardingBlocked) -> Response:
    """No usable Stripe key: say why and who can fix it."""
    return _problem(409, "This resource can't be connected yet", error.reason)


@bp.errorhandler(onboarding.AccountCreationBusy)
def busy(error: Exception) -> Response:
    """Another click is still creating the account."""
    return _problem(
        409,
        "The Stripe account is still being created",
        "Another request for this resource is creating its Stripe account. "
        "Wait a few seconds, then try again.",
        retry="connect",
    )


@bp.errorhandler(onboarding.RefreshLoop)
def refresh_loop(error: Exception) -> Response:
    """The guard tripped: stop bouncing between us and Stripe."""
    response = _problem(
        429,
        "The onboarding link keeps expiring",
        "Stripe sent you back for a new link several times in a short while, so we stopped "
        "to avoid an endless loop. This can happen when a link is opened in more than one "
        "tab or by a browser extension. Start again from one tab.",
        retry="connect",
    )
    response.headers["Retry-After"] = "5"
    return response


@bp.errorhandler(onboarding.DashboardUnavailable)
def no_dashboard(error: Exception) -> Response:
    """Login links exist only for finished Express-dashboard accounts."""
    return _problem(
        409,
        "There is no Stripe dashboard for this account yet",
        "The Stripe dashboard opens once onboarding is finished, and only for accounts "
        "with an Express dashboard.",
    )


@bp.errorhandler(StripeGatewayError)
def stripe_failed(error: StripeGatewayError) -> Response:
    """Stripe refused or failed: the table's status and sentence; Stripe's own words for the
    workspace admins who can act on them; nothing changed, and a way to try again."""
    refusal = error.refusal
    message = error.advice()
    if isinstance(error, StripeUnavailable):
        outcome = (
            "Your Stripe account was created; only the onboarding link is missing."
            if error.account_created
            else "Nothing was changed."
        )
        message = f"{message} {outcome}"
    server_id = (request.view_args or {}).get("server_id")
    return _problem(
        refusal.html_status,
        error.heading(),
        message,
        retry=_retry_for_endpoint() if refusal.acts == PERSON else None,
        request_id=error.request_id,
        stripe_said=error.facts.message
        if error.facts and server_id and resources.can_manage(current_user.id, server_id)
        else None,
    )

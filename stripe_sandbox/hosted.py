"""The pages Stripe would host: Connect Onboarding for account links, and an Express
Dashboard stand-in for login links.

Opening a link uses it up, as Stripe's do: a second visit, or one after `expires_at`, is sent
to `refresh_url` so the platform can mint a fresh link.
https://docs.stripe.com/connect/hosted-onboarding#refresh-url
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask import request as http_request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from stripe_sandbox.pipeline import sandbox_state
from stripe_sandbox.records import Link

bp = Blueprint("hosted", __name__)

# Button value → (label, account state it leads to; None leaves the account as it is).
OUTCOMES: dict[str, tuple[str, str | None]] = {
    "complete": ("Submit everything", "complete"),
    "pending_verification": ("Submit, pending verification", "under_review"),
    "leave": ("Leave for now", None),
    "missing_info": ("Submit with missing info", "past_due"),
}
LINK_TITLES = {
    "account_onboarding": "Set up payouts",
    "account_update": "Update account details",
}


@bp.after_request
def _private(response: Response) -> Response:
    """Hosted pages carry a bearer token in their URL: never cache it or leak it onward."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/")
def index() -> ResponseReturnValue:
    """A landing page saying what this server is."""
    return render_template("index.html")


@bp.get("/setup/<token>")
def open_account_link(token: str) -> ResponseReturnValue:
    """Open a v1 account link (uses it up)."""
    return _open(token, "account_link")


@bp.get("/r/<account_id>/<token>")
def open_v2_account_link(account_id: str, token: str) -> ResponseReturnValue:
    """Open a v2 account link (uses it up)."""
    return _open(token, "v2_account_link", account_id)


def _open(token: str, kind: str, account_id: str | None = None) -> ResponseReturnValue:
    state = sandbox_state()
    link, usable = state.consume_link(token)
    if link is None or link.kind != kind or account_id not in (None, link.account):
        return render_template("link_invalid.html"), 404
    if not usable:
        return redirect(link.refresh_url, 302)
    page = state.open_page(link)
    stored = state.accounts[link.account]
    return render_template(
        "onboarding.html",
        link=link,
        title=LINK_TITLES[link.type],
        account=stored.data,
        platform=stored.platform,
        nonce=page.nonce,
        outcomes=OUTCOMES,
    )


@bp.post("/onboarding/<nonce>")
def submit_onboarding(nonce: str) -> ResponseReturnValue:
    """Apply the outcome the person picked and send them to `return_url`."""
    state = sandbox_state()
    link, first = state.close_page(nonce)
    if link is None:
        abort(404)
    if not first:
        return redirect(link.refresh_url, 303)
    outcome = http_request.form.get("outcome")
    if outcome not in OUTCOMES:
        abort(400)
    target = OUTCOMES[outcome][1]
    if target is not None:
        state.set_account_state(link.account, target)
    return _leave(link, outcome)


def _leave(link: Link, outcome: str) -> ResponseReturnValue:
    # return_url carries no state: the platform must re-read the account.
    # https://docs.stripe.com/connect/hosted-onboarding#return-url
    if link.return_url:
        return redirect(link.return_url, 303)
    return redirect(url_for("hosted.finished", outcome=outcome), 303)


@bp.get("/onboarding/finished")
def finished() -> ResponseReturnValue:
    """Where a v2 link without `return_url` ends."""
    return render_template("finished.html")


@bp.get("/express/<account_id>/<token>")
def express_dashboard(account_id: str, token: str) -> ResponseReturnValue:
    """Open an Express Dashboard login link (single use)."""
    state = sandbox_state()
    link, usable = state.consume_link(token)
    if link is None or link.kind != "login_link" or link.account != account_id:
        return render_template("link_invalid.html"), 404
    if not usable:
        return render_template("login_expired.html"), 410
    stored = state.accounts[account_id]
    return render_template("express.html", account=stored.data, platform=stored.platform)

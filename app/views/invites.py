"""Onboarding invites: the members' controls on a resource, and the invitee's pages.

The invitee needs no account. The landing page (`/onboard/<token>`) sets a possession-proof
cookie scoped to `/onboard/i/<invite id>/`, where Stripe's return and refresh URLs point: those
carry the invite's id, never its token. The invitee's pages show this resource's status and
what is due, and nothing else of the workspace (no navigation, no other resource).

The invitee's refresh page does not redirect on GET: it offers the Continue button again, so
an expired link can never bounce between Stripe and us, and a GET changes nothing.
"""

from __future__ import annotations

import flask_babel
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.extensions import limiter
from app.forms.invites import BulkInviteForm, OnboardingInviteForm
from app.services import bulk_invites, invitee, onboarding, onboarding_invites, reminders
from app.services.invitee import PROOF_COOKIE, UNUSABLE, InviteUnusable
from app.services.onboarding_invites import InviteError
from app.stripe_gateway import StripeGatewayError, StripeUnavailable
from app.views.payments import render_detail

bp = Blueprint("invites", __name__)


def _detail(server_id: str) -> Response:
    return redirect(url_for("payments.detail", server_id=server_id), code=303)


# Members' controls ----------------------------------------------------------------------------


@bp.post("/payments/<server_id>/invites")
@login_required
def create(server_id: str) -> Response | tuple[str, int]:
    """Invite an email address to complete this resource's onboarding."""
    form = OnboardingInviteForm()
    if form.validate_on_submit():
        try:
            issued = onboarding_invites.create_invite(
                server_id,
                actor_user_id=current_user.id,
                email=form.email.data,
                locale=form.locale.data,
            )
        except InviteError as error:
            getattr(form, error.field, form.email).errors.append(str(error))
        else:
            flash(f"Invite sent to {issued.invite.email}.", "success")
            return _detail(server_id)
    return render_detail(server_id, form), 400


@bp.post("/payments/<server_id>/invites/<invite_id>/resend")
@login_required
def resend(server_id: str, invite_id: str) -> Response:
    """Mail the invite again with a new link."""
    try:
        issued = onboarding_invites.resend_invite(
            server_id, invite_id, actor_user_id=current_user.id
        )
    except InviteError as error:
        flash(str(error), "error")
    else:
        flash(f"Invite sent again to {issued.invite.email}.", "success")
    return _detail(server_id)


@bp.post("/payments/<server_id>/invites/<invite_id>/revoke")
@login_required
def revoke(server_id: str, invite_id: str) -> Response:
    """Withdraw an invite; its link stops working."""
    invite = onboarding_invites.revoke_invite(server_id, invite_id, actor_user_id=current_user.id)
    flash(f"The invite to {invite.email} no longer works.", "success")
    return _detail(server_id)


@bp.post("/payments/<server_id>/reminders")
@login_required
def mute(server_id: str) -> Response:
    """Mute or unmute this resource's deadline reminders (admins)."""
    muted = request.form.get("muted") == "1"
    reminders.set_muted(server_id, actor_user_id=current_user.id, muted=muted)
    flash("Reminders muted." if muted else "Reminders back on.", "success")
    return _detail(server_id)


# The invitee's pages --------------------------------------------------------------------------

# Public pages (no sign-in) that look tokens up and call Stripe: one budget per client address.
_invitee_limit = limiter.shared_limit(
    lambda: current_app.config["INVITE_RATE_LIMIT"], scope="invitee-pages"
)


def _proof_path(invite_id: str) -> str:
    return url_for("invites.return_", invite_id=invite_id).rsplit("/", 1)[0] + "/"


@bp.get("/onboard/<token>")
@_invitee_limit
def landing(token: str) -> Response:
    """The invite's landing page: whose business, what Stripe asks, and Continue to Stripe."""
    found = invitee.open_invite(token)
    _in_invite_language(found.invite.locale)
    response = make_response(render_template("invites/landing.html", landing=found, token=token))
    response.set_cookie(
        PROOF_COOKIE,
        found.proof,
        max_age=int(onboarding_invites.invite_ttl().total_seconds()),
        path=_proof_path(found.invite.id),
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
    )
    # The token is in this page's URL: keep it out of the Referer of anything the page loads.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _to_stripe(url: str | None, invite_id: str) -> Response:
    if url is None:
        return redirect(url_for("invites.return_", invite_id=invite_id), code=303)
    return redirect(url, code=303)


@bp.post("/onboard/<token>/continue")
@_invitee_limit
def continue_(token: str) -> Response:
    """Continue to Stripe: create or continue, and 303 to a link minted now."""
    invite_id = invitee.open_invite(token).invite.id
    return _to_stripe(invitee.continue_from_invite(token), invite_id)


@bp.post("/onboard/i/<invite_id>/continue")
@_invitee_limit
def continue_proven(invite_id: str) -> Response:
    """Continue again from the return or refresh page, proven by the cookie."""
    url = invitee.continue_with_proof(invite_id, request.cookies.get(PROOF_COOKIE))
    return _to_stripe(url, invite_id)


@bp.get("/onboard/i/<invite_id>/return")
@_invitee_limit
def return_(invite_id: str) -> str:
    """Stripe sent the invitee back: this resource's truthful status and what is still due."""
    status = invitee.invitee_return(invite_id, request.cookies.get(PROOF_COOKIE))
    _in_invite_language(status.landing.invite.locale)
    return render_template("invites/return.html", landing=status.landing)


@bp.get("/onboard/i/<invite_id>/refresh")
@_invitee_limit
def refresh(invite_id: str) -> str:
    """Stripe's link expired or was used: offer Continue again (no redirect on a GET)."""
    found = invitee.proven_landing(invite_id, request.cookies.get(PROOF_COOKIE))
    _in_invite_language(found.invite.locale)
    return render_template("invites/refresh.html", landing=found)


def _in_invite_language(locale: str | None) -> None:
    """Render this response in the invite's language (the browser's when it has none)."""
    g.invite_locale = locale
    flask_babel.refresh()


def _invitee_problem(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("invites/problem.html", title=title, message=message), status


@bp.errorhandler(InviteUnusable)
def unusable(error: InviteUnusable) -> tuple[str, int]:
    """An unknown, expired or revoked link, or no proof cookie: say what to do."""
    status = 403 if error.reason == "no_proof" else 410 if error.reason != "unknown" else 404
    return _invitee_problem(status, gettext("This invite can't be used"), UNUSABLE[error.reason])


@bp.errorhandler(onboarding.OnboardingBlocked)
def blocked(error: onboarding.OnboardingBlocked) -> tuple[str, int]:
    """No usable Stripe key: the invitee can only tell the inviter (no admin detail here)."""
    return _invitee_problem(
        409,
        gettext("Payments can't be set up right now"),
        gettext("The business that invited you must finish its Stripe setup first. Let them know."),
    )


@bp.errorhandler(onboarding.AccountCreationBusy)
def busy(error: Exception) -> tuple[str, int]:
    """Another click is still creating the account."""
    return _invitee_problem(
        409,
        gettext("Almost there"),
        gettext("Your Stripe account is being created. Wait a few seconds and retry."),
    )


@bp.errorhandler(StripeGatewayError)
def stripe_failed(error: StripeGatewayError) -> tuple[str, int]:
    """Stripe failed: nothing changed; try again."""
    if isinstance(error, StripeUnavailable):
        return _invitee_problem(
            503,
            gettext("Stripe is unavailable, try again"),
            gettext("We couldn't reach Stripe just now."),
        )
    return _invitee_problem(
        502,
        gettext("Stripe could not complete the request"),
        gettext(
            "Something went wrong while talking to Stripe. Let the business that invited you know."
        ),
    )


# Bulk invites ---------------------------------------------------------------------------------


@bp.get("/payments/invites/bulk")
@bp.post("/payments/invites/bulk")
@login_required
def bulk() -> Response | tuple[str, int]:
    """Upload or paste `resource,email` lines; the preview follows. Resources selected on the
    dashboard (`?server=…`) arrive as lines waiting for their email address."""
    form = BulkInviteForm()
    if request.method == "GET" and request.args.getlist("server"):
        form.text.data = bulk_invites.lines_for(current_user.id, request.args.getlist("server"))
    if form.validate_on_submit():
        upload = form.file.data
        text = form.text.data or ""
        if upload is not None and getattr(upload, "filename", ""):
            text = upload.read().decode("utf-8-sig", errors="replace")
        try:
            batch = bulk_invites.preview(current_user.id, text)
        except bulk_invites.BulkInviteError as error:
            form.text.errors = [*form.text.errors, str(error)]
        else:
            return redirect(url_for("invites.bulk_batch", batch_id=batch.id), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("invites/bulk.html", form=form), status


@bp.get("/payments/invites/bulk/<batch_id>")
@login_required
def bulk_batch(batch_id: str) -> Response:
    """The preview with per-line errors; then the progress (refreshing itself); then results."""
    found = bulk_invites.progress(current_user.id, batch_id)
    response = make_response(
        render_template(
            "invites/bulk_batch.html",
            progress=found,
            counts=bulk_invites.counts(found.batch.results),
            results={r["line"]: r for r in found.batch.results},
        )
    )
    if found.batch.status in (bulk_invites.QUEUED, bulk_invites.SENDING):
        # No script (the CSP forbids inline ones): the browser reloads the page itself.
        response.headers["Refresh"] = "2"
    return response


@bp.post("/payments/invites/bulk/<batch_id>/send")
@login_required
def bulk_send(batch_id: str) -> Response:
    """Confirm the preview: the worker sends the valid lines."""
    bulk_invites.queue_sending(current_user.id, batch_id)
    return redirect(url_for("invites.bulk_batch", batch_id=batch_id), code=303)

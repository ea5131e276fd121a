"""How things read to people: status words, requirement names, money and dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import Flask, current_app, g, request, url_for
from flask_babel import LazyString, gettext, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app.extensions import limiter
from app.i18n import current_locale, local_datetime
from app.reference import STRIPE_COUNTRIES, ZERO_DECIMAL_CURRENCIES
from app.security.permissions import MANAGE, permissions_for_role

if TYPE_CHECKING:
    from wtforms import Field

    from app.models import PaymentsAccount
    from app.services.overview import Stage

# (label, badge style, what the person should do next)
STATUS_COPY: dict[tuple[str, str], tuple[LazyString, str, LazyString]] = {
    ("not_started", "none"): (
        lazy_gettext("Not started"),
        "neutral",
        lazy_gettext("Connect with Stripe to create the account and start onboarding."),
    ),
    ("pending", "needs_info"): (
        lazy_gettext("Needs information"),
        "warning",
        lazy_gettext(
            "Stripe needs more information before this resource can take payments. "
            "Continue onboarding to provide it."
        ),
    ),
    ("pending", "under_review"): (
        lazy_gettext("Under review"),
        "info",
        lazy_gettext(
            "Stripe is verifying the details you sent. Nothing to do now — we'll update the "
            "status as soon as Stripe finishes."
        ),
    ),
    ("pending", "paused"): (
        lazy_gettext("Paused by Stripe"),
        "danger",
        lazy_gettext(
            "Stripe has paused this account. Contact Stripe support from the account's dashboard "
            "to find out why."
        ),
    ),
    ("not_started", "disconnected"): (
        lazy_gettext("Disconnected"),
        "danger",
        lazy_gettext(
            "The Stripe account removed this platform's access. Connect with Stripe again to "
            "create a new account."
        ),
    ),
    ("complete", "none"): (
        lazy_gettext("Complete"),
        "success",
        lazy_gettext(
            "Onboarding is complete: this resource can take payments and receive payouts."
        ),
    ),
}

# Stripe's requirement ids in words (docs.stripe.com/connect/required-verification-information).
REQUIREMENT_WORDS: dict[str, LazyString] = {
    "business_type": lazy_gettext("Type of business"),
    "business_profile.url": lazy_gettext("Business website"),
    "business_profile.mcc": lazy_gettext("Industry (merchant category)"),
    "business_profile.product_description": lazy_gettext("Description of what you sell"),
    "business_profile.support_phone": lazy_gettext("Customer support phone number"),
    "external_account": lazy_gettext("Bank account for payouts"),
    "tos_acceptance.date": lazy_gettext("Acceptance of Stripe's terms of service"),
    "tos_acceptance.ip": lazy_gettext("Acceptance of Stripe's terms of service"),
    "individual.first_name": lazy_gettext("Legal first name"),
    "individual.last_name": lazy_gettext("Legal last name"),
    "individual.dob.day": lazy_gettext("Date of birth"),
    "individual.dob.month": lazy_gettext("Date of birth"),
    "individual.dob.year": lazy_gettext("Date of birth"),
    "individual.email": lazy_gettext("Email address"),
    "individual.phone": lazy_gettext("Phone number"),
    "individual.address.line1": lazy_gettext("Home address"),
    "individual.address.city": lazy_gettext("Home address"),
    "individual.address.postal_code": lazy_gettext("Home address"),
    "individual.address.state": lazy_gettext("Home address"),
    "individual.ssn_last_4": lazy_gettext("Last 4 digits of the Social Security number"),
    "individual.id_number": lazy_gettext("Government ID number"),
    "individual.verification.document": lazy_gettext("Photo of an identity document"),
    "individual.verification.additional_document": lazy_gettext("Proof of address document"),
    "company.name": lazy_gettext("Company legal name"),
    "company.tax_id": lazy_gettext("Company tax ID"),
    "company.address.line1": lazy_gettext("Company address"),
    "company.address.city": lazy_gettext("Company address"),
    "company.address.postal_code": lazy_gettext("Company address"),
    "company.verification.document": lazy_gettext("Company registration document"),
    "representative.first_name": lazy_gettext("Representative's name"),
    "representative.last_name": lazy_gettext("Representative's name"),
    "representative.dob.day": lazy_gettext("Representative's date of birth"),
    "representative.dob.month": lazy_gettext("Representative's date of birth"),
    "representative.dob.year": lazy_gettext("Representative's date of birth"),
    "representative.email": lazy_gettext("Representative's email address"),
    "representative.phone": lazy_gettext("Representative's phone number"),
    "representative.id_number": lazy_gettext("Representative's government ID number"),
    "representative.verification.document": lazy_gettext(
        "Photo of the representative's identity document"
    ),
}


ACTIVITY_WORDS: dict[str, str] = {
    "resource.created": "Resource created",
    "onboarding.account_created": "Stripe account created",
    "onboarding.account_recovered": "Stripe account found after an interrupted creation",
    "onboarding.link_minted": "Sent to Stripe onboarding",
    "onboarding.returned": "Came back from Stripe",
    "onboarding.refreshed": "Onboarding link renewed",
    "onboarding.refresh_loop_stopped": "Too many link renewals; stopped",
    "onboarding.status_checked": "Status checked with Stripe",
    "onboarding.status_changed": "Status changed",
    "onboarding.dashboard_opened": "Opened the Stripe dashboard",
    "onboarding.stripe_failed": "Stripe request failed",
    "webhook.applied": "Updated by Stripe",
    "webhook.deauthorized": "Stripe account disconnected",
    "notification.retried": "Partner notification queued again",
    "api_token.created": "API token created",
    "api_token.revoked": "API token revoked",
    "connection.created": "Stripe connection added",
    "connection.updated": "Stripe connection edited",
    "connection.deactivated": "Stripe connection deactivated",
    "connection.reactivated": "Stripe connection reactivated",
    "connection.made_default": "Stripe connection made the default",
    "connection.notification_secret_rolled": "Notification signing secret replaced",
    "connection.secret_unreadable": "Stored secret could not be decrypted",
    "connection.deleted": "Stripe connection deleted",
    "connection.webhook_registered": "Webhook endpoint set up at Stripe",
    "workspace.created": "Workspace created",
    "workspace.renamed": "Workspace renamed",
    "member.invited": "Invitation sent",
    "member.invitation_resent": "Invitation sent again",
    "member.invitation_revoked": "Invitation withdrawn",
    "member.joined": "Joined the workspace",
    "member.role_changed": "Role changed",
    "member.removed": "Removed from the workspace",
    "member.left": "Left the workspace",
    "account.name_changed": "Name changed",
    "account.password_changed": "Password changed; other sessions ended",
    "account.password_reset_requested": "Password reset requested",
    "account.password_reset": "Password reset by email link; every session ended",
    "account.password_set": "Password set by an operator; every session ended",
    "invite.sent": "Onboarding invite sent",
    "invite.created": "Onboarding invite link created (not mailed)",
    "invite.resent": "Onboarding invite sent again",
    "invite.opened": "Onboarding invite opened",
    "invite.started": "Invitee went on to Stripe",
    "invite.completed": "Invitee completed onboarding",
    "invite.expired": "Onboarding invite expired",
    "invite.revoked": "Onboarding invite revoked",
    "reminder.sent": "Deadline reminder sent",
    "reminder.muted": "Reminders muted",
    "reminder.unmuted": "Reminders unmuted",
}


def activity_words(action: str) -> str:
    """An audit action in words."""
    return ACTIVITY_WORDS.get(action) or action.replace(".", ": ").replace("_", " ").capitalize()


def status_copy(status: str, reason: str) -> tuple[str, str, str]:
    """(label, badge style, next step) for a status and reason, in the page's language."""
    copy = STATUS_COPY.get((status, reason)) or STATUS_COPY.get((status, "none"))
    if copy is None:
        return status.replace("_", " ").capitalize(), "neutral", ""
    label, style, next_step = copy
    return str(label), style, str(next_step)


def requirement_words(codes: list[str] | None) -> list[str]:
    """Requirement ids as distinct phrases a person understands, in Stripe's order and the
    page's language (an id we have no words for reads as its last part)."""
    seen: list[str] = []
    for code in codes or []:
        known = REQUIREMENT_WORDS.get(code)
        if known is not None:
            words = str(known)
        elif code.startswith("person_"):
            words = gettext("Details of a company representative")
        else:
            words = code.split(".")[-1].replace("_", " ").capitalize()
        if words not in seen:
            seen.append(words)
    return seen


def money(cents: int | None, currency: str | None) -> str:
    """`1234, "usd"` → `12.34 USD`; zero-decimal currencies keep whole units."""
    currency = (currency or "usd").lower()
    amount = cents or 0
    if currency in ZERO_DECIMAL_CURRENCIES:
        return f"{amount:,} {currency.upper()}"
    return f"{amount / 100:,.2f} {currency.upper()}"


def datetime_label(value: datetime | None) -> str:
    """A timestamp as `22 Nov 2026, 14:05 UTC`."""
    if value is None:
        return "—"
    return value.strftime("%-d %b %Y, %H:%M UTC")


def deadline_label(value: str | None) -> str:
    """A stored ISO 8601 deadline (future requirements) as `datetime_label` shows it."""
    return datetime_label(datetime.fromisoformat(value) if value else None)


# Navigation entries after "Payments": (endpoint, label, the permission the page needs in some
# workspace — None: every signed-in user), so nobody is shown a link that would only answer 403.
NAV_ENDPOINTS = (
    ("connections.index", "Stripe connections", MANAGE),
    ("settings.tokens", "API tokens", None),
    ("docs.page", "API docs", None),
)


def nav_items() -> list[dict[str, object]]:
    """Main navigation for the signed-in user.

    Reads the memberships loaded with the user (`security.sessions.load_user`): no query here.
    """
    granted = set().union(*(permissions_for_role(m.role) for m in current_user.memberships))
    section = (request.endpoint or "").split(".")[0]
    return [
        {
            "url": url_for(endpoint),
            "label": label,
            "current": section == endpoint.split(".")[0],
        }
        for endpoint, label, permission in NAV_ENDPOINTS
        if permission is None or permission in granted
    ]


def stripe_backend_label() -> str:
    """Footer note saying which Stripe the app talks to — the sandbox is never a surprise."""
    if current_app.config.get("STRIPE_API_BASE"):
        return "Stripe: offline sandbox (no real accounts)"
    return "Stripe API"


def short_datetime_label(value: datetime | None) -> str:
    """A compact timestamp for tables: `22 Nov, 14:05` this year, `22 Nov 2025` before."""
    if value is None:
        return "—"
    if value.year == datetime.now(value.tzinfo).year:
        return value.strftime("%-d %b, %H:%M")
    return value.strftime("%-d %b %Y")


_CODE_SPAN = re.compile(r"`([^`]+)`")


def inline_code(text: str) -> Markup:
    """Escape `text`, then show its `backticked` spans as <code> (the API document's markdown)."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))  # noqa: S704 — escaped


@dataclass(frozen=True)
class OnboardingStep:
    """One step of the detail page's stepper: `state` is `done`, `current` or `upcoming`."""

    title: str
    state: str
    blocker: str = ""
    deadline: datetime | None = None


def onboarding_steps(payments: PaymentsAccount) -> list[OnboardingStep]:
    """Where onboarding stands, as the five steps a Connect account goes through.

    Each step is read from what Stripe last told us (docs.stripe.com/connect/account-capabilities,
    /connect/handling-api-verification): the first step not reached is the current one, with what
    holds it up and Stripe's deadline for the missing information.
    """
    req = payments.requirements or {}
    due = [*req.get("past_due", []), *req.get("currently_due", [])]
    verifying = req.get("pending_verification") or []
    verified = payments.details_submitted and not due and not verifying and not req.get("errors")
    if payments.status_reason == "paused":
        held = "Stripe has paused this account; contact Stripe support from its dashboard."
    elif due:
        held = "Stripe needs: " + ", ".join(requirement_words(due)) + "."
    elif verifying:
        held = "Stripe is verifying: " + ", ".join(requirement_words(verifying)) + "."
    else:
        held = "Waiting for Stripe to enable it."
    steps = [
        (
            "Account created",
            payments.stripe_account_id is not None,
            "Connect with Stripe to create the account.",
        ),
        (
            "Details submitted",
            payments.details_submitted,
            "Continue onboarding on Stripe to send the business details.",
        ),
        ("Verification", verified, held),
        ("Charges enabled", payments.charges_enabled, held),
        ("Payouts enabled", payments.payouts_enabled, held),
    ]
    # A later step can be reached before an earlier one (Stripe may enable charges while it
    # still verifies something): every reached step shows done, the first unreached is current.
    result: list[OnboardingStep] = []
    for title, reached, blocker in steps:
        if reached:
            result.append(OnboardingStep(title, "done"))
        elif not any(step.state == "current" for step in result):
            result.append(OnboardingStep(title, "current", blocker, payments.current_deadline))
        else:
            result.append(OnboardingStep(title, "upcoming"))
    return result


# The OpenAPI security schemes in words, for the API reference page.
AUTH_SCHEME_WORDS = {
    "apiToken": "Personal API token",
    "webJwt": "Portal sign-in token (JWT)",
}


def auth_words(schemes: str) -> str:
    """`apiToken, webJwt` → `Personal API token or Portal sign-in token (JWT)`; `` → `None`."""
    names = [name.strip() for name in schemes.split(",") if name.strip()]
    return " or ".join(AUTH_SCHEME_WORDS.get(name, name) for name in names) or "None"


def first_invalid(field: Field) -> bool:
    """True for the first field with errors rendered in this request: the one to focus."""
    if not field.errors or g.get("invalid_field_focused"):
        return False
    g.invalid_field_focused = True
    return True


# What each rate-limited page counts, and the page to go back to: (words, endpoint, its args).
RATE_LIMITED = {
    "auth.login": ("sign-in attempts", "auth.login", ()),
    "account.forgot_password": ("password reset requests", "account.forgot_password", ()),
    "onboarding.check_status": (
        "status checks of this resource",
        "payments.detail",
        ("server_id",),
    ),
    "invites.landing": ("invite page requests", "invites.landing", ("token",)),
    "invites.continue_": ("invite page requests", "invites.landing", ("token",)),
    "invites.continue_proven": ("invite page requests", "invites.refresh", ("invite_id",)),
    "invites.return_": ("invite page requests", "invites.refresh", ("invite_id",)),
    "invites.refresh": ("invite page requests", "invites.refresh", ("invite_id",)),
}


def rate_limit_note() -> dict[str, str]:
    """For a 429 page: which limit was hit, how it reads, and the way back to the page."""
    what, endpoint, arg_names = RATE_LIMITED.get(
        request.endpoint or "", ("requests", "payments.dashboard", ())
    )
    args = {name: (request.view_args or {})[name] for name in arg_names}
    current = limiter.current_limit
    return {
        "what": what,
        "limit": str(current.limit) if current else "",
        "back": url_for(endpoint, **args),
    }


# The overview's funnel drawing, in SVG user units (the picture scales to its box).
FUNNEL_ROW = 34
FUNNEL_BAR_MAX = 190


def funnel_bars(stages: list[Stage]) -> list[dict[str, object]]:
    """The funnel as bars to draw: label, badge style, count, bar width and row offset."""
    biggest = max((stage.count for stage in stages), default=0) or 1
    bars = []
    for row, stage in enumerate(stages):
        label, style, _next = status_copy(stage.status, stage.reason)
        width = round(FUNNEL_BAR_MAX * stage.count / biggest) if stage.count else 0
        bars.append(
            {
                "label": label,
                "style": style,
                "count": stage.count,
                "width": max(width, 2) if stage.count else 0,
                "y": row * FUNNEL_ROW,
            }
        )
    return bars


def duration_words(value: timedelta | None) -> str:
    """A duration as a person says it: `2 days 3 h`, `4 h 10 min`, `12 min`, `under a minute`."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min" if minutes else "under a minute"


def init_app(app: Flask) -> None:
    """Register the filters and globals."""
    app.add_template_filter(money, "money")
    app.add_template_filter(datetime_label, "when")
    app.add_template_filter(short_datetime_label, "when_short")
    app.add_template_filter(deadline_label, "deadline")
    app.add_template_filter(local_datetime, "when_local")
    app.add_template_global(current_locale, "current_locale")
    app.add_template_filter(requirement_words, "requirement_words")
    app.add_template_filter(activity_words, "activity_words")
    app.add_template_filter(inline_code, "inline_code")
    app.add_template_filter(duration_words, "duration")
    app.add_template_filter(auth_words, "auth_words")
    app.add_template_global(status_copy, "status_copy")
    app.add_template_global(rate_limit_note, "rate_limit_note")
    app.add_template_global(first_invalid, "first_invalid")
    app.add_template_global(STRIPE_COUNTRIES, "countries")
    app.add_template_global(generate_csrf, "csrf_token")
    app.add_template_global(nav_items, "nav_items")
    app.add_template_global(stripe_backend_label, "stripe_backend_label")

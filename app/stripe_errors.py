"""What Stripe's refusals mean, and how every surface answers them: ONE table.

The gateway reads each SDK error into `StripeFacts` (HTTP status, `type`, `code`, `param`,
Stripe's message cleaned of keys and link URLs, the `Idempotent-Replayed` flag) and the first
matching row of `REFUSALS` decides everything that follows: which exception the gateway raises,
the HTML page's status and sentence, `/v1`'s status and code, `/web/v1`'s envelope code, whether
the connection's key is flagged for its admins, and who must act. A replayed answer falls into
the same row as the original: Stripe repeats the refusal, the fix is the same (account creation
moves to a new idempotency key by itself, see `app.services.onboarding.creation`).

Stripe documents these answers at https://docs.stripe.com/error-codes and
https://docs.stripe.com/api/errors; the wordings matched below are the ones Stripe sends
(quoted in /work/shared/STRIPE_NOTES.md and the sandbox's platforms.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

# Who can fix a refusal. KEY_OWNER is whoever set the key in use: a workspace admin for a
# connection's key, the platform operator for the app-level STRIPE_SECRET_KEY.
PERSON = "person"
WORKSPACE_ADMIN = "workspace_admin"
PLATFORM_OPERATOR = "platform_operator"
KEY_OWNER = "key_owner"


class StripeGatewayError(Exception):
    """Base of the errors the gateway raises; `request_id` is Stripe's, for support."""

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        replayed: bool = False,
        app_level_key: bool = False,
        facts: StripeFacts | None = None,
    ) -> None:
        super().__init__(message)
        self.request_id = request_id
        # Stripe answered with a result stored under the request's idempotency key.
        self.replayed = replayed
        # The key in use was the app-level STRIPE_SECRET_KEY, not a workspace connection's:
        # an operator fixes it, not a workspace admin.
        self.app_level_key = app_level_key
        # What Stripe said, cleaned (None when Stripe was not reached).
        self.facts = facts
        # Set by the onboarding step that failed after this request had stored a new account,
        # so nobody is told that nothing was changed.
        self.account_created = False

    @property
    def refusal(self) -> Refusal:
        """This error's row of the table."""
        return refusal_for(self)

    @property
    def acts(self) -> str:
        """Who must act: PERSON, WORKSPACE_ADMIN or PLATFORM_OPERATOR."""
        acts = self.refusal.acts
        if acts == KEY_OWNER:
            return PLATFORM_OPERATOR if self.app_level_key else WORKSPACE_ADMIN
        return acts

    def heading(self) -> str:
        """The page's title: what happened, and who must act when it is not the person."""
        title = self.refusal.title
        return title if isinstance(title, str) else title(self)

    def advice(self) -> str:
        """The plain sentence: what happened and what to do, where (no Stripe wording)."""
        action = self.refusal.action
        return action if isinstance(action, str) else action(self)

    def explained(self) -> str:
        """The advice, then Stripe's own (cleaned) words and request id, for those who act."""
        parts = [self.advice()]
        if self.facts is not None and self.facts.message:
            parts.append(f"Stripe said: “{self.facts.message}”")
        if self.request_id:
            parts.append(f"Stripe request id: {self.request_id}.")
        return " ".join(parts)


class StripeUnavailable(StripeGatewayError):
    """Stripe could not be reached, timed out, rate-limited us or failed (5xx)."""


class StripeKeyRejected(StripeGatewayError):
    """Stripe rejected the API key (revoked, wrong, or not allowed on this account)."""


class StripeAccountNotFound(StripeGatewayError):
    """The connected account does not exist or is not reachable with this key."""


class StripeRequestRejected(StripeGatewayError):
    """Stripe refused a request (a 4xx other than the above)."""


class StripePlatformSetupRequired(StripeRequestRejected):
    """Stripe refused because of how the key's platform is set up at Stripe: fixable there."""


class StripePermissionMissing(StripePlatformSetupRequired):
    """A restricted key lacks one permission; the key itself is fine for everything else."""


class StripeEndpointNotEnabled(StripePlatformSetupRequired):
    """ "Unrecognized request URL": an endpoint Stripe does not offer the key's platform."""


class StripePlatformProfileIncomplete(StripePlatformSetupRequired):
    """The platform has not reviewed its responsibilities for connected accounts' losses."""


class StripeHttpsRequired(StripePlatformSetupRequired):
    """Live mode refuses non-HTTPS return and refresh URLs."""


class StripeCapabilityUnavailable(StripePlatformSetupRequired):
    """A capability we requested is not offered for the account's country."""


class WebhookSignatureInvalid(StripeGatewayError):
    """A webhook's signature, timestamp or body did not verify: answer 400, apply nothing."""


@dataclass(frozen=True)
class StripeFacts:
    """What Stripe answered, as the table matches it. `message` is already cleaned."""

    status: int | None
    error_type: str | None = None
    code: str | None = None
    param: str | None = None
    message: str = ""
    replayed: bool = False
    unreachable: bool = False


@dataclass(frozen=True)
class Refusal:
    """One row: which answers match it, and what every surface says."""

    cause: str
    exception: type[StripeGatewayError]
    html_status: int
    v1_status: int
    v1_code: str
    web_code: str
    flags_key: bool
    acts: str
    title: str | Callable[[StripeGatewayError], str]
    action: str | Callable[[StripeGatewayError], str]
    # Matching: every given criterion must hold (regexes search the cleaned message / param).
    status: int | None = None
    code: str | None = None
    param: str | None = None
    message: str | None = None
    unreachable: bool = False

    def matches(self, facts: StripeFacts) -> bool:
        """Whether Stripe's answer falls in this row."""
        if self.unreachable:
            # Not reached, rate-limited, or a 5xx: over in moments, whoever clicked retries.
            status = facts.status or 0
            return facts.unreachable or status == 429 or status >= 500
        return (
            (self.status is None or facts.status == self.status)
            and (self.code is None or facts.code == self.code)
            and (self.param is None or re.search(self.param, facts.param or "") is not None)
            and (self.message is None or re.search(self.message, facts.message) is not None)
        )


def _permission_action(error: StripeGatewayError) -> str:
    facts = error.facts or StripeFacts(status=None)
    found = re.search(r"Having the '([A-Za-z0-9_.]+)' permission", facts.message)
    permission = f"the “{found.group(1)}” permission" if found else "a permission"
    return (
        f"The restricted API key in use lacks {permission} for this request. Give the key that "
        "permission in Stripe's dashboard (Developers → API keys → edit the restricted key), "
        "or use a key that has it; the key stays valid for everything else."
    )


def _key_rejected_action(error: StripeGatewayError) -> str:
    if error.app_level_key:
        return (
            "Stripe rejected the app-level API key (STRIPE_SECRET_KEY). The app's administrator "
            "must set a valid key."
        )
    return (
        "Stripe rejected the API key this resource uses. A workspace admin must update the "
        "Stripe connection with a valid key."
    )


def _key_rejected_title(error: StripeGatewayError) -> str:
    if error.app_level_key:
        return "The app's Stripe key was rejected — the app's administrator must update it"
    return "This connection's key was rejected — an admin must update it"


def _who_fixes_setup(error: StripeGatewayError) -> str:
    return (
        "The app's administrator (who owns STRIPE_SECRET_KEY's platform)"
        if error.app_level_key
        else "A workspace admin (who owns this connection's Stripe platform)"
    )


# A key that cannot see the account: Stripe's 403 `account_invalid`.
_ACCOUNT_NOT_FOUND = Refusal(
    "account_not_found",
    StripeAccountNotFound,
    502,
    502,
    "stripe_account_not_found",
    "5020",
    flags_key=False,
    acts=PLATFORM_OPERATOR,
    title="Stripe doesn't recognise this resource's account",
    action="Stripe no longer knows this resource's account with the key in use: it may have "
    "been removed or belong to another Stripe platform. Contact support with the reference.",
    code="account_invalid",
)

REFUSALS: tuple[Refusal, ...] = (
    Refusal(
        "unavailable",
        StripeUnavailable,
        503,
        503,
        "stripe_unavailable",
        "5030",
        flags_key=False,
        acts=PERSON,
        title="Stripe is unavailable, try again",
        action="We couldn't reach Stripe just now. Try again in a moment.",
        unreachable=True,
    ),
    Refusal(
        "key_rejected",
        StripeKeyRejected,
        502,
        502,
        "stripe_key_rejected",
        "5020",
        flags_key=True,
        acts=KEY_OWNER,
        title=_key_rejected_title,
        action=_key_rejected_action,
        status=401,
    ),
    Refusal(
        "permission_missing",
        StripePermissionMissing,
        409,
        409,
        "stripe_permission_missing",
        "4090",
        flags_key=False,
        acts=KEY_OWNER,
        title="The Stripe key lacks a permission",
        action=_permission_action,
        status=403,
        message=r"does not have the required permissions",
    ),
    _ACCOUNT_NOT_FOUND,
    # The same answer when Stripe says the account itself is missing (not another object).
    replace(
        _ACCOUNT_NOT_FOUND,
        code="resource_missing",
        param=r"^(account|id)?$",
        message=r"^No such account",
    ),
    Refusal(
        "key_forbidden",
        StripeKeyRejected,
        502,
        502,
        "stripe_key_rejected",
        "5020",
        flags_key=True,
        acts=KEY_OWNER,
        title=_key_rejected_title,
        action=_key_rejected_action,
        status=403,
    ),
    Refusal(
        "endpoint_not_enabled",
        StripeEndpointNotEnabled,
        409,
        409,
        "stripe_endpoint_not_enabled",
        "4090",
        flags_key=False,
        acts=KEY_OWNER,
        title="This Stripe feature is not enabled for the platform",
        action=lambda e: (
            "Stripe does not offer this endpoint to the platform of the key in use (for "
            "example Accounts v2 not yet enabled). "
            f"{_who_fixes_setup(e)} must enable it in Stripe's dashboard or switch the "
            "connection to the v1 Accounts API."
        ),
        status=404,
        message=r"^Unrecognized request URL",
    ),
    Refusal(
        "platform_profile",
        StripePlatformProfileIncomplete,
        409,
        409,
        "stripe_platform_profile",
        "4090",
        flags_key=False,
        acts=KEY_OWNER,
        title="Stripe needs the platform profile completed",
        action=lambda e: (
            f"{_who_fixes_setup(e)} must review the responsibilities for losses of connected "
            "accounts in Stripe's dashboard: Settings → Connect → Platform profile "
            "(https://dashboard.stripe.com/settings/connect/platform-profile). Then try again."
        ),
        message=r"platform-profile|responsibilities of managing losses",
    ),
    Refusal(
        "https_required",
        StripeHttpsRequired,
        409,
        409,
        "stripe_https_required",
        "4090",
        flags_key=False,
        acts=PLATFORM_OPERATOR,
        title="Live mode needs HTTPS addresses",
        action="Stripe sends people back only to https:// addresses in live mode. The app's "
        "administrator must serve the app over HTTPS and set PUBLIC_BASE_URL to its https:// "
        "address.",
        message=r"Livemode requests must always be redirected via HTTPS",
    ),
    Refusal(
        "capability_unavailable",
        StripeCapabilityUnavailable,
        409,
        409,
        "stripe_capability_unavailable",
        "4090",
        flags_key=False,
        acts=KEY_OWNER,
        title="Stripe doesn't offer this capability in the account's country",
        action=lambda e: (
            "Stripe does not offer a capability we requested for an account in this country "
            "(see https://docs.stripe.com/connect/cross-border-payouts). "
            f"{_who_fixes_setup(e)} must change the capabilities requested for this country, "
            "or the resource's country must change."
        ),
        param=r"^capabilities",
    ),
    Refusal(
        "request_rejected",
        StripeRequestRejected,
        502,
        502,
        "stripe_error",
        "5020",
        flags_key=False,
        acts=PLATFORM_OPERATOR,
        title="Stripe could not complete the request",
        action="Stripe refused a request we built. It has been logged; the app's administrator "
        "can look it up by the reference.",
    ),
)


def classify(facts: StripeFacts) -> Refusal:
    """The first row that matches (the last row matches everything)."""
    return next(row for row in REFUSALS if row.matches(facts))


def refusal_for(error: StripeGatewayError) -> Refusal:
    """The row of an error: from its facts, or by its class when Stripe was not reached."""
    if error.facts is not None:
        return classify(error.facts)
    return next((row for row in REFUSALS if isinstance(error, row.exception)), REFUSALS[-1])


def rows_by_exception() -> dict[type[StripeGatewayError], Refusal]:
    """One row per exception class: what an API's error table registers (rows sharing a class
    give the same answers; a test holds the table to that)."""
    rows: dict[type[StripeGatewayError], Refusal] = {}
    for row in REFUSALS:
        rows.setdefault(row.exception, row)
    return rows


# Keys, secrets and emails never reach a page, JSON or log line; nor does any URL except
# Stripe's dashboard and documentation (help links) — never an Account Link or login link.
_SECRETS = (
    re.compile(r"\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9*…]+"),
    re.compile(r"\bwhsec_[A-Za-z0-9]+"),
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
)
_URL = re.compile(r"https?://[^\s\"'<>()]+")
_HELP_HOSTS = ("dashboard.stripe.com", "docs.stripe.com")


def clean_message(message: str | None) -> str:
    """Stripe's message without keys, secrets, emails, or URLs other than help links."""
    text = (message or "").strip()
    for pattern in _SECRETS:
        text = pattern.sub("[redacted]", text)

    def keep_help(found: re.Match[str]) -> str:
        url = found.group(0).rstrip(".,;")
        trail = found.group(0)[len(url) :]
        host = url.split("/")[2]
        return (url if host in _HELP_HOSTS else "[link removed]") + trail

    return _URL.sub(keep_help, text)[:500]

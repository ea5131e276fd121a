"""/v1's typed models: request bodies and query strings (validated), responses (documented).

Field order is seed 000's. Inputs refuse unknown fields and parameters (422 naming each); the
connect-account fields then go through `validate_connect_inputs`, the rule the Connect button
uses, so both surfaces accept and explain the same values the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.api.text import NO_CONTROL_CHARACTERS
from app.json_limits import CONTROL_CHARACTERS
from app.models.servers import AUTH_MODES, SERVER_KINDS, SERVER_STATUSES
from app.reference import STRIPE_COUNTRIES
from app.services.onboarding.inputs import (
    EMAIL_MAX_LENGTH,
    PRODUCT_DESCRIPTION_MAX,
    RESERVED_EMAIL_TLDS,
)

MAX_PAGE = 10_000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
NEXT_ACTIONS = ("onboarding", "update", "dashboard", "none")
ONBOARDING_STATUSES = ("not_started", "pending", "complete")
INVITE_LOCALES = ("en", "de", "fr", "es")
INVITE_STATES = ("sent", "opened", "started", "completed", "expired", "revoked")
# Codes are accepted in any case; the document lists the upper- and lower-case spellings.
COUNTRY_SPELLINGS = tuple(
    spelling for code in sorted(STRIPE_COUNTRIES) for spelling in (code, code.lower())
)
# JSON Schema patterns have no case-insensitive flag: spell each letter in both cases.
_RESERVED = "|".join(
    "".join(f"[{letter}{letter.upper()}]" for letter in tld) for tld in RESERVED_EMAIL_TLDS
)
EMAIL_PATTERN = rf"^(?!.*\.({_RESERVED})\.?$)[^{CONTROL_CHARACTERS}]*$"


class Input(BaseModel):
    """A request part the API refuses to widen: unknown names are errors, not ignored."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ConnectAccountRequest(Input):
    """Used only when this call creates the Stripe account; ignored when the resource already
    has one. Unknown fields are refused (422)."""

    # The model checks names and types; `validate_connect_inputs` checks the values, so the
    # constraints below document that function's rules rather than enforce them twice.

    country: str = Field(
        None,
        json_schema_extra={"enum": list(COUNTRY_SPELLINGS)},
        description="ISO 3166-1 alpha-2 code, any case, of a country where Stripe Connect "
        "accounts can be created; stored upper case. Defaults to the resource's country.",
    )
    email: str = Field(
        None,
        json_schema_extra={
            "format": "email",
            "maxLength": EMAIL_MAX_LENGTH,
            "pattern": EMAIL_PATTERN,
        },
        description="The account holder's email, prefilled in onboarding. Addresses at "
        "special-use domains (`." + "`, `.".join(RESERVED_EMAIL_TLDS) + "`) are refused: "
        "they never receive mail.",
    )
    productDescription: str = Field(
        None,
        json_schema_extra={"maxLength": PRODUCT_DESCRIPTION_MAX, "pattern": NO_CONTROL_CHARACTERS},
        description="What the business sells, prefilled in onboarding.",
    )


class OnboardingInviteRequest(Input):
    """Invite one email address to complete a resource's Stripe onboarding."""

    email: str = Field(
        json_schema_extra={
            "format": "email",
            "maxLength": EMAIL_MAX_LENGTH,
            "pattern": EMAIL_PATTERN,
        },
        description="Who completes onboarding (the business owner); needs no account. "
        "Addresses at special-use domains are refused, as for connect-account.",
    )
    locale: Literal[INVITE_LOCALES] = Field(  # type: ignore[valid-type]
        None,
        description="Language of the mail and the invitee's pages; absent: the invitee's "
        "browser decides.",
    )
    sendEmail: bool = Field(
        True,
        description="`false`: mail nothing and return the link as `url`, to send it yourself.",
    )


def _whole_number(value: object) -> int:
    """Query integers as the document says: ASCII digits only (no sign, space, `_` or `.0`)."""
    # Length first: int() of thousands of digits is slow, and refused past Python's limit.
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 6):
        raise ValueError("Must be a whole number, written in digits only.")
    return int(value)


QueryInt = Annotated[int, BeforeValidator(_whole_number)]


class ServerListQuery(Input):
    """`GET /v1/servers`'s query string; any other parameter is refused (422)."""

    page: QueryInt = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    perPage: QueryInt = Field(
        DEFAULT_PER_PAGE,
        ge=1,
        le=MAX_PER_PAGE,
        description=f"Items per page, 1–{MAX_PER_PAGE} (default {DEFAULT_PER_PAGE}).",
    )


class PaymentsQuery(Input):
    """`GET /v1/servers/{serverId}/payments`'s query string."""

    sync: Literal["true", "false"] = Field(
        "false", description="`true` re-reads the account from Stripe before answering."
    )


class NoQuery(Input):
    """Routes without query parameters refuse any."""


# Responses -----------------------------------------------------------------------------------


class Server(BaseModel):
    """Seed 000's `server` object."""

    id: str = Field(description="Unique identifier (`srv_…`).")
    userId: str | None = Field(description="User ID of the resource's creator.")
    projectId: str = Field(description="Project ID: the workspace (`ws_…`).")
    name: str = Field(description="Human-readable name.")
    description: str = Field(description="Human-readable description.")
    kind: Literal[SERVER_KINDS]  # type: ignore[valid-type]
    sourceType: str | None
    sourceEnvironmentId: str | None
    sourcePath: str | None = Field(description="Workspace-relative file path.")
    region: str | None
    runtime: str | None
    authMode: Literal[AUTH_MODES]  # type: ignore[valid-type]
    serviceUrl: str | None
    customDomain: str | None
    cloudRunServiceName: str | None
    imageUrl: str | None
    status: Literal[SERVER_STATUSES] = Field(  # type: ignore[valid-type]
        description="Current lifecycle status."
    )
    lastDeployedAt: datetime | None
    metadata: dict[str, Any] = Field(description="Free-form metadata object.")
    createdAt: datetime = Field(description="ISO 8601 timestamp, UTC.")
    updatedAt: datetime = Field(description="ISO 8601 timestamp, UTC.")


class Payments(BaseModel):
    """Seed 000's `payments` object."""

    id: str = Field(description="Unique identifier (`pay_…`).")
    name: str = Field(description="Human-readable name.")
    kind: Literal["payments"]
    status: str = Field(
        description="Current lifecycle status: `active`, or `disconnected` after the Stripe "
        "account removed the platform's access."
    )
    provider: Literal["stripe"]
    mode: Literal["test", "live"]
    stripeAccountId: str | None = Field(
        description="The connected account (`acct_…`); null before Connect."
    )
    onboardingStatus: Literal[ONBOARDING_STATUSES]  # type: ignore[valid-type]
    chargesEnabled: bool
    payoutsEnabled: bool
    currency: str = Field(
        description="Three-letter ISO currency code, lower case: the connected account's "
        "default currency once Stripe has told us, else the one chosen at creation."
    )
    totalEarnedCents: int = Field(
        description="The resource's succeeded charges on its connected account in `currency`, "
        "net of refunds, in the currency's smallest unit (cents; whole units for zero-decimal "
        "currencies such as jpy). Charges in other currencies are not converted or added. Kept "
        "from Stripe's `charge.succeeded` / `charge.refunded` webhooks; `?sync=true` re-reads "
        "every charge first."
    )
    totalPaymentCount: int = Field(
        description="How many of the charges counted in `totalEarnedCents` are not fully refunded."
    )
    updatedAt: datetime = Field(description="ISO 8601 timestamp, UTC.")


class Resource(BaseModel):
    """A payments resource: a server of kind `payments` and its account."""

    server: Server
    payments: Payments


class ConnectAccountResponse(BaseModel):
    """Seed 000's response, plus `nextAction`, `accountCreated` and `urlExpiresAt`."""

    model_config = ConfigDict(json_schema_extra={"dependentRequired": {"url": ["urlExpiresAt"]}})

    server: Server
    payments: Payments
    url: str = Field(
        None,
        json_schema_extra={"format": "uri"},
        description="Stripe Connect onboarding URL when a new onboarding link was minted. "
        "Absent when onboarding is complete: no link is minted and `nextAction` says what the "
        "resource can do instead. Single-use and short-lived: send the person there now; never "
        "store or log it.",
    )
    urlExpiresAt: datetime = Field(
        None, description="When `url` stops working (present with `url`)."
    )
    nextAction: Literal[NEXT_ACTIONS] = Field(  # type: ignore[valid-type]
        description="`onboarding`: `url` starts or continues onboarding; `update`: `url` lets "
        "the person update details; `dashboard`: onboarding is complete, the person manages "
        "the account in Stripe's Express dashboard (open it from the web app); `none`: "
        "complete, nothing to do."
    )
    accountCreated: bool = Field(
        description="Whether this call gave the resource its Stripe account: created it, or "
        "found the one an interrupted earlier attempt had made."
    )


class OnboardingInvite(BaseModel):
    """An onboarding invite. The link is returned once, and only when it was not mailed."""

    id: str = Field(description="Unique identifier (`obi_…`).")
    serverId: str
    email: str
    locale: str | None
    state: Literal[INVITE_STATES]  # type: ignore[valid-type]
    mailed: bool = Field(description="Whether the link was mailed to `email`.")
    createdAt: datetime
    expiresAt: datetime
    url: str = Field(
        None,
        json_schema_extra={"format": "uri"},
        description="The invite link, present only with `sendEmail: false`. A bearer "
        "credential until it expires: hand it to the invitee only; never log it.",
    )


class ServerList(BaseModel):
    """One page of the caller's payments resources."""

    items: list[Resource]
    page: int = Field(ge=1)
    perPage: int = Field(ge=1, le=MAX_PER_PAGE)
    total: int = Field(ge=0)
    totalPages: int = Field(ge=1)


class Requirements(BaseModel):
    """What Stripe still needs, as last synced."""

    currentlyDue: list[str]
    pastDue: list[str]
    eventuallyDue: list[str]
    pendingVerification: list[str]
    disabledReason: str | None
    currentDeadline: datetime | None


class Onboarding(BaseModel):
    """The onboarding status in detail, as last synced from Stripe."""

    status: Literal[ONBOARDING_STATUSES]  # type: ignore[valid-type]
    reason: Literal["needs_info", "under_review", "paused", "disconnected", "none"] = Field(
        description="Why a status is what it is: `needs_info` (something is due), "
        "`under_review` (Stripe is verifying), `paused` (Stripe disabled the account), "
        "`disconnected` (the account removed our access)."
    )
    detailsSubmitted: bool
    chargesEnabled: bool
    payoutsEnabled: bool
    requirements: Requirements
    lastSyncedAt: datetime | None


class PaymentsStatus(BaseModel):
    """The payments object and the onboarding status in detail."""

    payments: Payments
    onboarding: Onboarding


class ErrorBody(BaseModel):
    """What went wrong."""

    status: int = Field(description="The HTTP status.")
    code: str = Field(description="Machine-readable code.")
    message: str = Field(description="For people.")
    fields: dict[str, str] = Field(
        None, description="Per-field messages (422 only): body fields or query parameters."
    )


class Error(BaseModel):
    """The one error shape of /v1."""

    error: ErrorBody

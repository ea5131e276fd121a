"""/web/v1's typed models: seed 004's request body (validated) and answers (documented)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.api.text import NonEmptyText, Text
from app.json_limits import MAX_DEPTH, HostileJson, loads_bounded
from app.services.connection_rules import CONFIG_MAX_BYTES, DESCRIPTION_MAX, ENDPOINT_MAX, NAME_MAX

# Body field (seed 004) → service field; the service's messages come back under the body names.
BODY_FIELDS = {
    "connectionName": "name",
    "connectionDescription": "description",
    "stripeAccountId": "stripe_account_id",
    "apiKey": "api_key",
    "webhookSecret": "webhook_secret",
    "partnerEndpoint": "partner_endpoint",
    "configJson": "config_json",
}
SERVICE_TO_BODY = {service: body for body, service in BODY_FIELDS.items()}


class StripeConnectionCreate(BaseModel):
    """Seed 004's request body. Unknown fields are refused (422, code `4220`), as on /v1."""

    # The model checks names, types and presence (seed 004 makes `apiKey`, `webhookSecret` and
    # `partnerEndpoint` required, so empty strings are refused too); the connection rules then
    # check the values and Stripe verifies the key.

    model_config = ConfigDict(extra="forbid", strict=True)

    connectionName: NonEmptyText = Field(
        json_schema_extra={"maxLength": NAME_MAX}, description="Display name."
    )
    connectionDescription: Text | None = Field(
        None, json_schema_extra={"maxLength": DESCRIPTION_MAX}, description="Optional."
    )
    stripeAccountId: NonEmptyText = Field(
        description="The platform's Stripe account id (`acct_…`), checked against the key."
    )
    apiKey: NonEmptyText = Field(
        description="Stripe secret or restricted key (`sk_…`/`rk_…`). Stored encrypted, never "
        "returned."
    )
    webhookSecret: NonEmptyText = Field(
        description="Webhook signing secret (`whsec_…`). Stored encrypted, never returned."
    )
    partnerEndpoint: NonEmptyText = Field(
        json_schema_extra={"maxLength": ENDPOINT_MAX},
        description="Partner callback URL (https) for status notifications.",
    )
    configJson: Text | None = Field(
        None,
        description="Extra configuration as a JSON object string (at most "
        f"{CONFIG_MAX_BYTES // 1024} KiB, nesting at most {MAX_DEPTH} levels, integers "
        "below 2^53 in magnitude, no control characters in its strings).",
    )

    @field_validator("configJson")
    @classmethod
    def _bounded(cls, value: str | None) -> str | None:
        if value is None or len(value.encode()) > CONFIG_MAX_BYTES:
            return value  # the size rule and its message are the connection rules'
        try:
            loads_bounded(value)
        except HostileJson as hostile:
            raise ValueError(hostile.message) from None
        except ValueError:
            return value  # malformed JSON: the connection rules say where
        return value

    def service_values(self) -> dict[str, str | None]:
        """The fields by the connection service's argument names."""
        return {service: getattr(self, body) for body, service in BODY_FIELDS.items()}


class StripeConnection(BaseModel):
    """Seed 004's `data` object. Secrets are never included."""

    model_config = ConfigDict(extra="forbid")

    bizId: str = Field(description="`sc_…`")
    tenantBizId: str = Field(description="`tn_…`")
    connectionName: str
    connectionDescription: str | None
    stripeAccountId: str
    partnerEndpoint: str
    configJson: str | None
    status: Literal[0, 1] = Field(description="1 active.")
    statusName: Literal["ACTIVE", "INACTIVE"]
    createdAt: datetime = Field(description="ISO 8601 timestamp, UTC.")
    updatedAt: datetime = Field(description="ISO 8601 timestamp, UTC.")


class WebEnvelope(BaseModel):
    """Seed 004's success envelope."""

    version: str
    timestamp: int = Field(description="Milliseconds since epoch.")
    success: Literal[True]
    code: Literal["2000"]
    message: Literal["SUCCESS"]
    data: Any


class ConnectionEnvelope(WebEnvelope):
    """The envelope around one connection."""

    data: StripeConnection


class ConnectionListEnvelope(WebEnvelope):
    """The envelope around the workspace's connections."""

    data: list[StripeConnection]


class WebError(BaseModel):
    """Seed 004's error body."""

    success: Literal[False]
    code: str = Field(pattern="^[0-9]{4}$")
    message: str
    errors: dict[str, str] = Field(None, description="Per-field messages (validation errors).")

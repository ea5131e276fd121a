"""Seed 000's `server` and `payments` objects in camelCase, as APIs and notifications send them.

One place builds these shapes so that the /v1 API and partner notifications can never disagree.
Nothing here reads a secret, a key or a link URL: the models hold none of them in these fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.models import PaymentsAccount, Server

# Seed 000's field lists, in the seed's order; the OpenAPI document and the tests use them too.
SERVER_FIELDS = (
    "id",
    "userId",
    "projectId",
    "name",
    "description",
    "kind",
    "sourceType",
    "sourceEnvironmentId",
    "sourcePath",
    "region",
    "runtime",
    "authMode",
    "serviceUrl",
    "customDomain",
    "cloudRunServiceName",
    "imageUrl",
    "status",
    "lastDeployedAt",
    "metadata",
    "createdAt",
    "updatedAt",
)
PAYMENTS_FIELDS = (
    "id",
    "name",
    "kind",
    "status",
    "provider",
    "mode",
    "stripeAccountId",
    "onboardingStatus",
    "chargesEnabled",
    "payoutsEnabled",
    "currency",
    "totalEarnedCents",
    "totalPaymentCount",
    "updatedAt",
)
# Seed 004's `data` fields, in its order; nothing else is ever sent (never apiKey/webhookSecret).
CONNECTION_FIELDS = (
    "bizId",
    "tenantBizId",
    "connectionName",
    "connectionDescription",
    "stripeAccountId",
    "partnerEndpoint",
    "configJson",
    "status",
    "statusName",
    "createdAt",
    "updatedAt",
)


def isoformat(value: datetime | None) -> str | None:
    """A timestamp as ISO 8601 in UTC with a `Z` (`2026-03-21T00:00:00Z`), or None."""
    if value is None:
        return None
    if value.tzinfo is None:  # the UTC column type never hands these out; be safe anyway
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def serialize_server(server: Server) -> dict[str, Any]:
    """Seed 000's `server` object."""
    return {
        "id": server.id,
        "userId": server.user_id,
        "projectId": server.project_id,
        "name": server.name,
        "description": server.description or "",
        "kind": server.kind,
        "sourceType": server.source_type,
        "sourceEnvironmentId": server.source_environment_id,
        "sourcePath": server.source_path,
        "region": server.region,
        "runtime": server.runtime,
        "authMode": server.auth_mode,
        "serviceUrl": server.service_url,
        "customDomain": server.custom_domain,
        "cloudRunServiceName": server.cloud_run_service_name,
        "imageUrl": server.image_url,
        "status": server.status,
        "lastDeployedAt": isoformat(server.last_deployed_at),
        "metadata": dict(server.metadata_ or {}),
        "createdAt": isoformat(server.created_at),
        "updatedAt": isoformat(server.updated_at),
    }


def serialize_payments(payments: PaymentsAccount) -> dict[str, Any]:
    """Seed 000's `payments` object."""
    return {
        "id": payments.id,
        "name": payments.name,
        "kind": payments.kind,
        "status": payments.status,
        "provider": payments.provider,
        "mode": payments.mode,
        "stripeAccountId": payments.stripe_account_id,
        "onboardingStatus": payments.onboarding_status,
        "chargesEnabled": bool(payments.charges_enabled),
        "payoutsEnabled": bool(payments.payouts_enabled),
        "currency": payments.currency,
        "totalEarnedCents": payments.total_earned_cents or 0,
        "totalPaymentCount": payments.total_payment_count or 0,
        "updatedAt": isoformat(payments.updated_at),
    }


def serialize_resource(server: Server) -> dict[str, Any]:
    """A payments resource (a server that has its payments account) as `{server, payments}`."""
    return {
        "server": serialize_server(server),
        "payments": serialize_payments(server.payments),
    }


def serialize_onboarding(payments: PaymentsAccount) -> dict[str, Any]:
    """The onboarding status in detail: reason, flags and what Stripe still needs."""
    requirements = payments.requirements or {}
    return {
        "status": payments.onboarding_status,
        "reason": payments.status_reason,
        "detailsSubmitted": bool(payments.details_submitted),
        "chargesEnabled": bool(payments.charges_enabled),
        "payoutsEnabled": bool(payments.payouts_enabled),
        "requirements": {
            "currentlyDue": list(requirements.get("currently_due") or []),
            "pastDue": list(requirements.get("past_due") or []),
            "eventuallyDue": list(requirements.get("eventually_due") or []),
            "pendingVerification": list(requirements.get("pending_verification") or []),
            "disabledReason": payments.disabled_reason,
            "currentDeadline": isoformat(payments.current_deadline),
        },
        "lastSyncedAt": isoformat(payments.last_synced_at),
    }

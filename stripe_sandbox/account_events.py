"""Which events an account change causes: v1 snapshot events for every account, thin v2
events for accounts made with Accounts v2. Pure: the state publishes what these return."""

from __future__ import annotations

from typing import Any

from stripe_sandbox import accounts, accounts_v2
from stripe_sandbox.webhooks import build_event, build_thin_event

EventRequest = dict[str, Any] | None


def snapshot_events(
    before: dict[str, Any],
    after: dict[str, Any],
    previous: dict[str, Any],
    request: EventRequest,
    api_version: str,
    now: int,
) -> list[dict[str, Any]]:
    """`account.updated`, then one `capability.updated` per capability whose status changed
    (a new account's inactive capabilities announce nothing)."""
    live = after["livemode"]
    events = [
        build_event(
            "account.updated", after, previous, after["id"], api_version, request, now, live
        )
    ]
    old_caps = before.get("capabilities", {}) if before else {}
    for name, status in after["capabilities"].items():
        if old_caps.get(name) != status and (before or status != "inactive"):
            prior = {"status": old_caps.get(name)} if name in old_caps else {}
            capability = accounts.capability_object(after, name)
            events.append(
                build_event(
                    "capability.updated",
                    capability,
                    prior,
                    after["id"],
                    api_version,
                    request,
                    now,
                    live,
                )
            )
    return events


def thin_events(
    before: dict[str, Any],
    after: dict[str, Any],
    previous: dict[str, Any],
    request: EventRequest,
    now: int,
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(full event, thin notification) pairs for a change to a v2 account.

    Event types: https://docs.stripe.com/api/v2/core/events/event-types (the SDK's
    `stripe/events/_v2_core_account_*` classes).
    """
    changes: list[tuple[str, dict[str, Any] | None]] = []
    if not before:
        changes.append(("v2.core.account.created", None))
    else:
        if "requirements" in previous:
            changes.append(("v2.core.account[requirements].updated", None))
        if "future_requirements" in previous:
            changes.append(("v2.core.account[future_requirements].updated", None))
        for name, status in after["capabilities"].items():
            if before["capabilities"].get(name) != status:
                configuration, path = accounts_v2.CAPABILITIES[name]
                event_type = (
                    f"v2.core.account[configuration.{configuration}].capability_status_updated"
                )
                changes.append((event_type, {"updated_capability": path}))
        if set(previous) - {"requirements", "future_requirements", "capabilities"}:
            changes.append(("v2.core.account.updated", None))
    created = accounts_v2.rfc3339(now)
    return [
        build_thin_event(event_type, after, created, data, request) for event_type, data in changes
    ]

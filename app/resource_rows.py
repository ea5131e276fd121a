"""How a page of payments resources reads: each row's words, links and buttons, built once.

The dashboard shows 20 rows. Deciding each row's words in the template (macros, includes,
filters, a `url_for` per link) cost more worker time than everything else on the page, so the
view turns each row into plain values here and the template only prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import url_for

from app.presentation import datetime_label, money, short_datetime_label, status_copy
from app.services.resource_list import ListedResource
from app.services.resources import ResourceOnboarding

# Stands for the id in a URL pattern built once per endpoint; ids never contain it.
_ID = "__row_id__"


class _Urls:
    """The row links of one page: each endpoint's URL is built once, around a placeholder id.

    `url_for` walks the URL map for every call (~15 µs); 20 rows with two links each made that
    a visible part of the page. Our ids are URL-safe; `quote` keeps any other one correct, and
    a row's id is quoted once for all its links.
    """

    def __init__(self) -> None:
        self._patterns: dict[str, tuple[str, str]] = {}

    def __call__(self, endpoint: str, quoted: str, argument: str = "server_id") -> str:
        pattern = self._patterns.get(endpoint)
        if pattern is None:
            head, tail = url_for(endpoint, **{argument: _ID}).split(_ID)
            pattern = self._patterns[endpoint] = (head, tail)
        return f"{pattern[0]}{quoted}{pattern[1]}"


@dataclass(slots=True)
class RowButton:
    """One onboarding button of a row, POSTed with `hidden` (CSRF token added by the page)."""

    url: str
    label: str
    style: str
    hidden: dict[str, str]
    disabled: bool
    title: str | None


@dataclass(slots=True)
class ResourceRow:
    """Everything the dashboard prints about one resource."""

    id: str
    name: str
    url: str
    workspace_name: str
    mode: str
    currency: str
    status: str
    reason: str
    status_label: str
    status_style: str
    charges_enabled: bool
    payouts_enabled: bool
    earned: str
    payments_count: str
    updated_iso: str
    updated_title: str
    updated_short: str
    invite_state: str | None
    selectable: bool
    buttons: tuple[RowButton, ...]
    blocked_reason: str | None
    connections_url: str | None


def resource_rows(
    listed: list[ListedResource], onboarding: dict[str, ResourceOnboarding]
) -> list[ResourceRow]:
    """The rows of a page of `list_resource_rows`, in the page's order (needs a request:
    links)."""
    urls = _Urls()
    # A page holds a handful of (status, reason) pairs: each is translated once, not per row.
    statuses: dict[tuple[str, str], tuple[str, str, str]] = {}
    return [_row(p, onboarding[p.id], urls, statuses) for p in listed]


def _row(
    p: ListedResource,
    ob: ResourceOnboarding,
    urls: _Urls,
    statuses: dict[tuple[str, str], tuple[str, str, str]],
) -> ResourceRow:
    key = (p.onboarding_status, p.status_reason)
    if key not in statuses:
        statuses[key] = status_copy(*key)
    label, style, _next = statuses[key]
    count = p.total_payment_count
    blocked = ob.can_onboard and bool(ob.actions) and not ob.key_source.ok
    quoted = quote(p.id, safe="")
    return ResourceRow(
        id=p.id,
        name=p.name,
        url=urls("payments.detail", quoted),
        workspace_name=p.workspace_name,
        mode=p.mode,
        currency=(p.currency or "").upper(),
        status=p.onboarding_status,
        reason=p.status_reason,
        status_label=label,
        status_style=style,
        charges_enabled=bool(p.charges_enabled),
        payouts_enabled=bool(p.payouts_enabled),
        earned=money(p.total_earned_cents, p.currency),
        payments_count=f"{count} payment{'' if count == 1 else 's'}",
        updated_iso=p.updated_at.isoformat(),
        updated_title=datetime_label(p.updated_at),
        updated_short=short_datetime_label(p.updated_at),
        invite_state=ob.invite_state,
        selectable=ob.can_onboard and p.onboarding_status != "complete",
        buttons=_buttons(quoted, ob, urls) if ob.can_onboard else (),
        blocked_reason=ob.key_source.reason if blocked else None,
        connections_url=(
            urls("connections.workspace_list", quote(p.workspace_id, safe=""), "workspace_id")
            if blocked and ob.can_manage
            else None
        ),
    )


def _buttons(quoted_id: str, ob: ResourceOnboarding, urls: _Urls) -> tuple[RowButton, ...]:
    """The row's onboarding buttons, disabled with the reason when no key can be used."""
    source = ob.key_source
    return tuple(
        RowButton(
            url=urls(action.endpoint, quoted_id),
            label=action.label,
            style=action.style,
            hidden=action.hidden,
            disabled=not source.ok,
            title=None if source.ok else source.reason,
        )
        for action in ob.actions
    )

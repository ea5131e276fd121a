"""How a page of payments resources reads: each row's words, links and buttons, built once.

The dashboard shows 20 rows. Deciding each row's words in the template (macros, includes,
filters, a `url_for` per link) cost more worker time than everything else on the page, so the
view turns each row into plain values here and the template only prints them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from flask import url_for

from app.models import Server
from app.presentation import datetime_label, money, short_datetime_label, status_copy
from app.services.resources import ResourceOnboarding

# Stands for the id in a URL built once per endpoint; ids never contain it.
_ID = "__row_id__"


def url_builder(endpoint: str, argument: str) -> Callable[[str], str]:
    """`id → URL` of a route whose only argument is `argument`, with one `url_for` in all.

    `url_for` walks the URL map for every call (~15 µs); 20 rows with two links each made that
    a visible part of the page. Our ids are URL-safe, `quote` keeps any other one correct.
    """
    head, tail = url_for(endpoint, **{argument: _ID}).split(_ID)
    return lambda value: f"{head}{quote(value, safe='')}{tail}"


@dataclass(frozen=True, slots=True)
class RowButton:
    """One onboarding button of a row, POSTed with `hidden` (CSRF token added by the page)."""

    url: str
    label: str
    style: str
    hidden: dict[str, str]
    disabled: bool
    title: str | None


@dataclass(frozen=True, slots=True)
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


class _Urls:
    """The row links of one page, each endpoint's pattern built on first use."""

    def __init__(self) -> None:
        self._builders: dict[str, Callable[[str], str]] = {}

    def __call__(self, endpoint: str, value: str, argument: str = "server_id") -> str:
        build = self._builders.get(endpoint)
        if build is None:
            build = self._builders[endpoint] = url_builder(endpoint, argument)
        return build(value)


def resource_rows(
    servers: list[Server], onboarding: dict[str, ResourceOnboarding]
) -> list[ResourceRow]:
    """The rows of a page of resources, in the page's order (needs a request: links)."""
    urls = _Urls()
    # A page holds a handful of (status, reason) pairs: each is translated once, not per row.
    statuses: dict[tuple[str, str], tuple[str, str, str]] = {}
    return [_row(server, onboarding[server.id], urls, statuses) for server in servers]


def _row(
    server: Server,
    ob: ResourceOnboarding,
    urls: _Urls,
    statuses: dict[tuple[str, str], tuple[str, str, str]],
) -> ResourceRow:
    p = server.payments
    key = (p.onboarding_status, p.status_reason)
    if key not in statuses:
        statuses[key] = status_copy(*key)
    label, style, _next = statuses[key]
    count = p.total_payment_count
    blocked = ob.can_onboard and bool(ob.actions) and not ob.key_source.ok
    return ResourceRow(
        id=server.id,
        name=server.name,
        url=urls("payments.detail", server.id),
        workspace_name=server.workspace.name,
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
        buttons=_buttons(server.id, ob, urls) if ob.can_onboard else (),
        blocked_reason=ob.key_source.reason if blocked else None,
        connections_url=(
            urls("connections.workspace_list", server.workspace_id, "workspace_id")
            if blocked and ob.can_manage
            else None
        ),
    )


def _buttons(server_id: str, ob: ResourceOnboarding, urls: _Urls) -> tuple[RowButton, ...]:
    """The row's onboarding buttons, disabled with the reason when no key can be used."""
    source = ob.key_source
    return tuple(
        RowButton(
            url=urls(action.endpoint, server_id),
            label=action.label,
            style=action.style,
            hidden=action.hidden,
            disabled=not source.ok,
            title=None if source.ok else source.reason,
        )
        for action in ob.actions
    )

"""The records the sandbox keeps: start-up settings, connected accounts, links, hosted-page
sessions, idempotency results and injected faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

API_VERSION = "2026-10-28.endive"  # what stripe-python 16.1.0 pins
# 500, 429 and drop fail before the request runs; slow runs it late. 500_stored fails it too,
# but like a 5xx after the endpoint started, the 500 is kept under the idempotency key;
# 500_after runs the request, then answers (and keeps) a 500.
FAULT_KINDS = ("500", "429", "slow", "drop", "500_stored", "500_after")


@dataclass
class SandboxConfig:
    """Start-up settings (the CLI flags)."""

    link_lifetime: int = 300  # v1 example in https://docs.stripe.com/api/account_links/object
    v2_link_lifetime: int = 600  # v2 example: 10 minutes
    public_url: str | None = None  # None: the host the API request came in on
    state_file: Path | None = None
    api_version: str = API_VERSION


@dataclass
class StoredAccount:
    """A connected account, the platform that owns it, and the sandbox state it is in."""

    platform: str
    state: str
    data: dict[str, Any]
    api: str = "v1"  # the API that created it: v1 | v2
    configurations: list[str] = field(default_factory=list)  # v2's applied configurations
    unsupported: list[str] = field(default_factory=list)  # v2 capabilities not offered
    disconnected: bool = False  # the account left the platform: the platform cannot see it


@dataclass
class Link:
    """An account link (v1 or v2) or an Express login link, keyed by its URL token."""

    token: str
    kind: str  # account_link | v2_account_link | login_link
    account: str
    platform: str
    type: str
    created: int
    expires_at: int
    refresh_url: str | None = None
    return_url: str | None = None
    collection_options: dict[str, Any] = field(default_factory=dict)
    consumed_at: float | None = None


@dataclass
class PageSession:
    """The onboarding form a link opened; its nonce lets the form POST after the GET used
    the link up."""

    nonce: str
    token: str
    used: bool = False


@dataclass
class IdempotentResult:
    """The first response to an idempotency key, replayed for the same request."""

    fingerprint: str
    status: int | None = None  # None while the first request is still running
    body: bytes = b""
    content_type: str = "application/json"


@dataclass
class Fault:
    """A failure to inject into the next `remaining` API requests under `path` (and of
    `method`, when set)."""

    path: str
    kind: str
    remaining: int
    seconds: float = 0.0
    method: str | None = None

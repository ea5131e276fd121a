"""Everything the sandbox remembers, behind one lock: accounts, charges, links, idempotency
results, platforms' strict modes, the request log, faults and revoked keys. Optionally
persists accounts to a JSON file. The record types live in `records.py`."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from stripe_sandbox import account_events, accounts, accounts_v2, charges
from stripe_sandbox.errors import account_invalid
from stripe_sandbox.ids import new_account_id, platform_account_id, random_token
from stripe_sandbox.platforms import PlatformSettings, RestrictedKey
from stripe_sandbox.records import (
    FAULT_KINDS,
    Fault,
    IdempotentResult,
    Link,
    PageSession,
    SandboxConfig,
    StoredAccount,
)
from stripe_sandbox.webhooks import WebhookDispatcher, build_event, changed_attributes

RESET_WAIT_SECONDS = 30.0


class SandboxState:
    """All mutable sandbox state; every method is safe to call from any thread."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.lock = threading.RLock()
        self._idle = threading.Condition(threading.Lock())
        self._running = 0  # API requests being answered right now
        self.webhooks = WebhookDispatcher()
        self._clear()
        self._load()

    def _clear(self) -> None:
        self.accounts: dict[str, StoredAccount] = {}
        self.links: dict[str, Link] = {}
        self.pages: dict[str, PageSession] = {}
        self.idempotency: dict[tuple[str, str], IdempotentResult] = {}
        self.request_log: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.latency = 0.0
        self.revoked_keys: set[str] = set()
        self.platforms: dict[str, PlatformSettings] = {}
        self.restricted_keys: dict[str, RestrictedKey] = {}
        self.clock_offset = 0.0
        self.charges: dict[str, tuple[str, dict[str, Any]]] = {}  # id -> (account, charge)
        self.v2_events: dict[str, tuple[str, dict[str, Any]]] = {}  # id -> (platform, event)

    @contextmanager
    def api_request(self) -> Iterator[None]:
        """Count an API request as running for as long as the block lasts."""
        with self._idle:
            self._running += 1
        try:
            yield
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def reset(self) -> None:
        """Forget everything tests may have changed (CLI-registered webhooks stay).

        Waits (up to RESET_WAIT_SECONDS) for API requests still running, e.g. slowed ones a
        client gave up on, so they cannot change the state after it was reset.
        """
        with self._idle:
            self._idle.wait_for(lambda: self._running == 0, timeout=RESET_WAIT_SECONDS)
        with self.lock:
            self._clear()
            self.webhooks.reset()
            self._save()

    def now(self) -> int:
        """The sandbox's clock: real time moved by `clock_offset` seconds (a test control).

        It dates new objects, events and deadlines; link expiry and webhook signatures stay
        on real time, since the app checks those against its own clock.
        """
        return int(time.time() + self.clock_offset)

    # Platforms and keys --------------------------------------------------------------------

    def platform_of(self, api_key: str) -> str:
        """The platform account a key acts for: a registered restricted key's platform, else
        the id derived from the key."""
        restricted = self.restricted_keys.get(api_key)
        return restricted.platform if restricted else platform_account_id(api_key)

    def platform_settings(self, platform: str) -> PlatformSettings:
        """The platform's strict modes (the permissive default when none were set)."""
        with self.lock:
            return self.platforms.get(platform) or PlatformSettings()

    def configure_platform(self, platform: str, **changes: Any) -> PlatformSettings:
        """Change a platform's strict modes; unspecified (None) settings stay."""
        with self.lock:
            settings = self.platforms.setdefault(platform, PlatformSettings())
            for name, value in changes.items():
                if value is not None:
                    setattr(settings, name, value)
            return settings

    def add_restricted_key(self, key: str, platform: str, permissions: set[str]) -> None:
        """Let `key` act for `platform` with only `permissions`."""
        with self.lock:
            self.restricted_keys[key] = RestrictedKey(key, platform, set(permissions))

    # Persistence ---------------------------------------------------------------------------

    def _load(self) -> None:
        path = self.config.state_file
        if path is None or not path.exists():
            return
        saved = json.loads(path.read_text(encoding="utf-8"))
        self.accounts = {
            account_id: StoredAccount(**stored)
            for account_id, stored in saved.get("accounts", {}).items()
        }

    def _save(self) -> None:
        path = self.config.state_file
        if path is None:
            return
        data = {"accounts": {key: asdict(value) for key, value in self.accounts.items()}}
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write-then-rename so a crash never leaves half a file behind.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        os.replace(tmp, path)

    # Accounts ------------------------------------------------------------------------------

    def create_account(
        self,
        api_key: str,
        params: dict[str, Any],
        request: dict[str, Any] | None,
        api: str = "v1",
        configurations: list[str] | None = None,
        unsupported: list[str] | None = None,
    ) -> StoredAccount:
        """Create a connected account owned by the key's platform (`params` in v1's model;
        `api="v2"` for accounts made with `POST /v2/core/accounts`)."""
        with self.lock:
            account_id = new_account_id()
            now = self.now()
            platform = self.platform_of(api_key)
            data = accounts.new_account(account_id, params, now, default_capabilities=api == "v1")
            data["livemode"] = self.platform_settings(platform).livemode
            # Like Stripe's test-mode magic values, `metadata[sandbox_state]` lets a demo or a
            # test start an account in a given state without driving the hosted page.
            state = (params.get("metadata") or {}).get("sandbox_state") or "new"
            if state not in accounts.STATES:
                state = "new"
            if state != "new":
                data = accounts.apply_state(data, state, now)
            stored = StoredAccount(
                platform=platform,
                state=state,
                data=data,
                api=api,
                configurations=list(configurations or []),
                unsupported=list(unsupported or []),
            )
            self.accounts[account_id] = stored
            self._save()
            self._emit(stored, {}, request, created=True)
            return stored

    def owned_account(self, api_key: str, account_id: str) -> StoredAccount:
        """The account if the key's platform owns it, else Stripe's 403 `account_invalid`."""
        with self.lock:
            stored = self.accounts.get(account_id)
            if not self._visible(stored, api_key):
                raise account_invalid(api_key, account_id)
            return stored

    def platform_accounts(self, api_key: str) -> list[dict[str, Any]]:
        """The key's platform's connected accounts, newest first (Stripe's list order)."""
        return [stored.data for stored in self.platform_stored_accounts(api_key)]

    def platform_stored_accounts(self, api_key: str) -> list[StoredAccount]:
        """`platform_accounts` with what the sandbox keeps about each (API, configurations)."""
        platform = self.platform_of(api_key)
        with self.lock:
            owned = [
                stored
                for stored in self.accounts.values()
                if stored.platform == platform and not stored.disconnected
            ]
        return sorted(reversed(owned), key=lambda stored: stored.data["created"], reverse=True)

    def forget_idempotency_keys(self) -> int:
        """Drop every remembered idempotency result, as Stripe does once a key is 24 hours old."""
        with self.lock:
            forgotten = len(self.idempotency)
            self.idempotency.clear()
        return forgotten

    def find_owned(self, api_key: str, account_id: str) -> StoredAccount | None:
        """The account if the key's platform owns it, else None."""
        with self.lock:
            stored = self.accounts.get(account_id)
            if not self._visible(stored, api_key):
                return None
            return stored

    def _visible(self, stored: StoredAccount | None, api_key: str) -> bool:
        """Whether the key's platform owns the account and it has not disconnected."""
        return (
            stored is not None
            and not stored.disconnected
            and stored.platform == self.platform_of(api_key)
        )

    def update_account(
        self, api_key: str, account_id: str, params: dict[str, Any], request: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply update params to an owned account and announce the change."""
        with self.lock:
            stored = self.owned_account(api_key, account_id)
            before, stored.data = stored.data, accounts.update_account(stored.data, params)
            self._save()
            self._emit(stored, before, request)
            return stored.data

    def set_account_state(
        self, account_id: str, state: str, request: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Move an account into `state` (hosted outcome or test control) and announce it."""
        with self.lock:
            stored = self.accounts[account_id]
            before = stored.data
            stored.data = accounts.apply_state(before, state, self.now())
            stored.state = state
            self._save()
            self._emit(stored, before, request)
            return stored.data

    def set_requirements(
        self,
        account_id: str,
        current: dict[str, Any] | None,
        future: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """Replace fields of an account's `requirements` / `future_requirements` (deadlines,
        what is due) and announce the change."""
        with self.lock:
            stored = self.accounts[account_id]
            before = stored.data
            stored.data = accounts.patch_requirements(before, current, future)
            self._save()
            self._emit(stored, before, None)
            return stored.data

    def deauthorize(self, account_id: str) -> dict[str, Any]:
        """The connected account disconnects from its platform: Stripe sends the platform's
        Connect endpoints `account.application.deauthorized`, whose `data.object` is the
        platform's Connect application (stripe-python's `Application`: `id`, `object`,
        `name`; https://docs.stripe.com/api/events/types#event_types-account.application.deauthorized),
        and afterwards the platform's key gets 403 `account_invalid` for the account."""
        with self.lock:
            stored = self.accounts[account_id]
            application = {
                "id": "ca_" + stored.platform.removeprefix("acct_"),
                "object": "application",
                "name": "Sandbox platform",
            }
            self._emit_object("account.application.deauthorized", stored, application, {})
            stored.disconnected = True
            self._save()
            return application

    def configurations_of(self, stored: StoredAccount) -> list[str]:
        """v2's applied configurations: as created through v2, or what a v1 account's
        capabilities amount to."""
        if stored.configurations:
            return stored.configurations
        return sorted(
            {accounts_v2.CAPABILITIES[name][0] for name in stored.data["capabilities"]}
            & set(accounts_v2.CONFIGURATIONS)
        )

    def _emit(
        self,
        stored: StoredAccount,
        before: dict[str, Any],
        request: dict[str, Any] | None,
        created: bool = False,
    ) -> None:
        after = stored.data
        previous = changed_attributes(before, after) if before else {}
        if not created and not previous:
            return  # Stripe sends no account.updated when nothing changed
        now = self.now()
        for event in account_events.snapshot_events(
            before, after, previous, request, self.config.api_version, now
        ):
            self.webhooks.publish(event, stored.platform)
        if stored.api == "v2":
            for full, thin in account_events.thin_events(before, after, previous, request, now):
                self.v2_events[full["id"]] = (stored.platform, full)
                self.webhooks.publish(thin, stored.platform, payload="thin")

    # Charges -------------------------------------------------------------------------------

    def create_charge(
        self, account_id: str, amount: int, currency: str | None = None
    ) -> dict[str, Any]:
        """A succeeded charge on a connected account; emits `charge.succeeded`."""
        with self.lock:
            stored = self.accounts[account_id]
            charge = charges.new_charge(
                stored.data, amount, currency or stored.data["default_currency"], self.now()
            )
            self.charges[charge["id"]] = (account_id, charge)
            self._emit_object("charge.succeeded", stored, charge, {})
            return charge

    def refund_charge(self, charge_id: str, amount: int | None = None) -> dict[str, Any]:
        """Refund `amount` (default: all that is left) of a charge; emits `charge.refunded`."""
        with self.lock:
            account_id, before = self.charges[charge_id]
            left = before["amount"] - before["amount_refunded"]
            amount = left if amount is None else amount
            if not 0 < amount <= left:
                raise ValueError(f"refund amount must be between 1 and {left}")
            after = charges.refund(before, amount, self.now())
            self.charges[charge_id] = (account_id, after)
            previous = changed_attributes(before, after)
            self._emit_object("charge.refunded", self.accounts[account_id], after, previous)
            return after

    def account_charges(self, account_id: str) -> list[dict[str, Any]]:
        """A connected account's charges, newest first (Stripe's list order)."""
        with self.lock:
            mine = [charge for owner, charge in self.charges.values() if owner == account_id]
        return sorted(reversed(mine), key=lambda charge: charge["created"], reverse=True)

    def _emit_object(
        self, event_type: str, stored: StoredAccount, obj: dict[str, Any], previous: dict
    ) -> None:
        event = build_event(
            event_type,
            obj,
            previous,
            stored.data["id"],
            self.config.api_version,
            None,
            self.now(),
            stored.data["livemode"],
        )
        self.webhooks.publish(event, stored.platform)

    # Links ---------------------------------------------------------------------------------

    def mint_link(self, kind: str, account: StoredAccount, **fields: Any) -> Link:
        """Store a new single-use link for `account`."""
        now = int(time.time())
        lifetime = (
            self.config.v2_link_lifetime if kind == "v2_account_link" else self.config.link_lifetime
        )
        link = Link(
            token=random_token(32),
            kind=kind,
            account=account.data["id"],
            platform=account.platform,
            created=now,
            expires_at=now + lifetime,
            **fields,
        )
        with self.lock:
            self.links[link.token] = link
        return link

    def consume_link(self, token: str) -> tuple[Link | None, bool]:
        """Use a link up; returns (link, usable). Unusable if unknown, used or expired."""
        with self.lock:
            link = self.links.get(token)
            if link is None:
                return None, False
            usable = link.consumed_at is None and time.time() < link.expires_at
            link.consumed_at = link.consumed_at or time.time()
            return link, usable

    def expire_link(self, token: str) -> bool:
        """Make a link's `expires_at` lie in the past; True when the token was known."""
        with self.lock:
            link = self.links.get(token)
            if link is None:
                return False
            link.expires_at = int(time.time()) - 1
            return True

    def open_page(self, link: Link) -> PageSession:
        """Start the onboarding form for a just-consumed link."""
        with self.lock:
            page = PageSession(nonce=random_token(32), token=link.token)
            self.pages[page.nonce] = page
            return page

    def close_page(self, nonce: str) -> tuple[Link | None, bool]:
        """Finish an onboarding form; returns (its link, whether this is the first submit)."""
        with self.lock:
            page = self.pages.get(nonce)
            if page is None:
                return None, False
            first, page.used = not page.used, True
            return self.links.get(page.token), first

    # Faults, latency, keys, log ------------------------------------------------------------

    def add_fault(
        self,
        path: str,
        kind: str,
        count: int = 1,
        seconds: float = 0.0,
        method: str | None = None,
    ) -> Fault:
        """Fail the next `count` API requests whose path starts with `path` (of `method`)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}")
        fault = Fault(
            path=path,
            kind=kind,
            remaining=count,
            seconds=seconds,
            method=method.upper() if method else None,
        )
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, path: str, method: str) -> Fault | None:
        """Claim one use of the first fault matching `path` and `method`, if any."""
        with self.lock:
            for fault in self.faults:
                if fault.method not in (None, method):
                    continue
                if path.startswith(fault.path) and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
            return None

    def log_request(self, entry: dict[str, Any]) -> None:
        """Record one API request for `/_sandbox/requests`."""
        with self.lock:
            self.request_log.append(entry)

    def requests(self, path_prefix: str | None = None) -> list[dict[str, Any]]:
        """Logged API requests, optionally only those under a path prefix."""
        with self.lock:
            return [
                entry
                for entry in self.request_log
                if path_prefix is None or entry["path"].startswith(path_prefix)
            ]

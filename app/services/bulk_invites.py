"""Bulk onboarding invites: a CSV of (resource id or name, email), previewed, then sent.

Preview checks every line and keeps the result in a `BulkInviteBatch`, so what is sent is
exactly what was shown. Sending is done by the mail worker in chunks (the browser watches a
progress page that refreshes itself), one invite per line through the same `create_invite`
rule as a single invite, each in its own transaction: a bad line never blocks a good one.
Re-uploading the same file sends nothing twice, because that rule allows one live invite per
(resource, address) — those lines come back as "already invited".
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import BulkInviteBatch, Membership, PaymentsAccount, Server, utcnow
from app.security.permissions import ONBOARD, ROLE_PERMISSIONS
from app.services.access import NotFound
from app.services.onboarding_invites import (
    InviteError,
    InviteExists,
    create_invite,
    normalise_email,
)

MAX_ROWS = 2000
CHUNK = 50
LEASE = timedelta(minutes=5)
PREVIEWED, QUEUED, SENDING, DONE = "previewed", "queued", "sending", "done"


class BulkInviteError(ValueError):
    """The upload as a whole cannot be read (the form shows the message)."""


@dataclass(frozen=True)
class BatchProgress:
    """What the progress and results page shows."""

    batch: BulkInviteBatch
    total: int
    valid: int

    @property
    def finished(self) -> bool:
        return self.batch.status == DONE


def _read_lines(text: str) -> list[list[str]]:
    try:
        lines = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    except csv.Error as error:
        raise BulkInviteError(f"The file is not valid CSV: {error}.") from None
    if lines and [c.strip().lower() for c in lines[0][:2]] in (
        ["resource", "email"],
        ["resource id", "email"],
        ["resource name", "email"],
    ):
        lines = lines[1:]
    if not lines:
        raise BulkInviteError("The file has no rows: one line per invite, `resource,email`.")
    if len(lines) > MAX_ROWS:
        raise BulkInviteError(f"At most {MAX_ROWS} rows per upload; split the file.")
    return lines


def _onboardable(user_id: str) -> list[tuple[str, str, str]]:
    """(server id, name, onboarding status) of every resource the user may onboard."""
    onboarding_roles = [role for role, granted in ROLE_PERMISSIONS.items() if ONBOARD in granted]
    return list(
        db.session.execute(
            select(Server.id, Server.name, PaymentsAccount.onboarding_status)
            .join(PaymentsAccount, PaymentsAccount.server_id == Server.id)
            .join(Membership, Membership.workspace_id == Server.workspace_id)
            .where(
                Membership.user_id == user_id,
                Membership.role.in_(onboarding_roles),
                Server.kind == "payments",
            )
            .order_by(Server.id)
        ).all()
    )


def lines_for(user_id: str, server_ids: list[str]) -> str:
    """`srv_…,` lines for the chosen resources the user may onboard, ready for the emails."""
    wanted = set(server_ids[:MAX_ROWS])
    return "".join(
        f"{sid},\n"
        for sid, _name, status in _onboardable(user_id)
        if sid in wanted and status != "complete"
    )


def preview(user_id: str, text: str) -> BulkInviteBatch:
    """Check every line of an upload and store the batch for sending. Commits."""
    lines = _read_lines(text)
    resources = _onboardable(user_id)
    by_id = {sid: (sid, status) for sid, _name, status in resources}
    by_name: dict[str, list[tuple[str, str]]] = {}
    for sid, name, status in resources:
        by_name.setdefault(name.strip().lower(), []).append((sid, status))
    seen: set[tuple[str, str]] = set()
    rows: list[dict[str, Any]] = []
    for number, cells in enumerate(lines, start=1):
        reference = (cells[0] if cells else "").strip()[:200]
        raw_email = (cells[1] if len(cells) > 1 else "").strip()[:254]
        row: dict[str, Any] = {
            "line": number,
            "resource": reference,
            "email": raw_email,
            "server_id": None,
            "error": None,
        }
        rows.append(row)
        if len(cells) != 2:
            row["error"] = "Give two columns: the resource (id or name) and the email."
            continue
        matches = [by_id[reference]] if reference in by_id else by_name.get(reference.lower(), [])
        if not matches:
            row["error"] = "No resource with this id or name that you may onboard."
            continue
        if len(matches) > 1:
            row["error"] = f"{len(matches)} resources have this name: use the resource id."
            continue
        server_id, status = matches[0]
        row["server_id"] = server_id
        try:
            row["email"] = normalise_email(raw_email)
        except InviteError as error:
            row["error"] = str(error)
            continue
        if status == "complete":
            row["error"] = "Onboarding is complete: this resource needs no invite."
            continue
        key = (server_id, row["email"].lower())
        if key in seen:
            row["error"] = "The same resource and email appear on an earlier line."
            continue
        seen.add(key)
    batch = BulkInviteBatch(user_id=user_id, status=PREVIEWED, rows=rows, results=[])
    db.session.add(batch)
    db.session.commit()
    return batch


def _batch_of(user_id: str, batch_id: str) -> BulkInviteBatch:
    batch = db.session.get(BulkInviteBatch, batch_id)
    if batch is None or batch.user_id != user_id:
        raise NotFound(batch_id)
    return batch


def progress(user_id: str, batch_id: str) -> BatchProgress:
    """A batch of this user, with counts (reads only)."""
    batch = _batch_of(user_id, batch_id)
    valid = sum(1 for row in batch.rows if not row["error"])
    return BatchProgress(batch=batch, total=len(batch.rows), valid=valid)


def queue_sending(user_id: str, batch_id: str) -> BulkInviteBatch:
    """Confirm a previewed batch: the worker sends it. A second click changes nothing. Commits."""
    batch = _batch_of(user_id, batch_id)
    db.session.execute(
        update(BulkInviteBatch)
        .where(BulkInviteBatch.id == batch.id, BulkInviteBatch.status == PREVIEWED)
        .values(status=QUEUED)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(batch)
    return batch


def _claim(now: datetime) -> str | None:
    """Lease one queued (or abandoned) batch to this worker; commits the lease."""
    free = or_(BulkInviteBatch.locked_until.is_(None), BulkInviteBatch.locked_until < now)
    due = (
        select(BulkInviteBatch.id)
        .where(BulkInviteBatch.status.in_((QUEUED, SENDING)), free)
        .order_by(BulkInviteBatch.created_at, BulkInviteBatch.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.scalars(
        update(BulkInviteBatch)
        .where(BulkInviteBatch.id == due.scalar_subquery(), free)
        .values(status=SENDING, locked_until=now + LEASE)
        .returning(BulkInviteBatch.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return claimed[0] if claimed else None


def _send_line(user_id: str, row: dict[str, Any]) -> dict[str, Any]:
    if row["error"]:
        return {"line": row["line"], "outcome": "skipped", "message": row["error"]}
    try:
        issued = create_invite(row["server_id"], actor_user_id=user_id, email=row["email"])
    except InviteExists:
        db.session.rollback()
        return {"line": row["line"], "outcome": "already_invited", "message": "Already invited."}
    except (InviteError, NotFound) as error:
        db.session.rollback()
        message = str(error) if isinstance(error, InviteError) else "No longer available."
        return {"line": row["line"], "outcome": "failed", "message": message}
    return {"line": row["line"], "outcome": "sent", "message": issued.invite.email}


def send_pending(*, limit_rows: int = CHUNK) -> int:
    """One worker pass: up to `limit_rows` lines of one batch; the number of lines done."""
    now = utcnow()
    batch_id = _claim(now)
    if batch_id is None:
        return 0
    batch = db.session.get(BulkInviteBatch, batch_id)
    user_id, rows, start = batch.user_id, list(batch.rows), batch.processed
    results = list(batch.results)
    db.session.commit()
    chunk = rows[start : start + limit_rows]
    for row in chunk:
        results.append(_send_line(user_id, row))
    done = start + len(chunk) >= len(rows)
    batch = db.session.get(BulkInviteBatch, batch_id)
    batch.results = results
    batch.processed = start + len(chunk)
    batch.locked_until = None
    if done:
        batch.status = DONE
        batch.finished_at = utcnow()
    db.session.commit()
    return len(chunk)


def counts(results: list[dict[str, Any]]) -> dict[str, int]:
    """How many lines ended each way."""
    tally: dict[str, int] = {}
    for result in results:
        tally[result["outcome"]] = tally.get(result["outcome"], 0) + 1
    return tally

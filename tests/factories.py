"""Test data built through the same services the app uses.

Each call runs in its own application context and hands back *detached* objects with their
columns loaded, so tests never hold a session open across requests (which would let one
request see another's stale identity map and hide real bugs).
"""

from __future__ import annotations

import itertools

from flask import Flask

from app.extensions import db
from app.models import Server, User, Workspace
from app.services import resources
from app.services.users import add_member, create_user, create_workspace

_counter = itertools.count(1)


def _detach(obj, *relations: str):
    """Load `obj`'s columns and the named relationships, then detach everything."""
    db.session.refresh(obj)
    for name in relations:
        related = getattr(obj, name)
        if related is not None:
            db.session.refresh(related)
    db.session.expunge_all()
    return obj


class Factory:
    """`factory.user()`, `factory.workspace(owner)`, `factory.resource(workspace)`, …"""

    PASSWORD = "correct horse battery staple"

    def __init__(self, app: Flask) -> None:
        self.app = app

    def user(self, email: str | None = None, name: str = "", active: bool = True) -> User:
        """A user with the standard test password."""
        with self.app.app_context():
            user = create_user(email or f"user{next(_counter)}@example.com", self.PASSWORD, name)
            if not active:
                user.active = False
                db.session.commit()
            return _detach(user)

    def workspace(self, owner: User | None = None, name: str | None = None) -> Workspace:
        """A workspace owned by `owner` (a new user when omitted)."""
        owner = owner or self.user()
        with self.app.app_context():
            workspace = create_workspace(name or f"Workspace {next(_counter)}", owner.email)
            return _detach(workspace)

    def member(self, workspace: Workspace, role: str, user: User | None = None) -> User:
        """A user with `role` in `workspace`."""
        user = user or self.user()
        with self.app.app_context():
            add_member(workspace.id, user.email, role)
        return user

    def resource(
        self,
        workspace: Workspace,
        name: str | None = None,
        mode: str = "test",
        currency: str = "usd",
        country: str = "US",
    ) -> Server:
        """A payments resource that has not been onboarded yet."""
        with self.app.app_context():
            server = resources.create_payments_resource(
                workspace_id=workspace.id,
                user_id=None,
                name=name or f"Resource {next(_counter)}",
                description="",
                mode=mode,
                currency=currency,
                country=country,
            )
            return _detach(server, "payments", "workspace")

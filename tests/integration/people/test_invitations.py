"""Invitations: emailed, hashed, single-use, expiring, revocable, and tried as an attacker would."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AuditEvent, Invitation, Membership, OutboundMail, User, utcnow
from tests.integration.people.helpers import link_path, mail_to, send_outbox, token_of


def invite(auth, workspace_id: str, email: str, role: str = "developer"):
    """Post the invite form as the signed-in admin."""
    return auth.post(
        f"/workspaces/{workspace_id}/invitations",
        {"email": email, "role": role},
        page=f"/workspaces/{workspace_id}/members",
    )


def invited_link(app, mailbox, auth, workspace_id: str, email: str, role: str = "developer"):
    """Invite `email`, let the worker send the mail, and return the link's path."""
    assert invite(auth, workspace_id, email, role).status_code == 303
    assert send_outbox(app).sent == 1
    [message] = mail_to(mailbox, email)
    return link_path(message)


def membership_count(app, workspace_id: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.workspace_id == workspace_id)
        )


def test_an_invitation_mail_carries_a_link_whose_token_is_stored_only_hashed(
    app, mailbox, owner_auth, team
):
    path = invited_link(app, mailbox, owner_auth, team.workspace.id, "newbie@example.com")

    [message] = mailbox.messages
    assert message.subject == "You're invited to Acme on Connect Onboarding"
    assert "Olive Owner invited you to join Acme" in message.text
    assert "as developer" in message.text and "Accept the invitation" in message.html
    token = token_of(path)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert invitation.expires_at - invitation.created_at == timedelta(days=7)
        # Nowhere in the database in the clear: not in the invitation, not in the sent mail.
        mail_row = db.session.scalars(select(OutboundMail)).one()
        assert mail_row.text_ciphertext is None and mail_row.html_ciphertext is None
        assert db.session.scalars(select(AuditEvent.action)).all() == ["member.invited"]


def test_a_new_person_sets_a_name_and_password_and_lands_with_the_role(
    app, client, mailbox, owner_auth, team, second_client
):
    path = invited_link(app, mailbox, owner_auth, team.workspace.id, "newbie@example.com", "viewer")
    newbie, newbie_auth = second_client

    page = newbie.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Olive Owner invited <strong>newbie@example.com</strong>" in html
    response = newbie_auth.post(
        path, {"name": "Nina Newbie", "password": "a long new password"}, page=path
    )

    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "You joined Acme as viewer" in newbie.get("/").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "newbie@example.com")).one()
        assert user.name == "Nina Newbie"
        assert user.password_hash.startswith("$argon2id$")
        assert db.session.get(Membership, (user.id, team.workspace.id)).role == "viewer"
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.accepted_by_user_id == user.id


def test_a_short_password_is_an_inline_error_and_changes_nothing(
    app, mailbox, owner_auth, team, second_client
):
    path = invited_link(app, mailbox, owner_auth, team.workspace.id, "newbie@example.com")
    newbie, newbie_auth = second_client
    response = newbie_auth.post(path, {"name": "Nina", "password": "short"}, page=path)
    assert response.status_code == 400
    assert "Passwords need at least 10 characters." in response.get_data(as_text=True)
    assert membership_count(app, team.workspace.id) == 1


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        ({"accepted_at": utcnow}, "already been used"),
        ({"revoked_at": utcnow}, "withdrawn"),
        ({"expires_at": lambda: utcnow() - timedelta(seconds=1)}, "expired"),
    ],
    ids=["used", "revoked", "expired"],
)
def test_a_used_revoked_or_expired_link_gets_a_clear_page_and_changes_nothing(
    app, mailbox, owner_auth, team, second_client, spoil, reason
):
    path = invited_link(app, mailbox, owner_auth, team.workspace.id, "newbie@example.com")
    with app.app_context():
        db.session.execute(update(Invitation).values(**{k: v() for k, v in spoil.items()}))
        db.session.commit()
    newbie, newbie_auth = second_client

    shown = newbie.get(path)
    posted = newbie_auth.post(
        path, {"name": "Nina", "password": "a long new password"}, page="/auth/login"
    )

    for response in (shown, posted):
        assert response.status_code == 409
        body = response.get_data(as_text=True)
        assert reason in body and "Nothing was changed." in body
    assert membership_count(app, team.workspace.id) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_accepting_twice_does_not_add_twice(app, mailbox, owner_auth, team, second_client):
    path = invited_link(app, mailbox, owner_auth, team.workspace.id, "newbie@example.com")
    newbie, newbie_auth = second_client
    first = newbie_auth.post(path, {"name": "Nina", "password": "a long new password"}, page=path)
    assert first.status_code == 303
    again = newbie_auth.post(path, {"name": "Mallory", "password": "another long one"}, page="/")
    assert again.status_code == 409
    assert "already been used" in again.get_data(as_text=True)
    assert membership_count(app, team.workspace.id) == 2


def test_an_unknown_token_gets_a_clear_404(client):
    response = client.get("/invitations/not-a-real-token")
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)


def test_an_existing_user_signs_in_with_the_invited_address_then_accepts(
    app, client, mailbox, owner_auth, factory, team, second_client
):
    existing = factory.user("ed@example.com", name="Ed")
    path = invited_link(app, mailbox, owner_auth, team.workspace.id, "ED@example.com", "admin")
    ed, ed_auth = second_client

    redirected = ed_auth.post(path, {}, page="/auth/login")
    assert redirected.status_code == 303
    assert redirected.headers["Location"].startswith("/auth/login?next=")
    assert membership_count(app, team.workspace.id) == 1

    assert ed_auth.login(existing.email, next_=path).headers["Location"] == path
    assert "Accept and join" in ed.get(path).get_data(as_text=True)
    accepted = ed_auth.post(path, {}, page=path)
    assert accepted.status_code == 303
    with app.app_context():
        assert db.session.get(Membership, (existing.id, team.workspace.id)).role == "admin"


def test_signed_in_as_someone_else_the_link_changes_nothing(
    app, mailbox, owner_auth, factory, team, second_client
):
    path = invited_link(app, mailbox, owner_auth, team.workspace.id, "intended@example.com")
    intruder = factory.user("intruder@example.com")
    other, other_auth = second_client
    other_auth.login(intruder.email)

    shown = other.get(path)
    posted = other_auth.post(path, {}, page="/")

    for response in (shown, posted):
        assert response.status_code == 403
        assert "another email address" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Membership, (intruder.id, team.workspace.id)) is None
        assert db.session.scalars(select(Invitation.accepted_at)).one() is None


def test_a_token_for_one_workspace_cannot_join_another(
    app, mailbox, owner_auth, factory, team, second_client
):
    other_owner = factory.user("greta@example.com")
    globex = factory.workspace(other_owner, "Globex")
    path = invited_link(app, mailbox, owner_auth, team.workspace.id, "newbie@example.com")
    newbie, newbie_auth = second_client

    # Whatever the request names, the invitation's own workspace is the only one joined.
    response = newbie_auth.post(
        path,
        {"name": "Nina", "password": "a long new password", "workspace_id": globex.id},
        page=path,
    )

    assert response.status_code == 303
    assert membership_count(app, team.workspace.id) == 2
    assert membership_count(app, globex.id) == 1
    assert newbie.get(f"/workspaces/{globex.id}/members").status_code == 404


def test_resending_kills_the_old_link_and_the_new_one_works(
    app, client, mailbox, owner_auth, team, second_client
):
    old_path = invited_link(app, mailbox, owner_auth, team.workspace.id, "newbie@example.com")
    with app.app_context():
        invitation_id = db.session.scalars(select(Invitation.id)).one()

    response = owner_auth.post(
        f"/workspaces/{team.workspace.id}/invitations/{invitation_id}/resend",
        page=f"/workspaces/{team.workspace.id}/members",
    )
    assert response.status_code == 303
    send_outbox(app)
    new_path = link_path(mail_to(mailbox, "newbie@example.com")[-1])

    assert new_path != old_path
    newbie, newbie_auth = second_client
    assert newbie.get(old_path).status_code == 404
    created = newbie_auth.post(
        new_path, {"name": "Nina", "password": "a long new password"}, page=new_path
    )
    assert created.status_code == 303


def test_a_revoked_invitation_leaves_the_pending_list(app, client, mailbox, owner_auth, team):
    invited_link(app, mailbox, owner_auth, team.workspace.id, "newbie@example.com")
    members_page = f"/workspaces/{team.workspace.id}/members"
    assert 'data-invitation="newbie@example.com"' in client.get(members_page).get_data(as_text=True)
    with app.app_context():
        invitation_id = db.session.scalars(select(Invitation.id)).one()

    owner_auth.post(
        f"/workspaces/{team.workspace.id}/invitations/{invitation_id}/revoke", page=members_page
    )

    assert 'data-invitation="newbie@example.com"' not in client.get(members_page).get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
            "member.invited",
            "member.invitation_revoked",
        ]


@pytest.mark.parametrize(
    ("email", "role", "message"),
    [
        ("not-an-address", "viewer", "Enter a valid email address"),
        ("olive@example.com", "viewer", "already a member"),
        ("x@example.com", "emperor", "Not a valid choice"),
    ],
    ids=["bad-email", "already-member", "bad-role"],
)
def test_invite_validation_is_inline_and_queues_nothing(
    app, mailbox, owner_auth, team, email, role, message
):
    response = invite(owner_auth, team.workspace.id, email, role)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboundMail)) == 0
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_inviting_the_same_address_twice_points_to_resend(app, mailbox, owner_auth, team):
    assert invite(owner_auth, team.workspace.id, "newbie@example.com").status_code == 303
    again = invite(owner_auth, team.workspace.id, "newbie@example.com")
    assert again.status_code == 400
    assert "already has a pending invitation" in again.get_data(as_text=True)


def test_only_managers_invite(app, factory, team, second_client):
    developer = factory.member(team.workspace, "developer")
    other, other_auth = second_client
    other_auth.login(developer.email)
    assert invite(other_auth, team.workspace.id, "x@example.com").status_code == 403
    outsider = factory.user()
    other_auth.logout()
    other_auth.login(outsider.email)
    assert invite(other_auth, team.workspace.id, "x@example.com").status_code == 404

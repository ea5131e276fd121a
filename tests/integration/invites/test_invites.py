"""Onboarding invites: emailed, hashed, expiring, revocable; the invitee onboards without an
account, proven by a path-scoped cookie, and sees nothing but this resource."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import update

from app.errors import logged_path
from app.extensions import db
from app.models import OnboardingInvite, utcnow
from app.services.invitee import PROOF_COOKIE
from tests.helpers import csrf_token_from
from tests.integration.invites.helpers import (
    continue_from,
    emailed_link,
    invite,
    invite_actions,
    invite_row,
    submit_on_stripe,
)
from tests.integration.people.helpers import mail_to, token_of


def test_an_invite_is_mailed_with_a_link_whose_token_is_stored_only_hashed(
    app, mailbox, auth, signed_in, caplog
):
    caplog.set_level(logging.DEBUG)
    response = invite(auth, signed_in.server.id, "owner@business.example")

    assert response.status_code == 303
    path = emailed_link(app, mailbox, "owner@business.example")
    [message] = mail_to(mailbox, "owner@business.example")
    assert message.subject == "Acme asks you to finish setting up payments for Shop"
    assert "You don't need an account" in message.text
    token = token_of(path)
    row = invite_row(app, signed_in.server.id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.expires_at - row.created_at == timedelta(days=14)
    # Our own log lines (the test's SMTP server logs message bodies: it is not ours).
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("app"))
    assert ours and token not in ours
    assert invite_actions(app, signed_in.server.id) == ["invite.sent"]


def test_a_second_live_invite_to_the_same_address_is_refused_inline(app, mailbox, auth, signed_in):
    invite(auth, signed_in.server.id, "owner@business.example")
    response = invite(auth, signed_in.server.id, "OWNER@business.example")

    assert response.status_code == 400
    assert "already has a live invite" in response.get_data(as_text=True)
    assert invite_actions(app, signed_in.server.id) == ["invite.sent"]


def test_an_invalid_address_is_an_inline_error(app, auth, signed_in):
    response = invite(auth, signed_in.server.id, "not an address")

    assert response.status_code == 400
    assert "Enter a valid email address" in response.get_data(as_text=True)
    assert invite_actions(app, signed_in.server.id) == []


def test_the_landing_page_needs_no_account_and_sets_a_path_scoped_proof_cookie(
    app, mailbox, auth, signed_in, invitee
):
    invite(auth, signed_in.server.id, "owner@business.example")
    path = emailed_link(app, mailbox, "owner@business.example")

    page = invitee.get(path)
    invitee.get(path)

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Acme" in html and "Shop" in html
    assert "Continue to Stripe" in html and "10 to 15 minutes" in html
    assert "Sign out" not in html and 'aria-label="Main"' not in html
    row = invite_row(app, signed_in.server.id)
    cookie = next(h for h in page.headers.getlist("Set-Cookie") if PROOF_COOKIE in h)
    assert f"Path=/onboard/i/{row.id}/" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert invite_actions(app, signed_in.server.id) == ["invite.sent", "invite.opened"]


def test_continue_runs_create_or_continue_and_the_return_shows_what_is_due(
    app, mailbox, auth, signed_in, invitee, sandbox, stored
):
    invite(auth, signed_in.server.id, "owner@business.example")
    path = emailed_link(app, mailbox, "owner@business.example")
    sandbox.clear_requests()

    response = continue_from(invitee, path)

    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{sandbox.url}/setup/")
    assert [r["path"] for r in sandbox.requests()] == ["/v1/accounts", "/v1/account_links"]
    row = invite_row(app, signed_in.server.id)
    return_url = submit_on_stripe(response.headers["Location"], "missing_info")
    assert urlsplit(return_url).path == f"/onboard/i/{row.id}/return"
    assert token_of(path) not in return_url

    back = invitee.get(urlsplit(return_url).path)

    html = back.get_data(as_text=True)
    assert back.status_code == 200
    assert "Shop still needs information" in html
    assert "Stripe still needs" in html and "Bank account" in html
    assert stored(signed_in.server.id).onboarding_status == "pending"
    assert invite_actions(app, signed_in.server.id) == [
        "invite.sent",
        "invite.opened",
        "invite.started",
    ]


def test_finishing_completes_the_invite_and_the_inviter_sees_it(
    app, client, mailbox, auth, signed_in, invitee, sandbox, stored
):
    invite(auth, signed_in.server.id, "owner@business.example")
    path = emailed_link(app, mailbox, "owner@business.example")
    continue_from(invitee, path)
    row = invite_row(app, signed_in.server.id)
    sandbox.force_account_state(stored(signed_in.server.id).stripe_account_id, "complete")

    back = invitee.get(f"/onboard/i/{row.id}/return")

    assert "Shop is ready to take payments" in back.get_data(as_text=True)
    assert invite_row(app, signed_in.server.id).completed_at is not None
    assert invite_actions(app, signed_in.server.id)[-1] == "invite.completed"
    detail = client.get(f"/payments/{signed_in.server.id}").get_data(as_text=True)
    assert 'data-invite-state="completed"' in detail
    assert "this resource needs no invite" in detail
    refused = invite(auth, signed_in.server.id, "someone@business.example")
    assert refused.status_code == 400
    assert "needs no invite" in refused.get_data(as_text=True)


def test_return_without_the_cookie_or_with_another_invites_cookie_is_refused(
    app, mailbox, auth, signed_in, invitee, factory, sandbox
):
    other = factory.resource(signed_in.workspace, "Other shop")
    invite(auth, signed_in.server.id, "owner@business.example")
    invite(auth, other.id, "owner@business.example")
    send_paths = emailed_link(app, mailbox, "owner@business.example")
    mine = invite_row(app, signed_in.server.id)
    theirs = invite_row(app, other.id)
    # Open the link of `other`'s invite: the cookie is for that invite's path only.
    invitee.get(send_paths)
    proof = invitee.get_cookie(PROOF_COOKIE, path=f"/onboard/i/{theirs.id}/").value
    stranger = app.test_client()

    assert stranger.get(f"/onboard/i/{mine.id}/return").status_code == 403
    stranger.set_cookie(PROOF_COOKIE, proof, path=f"/onboard/i/{mine.id}/")
    refused = stranger.get(f"/onboard/i/{mine.id}/return")
    assert refused.status_code == 403
    assert "Open the invite link from your email" in refused.get_data(as_text=True)
    assert stranger.get(f"/onboard/i/{mine.id}/refresh").status_code == 403
    assert stranger.post(f"/onboard/i/{mine.id}/continue").status_code in (400, 403)
    assert sandbox.requests("/v1/account_links") == []


def test_the_invitee_sees_no_workspace_page_and_no_neighbour(
    app, mailbox, auth, signed_in, invitee, factory
):
    other = factory.resource(signed_in.workspace, "Other shop")
    invite(auth, signed_in.server.id, "owner@business.example")
    path = emailed_link(app, mailbox, "owner@business.example")
    invitee.get(path)
    row = invite_row(app, signed_in.server.id)

    for url in (
        f"/payments/{signed_in.server.id}",
        f"/payments/{other.id}",
        f"/payments/{other.id}/onboarding/return",
        "/",
    ):
        response = invitee.get(url)
        assert response.status_code in (302, 303), url
        assert "/auth/login" in response.headers["Location"]
    neighbour = row.id[:-1] + ("a" if row.id[-1] != "a" else "b")
    assert invitee.get(f"/onboard/i/{neighbour}/return").status_code == 404


def test_an_expired_link_changes_nothing_and_says_what_to_do(
    app, mailbox, auth, signed_in, invitee, sandbox
):
    invite(auth, signed_in.server.id, "owner@business.example")
    path = emailed_link(app, mailbox, "owner@business.example")
    with app.app_context():
        db.session.execute(update(OnboardingInvite).values(expires_at=utcnow() - timedelta(1)))
        db.session.commit()
    sandbox.clear_requests()

    page = invitee.get(path)

    assert page.status_code == 410
    assert "Ask the person who invited you to send it again" in page.get_data(as_text=True)
    assert PROOF_COOKIE not in page.headers.get("Set-Cookie", "")
    assert invitee.post(f"{path}/continue", data={"csrf_token": "x"}).status_code in (400, 410)
    assert sandbox.requests() == []
    assert invite_actions(app, signed_in.server.id) == ["invite.sent", "invite.expired"]
    invitee.get(path)
    assert invite_actions(app, signed_in.server.id) == ["invite.sent", "invite.expired"]


def test_a_revoked_invite_stops_the_link_and_the_cookie(
    app, mailbox, auth, signed_in, invitee, sandbox
):
    invite(auth, signed_in.server.id, "owner@business.example")
    path = emailed_link(app, mailbox, "owner@business.example")
    invitee.get(path)
    row = invite_row(app, signed_in.server.id)

    revoked = auth.post(
        f"/payments/{signed_in.server.id}/invites/{row.id}/revoke",
        page=f"/payments/{signed_in.server.id}",
    )

    assert revoked.status_code == 303
    assert invitee.get(path).status_code == 410
    assert "withdrawn" in invitee.get(f"/onboard/i/{row.id}/return").get_data(as_text=True)
    assert invite_actions(app, signed_in.server.id)[-1] == "invite.revoked"


def test_resending_mails_a_new_link_and_kills_the_old_one(app, mailbox, auth, signed_in, invitee):
    invite(auth, signed_in.server.id, "owner@business.example")
    old = emailed_link(app, mailbox, "owner@business.example")
    row = invite_row(app, signed_in.server.id)

    auth.post(
        f"/payments/{signed_in.server.id}/invites/{row.id}/resend",
        page=f"/payments/{signed_in.server.id}",
    )
    new = emailed_link(app, mailbox, "owner@business.example")

    assert new != old
    assert invitee.get(old).status_code == 404
    assert invitee.get(new).status_code == 200
    assert invite_actions(app, signed_in.server.id) == [
        "invite.sent",
        "invite.resent",
        "invite.opened",
    ]


def test_someone_else_cannot_invite_or_revoke_on_a_foreign_resource(
    app, client, auth, signed_in, factory
):
    stranger = factory.user("stranger@example.com")
    their_ws = factory.workspace(stranger, "Elsewhere")
    theirs = factory.resource(their_ws, "Their shop")

    response = invite(auth, theirs.id, "owner@business.example")

    assert response.status_code == 404
    assert invite_actions(app, theirs.id) == []


def test_the_landing_continue_needs_a_csrf_token(app, mailbox, auth, signed_in, invitee, sandbox):
    invite(auth, signed_in.server.id, "owner@business.example")
    path = emailed_link(app, mailbox, "owner@business.example")
    invitee.get(path)
    sandbox.clear_requests()

    assert invitee.post(f"{path}/continue").status_code == 400
    assert sandbox.requests() == []
    html = invitee.get(path).get_data(as_text=True)
    assert (
        invitee.post(f"{path}/continue", data={"csrf_token": csrf_token_from(html)}).status_code
        == 303
    )


def test_error_logs_name_the_route_not_the_token(app):
    with app.test_request_context("/onboard/a-secret-token-value"):
        assert logged_path() == "/onboard/<token>"

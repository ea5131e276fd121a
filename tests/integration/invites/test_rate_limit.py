"""The invitee's public pages are limited per client address: past the limit the app's 429
page answers, and nothing runs (no Stripe account is created)."""

from __future__ import annotations

from tests.helpers import csrf_token_from
from tests.integration.invites.helpers import emailed_link, invite, invite_row

OTHER_ADDRESS = {"REMOTE_ADDR": "192.0.2.7"}


def test_landing_and_continue_share_one_limit_per_address(
    app, mailbox, auth, signed_in, invitee, sandbox, stored
):
    invite(auth, signed_in.server.id, "owner@business.example")
    path = emailed_link(app, mailbox, "owner@business.example")
    limit = int(app.config["INVITE_RATE_LIMIT"].split()[0])
    pages = [invitee.get(path) for _ in range(limit)]
    token = csrf_token_from(pages[-1].get_data(as_text=True))

    refused = invitee.post(f"{path}/continue", data={"csrf_token": token})
    landing_refused = invitee.get(path)

    assert {page.status_code for page in pages} == {200}
    assert refused.status_code == 429 and landing_refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert f"the limit on invite page requests ({limit} per 1 minute)" in html
    assert f'href="{path}">Back to where you were' in html
    assert refused.headers["Retry-After"]
    assert stored(signed_in.server.id).stripe_account_id is None
    # Another address has its own budget.
    assert invitee.get(path, environ_base=OTHER_ADDRESS).status_code == 200


def test_the_return_page_counts_against_the_same_budget(
    app, mailbox, auth, signed_in, invitee, sandbox, stored, monkeypatch
):
    invite(auth, signed_in.server.id, "owner@business.example")
    path = emailed_link(app, mailbox, "owner@business.example")
    monkeypatch.setitem(app.config, "INVITE_RATE_LIMIT", "2 per minute")
    token = csrf_token_from(invitee.get(path).get_data(as_text=True))

    went = invitee.post(f"{path}/continue", data={"csrf_token": token})
    row = invite_row(app, signed_in.server.id)
    back = invitee.get(f"/onboard/i/{row.id}/return")

    assert went.status_code == 303
    assert stored(signed_in.server.id).stripe_account_id is not None
    assert back.status_code == 429
    assert f'href="/onboard/i/{row.id}/refresh">Back to where you were' in back.get_data(
        as_text=True
    )

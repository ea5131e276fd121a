"""The dashboard shows each resource's invite state, from one query for the whole page."""

from __future__ import annotations

from tests.helpers import statements
from tests.integration.invites.helpers import invite, invite_row


def test_the_dashboard_shows_invite_states_in_a_constant_number_of_queries(
    app, client, auth, signed_in, factory
):
    invite(auth, signed_in.server.id, "owner@business.example")
    client.get("/")
    with statements(app) as one:
        client.get("/")
    for n in range(5):
        server = factory.resource(signed_in.workspace, f"Shop {n}")
        invite(auth, server.id, f"owner{n}@business.example")

    with statements(app) as many:
        html = client.get("/").get_data(as_text=True)

    assert html.count('data-invite-state="sent"') == 6
    assert len(many) == len(one)
    assert sum("onboarding_invites" in s for s in many) == 1


def test_each_row_shows_its_newest_invite_and_a_row_without_one_shows_none(
    app, client, auth, signed_in, factory
):
    invite(auth, signed_in.server.id, "first@business.example")
    first = invite_row(app, signed_in.server.id)
    auth.post(
        f"/payments/{signed_in.server.id}/invites/{first.id}/revoke",
        page=f"/payments/{signed_in.server.id}",
    )
    invite(auth, signed_in.server.id, "second@business.example")
    uninvited = factory.resource(signed_in.workspace, "Uninvited shop")

    html = client.get("/").get_data(as_text=True)

    invited_row = html.split(f'data-server-id="{signed_in.server.id}"')[1].split("</tr>")[0]
    other_row = html.split(f'data-server-id="{uninvited.id}"')[1].split("</tr>")[0]
    assert 'data-invite-state="sent"' in invited_row
    assert "data-invite-state" not in other_row
    assert 'data-invite-state="revoked"' not in html

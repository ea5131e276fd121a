"""Workspaces and members in the browser and the CLI: roles, removal, leaving, the last owner."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Membership, Workspace
from app.services import members


def role_of(app, user_id: str, workspace_id: str) -> str | None:
    with app.app_context():
        found = db.session.get(Membership, (user_id, workspace_id))
        return found.role if found else None


def actions(app, workspace_id: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.workspace_id == workspace_id)
                .order_by(AuditEvent.id)
            )
        )


def test_any_signed_in_person_creates_a_workspace_and_owns_it(app, client, auth, factory):
    person = factory.user("new@example.com")
    auth.login(person.email)

    response = auth.post("/workspaces", {"name": "  Side project "}, page="/workspaces")

    assert response.status_code == 303
    with app.app_context():
        workspace = db.session.scalars(
            select(Workspace).where(Workspace.name == "Side project")
        ).one()
        workspace_id = workspace.id
    assert response.headers["Location"] == f"/workspaces/{workspace_id}/members"
    assert role_of(app, person.id, workspace_id) == "owner"
    assert actions(app, workspace_id) == ["workspace.created"]
    assert "Side project" in client.get("/workspaces").get_data(as_text=True)


def test_a_workspace_needs_a_name(client, owner_auth):
    response = owner_auth.post("/workspaces", {"name": "   "}, page="/workspaces")
    assert response.status_code == 400
    assert "Give the workspace a name." in response.get_data(as_text=True)


def test_renaming_needs_workspace_manage(app, client, auth, factory, team, second_client):
    developer = factory.member(team.workspace, "developer")
    outsider = factory.user()
    other, other_auth = second_client
    path = f"/workspaces/{team.workspace.id}/name"

    other_auth.login(developer.email)
    assert other_auth.post(path, {"name": "Hijacked"}).status_code == 403
    other_auth.logout()
    other_auth.login(outsider.email)
    assert other_auth.post(path, {"name": "Hijacked"}).status_code == 404

    auth.login(team.owner.email)
    assert auth.post(path, {"name": "Acme Inc"}).status_code == 303
    with app.app_context():
        assert db.session.get(Workspace, team.workspace.id).name == "Acme Inc"
    assert actions(app, team.workspace.id)[-1] == "workspace.renamed"


def test_the_members_page_lists_members_with_roles_and_manage_controls_only_for_admins(
    client, auth, factory, team, second_client
):
    viewer = factory.member(team.workspace, "viewer", factory.user("vic@example.com", "Vic"))
    page = f"/workspaces/{team.workspace.id}/members"

    auth.login(team.owner.email)
    html = client.get(page).get_data(as_text=True)
    assert "Olive Owner" in html and "vic@example.com" in html
    assert "Invite someone" in html and "Pending invitations" in html

    other, other_auth = second_client
    other_auth.login(viewer.email)
    html = other.get(page).get_data(as_text=True)
    assert "Olive Owner" in html and "Owner" in html
    assert "Invite someone" not in html and "Save role" not in html


def test_an_admin_changes_a_role_and_it_is_audited(app, client, owner_auth, factory, team):
    member = factory.member(team.workspace, "viewer")
    response = owner_auth.post(
        f"/workspaces/{team.workspace.id}/members/{member.id}/role", {"role": "admin"}
    )
    assert response.status_code == 303
    assert role_of(app, member.id, team.workspace.id) == "admin"
    assert actions(app, team.workspace.id)[-1] == "member.role_changed"


def test_an_unknown_role_is_refused(app, client, owner_auth, factory, team):
    member = factory.member(team.workspace, "viewer")
    response = owner_auth.post(
        f"/workspaces/{team.workspace.id}/members/{member.id}/role", {"role": "superuser"}
    )
    assert response.status_code == 400
    assert role_of(app, member.id, team.workspace.id) == "viewer"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("members/{owner}/role", {"role": "admin"}),
        ("members/{owner}/remove", {}),
        ("leave", {}),
    ],
    ids=["demote", "remove", "leave"],
)
def test_the_last_owner_can_never_be_demoted_removed_or_leave(
    app, client, owner_auth, team, path, data
):
    url = f"/workspaces/{team.workspace.id}/" + path.format(owner=team.owner.id)
    response = owner_auth.post(url, data)
    assert response.status_code == 409
    assert "make someone else an owner first" in response.get_data(as_text=True)
    assert role_of(app, team.owner.id, team.workspace.id) == "owner"
    assert actions(app, team.workspace.id) == []  # nothing happened, nothing recorded


def test_with_a_second_owner_an_owner_may_leave(app, client, owner_auth, factory, team):
    second = factory.member(team.workspace, "owner")
    response = owner_auth.post(f"/workspaces/{team.workspace.id}/leave")
    assert response.status_code == 303
    assert role_of(app, team.owner.id, team.workspace.id) is None
    assert role_of(app, second.id, team.workspace.id) == "owner"
    assert actions(app, team.workspace.id)[-1] == "member.left"


def test_anyone_can_leave(app, factory, team, second_client):
    viewer = factory.member(team.workspace, "viewer")
    other, other_auth = second_client
    other_auth.login(viewer.email)
    assert other_auth.post(f"/workspaces/{team.workspace.id}/leave").status_code == 303
    assert role_of(app, viewer.id, team.workspace.id) is None


def test_a_removed_member_loses_the_workspace_on_their_very_next_request(
    app, client, owner_auth, factory, team, second_client
):
    member = factory.member(team.workspace, "developer")
    server = factory.resource(team.workspace, "Shop")
    other, other_auth = second_client
    other_auth.login(member.email)
    assert other.get(f"/payments/{server.id}").status_code == 200
    assert other.get(f"/workspaces/{team.workspace.id}/members").status_code == 200

    response = owner_auth.post(f"/workspaces/{team.workspace.id}/members/{member.id}/remove")

    assert response.status_code == 303
    # Same cookies, no sign-out: the next requests already answer as to an outsider.
    assert other.get(f"/payments/{server.id}").status_code == 404
    assert other.get(f"/workspaces/{team.workspace.id}/members").status_code == 404
    assert actions(app, team.workspace.id)[-1] == "member.removed"


def test_members_of_another_workspace_cannot_be_touched_through_mine(
    app, client, owner_auth, factory, team
):
    elsewhere = factory.workspace(name="Globex")
    stranger = factory.member(elsewhere, "viewer")
    url = f"/workspaces/{team.workspace.id}/members/{stranger.id}/remove"
    assert owner_auth.post(url).status_code == 404
    assert role_of(app, stranger.id, elsewhere.id) == "viewer"


def test_cli_remove_member_uses_the_same_last_owner_rule(app, runner, factory, team):
    refused = runner.invoke(
        args=["workspaces", "remove-member", team.workspace.id, team.owner.email]
    )
    assert refused.exit_code == 1
    assert "last owner" in refused.output
    member = factory.member(team.workspace, "viewer")
    removed = runner.invoke(args=["workspaces", "remove-member", team.workspace.id, member.email])
    assert removed.exit_code == 0, removed.output
    assert role_of(app, member.id, team.workspace.id) is None
    again = runner.invoke(args=["workspaces", "remove-member", team.workspace.id, member.email])
    assert again.exit_code == 1 and "is not a member" in again.output


def test_two_owners_demoting_each_other_at_once_leave_one_owner(app, factory, team):
    second = factory.member(team.workspace, "owner")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(actor_id: str, target_id: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                members.change_role_as(actor_id, team.workspace.id, target_id, "admin")
                outcomes.append("demoted")
            except members.LastOwnerError:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=demote, args=(team.owner.id, second.id)),
        threading.Thread(target=demote, args=(second.id, team.owner.id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    roles = {
        role_of(app, team.owner.id, team.workspace.id),
        role_of(app, second.id, team.workspace.id),
    }
    assert "owner" in roles
    assert sorted(outcomes) == ["demoted", "refused"]

"""The workspace activity page: who sees it, filters, pages, CSV, and a constant query count."""

from __future__ import annotations

import csv
import io

import pytest

from app.extensions import db
from app.services import audit
from tests.helpers import statements


def record(app, workspace_id: str, count: int, *, subject_type="server", actor=None, **details):
    """Add `count` audit events to the workspace."""
    with app.app_context():
        for n in range(count):
            audit.record(
                "resource.created",
                subject_type=subject_type,
                subject_id=f"srv_{n}",
                workspace_id=workspace_id,
                actor_user_id=actor,
                actor_label=None if actor else "cli",
                details=details,
            )
        db.session.commit()


def test_only_managers_see_the_activity(client, auth, factory, team, second_client):
    developer = factory.member(team.workspace, "developer")
    outsider = factory.user()
    other, other_auth = second_client
    page = f"/workspaces/{team.workspace.id}/activity"
    other_auth.login(developer.email)
    assert other.get(page).status_code == 403
    assert other.get(page + ".csv").status_code == 403
    other_auth.logout()
    other_auth.login(outsider.email)
    assert other.get(page).status_code == 404
    auth.login(team.owner.email)
    assert client.get(page).status_code == 200


def test_filters_by_kind_and_person(app, client, owner_auth, factory, team):
    record(app, team.workspace.id, 2, subject_type="server", actor=team.owner.id)
    record(app, team.workspace.id, 1, subject_type="stripe_connection")
    record(app, team.workspace.id, 1, subject_type="membership", actor=team.owner.id)
    other = factory.workspace(name="Globex")
    record(app, other.id, 3)  # never shown here
    base = f"/workspaces/{team.workspace.id}/activity"

    def rows(query: str) -> int:
        return client.get(base + query).get_data(as_text=True).count("<tr data-action=")

    assert rows("") == 4
    assert rows("?kind=resources") == 2
    assert rows("?kind=connections") == 1
    assert rows("?kind=members") == 1
    assert rows(f"?person={team.owner.id}") == 3
    assert rows(f"?kind=members&person={team.owner.id}") == 1
    assert rows("?kind=nonsense") == 4  # an unknown kind filters nothing


def test_pages_newest_first(app, client, owner_auth, team):
    app.config["ACTIVITY_PAGE_SIZE"] = 5
    try:
        record(app, team.workspace.id, 12)
        base = f"/workspaces/{team.workspace.id}/activity"
        first = client.get(base).get_data(as_text=True)
        last = client.get(base + "?page=3").get_data(as_text=True)
        beyond = client.get(base + "?page=99").get_data(as_text=True)
    finally:
        app.config["ACTIVITY_PAGE_SIZE"] = 50
    assert "Page 1 of 3" in first and first.count("<tr data-action=") == 5
    assert "<code>srv_11</code>" in first and "<code>srv_0</code>" not in first
    assert last.count("<tr data-action=") == 2 and "<code>srv_0</code>" in last
    assert "Page 3 of 3" in beyond


def test_csv_export_neutralises_formulas(app, client, owner_auth, team):
    record(app, team.workspace.id, 1, **{'=HYPERLINK("http://evil")': "x"})
    record(app, team.workspace.id, 1, subject_type="stripe_connection", note="+1")
    response = client.get(f"/workspaces/{team.workspace.id}/activity.csv?kind=resources")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["time", "action", "subject_type", "subject_id", "actor", "details"]
    assert len(rows) == 2  # the header and the one resource event
    assert rows[1][1:5] == ["resource.created", "server", "srv_0", "cli"]
    assert rows[1][5] == '\'=HYPERLINK("http://evil")=x'


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("ok", "ok")],
)
def test_cells_that_a_spreadsheet_would_run_are_prefixed(value, cell):
    from app.services.activity import safe_cell

    assert safe_cell(value) == cell


def test_a_formula_in_the_actors_name_is_not_run(app, client, auth, factory, team):
    evil = factory.member(
        team.workspace, "admin", factory.user("e@example.com", "=cmd|'/c calc'!A1")
    )
    record(app, team.workspace.id, 1, actor=evil.id)
    auth.login(team.owner.email)
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/workspaces/{team.workspace.id}/activity.csv").get_data(True))
        )
    )
    assert rows[1][4] == "'=cmd|'/c calc'!A1"


def test_the_query_count_does_not_grow_with_the_events(app, client, owner_auth, factory, team):
    people = [factory.member(team.workspace, "admin") for _ in range(3)]
    page = f"/workspaces/{team.workspace.id}/activity"

    def queries() -> tuple[int, int]:
        with statements(app) as seen:
            assert client.get(page).status_code == 200
            html_count = len(seen)
        with statements(app) as seen:
            assert client.get(page + ".csv").status_code == 200
            return html_count, len(seen)

    record(app, team.workspace.id, 2, actor=people[0].id)
    few = queries()
    for person in people:
        record(app, team.workspace.id, 15, actor=person.id)
    many = queries()
    assert few == many

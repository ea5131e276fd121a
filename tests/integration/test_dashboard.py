"""The dashboard: only the user's workspaces, filters, pagination, and a fixed query count."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import PaymentsAccount
from tests.helpers import statements


@pytest.fixture
def ada(factory):
    return factory.user("ada@example.com")


def listed_names(html: str) -> list[str]:
    return re.findall(r'class="resource-name"[^>]*>([^<]+)<', html)


def test_lists_resources_of_every_workspace_of_the_user_and_no_others(client, auth, factory, ada):
    mine = factory.workspace(ada, "Mine")
    shared = factory.workspace(name="Shared")
    factory.member(shared, "viewer", ada)
    foreign = factory.workspace(name="Foreign")
    factory.resource(mine, "Alpha")
    factory.resource(shared, "Beta")
    factory.resource(foreign, "Secret")
    auth.login("ada@example.com")
    html = client.get("/").get_data(as_text=True)
    assert sorted(listed_names(html)) == ["Alpha", "Beta"]
    assert "Foreign" not in html


def test_filters_by_workspace_and_status(app, client, auth, factory, ada):
    one = factory.workspace(ada, "One")
    two = factory.workspace(ada, "Two")
    factory.resource(one, "A1")
    done = factory.resource(one, "A2")
    factory.resource(two, "B1")
    with app.app_context():
        account = db.session.get(PaymentsAccount, done.payments.id)
        account.onboarding_status = "complete"
        db.session.commit()
    auth.login("ada@example.com")
    assert sorted(listed_names(client.get(f"/?workspace={one.id}").get_data(as_text=True))) == [
        "A1",
        "A2",
    ]
    assert listed_names(client.get("/?status=complete").get_data(as_text=True)) == ["A2"]
    assert (
        listed_names(client.get(f"/?workspace={two.id}&status=complete").get_data(as_text=True))
        == []
    )
    assert "No resources match these filters" in client.get(
        f"/?workspace={two.id}&status=complete"
    ).get_data(as_text=True)


def test_a_status_filter_counts_only_the_matching_resources_of_the_users_workspaces(
    app, client, auth, factory, ada
):
    mine = factory.workspace(ada, "Mine")
    other = factory.workspace(ada, "Other")
    foreign = factory.workspace(name="Foreign")
    made = [
        factory.resource(ws, f"{ws.name} {n:02d}") for ws in (mine, other, foreign) for n in (0, 1)
    ]
    made += [factory.resource(mine, f"Mine {n:02d}") for n in range(2, 21)]
    with app.app_context():
        for server in made:
            if not server.name.endswith(" 01"):
                db.session.get(PaymentsAccount, server.payments.id).onboarding_status = "complete"
        db.session.commit()
    auth.login("ada@example.com")
    # Complete: Mine 00 and 02–20 (20) and Other 00; never Foreign's.
    everywhere = client.get("/?status=complete&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in everywhere
    assert len(listed_names(everywhere)) == 1
    in_mine = client.get(f"/?workspace={mine.id}&status=complete").get_data(as_text=True)
    assert "Payments resources, 20 in all" in in_mine
    assert "Page 1 of 1" not in in_mine and "pagination" not in in_mine
    pending = client.get(f"/?workspace={other.id}&status=not_started").get_data(as_text=True)
    assert listed_names(pending) == ["Other 01"]


def test_a_foreign_workspace_filter_is_ignored_not_leaked(client, auth, factory, ada):
    mine = factory.workspace(ada, "Mine")
    foreign = factory.workspace(name="Foreign")
    factory.resource(mine, "Alpha")
    factory.resource(foreign, "Secret")
    auth.login("ada@example.com")
    assert listed_names(client.get(f"/?workspace={foreign.id}").get_data(as_text=True)) == ["Alpha"]


def test_paginates_twenty_per_page(client, auth, factory, ada):
    workspace = factory.workspace(ada)
    for index in range(45):
        factory.resource(workspace, f"R{index:02d}")
    auth.login("ada@example.com")
    first = client.get("/").get_data(as_text=True)
    third = client.get("/?page=3").get_data(as_text=True)
    assert len(listed_names(first)) == 20
    assert len(listed_names(third)) == 5
    assert "Page 3 of 3" in third
    assert len(listed_names(client.get("/?page=99").get_data(as_text=True))) == 5
    assert len(listed_names(client.get("/?page=abc").get_data(as_text=True))) == 20


def test_empty_state_says_what_to_do_next(client, auth, factory, ada):
    factory.workspace(ada)
    auth.login("ada@example.com")
    html = client.get("/").get_data(as_text=True)
    assert "No payments resources yet" in html
    assert "New payments resource" in html


def test_a_user_without_workspaces_is_told_to_ask_for_access(client, auth, ada):
    auth.login("ada@example.com")
    assert "not a member of any workspace" in client.get("/").get_data(as_text=True)


def test_dashboard_query_count_is_the_same_for_1_and_200_resources(app, client, auth, factory, ada):
    app.config["DASHBOARD_PAGE_SIZE"] = 500
    workspace = factory.workspace(ada)
    factory.resource(workspace)
    auth.login("ada@example.com")
    client.get("/")  # warm caches
    with statements(app) as one:
        assert client.get("/").status_code == 200
    for _ in range(199):
        factory.resource(workspace)
    with statements(app) as many:
        html = client.get("/").get_data(as_text=True)
    app.config["DASHBOARD_PAGE_SIZE"] = 20
    assert len(listed_names(html)) == 200
    assert len(many) == len(one)

"""SQL statements per page stay few and the same at 1, 200 and 10,000 resources, 1 or 20 workspaces.

The large fixtures are bulk-inserted (one executemany per table) so the 10,000 case stays fast.
Every statement the engine sends during the request is counted, the user loader's included.
"""

from __future__ import annotations

import re

import pytest

from app.services import api_tokens
from tests.helpers import bulk_resources, statements

MAX_STATEMENTS_PER_PAGE = 5
# The dashboard: the signed-in person with their memberships, the page of rows with its total
# and each row's newest invite, the Stripe connections of the page's workspaces.
DASHBOARD_STATEMENTS = 3
# A page past the end comes back empty: the count alone, then the last page.
PAST_THE_END_STATEMENTS = DASHBOARD_STATEMENTS + 2
# The detail page: the person, the resource with its workspace's connections, its activity,
# its invites and its reminders.
DETAIL_STATEMENTS = 5
# /v1/servers: the token with its person, the page with its total.
API_STATEMENTS = 2


def listed_count(html: str) -> int:
    return len(re.findall(r'class="resource-name"', html))


@pytest.mark.parametrize("workspaces", [1, 20])
@pytest.mark.parametrize("resources", [1, 200, 10_000])
def test_pages_run_at_most_five_statements(app, client, auth, factory, resources, workspaces):
    owner = factory.user("ada@example.com")
    workspace_ids = [factory.workspace(owner, f"WS {n:02d}").id for n in range(workspaces)]
    server_ids = bulk_resources(app, workspace_ids, resources)
    with app.app_context():
        token = api_tokens.create_token(owner.id, "counts").secret
    auth.login("ada@example.com")
    pages = {
        "/": DASHBOARD_STATEMENTS,
        # Past the end, or nothing (no row, no connections), or page 2 of the filtered list.
        f"/?workspace={workspace_ids[-1]}&status=not_started&page=2": PAST_THE_END_STATEMENTS,
        "/?page=999": PAST_THE_END_STATEMENTS,
        f"/payments/{server_ids[-1]}": DETAIL_STATEMENTS,
    }
    client.get("/")  # warm Jinja's template cache
    for path, expected in pages.items():
        with statements(app) as seen:
            response = client.get(path)
        assert response.status_code == 200, path
        assert len(seen) <= expected <= MAX_STATEMENTS_PER_PAGE, (path, seen)
        if path in ("/", "/?page=999"):
            assert len(seen) == expected, (path, seen)
    with statements(app) as seen:
        html = client.get("/").get_data(as_text=True)
    assert listed_count(html) == min(resources, 20)
    # With 20 workspaces the page's rows come from all of them, still in the same statements.
    assert len(set(re.findall(r"class=\"meta\">(WS \d\d) ·", html))) == min(resources, workspaces)
    assert len(seen) == DASHBOARD_STATEMENTS
    bearer = {"Authorization": f"Bearer {token}"}
    client.get("/v1/servers", headers=bearer)  # a token's first use notes when; later ones don't
    with statements(app) as seen:
        answer = client.get("/v1/servers?perPage=20", headers=bearer)
    assert answer.status_code == 200
    assert answer.json["total"] == resources
    assert len(answer.json["items"]) == min(resources, 20)
    assert len(seen) == API_STATEMENTS, [s.split()[0:4] for s in seen]

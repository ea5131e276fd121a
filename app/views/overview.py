"""The workspace overview: where onboarding stands, as pictures with the numbers beside them."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.presentation import funnel_bars
from app.security.permissions import VIEW
from app.services.access import require_workspace
from app.services.overview import workspace_overview
from app.views.access_errors import answer_access_errors

bp = Blueprint("overview", __name__)
answer_access_errors(bp)


@bp.get("/workspaces/<workspace_id>/overview")
@login_required
def page(workspace_id: str) -> str:
    """Funnel of resources by status, time to complete, and who to chase first."""
    workspace = require_workspace(current_user.id, workspace_id, VIEW).workspace
    overview = workspace_overview(workspace_id)
    return render_template(
        "overview/page.html",
        workspace=workspace,
        overview=overview,
        bars=funnel_bars(overview.stages),
    )

"""A workspace's activity: its audit trail, filtered and paginated, and as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_login import current_user, login_required

from app.security.permissions import MANAGE
from app.services import activity
from app.services.access import require_workspace
from app.views.access_errors import answer_access_errors

bp = Blueprint("activity", __name__, url_prefix="/workspaces")
answer_access_errors(bp)


def _filter() -> activity.ActivityFilter:
    kind = request.args.get("kind") or None
    actor = request.args.get("person") or None
    return activity.ActivityFilter(
        kind=kind if kind in activity.KINDS else None,
        actor_user_id=actor[:32] if actor else None,
    )


@bp.get("/<workspace_id>/activity")
@login_required
def page(workspace_id: str) -> str:
    """Events newest first, filterable by kind and person (`workspace:manage`)."""
    membership = require_workspace(current_user.id, workspace_id, MANAGE)
    wanted = _filter()
    number = request.args.get("page", 1, type=int) or 1
    return render_template(
        "workspaces/activity.html",
        workspace=membership.workspace,
        wanted=wanted,
        kinds=activity.KIND_LABELS,
        people=activity.actors(workspace_id),
        result=activity.activity_page(
            workspace_id, wanted, page=number, per_page=current_app.config["ACTIVITY_PAGE_SIZE"]
        ),
        actor_label=activity.actor_label,
    )


@bp.get("/<workspace_id>/activity.csv")
@login_required
def export(workspace_id: str) -> Response:
    """The whole filtered trail as CSV, oldest first, safe to open in a spreadsheet."""
    require_workspace(current_user.id, workspace_id, MANAGE)
    lines = activity.export_csv(workspace_id, _filter())
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="activity-{workspace_id}.csv"'},
    )

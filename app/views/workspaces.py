"""Workspaces and members: create, rename, invite, change roles, remove, leave."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.forms.people import InviteForm, RoleForm, WorkspaceNameForm
from app.security.permissions import MANAGE, VIEW, permissions_for_role
from app.services import invitations, members
from app.services.access import require_workspace
from app.views.access_errors import answer_access_errors

bp = Blueprint("workspaces", __name__, url_prefix="/workspaces")
answer_access_errors(bp)


@bp.get("")
@login_required
def index() -> str:
    """The person's workspaces (the switcher) and the form to create one."""
    return _render_index(WorkspaceNameForm())[0]


def _render_index(form: WorkspaceNameForm, status: int = 200) -> tuple[str, int]:
    rows = [
        (workspace, role, MANAGE in permissions_for_role(role))
        for workspace, role in members.workspaces_of(current_user.id)
    ]
    return render_template("workspaces/index.html", workspaces=rows, form=form), status


@bp.post("")
@login_required
def create() -> Response | tuple[str, int]:
    """Create a workspace; its creator becomes the owner."""
    form = WorkspaceNameForm()
    if form.validate_on_submit():
        try:
            workspace = members.create_workspace(current_user.id, form.name.data)
        except members.MemberError as error:
            form.name.errors = [str(error)]
        else:
            flash(f"Created {workspace.name}. You are its owner.", "success")
            return redirect(url_for("workspaces.members_page", workspace_id=workspace.id), 303)
    return _render_index(form, 400)


def _render_members(
    workspace_id: str,
    *,
    invite_form: InviteForm | None = None,
    name_form: WorkspaceNameForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    mine = require_workspace(current_user.id, workspace_id, VIEW)
    can_manage = MANAGE in permissions_for_role(mine.role)
    workspace = mine.workspace
    return (
        render_template(
            "workspaces/members.html",
            workspace=workspace,
            my_role=mine.role,
            can_manage=can_manage,
            members=members.list_members(workspace_id),
            pending=invitations.list_pending(workspace_id) if can_manage else [],
            invite_form=invite_form or InviteForm(),
            name_form=name_form or WorkspaceNameForm(name=workspace.name),
            role_form=RoleForm(),
            email_features=current_app.config["EMAIL_FEATURES_ENABLED"],
        ),
        status,
    )


@bp.get("/<workspace_id>/members")
@login_required
def members_page(workspace_id: str) -> tuple[str, int]:
    """Members with their roles; for admins also pending invitations and the invite form."""
    return _render_members(workspace_id)


@bp.post("/<workspace_id>/name")
@login_required
def rename(workspace_id: str) -> Response | tuple[str, int]:
    """Rename the workspace (`workspace:manage`)."""
    require_workspace(current_user.id, workspace_id, MANAGE)
    form = WorkspaceNameForm()
    if form.validate_on_submit():
        try:
            members.rename_workspace(workspace_id, form.name.data, actor_user_id=current_user.id)
        except members.MemberError as error:
            form.name.errors = [str(error)]
        else:
            flash("Workspace renamed.", "success")
            return redirect(url_for("workspaces.members_page", workspace_id=workspace_id), 303)
    return _render_members(workspace_id, name_form=form, status=400)


@bp.post("/<workspace_id>/invitations")
@login_required
def invite(workspace_id: str) -> Response | tuple[str, int]:
    """Invite someone by email with a role; the mail goes out with this commit."""
    require_workspace(current_user.id, workspace_id, MANAGE)
    if not current_app.config["EMAIL_FEATURES_ENABLED"]:
        abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation = invitations.invite(
                workspace_id,
                actor_user_id=current_user.id,
                email=form.email.data,
                role=form.role.data,
            )
        except invitations.InvitationError as error:
            getattr(form, error.field).errors = [str(error)]
        else:
            flash(f"Invitation sent to {invitation.email}.", "success")
            return redirect(url_for("workspaces.members_page", workspace_id=workspace_id), 303)
    return _render_members(workspace_id, invite_form=form, status=400)


@bp.post("/<workspace_id>/invitations/<invitation_id>/resend")
@login_required
def resend_invitation(workspace_id: str, invitation_id: str) -> Response:
    """Send the invitation again with a fresh link; the old link stops working."""
    if not current_app.config["EMAIL_FEATURES_ENABLED"]:
        abort(404)
    invitation = invitations.resend(workspace_id, invitation_id, actor_user_id=current_user.id)
    flash(f"Sent a new invitation link to {invitation.email}.", "success")
    return redirect(url_for("workspaces.members_page", workspace_id=workspace_id), 303)


@bp.post("/<workspace_id>/invitations/<invitation_id>/revoke")
@login_required
def revoke_invitation(workspace_id: str, invitation_id: str) -> Response:
    """Withdraw a pending invitation."""
    invitation = invitations.revoke(workspace_id, invitation_id, actor_user_id=current_user.id)
    flash(f"Withdrew the invitation to {invitation.email}.", "success")
    return redirect(url_for("workspaces.members_page", workspace_id=workspace_id), 303)


@bp.post("/<workspace_id>/members/<user_id>/role")
@login_required
def change_role(workspace_id: str, user_id: str) -> Response | tuple[str, int]:
    """Give a member another role (never leaving the workspace without an owner)."""
    require_workspace(current_user.id, workspace_id, MANAGE)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose one of the roles listed.", "error")
        return _render_members(workspace_id, status=400)
    try:
        members.change_role_as(current_user.id, workspace_id, user_id, form.role.data)
    except members.MemberError as error:
        flash(str(error), "error")
        return _render_members(workspace_id, status=409)
    flash("Role changed.", "success")
    return redirect(url_for("workspaces.members_page", workspace_id=workspace_id), 303)


@bp.post("/<workspace_id>/members/<user_id>/remove")
@login_required
def remove(workspace_id: str, user_id: str) -> Response | tuple[str, int]:
    """Remove a member; their sessions lose the workspace with this request."""
    try:
        members.remove_member_as(current_user.id, workspace_id, user_id)
    except members.MemberError as error:
        flash(str(error), "error")
        return _render_members(workspace_id, status=409)
    if user_id == current_user.id:
        flash("You left the workspace.", "success")
        return redirect(url_for("workspaces.index"), 303)
    flash("Member removed.", "success")
    return redirect(url_for("workspaces.members_page", workspace_id=workspace_id), 303)


@bp.post("/<workspace_id>/leave")
@login_required
def leave(workspace_id: str) -> Response | tuple[str, int]:
    """Leave the workspace (any role; the last owner cannot)."""
    try:
        members.leave_workspace(current_user.id, workspace_id)
    except members.MemberError as error:
        flash(str(error), "error")
        return _render_members(workspace_id, status=409)
    flash("You left the workspace.", "success")
    return redirect(url_for("workspaces.index"), 303)

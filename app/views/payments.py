"""The dashboard of payments resources, their detail pages, and creating one."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app.forms.invites import OnboardingInviteForm
from app.forms.payments import PaymentsResourceForm
from app.presentation import onboarding_steps
from app.resource_rows import resource_rows
from app.security.permissions import MANAGE
from app.services import resource_list, resources
from app.services.invite_panel import invite_panel

bp = Blueprint("payments", __name__)


@bp.get("/")
@login_required
def dashboard() -> str:
    """Every payments resource in the user's workspaces, filterable and paginated."""
    workspaces = resources.user_workspaces(current_user)
    workspace_filter = request.args.get("workspace") or None
    if workspace_filter and workspace_filter not in {w.id for w in workspaces}:
        workspace_filter = None
    status_filter = request.args.get("status") or None
    if status_filter not in resource_list.STATUS_FILTERS:
        status_filter = None
    page = resource_list.list_resource_rows(
        current_user.id,
        workspace_id=workspace_filter,
        status=status_filter,
        page=request.args.get("page", 1, type=int) or 1,
        per_page=current_app.config["DASHBOARD_PAGE_SIZE"],
        among=[w.id for w in workspaces],
    )
    return render_template(
        "payments/dashboard.html",
        page=page,
        workspaces=workspaces,
        workspace_filter=workspace_filter,
        status_filter=status_filter,
        rows=resource_rows(page.items, resources.onboarding_panels(current_user, page.items)),
        can_create=bool(resources.user_workspaces(current_user, MANAGE)),
    )


@bp.get("/payments/<server_id>")
@login_required
def detail(server_id: str) -> str:
    """Everything about one payments resource, its requirements and its activity."""
    return render_detail(server_id, OnboardingInviteForm())


def render_detail(server_id: str, invite_form: OnboardingInviteForm) -> str:
    """The detail page in five statements: the signed-in person, the resource with its account,
    workspace and connections, its activity, its invites, its reminders."""
    server = resources.get_resource(current_user.id, server_id)
    return render_template(
        "payments/detail.html",
        server=server,
        steps=onboarding_steps(server.payments),
        ob=resources.resource_onboarding(current_user, server),
        activity=resources.recent_activity(server),
        invites=invite_panel(server),
        invite_form=invite_form,
    )


@bp.get("/payments/new")
@bp.post("/payments/new")
@login_required
def create() -> Response | tuple[str, int]:
    """Create a payments resource in a workspace the user manages."""
    manageable = resources.user_workspaces(current_user, MANAGE)
    if not manageable:
        abort(403)
    form = PaymentsResourceForm()
    form.workspace_id.choices = [SelectChoice(w.id, w.name) for w in manageable]
    if request.method == "GET" and request.args.get("workspace"):
        form.workspace_id.data = request.args["workspace"]
    if form.validate_on_submit():
        server = resources.create_payments_resource(
            workspace_id=form.workspace_id.data,
            user_id=current_user.id,
            name=form.name.data.strip(),
            description=(form.description.data or "").strip(),
            mode=form.mode.data,
            currency=form.currency.data,
            country=form.country.data,
        )
        flash(f"Created “{server.name}”. Connect it with Stripe when you're ready.", "success")
        return redirect(url_for("payments.detail", server_id=server.id), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("payments/new.html", form=form), status

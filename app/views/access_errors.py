"""Pages answer the workspace-access check's exceptions: 404 for outsiders, 403 for members."""

from __future__ import annotations

from flask import Blueprint

from app.errors import render_error
from app.services.access import NotFound, PermissionDenied


def answer_access_errors(bp: Blueprint) -> None:
    """Register the two translations on a blueprint whose views call `require_workspace`."""

    @bp.errorhandler(NotFound)
    def not_found(_error: NotFound):
        return render_error(404)

    @bp.errorhandler(PermissionDenied)
    def forbidden(_error: PermissionDenied):
        return render_error(403)

"""The OpenAPI document of the JSON APIs, as JSON and as a readable page."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template

from app.api.openapi import openapi_document
from app.api.reference_page import reference_page

bp = Blueprint("docs", __name__)


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI 3.1 document of /v1 and /web/v1 (public: it holds no secrets)."""
    return jsonify(openapi_document(current_app.config["API_VERSION"]))


@bp.get("/api/docs")
def page() -> str:
    """The API reference, rendered on the server from the same document."""
    document = openapi_document(current_app.config["API_VERSION"])
    return render_template("docs/api.html", reference=reference_page(document))

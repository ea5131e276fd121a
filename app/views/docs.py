"""The OpenAPI document of the JSON APIs, as JSON and as a readable page."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify, render_template
from markupsafe import Markup, escape

from app.api.openapi import openapi_document
from app.api.reference_page import reference_page

bp = Blueprint("docs", __name__)

_CODE_SPAN = re.compile(r"`([^`]+)`")


@bp.app_template_filter("inline_code")
def inline_code(text: str) -> Markup:
    """Escape `text`, then show its `backticked` spans as <code> (the document's markdown)."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))  # noqa: S704 — escaped


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 document of /v1 and /web/v1 (public: it holds no secrets)."""
    return jsonify(openapi_document(current_app.config["API_VERSION"]))


@bp.get("/api/docs")
def page():
    """The API reference, rendered on the server from the same document."""
    document = openapi_document(current_app.config["API_VERSION"])
    return render_template("docs/api.html", reference=reference_page(document))

"""Absolute URLs of our own routes, for links that leave the site (Stripe's redirects back).

Behind a proxy the request's host may be an internal name, and links minted outside a request
(a worker, the CLI) have no request at all; `PUBLIC_BASE_URL` says where the world reaches us.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

from app.services.onboarding import LinkUrls


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint`, on `PUBLIC_BASE_URL` when configured."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        if not has_request_context() and not current_app.config.get("SERVER_NAME"):
            raise RuntimeError("Set PUBLIC_BASE_URL to build links outside a request.")
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base.rstrip("/"))
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def sends_https_links() -> bool:
    """Whether the return and refresh URLs we give Stripe are https:// (live mode needs it).

    Outside a request and without PUBLIC_BASE_URL no link can be built at all: not https.
    """
    if not current_app.config.get("PUBLIC_BASE_URL") and not has_request_context():
        return False
    return external_url("onboarding.return_", server_id="any").startswith("https://")


def onboarding_urls(server_id: str) -> LinkUrls:
    """Where a resource's Account Links send the person back: the resource is in the path."""
    return LinkUrls(
        refresh_url=external_url("onboarding.refresh", server_id=server_id),
        return_url=external_url("onboarding.return_", server_id=server_id),
    )

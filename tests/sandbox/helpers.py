"""What the sandbox's own tests call: known keys and URLs, and a raw HTTP request."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

OTHER_PLATFORM_KEY = "sk_test_other_platform_0002"
REFRESH_URL = "https://platform.example/connect/refresh"
RETURN_URL = "https://platform.example/connect/return"


@dataclass
class Reply:
    """A raw HTTP answer: status, headers (lower-cased names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def location(self) -> str | None:
        """The redirect target, if any."""
        return self.headers.get("location")


def fetch(
    url: str,
    method: str = "GET",
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One real HTTP request that does not follow redirects."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        body = urlencode(form).encode() if form is not None else None
        sent = dict(headers or {})
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        reply = Reply(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()
    return reply

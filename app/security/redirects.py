"""Safe `next` targets: only same-site paths; anything else falls back to `/`."""

from __future__ import annotations

from urllib.parse import urlsplit

_FORBIDDEN_CHARS = ("\\", "\r", "\n", "\t", "\x00")


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Return `target` when it is a plain path on this site, else `fallback`.

    Rejects absolute URLs, scheme-relative `//host`, backslash tricks browsers normalise to
    `//host` (`/\\evil`), control characters, and anything with a scheme or host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    if any(ch in target for ch in _FORBIDDEN_CHARS):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target

"""Which language a page or mail is in. Only the invitee's pages and the invite and reminder
mails are translated (en, de, fr, es); the rest of the app is English, whatever the
browser asks.

An invite carries a locale (chosen by the inviter); without one, the invitee's browser decides
(`Accept-Language`). Mails are rendered outside the invitee's request, under `force_locale`.
"""

from __future__ import annotations

from datetime import datetime

from flask import g, has_request_context, request
from flask_babel import format_date, format_time, get_locale

LOCALES = ("en", "de", "fr", "es")
DEFAULT_LOCALE = "en"
# The invitee's pages: the only ones the browser's language reaches (status words and
# requirement names are translatable, and the members' pages share them).
INVITEE_ENDPOINTS = frozenset(
    {
        "invites.landing",
        "invites.continue_",
        "invites.continue_proven",
        "invites.return_",
        "invites.refresh",
    }
)


def select_locale() -> str:
    """The locale for this request: the invite's, else the browser's best match, else English."""
    if not has_request_context():
        return DEFAULT_LOCALE
    if request.endpoint not in INVITEE_ENDPOINTS:
        return DEFAULT_LOCALE
    chosen = g.get("invite_locale")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def local_datetime(value: datetime | None) -> str:
    """A UTC timestamp in the current locale's words: `11 December 2026, 14:16 UTC` (en)."""
    if value is None:
        return "—"
    return f"{format_date(value, 'long')}, {format_time(value, 'short')} UTC"


def current_locale() -> str:
    """The language of this page, for its `lang` attribute."""
    return str(get_locale() or DEFAULT_LOCALE)

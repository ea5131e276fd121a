"""The mail catcher's page: every message received, newest first, with clickable links."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, jsonify, redirect, render_template
from markupsafe import Markup, escape

from mail_catcher import MailCatcher

_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Escape `text` and make each http(s) URL in it a link."""
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(escape(text[last : match.start()]))
        url = escape(match.group(0))
        out.append(Markup(f'<a href="{url}">{url}</a>'))  # noqa: S704 — both parts escaped
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def create_web_app(catcher: MailCatcher) -> Flask:
    """A small Flask app over the catcher's messages."""
    web = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))
    web.add_template_filter(linkify, "linkify")

    @web.get("/")
    def index():
        """Every message, newest first."""
        messages = list(reversed(catcher.messages))
        return render_template("index.html", messages=messages, smtp_port=catcher.port)

    @web.get("/messages.json")
    def messages_json():
        """The same, for scripts."""
        return jsonify(
            [
                {
                    "subject": m.subject,
                    "to": m.to,
                    "messageId": m.message_id,
                    "text": m.text,
                    "html": m.html,
                }
                for m in catcher.messages
            ]
        )

    @web.post("/clear")
    def clear():
        """Forget every message."""
        catcher.clear()
        return redirect("/", code=303)

    return web

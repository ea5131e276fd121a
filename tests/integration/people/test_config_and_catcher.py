"""Mail settings in production, turning email features off, and the dev mail catcher's page."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from cryptography.fernet import Fernet

from app import create_app
from app.config import UnsafeConfigError
from mail_catcher import MailCatcher
from mail_catcher.web import create_web_app

PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "x" * 40,
    "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
    "JWT_SECRET": "y" * 40,
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "PUBLIC_BASE_URL": "https://onboarding.example.com",
    "WEB_CONCURRENCY": 1,
    "TRUSTED_HOSTS": ["localhost"],  # the test client's host
}


def test_production_refuses_to_start_without_smtp_while_mail_features_are_on(monkeypatch):
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    with pytest.raises(UnsafeConfigError, match="set MAIL_SERVER") as refused:
        create_app(PRODUCTION)
    assert "\n" not in str(refused.value)


def test_production_starts_without_smtp_when_mail_features_are_off(monkeypatch):
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    app = create_app({**PRODUCTION, "EMAIL_FEATURES_ENABLED": False})
    client = app.test_client()
    assert client.get("/account/forgot-password").status_code == 404
    assert client.get("/invitations/anything").status_code == 404


def test_production_never_links_the_mail_catcher():
    app = create_app(
        {**PRODUCTION, "MAIL_SERVER": "smtp.example.com", "MAIL_CATCHER_URL": "http://x"}
    )
    assert app.config["MAIL_CATCHER_URL"] is None


def test_the_footer_links_the_mail_catcher_when_configured(app, client):
    assert "dev mail catcher" not in client.get("/auth/login").get_data(as_text=True)
    app.config["MAIL_CATCHER_URL"] = "http://127.0.0.1:1080"
    try:
        html = client.get("/auth/login").get_data(as_text=True)
    finally:
        app.config["MAIL_CATCHER_URL"] = None
    assert '<a href="http://127.0.0.1:1080">Mail sent (dev mail catcher)</a>' in html


def test_the_catcher_page_lists_mail_with_links_clickable_and_markup_escaped():
    catcher = MailCatcher().start()
    try:
        message = EmailMessage()
        message["Subject"] = "Join <Acme>"
        message["From"] = "app@example.com"
        message["To"] = "nina@example.com"
        message["Message-ID"] = "<mail_1@connect-onboarding.mail>"
        message.set_content("Open https://app.example/invitations/abc?x=1&y=2 <script>")
        message.add_alternative("<p>Hello <b>Nina</b></p>", subtype="html")
        with smtplib.SMTP("127.0.0.1", catcher.port, timeout=5) as smtp:
            smtp.send_message(message)
        web = create_web_app(catcher).test_client()
        html = web.get("/").get_data(as_text=True)
        listed = web.get("/messages.json").get_json()
        cleared = web.post("/clear")
    finally:
        catcher.stop()
    assert "Join &lt;Acme&gt;" in html
    assert (
        '<a href="https://app.example/invitations/abc?x=1&amp;y=2">'
        "https://app.example/invitations/abc?x=1&amp;y=2</a>" in html
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'srcdoc="&lt;p&gt;Hello &lt;b&gt;Nina&lt;/b&gt;&lt;/p&gt;' in html
    assert listed[0]["messageId"] == "<mail_1@connect-onboarding.mail>"
    assert listed[0]["html"].strip() == "<p>Hello <b>Nina</b></p>"
    assert cleared.status_code == 303 and catcher.messages == []

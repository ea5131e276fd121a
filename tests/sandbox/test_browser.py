"""One real browser walk through hosted onboarding, with screenshots to look at."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class PlatformPage(BaseHTTPRequestHandler):
    """Stands in for the platform's return and refresh pages."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = f"<h1>Back on the platform: {self.path}</h1>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Stay quiet."""


@pytest.fixture
def platform_url() -> Iterator[str]:
    """Base URL of a tiny local server answering the platform's return/refresh URLs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), PlatformPage)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.e2e
def test_person_completes_onboarding_in_a_browser(
    sandbox, stripe_client, express_account, platform_url, page, screenshot
):
    refresh_url, return_url = f"{platform_url}/connect/refresh", f"{platform_url}/connect/return"
    link = stripe_client.v1.account_links.create(
        params={
            "account": express_account.id,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
        }
    )
    page.goto(link.url)
    assert page.get_by_role("heading", name="Set up payouts").is_visible()
    screenshot("hosted-onboarding")

    page.get_by_role("button", name="Submit everything").click()
    page.wait_for_url(return_url)
    assert page.get_by_role("heading", name="Back on the platform: /connect/return").is_visible()
    account = stripe_client.v1.accounts.retrieve(express_account.id)
    assert account.details_submitted and account.charges_enabled and account.payouts_enabled

    page.goto(link.url)
    page.wait_for_url(refresh_url)

    login = stripe_client.v1.accounts.login_links.create(express_account.id)
    page.goto(login.url)
    assert page.get_by_text("Payouts enabled").is_visible()
    screenshot("express-dashboard")
    page.goto(login.url)
    assert page.get_by_role("heading", name="This login link has expired").is_visible()
    screenshot("login-link-expired")

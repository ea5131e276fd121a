"""The hosted onboarding page and Express dashboard, driven over real HTTP."""

from __future__ import annotations

import re

from tests.sandbox.helpers import REFRESH_URL, RETURN_URL, fetch


def open_form(url: str) -> tuple[str, str]:
    """GET a link's page; return (page text, the form's action path)."""
    reply = fetch(url)
    assert reply.status == 200, reply.location
    page = reply.body.decode()
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
    return page, action


def choose(sandbox, action: str, outcome: str):
    return fetch(f"{sandbox.url}{action}", "POST", form={"outcome": outcome})


def test_page_names_the_account_platform_and_every_outcome(
    sandbox, onboarding_link, express_account
):
    page, _ = open_form(onboarding_link)
    assert express_account.id in page
    assert sandbox.platform_account_id("sk_test_sandbox_platform_0001") in page
    assert "account_onboarding" in page
    for button_id, label in [
        ("outcome-complete", "Submit everything"),
        ("outcome-pending-verification", "Submit, pending verification"),
        ("outcome-leave", "Leave for now"),
        ("outcome-missing-info", "Submit with missing info"),
    ]:
        assert re.search(rf'id="{button_id}"[^>]*>{re.escape(label)}</button>', page)
    assert "<script" not in page


def test_submit_everything_completes_the_account(
    sandbox, stripe_client, onboarding_link, express_account
):
    _, action = open_form(onboarding_link)
    reply = choose(sandbox, action, "complete")
    assert (reply.status, reply.location) == (303, RETURN_URL)
    account = stripe_client.v1.accounts.retrieve(express_account.id)
    assert account.details_submitted and account.charges_enabled and account.payouts_enabled
    assert account.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}
    assert account.requirements.currently_due == []
    assert account.requirements.disabled_reason is None


def test_pending_verification_leaves_the_account_under_review(
    sandbox, stripe_client, onboarding_link, express_account
):
    _, action = open_form(onboarding_link)
    assert choose(sandbox, action, "pending_verification").location == RETURN_URL
    account = stripe_client.v1.accounts.retrieve(express_account.id)
    assert account.details_submitted is True
    assert account.charges_enabled is False
    assert account.requirements.pending_verification
    assert account.requirements.disabled_reason == "requirements.pending_verification"
    assert account.capabilities.card_payments == "pending"


def test_leave_for_now_returns_without_changing_anything(
    sandbox, stripe_client, onboarding_link, express_account
):
    _, action = open_form(onboarding_link)
    assert choose(sandbox, action, "leave").location == RETURN_URL
    account = stripe_client.v1.accounts.retrieve(express_account.id)
    assert account.details_submitted is False
    assert account.requirements.currently_due == express_account.requirements.currently_due


def test_missing_info_restricts_the_account_with_an_error(
    sandbox, stripe_client, onboarding_link, express_account
):
    _, action = open_form(onboarding_link)
    assert choose(sandbox, action, "missing_info").location == RETURN_URL
    account = stripe_client.v1.accounts.retrieve(express_account.id)
    requirements = account.requirements
    assert account.details_submitted is True and account.charges_enabled is False
    assert requirements.past_due and requirements.current_deadline
    assert requirements.disabled_reason == "requirements.past_due"
    assert requirements.errors[0].requirement in requirements.past_due


def test_a_link_works_once_then_bounces_to_refresh_url(onboarding_link):
    assert fetch(onboarding_link).status == 200
    second = fetch(onboarding_link)
    assert second.status in (302, 303)
    assert second.location == REFRESH_URL


def test_an_expired_link_bounces_to_refresh_url(sandbox, onboarding_link):
    sandbox.expire_link(onboarding_link)
    reply = fetch(onboarding_link)
    assert (reply.status, reply.location) == (302, REFRESH_URL)


def test_the_form_can_be_submitted_only_once(sandbox, onboarding_link):
    _, action = open_form(onboarding_link)
    assert choose(sandbox, action, "complete").location == RETURN_URL
    assert choose(sandbox, action, "complete").location == REFRESH_URL


def test_an_unknown_link_shows_an_error_page(sandbox):
    reply = fetch(f"{sandbox.url}/setup/notARealToken")
    assert reply.status == 404
    assert b"This link isn" in reply.body


def test_v2_link_opens_the_same_flow(sandbox, stripe_client, express_account):
    link = stripe_client.v2.core.account_links.create(
        params={
            "account": express_account.id,
            "use_case": {
                "type": "account_onboarding",
                "account_onboarding": {"refresh_url": REFRESH_URL, "return_url": RETURN_URL},
            },
        }
    )
    _, action = open_form(link.url)
    assert choose(sandbox, action, "complete").location == RETURN_URL
    assert fetch(link.url).location == REFRESH_URL
    assert stripe_client.v1.accounts.retrieve(express_account.id).payouts_enabled is True


def test_login_link_opens_the_dashboard_once(sandbox, stripe_client, express_account):
    sandbox.force_account_state(express_account.id, "complete")
    url = stripe_client.v1.accounts.login_links.create(express_account.id).url
    first = fetch(url)
    assert first.status == 200 and b"Express Dashboard" in first.body
    assert fetch(url).status == 410


def test_hosted_pages_are_never_cached(onboarding_link):
    headers = fetch(onboarding_link).headers
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"

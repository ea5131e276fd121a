"""Tried as a new platform: Stripe's refusals in words, the same class on the page and in /v1.

Each case puts the sandbox in one of its strict modes (Stripe's answers for a platform that is
not yet set up), presses Connect on the page and calls /v1's connect-account, and checks both
name the cause and the action, with the table's statuses and codes, and that no key or link
URL reaches the page, the JSON or any log line.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import pytest

from app.api.v1.errors import ERRORS as V1_ERRORS
from app.api.web_v1.errors import ERRORS as WEB_ERRORS
from app.extensions import db
from app.models import StripeConnection
from app.services import api_tokens
from app.stripe_errors import REFUSALS, StripeFacts, classify, clean_message
from tests.helpers import PLATFORM_KEY, ApiClient, account_creations, connect_path
from tests.integration.onboarding.test_connect import connect

RESTRICTED_KEY = "rk_test_restrictedConnectionKey000000000001"
# Any URL but Stripe's dashboard and docs help links (an Account Link would be one).
FOREIGN_URL = re.compile(r"https?://(?!dashboard\.stripe\.com|docs\.stripe\.com)[^\s\"'<>]+")


@pytest.fixture
def api(app, signed_in) -> ApiClient:
    """A /v1 bearer client acting as the signed-in owner."""
    with app.app_context():
        token = api_tokens.create_token(signed_in.owner.id, "tests").secret
    return ApiClient(app.test_client(), token)


@dataclass(frozen=True)
class Case:
    """One strict mode, and what both surfaces must say."""

    name: str
    status: int
    v1_code: str
    cause_words: str
    action_words: str


CASES = [
    Case(
        "platform_profile",
        409,
        "stripe_platform_profile",
        "responsibilities for losses",
        "Settings → Connect → Platform profile",
    ),
    Case("https_required", 409, "stripe_https_required", "https://", "PUBLIC_BASE_URL"),
    Case(
        "permission_missing",
        409,
        "stripe_permission_missing",
        "“rak_account_links_write” permission",
        "Give the key that permission",
    ),
    Case(
        "endpoint_not_enabled",
        409,
        "stripe_endpoint_not_enabled",
        "does not offer this endpoint",
        "must enable it",
    ),
]


def _strict_mode(case: Case, sandbox, signed_in, store_connection) -> str:
    """Put the sandbox in the case's mode; the key Connect will use."""
    if case.name == "platform_profile":
        sandbox.configure_platform(PLATFORM_KEY, profile_complete=False)
    elif case.name == "https_required":
        sandbox.configure_platform(PLATFORM_KEY, livemode=True)
    elif case.name == "permission_missing":
        sandbox.add_restricted_key(
            RESTRICTED_KEY, ["rak_accounts_read", "rak_accounts_write"], PLATFORM_KEY
        )
        store_connection(signed_in.workspace.id, RESTRICTED_KEY)
        return RESTRICTED_KEY
    else:
        sandbox.configure_platform(PLATFORM_KEY, unavailable_paths=["/v1/account_links"])
    return PLATFORM_KEY


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_new_platforms_refusal_names_cause_and_action_on_the_page_and_in_v1(
    app, auth, signed_in, sandbox, store_connection, api, caplog, case
):
    key = _strict_mode(case, sandbox, signed_in, store_connection)
    server_id = signed_in.server.id

    with caplog.at_level(logging.DEBUG):
        page = connect(auth, server_id)
        answer = api.post(connect_path(server_id))

    html = page.get_data(as_text=True)
    assert page.status_code == case.status
    assert case.cause_words in html and case.action_words in html
    # The owner is a workspace admin: Stripe's own words are shown, with its request id.
    assert "Stripe said:" in html and "req_" in html
    error = answer.get_json()["error"]
    assert (answer.status_code, error["code"]) == (case.status, case.v1_code)
    assert case.cause_words in error["message"] and case.action_words in error["message"]
    assert "Stripe said:" in error["message"] and "req_" in error["message"]
    for text in (html, answer.get_data(as_text=True), caplog.text):
        assert key not in text
        assert "/setup/" not in text  # the sandbox's Account Link path
    assert not FOREIGN_URL.search(html.split("<footer", 1)[0].split("<main", 1)[-1])
    assert not FOREIGN_URL.search(error["message"])


def test_a_restricted_key_missing_one_permission_does_not_flag_the_connection(
    app, auth, signed_in, sandbox, store_connection
):
    sandbox.add_restricted_key(
        RESTRICTED_KEY, ["rak_accounts_read", "rak_accounts_write"], PLATFORM_KEY
    )
    connection_id = store_connection(signed_in.workspace.id, RESTRICTED_KEY)

    assert connect(auth, signed_in.server.id).status_code == 409

    with app.app_context():
        assert db.session.get(StripeConnection, connection_id).attention_reason is None


def test_members_who_cannot_act_see_the_sentence_but_not_stripes_words(
    app, auth, owned, factory, sandbox
):
    sandbox.configure_platform(PLATFORM_KEY, profile_complete=False)
    member = factory.member(owned.workspace, "developer")
    auth.login(member.email)

    page = connect(auth, owned.server.id)

    html = page.get_data(as_text=True)
    assert page.status_code == 409
    assert "Platform profile" in html
    assert "Stripe said:" not in html


def test_a_refused_creation_fixed_at_stripe_succeeds_on_the_next_connect(
    auth, signed_in, sandbox, stored, accounts_api
):
    sandbox.configure_platform(PLATFORM_KEY, profile_complete=False)
    server_id = signed_in.server.id
    assert connect(auth, server_id).status_code == 409
    # Stripe keeps that 400 under the idempotency key for 24 hours: the same key would replay it.
    [refused] = account_creations(sandbox, accounts_api)
    assert refused["status"] == 400

    sandbox.configure_platform(PLATFORM_KEY, profile_complete=True)
    response = connect(auth, server_id)

    assert response.status_code == 303
    assert stored(server_id).stripe_account_id is not None
    creates = account_creations(sandbox, accounts_api)
    assert [r["status"] for r in creates] == [400, 200]
    assert creates[0]["idempotency_key"] != creates[1]["idempotency_key"]
    assert not creates[1]["replayed"]
    assert len(sandbox.accounts()) == 1


def test_a_changed_country_never_reuses_the_refused_creations_key(
    app, auth, signed_in, sandbox, stored
):
    sandbox.configure_platform(PLATFORM_KEY, unsupported_capabilities={"DE": ["card_payments"]})
    server_id = signed_in.server.id
    assert connect(auth, server_id).status_code == 409

    sandbox.configure_platform(PLATFORM_KEY, unsupported_capabilities={})
    assert connect(auth, server_id, country="FR").status_code == 303

    creates = [r for r in sandbox.requests("/v1/accounts") if r["method"] == "POST"]
    assert [r["status"] for r in creates] == [400, 200]
    assert len({r["idempotency_key"] for r in creates}) == 2


@pytest.mark.parametrize(
    ("facts", "cause"),
    [
        (StripeFacts(status=None, unreachable=True), "unavailable"),
        (StripeFacts(status=429), "unavailable"),
        (StripeFacts(status=500, replayed=True), "unavailable"),
        (StripeFacts(status=401, message="Invalid API Key provided: [redacted]"), "key_rejected"),
        (
            StripeFacts(
                status=403,
                message="The provided key '[redacted]' does not have the required permissions "
                "for this endpoint on account 'acct_1'. Having the 'rak_x' permission would…",
            ),
            "permission_missing",
        ),
        (StripeFacts(status=403, code="account_invalid"), "account_not_found"),
        (
            StripeFacts(
                status=404, code="resource_missing", param="account", message="No such account"
            ),
            "account_not_found",
        ),
        (
            StripeFacts(status=400, code="resource_missing", param="charge", message="No such x"),
            "request_rejected",
        ),
        (
            StripeFacts(status=404, message="Unrecognized request URL (POST: /v2/core/accounts)."),
            "endpoint_not_enabled",
        ),
        (
            StripeFacts(
                status=400,
                replayed=True,
                message="Please review the responsibilities of managing losses for connected "
                "accounts at https://dashboard.stripe.com/settings/connect/platform-profile.",
            ),
            "platform_profile",
        ),
        (
            StripeFacts(
                status=400, message="Livemode requests must always be redirected via HTTPS."
            ),
            "https_required",
        ),
        (StripeFacts(status=400, param="capabilities[card_payments]"), "capability_unavailable"),
        (StripeFacts(status=400, code="idempotency_error"), "request_rejected"),
    ],
)
def test_the_table_classifies_stripes_answers(facts, cause):
    assert classify(facts).cause == cause


def test_every_row_is_answered_by_both_api_tables_with_its_own_status_and_code():
    web = {rule.exception: rule for rule in WEB_ERRORS}
    v1 = {rule.exception: rule for rule in V1_ERRORS}
    for row in REFUSALS:
        assert (web[row.exception].status, web[row.exception].code) == (
            row.v1_status,
            row.web_code,
        )
        assert (v1[row.exception].status, v1[row.exception].code) == (row.v1_status, row.v1_code)


@pytest.mark.parametrize(
    ("message", "cleaned"),
    [
        ("Invalid API Key provided: sk_live_abc123", "Invalid API Key provided: [redacted]"),
        ("key 'rk_test_*****abcdef' lacks", "key '[redacted]' lacks"),
        ("signed with whsec_abc", "signed with [redacted]"),
        ("go to https://connect.stripe.com/setup/e/acct_1/x now", "go to [link removed] now"),
        (
            "see https://dashboard.stripe.com/settings/connect/platform-profile.",
            "see https://dashboard.stripe.com/settings/connect/platform-profile.",
        ),
        ("mail ops@example.com", "mail [redacted]"),
    ],
)
def test_stripes_message_is_cleaned_of_keys_secrets_and_link_urls(message, cleaned):
    assert clean_message(message) == cleaned

"""Accounts v2 over the real SDK: create, update, retrieve with `include`, links, errors."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox.platforms import PLATFORM_PROFILE_MESSAGE
from tests.sandbox.helpers import OTHER_PLATFORM_KEY, REFRESH_URL, RETURN_URL, fetch

INCLUDE = [
    "requirements",
    "future_requirements",
    "configuration.merchant",
    "configuration.recipient",
    "identity",
    "defaults",
]


def v2_create_params(**overrides):
    """The body the app sends for a merchant + recipient account."""
    params = {
        "contact_email": "owner@resource.example",
        "display_name": "Corner Shop",
        "dashboard": "express",
        "identity": {"country": "DE"},
        "defaults": {
            "responsibilities": {
                "fees_collector": "application",
                "losses_collector": "application",
            }
        },
        "configuration": {
            "merchant": {"capabilities": {"card_payments": {"requested": True}}},
            "recipient": {
                "capabilities": {"stripe_balance": {"stripe_transfers": {"requested": True}}}
            },
        },
        "metadata": {"payments_id": "p-1"},
        "include": INCLUDE,
    }
    return {**params, **overrides}


@pytest.fixture
def v2_account(stripe_client):
    """A fresh v2 account with merchant and recipient configurations."""
    return stripe_client.v2.core.accounts.create(params=v2_create_params())


def test_create_answers_the_v2_shape_with_what_was_included(v2_account):
    assert v2_account.object == "v2.core.account"
    assert v2_account.id.startswith("acct_1")
    assert v2_account.contact_email == "owner@resource.example"
    assert v2_account.display_name == "Corner Shop"
    assert v2_account.dashboard == "express"
    assert v2_account.applied_configurations == ["merchant", "recipient"]
    assert v2_account.identity.country == "DE"
    assert v2_account.defaults.currency == "eur"  # from the country
    assert v2_account.defaults.responsibilities.losses_collector == "application"
    merchant = v2_account.configuration.merchant.capabilities
    assert merchant.card_payments.status == "restricted"
    recipient = v2_account.configuration.recipient.capabilities
    assert recipient.stripe_balance.stripe_transfers.status == "restricted"
    assert v2_account.metadata.to_dict() == {"payments_id": "p-1"}
    entries = v2_account.requirements.entries
    assert {entry.description for entry in entries} >= {"external_account"}
    assert v2_account.requirements.summary.minimum_deadline.status == "past_due"
    assert v2_account.future_requirements.entries == []


def test_retrieve_fills_only_what_include_asks_for(stripe_client, v2_account):
    bare = stripe_client.v2.core.accounts.retrieve(v2_account.id)
    assert bare.requirements is None
    assert bare.configuration is None
    assert bare.identity is None
    merchant_only = stripe_client.v2.core.accounts.retrieve(
        v2_account.id, params={"include": ["configuration.merchant"]}
    )
    assert merchant_only.configuration.merchant.capabilities.card_payments.status
    assert merchant_only.configuration.recipient is None


def test_a_v2_account_is_the_same_account_on_v1(stripe_client, sandbox, v2_account):
    v1 = stripe_client.v1.accounts.retrieve(v2_account.id)
    assert (v1.country, v1.default_currency, v1.email) == ("DE", "eur", "owner@resource.example")
    assert v1.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    sandbox.force_account_state(v2_account.id, "complete")
    after = stripe_client.v2.core.accounts.retrieve(v2_account.id, params={"include": INCLUDE})
    assert after.configuration.merchant.capabilities.card_payments.status == "active"
    assert after.requirements.entries == []
    assert after.requirements.summary.minimum_deadline is None


def test_a_recipient_only_account_requests_only_transfers(stripe_client):
    params = v2_create_params(
        configuration={
            "recipient": {
                "capabilities": {"stripe_balance": {"stripe_transfers": {"requested": True}}}
            }
        }
    )
    account = stripe_client.v2.core.accounts.create(params=params)
    assert account.applied_configurations == ["recipient"]
    assert account.configuration.merchant is None
    assert stripe_client.v1.accounts.retrieve(account.id).capabilities.to_dict() == {
        "transfers": "inactive"
    }


def test_deadlines_show_in_the_v2_summary(stripe_client, sandbox, v2_account):
    sandbox.force_account_state(v2_account.id, "complete")
    deadline = sandbox.now() + 7 * 86_400
    sandbox.set_requirements(
        v2_account.id,
        {"current_deadline": deadline, "currently_due": ["external_account"]},
        {"currently_due": ["representative.id_number"]},
    )
    account = stripe_client.v2.core.accounts.retrieve(v2_account.id, params={"include": INCLUDE})
    summary = account.requirements.summary.minimum_deadline
    assert summary.status == "currently_due"
    assert summary.time.endswith("Z")
    (entry,) = account.requirements.entries
    assert entry.description == "external_account"
    assert entry.minimum_deadline.status == "currently_due"
    assert [e.description for e in account.future_requirements.entries] == [
        "representative.id_number"
    ]


def test_update_changes_contact_metadata_and_keeps_the_country(stripe_client, v2_account):
    updated = stripe_client.v2.core.accounts.update(
        v2_account.id,
        params={
            "contact_email": "new@resource.example",
            "metadata": {"payments_id": None, "extra": "1"},
        },
    )
    assert updated.contact_email == "new@resource.example"
    assert updated.metadata.to_dict() == {"extra": "1"}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v2.core.accounts.update(v2_account.id, params={"identity": {"country": "FR"}})
    assert raised.value.json_body["error"]["param"] == "identity.country"


def test_unfinished_platform_profile_refuses_platform_liable_v2_accounts(sandbox, stripe_client):
    sandbox.configure_platform(profile_complete=False)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v2.core.accounts.create(params=v2_create_params())
    assert raised.value.json_body["error"]["message"] == PLATFORM_PROFILE_MESSAGE
    stripe_liable = v2_create_params(
        dashboard="full",
        defaults={"responsibilities": {"fees_collector": "stripe", "losses_collector": "stripe"}},
    )
    assert stripe_client.v2.core.accounts.create(params=stripe_liable).id


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"colour": "blue"}, "parameter_unknown", "colour"),
        ({"identity": {"nickname": "x"}}, "parameter_unknown", "identity.nickname"),
        ({"dashboard": "platinum"}, None, "dashboard"),
    ],
)
def test_invalid_v2_params_get_v2_errors(stripe_client, params, code, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v2.core.accounts.create(params=params)
    error = raised.value.json_body["error"]
    assert raised.value.http_status == 400
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)
    assert "doc_url" not in error


def test_foreign_v2_account_is_not_found(make_client, v2_account):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        make_client(OTHER_PLATFORM_KEY).v2.core.accounts.retrieve(v2_account.id)
    assert raised.value.http_status == 404


def test_v2_posts_replay_under_their_idempotency_key(stripe_client, sandbox):
    options = {"idempotency_key": "v2-create-1"}
    first = stripe_client.v2.core.accounts.create(params=v2_create_params(), options=options)
    again = stripe_client.v2.core.accounts.create(params=v2_create_params(), options=options)
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v2.core.accounts.create(
            params=v2_create_params(display_name="Other"), options=options
        )
    assert [stored["api"] for stored in sandbox.accounts()] == ["v2"]


def test_the_hosted_page_works_for_v2_accounts_and_links(stripe_client, v2_account):
    link = stripe_client.v2.core.account_links.create(
        params={
            "account": v2_account.id,
            "use_case": {
                "type": "account_onboarding",
                "account_onboarding": {"refresh_url": REFRESH_URL, "return_url": RETURN_URL},
            },
        }
    )
    assert link.account == v2_account.id
    page = fetch(link.url)
    assert page.status == 200
    assert b"Submit everything" in page.body


def test_v2_calls_on_a_young_v1_account_are_refused_until_it_is_ten_minutes_old(
    sandbox, stripe_client, express_account
):
    sandbox.configure_platform(v1_account_v2_delay=600)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v2.core.accounts.retrieve(express_account.id)
    assert raised.value.http_status == 400
    assert raised.value.code == "account_not_yet_available"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v2.core.account_links.create(
            params={
                "account": express_account.id,
                "use_case": {
                    "type": "account_onboarding",
                    "account_onboarding": {"refresh_url": REFRESH_URL},
                },
            }
        )
    sandbox.move_clock(advance=600)
    assert stripe_client.v2.core.accounts.retrieve(express_account.id).id == express_account.id


def test_live_mode_v2_links_need_https(sandbox, stripe_client):
    sandbox.configure_platform(livemode=True)
    account = stripe_client.v2.core.accounts.create(params=v2_create_params())
    assert account.livemode is True
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v2.core.account_links.create(
            params={
                "account": account.id,
                "use_case": {
                    "type": "account_onboarding",
                    "account_onboarding": {"refresh_url": "http://platform.example/r"},
                },
            }
        )
    assert "HTTPS" in raised.value.json_body["error"]["message"]


def test_the_v2_list_pages_newest_first_without_include_dependent_fields(stripe_client):
    made = [
        stripe_client.v2.core.accounts.create(params=v2_create_params(metadata={"n": str(n)}))
        for n in range(3)
    ]
    page = stripe_client.v2.core.accounts.list(params={"limit": 2})

    assert [account.id for account in page.data] == [made[2].id, made[1].id]
    assert page.next_page_url is not None
    assert page.data[0].requirements is None and page.data[0].configuration is None
    assert page.data[0].metadata.to_dict() == {"n": "2"}
    every = [account.id for account in page.auto_paging_iter()]
    assert every == [made[2].id, made[1].id, made[0].id]


def test_the_v2_list_filters_by_applied_configurations(stripe_client):
    both = stripe_client.v2.core.accounts.create(params=v2_create_params())
    recipient_only = stripe_client.v2.core.accounts.create(
        params=v2_create_params(
            configuration={
                "recipient": {
                    "capabilities": {"stripe_balance": {"stripe_transfers": {"requested": True}}}
                }
            }
        )
    )
    merchants = stripe_client.v2.core.accounts.list(params={"applied_configurations": ["merchant"]})
    recipients = stripe_client.v2.core.accounts.list(
        params={"applied_configurations": ["recipient"]}
    )

    assert [account.id for account in merchants.data] == [both.id]
    assert [account.id for account in recipients.data] == [recipient_only.id, both.id]


@pytest.mark.parametrize(("limit", "page"), [({"limit": 0}, None), ({"limit": 2}, "x9")])
def test_the_v2_list_refuses_a_bad_limit_or_page(stripe_client, limit, page):
    params = {**limit, **({"page": page} if page else {})}
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v2.core.accounts.list(params=params)


@pytest.mark.parametrize(
    ("state", "status", "code"),
    [
        ("new", "restricted", "requirements_past_due"),
        ("under_review", "pending", "requirements_pending_verification"),
        ("rejected", "rejected", "rejected_fraud"),
        ("paused", "restricted", "restricted_other"),
        ("complete", "active", None),
    ],
)
def test_capabilities_that_are_not_active_say_why(
    stripe_client, sandbox, v2_account, state, status, code
):
    sandbox.force_account_state(v2_account.id, state)
    account = stripe_client.v2.core.accounts.retrieve(v2_account.id, params={"include": INCLUDE})

    merchant = account.configuration.merchant.capabilities
    recipient = account.configuration.recipient.capabilities.stripe_balance
    for capability in (merchant.card_payments, recipient.stripe_transfers):
        assert capability.status == status
        assert [detail.code for detail in capability.status_details] == ([code] if code else [])
    payouts = {"complete": "active", "rejected": "rejected"}.get(state, "restricted")
    assert merchant.stripe_balance.payouts.status == recipient.payouts.status == payouts


def test_the_accepted_terms_show_as_the_identitys_attestation(stripe_client, sandbox, v2_account):
    terms = v2_account.identity.attestations.terms_of_service
    assert terms.account is None
    sandbox.force_account_state(v2_account.id, "complete")

    account = stripe_client.v2.core.accounts.retrieve(v2_account.id, params={"include": INCLUDE})

    accepted = account.identity.attestations.terms_of_service.account
    assert accepted.date.endswith("Z")
    assert account.defaults.responsibilities.requirements_collector == "stripe"

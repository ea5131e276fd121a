"""Accounts over the real SDK: create, retrieve, update, the platform account, ownership."""

from __future__ import annotations

import hashlib

import pytest
import stripe

from stripe_sandbox.ids import BASE62
from stripe_sandbox.testing import DEFAULT_TEST_KEY
from tests.sandbox.helpers import OTHER_PLATFORM_KEY


def test_new_express_account_is_not_yet_able_to_take_payments(express_account):
    assert express_account.id.startswith("acct_1") and len(express_account.id) == 21
    assert express_account.object == "account"
    assert express_account.type == "express"
    assert express_account.livemode is False
    assert express_account.details_submitted is False
    assert express_account.charges_enabled is False
    assert express_account.payouts_enabled is False
    assert express_account.capabilities.to_dict() == {
        "card_payments": "inactive",
        "transfers": "inactive",
    }
    requirements = express_account.requirements
    assert "external_account" in requirements.currently_due
    assert requirements.disabled_reason == "requirements.past_due"
    assert express_account.controller.stripe_dashboard.type == "express"


def test_create_keeps_metadata_profile_and_country(stripe_client):
    account = stripe_client.v1.accounts.create(
        params={
            "country": "de",
            "email": "shop@resource.example",
            "business_profile": {"name": "Corner Shop", "url": "https://shop.example"},
            "metadata": {"resource_id": "42"},
            "controller": {"stripe_dashboard": {"type": "express"}},
        }
    )
    fetched = stripe_client.v1.accounts.retrieve(account.id)
    assert fetched.country == "DE"
    assert fetched.email == "shop@resource.example"
    assert fetched.business_profile.name == "Corner Shop"
    assert fetched.metadata.to_dict() == {"resource_id": "42"}
    assert fetched.type == "none"  # accounts made with controller properties
    assert "business_profile.url" not in fetched.requirements.currently_due


def test_update_merges_metadata_and_an_empty_value_deletes_a_key(stripe_client, express_account):
    stripe_client.v1.accounts.update(express_account.id, params={"metadata": {"a": "1", "b": "2"}})
    updated = stripe_client.v1.accounts.update(express_account.id, params={"metadata": {"a": ""}})
    assert updated.metadata.to_dict() == {"b": "2"}


def test_platform_account_id_is_derived_from_the_key(stripe_client):
    digest = int.from_bytes(hashlib.sha256(DEFAULT_TEST_KEY.encode()).digest(), "big")
    digits = ""
    while digest:
        digest, rest = divmod(digest, 62)
        digits = BASE62[rest] + digits
    platform = stripe_client.v1.accounts.retrieve_current()
    assert platform.id == "acct_1" + digits[:15]
    assert platform.charges_enabled is True


def test_two_keys_see_two_different_platform_accounts(stripe_client, make_client):
    other = make_client(OTHER_PLATFORM_KEY)
    assert (
        stripe_client.v1.accounts.retrieve_current().id != other.v1.accounts.retrieve_current().id
    )


def test_another_platform_cannot_read_or_change_the_account(make_client, express_account):
    other = make_client(OTHER_PLATFORM_KEY)
    with pytest.raises(stripe.PermissionError) as raised:
        other.v1.accounts.retrieve(express_account.id)
    assert raised.value.http_status == 403
    assert raised.value.error.code == "account_invalid"
    assert express_account.id in str(raised.value.user_message)
    with pytest.raises(stripe.PermissionError):
        other.v1.accounts.update(express_account.id, params={"metadata": {"x": "y"}})


def test_unknown_account_gets_the_same_answer_as_a_foreign_one(stripe_client):
    with pytest.raises(stripe.PermissionError) as raised:
        stripe_client.v1.accounts.retrieve("acct_1DoesNotExist000")
    assert raised.value.error.code == "account_invalid"


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"colour": "blue"}, "parameter_unknown", "colour"),
        (
            {"business_profile": {"nickname": "x"}},
            "parameter_unknown",
            "business_profile[nickname]",
        ),
        ({"type": "platinum"}, None, "type"),
        ({"country": "Germany"}, None, "country"),
        (
            {"type": "express", "controller": {"stripe_dashboard": {"type": "express"}}},
            None,
            "type",
        ),
        (
            {"controller": {"requirement_collection": "application"}},
            None,
            "controller[stripe_dashboard][type]",
        ),
    ],
)
def test_invalid_create_params_are_refused_like_stripe(stripe_client, params, code, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.create(params=params)
    assert raised.value.http_status == 400
    assert raised.value.code == code
    assert raised.value.param == param


def test_v2_account_shows_dependent_fields_only_when_included(stripe_client, express_account):
    bare = stripe_client.v2.core.accounts.retrieve(express_account.id)
    assert bare.object == "v2.core.account"
    assert bare.contact_email == "owner@resource.example"
    assert bare.dashboard == "express"
    assert bare.requirements is None
    full = stripe_client.v2.core.accounts.retrieve(
        express_account.id, params={"include": ["requirements", "configuration.merchant"]}
    )
    assert full.configuration.merchant.capabilities.card_payments.status == "restricted"
    assert full.requirements.summary.minimum_deadline.status == "past_due"
    assert full.created.endswith("Z")


def test_v2_unknown_account_raises_not_found(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v2.core.accounts.retrieve("acct_1DoesNotExist000")
    assert raised.value.http_status == 404
    assert raised.value.code == "not_found"


@pytest.mark.parametrize(
    ("state", "submitted", "charges", "disabled_reason"),
    [
        ("complete", True, True, None),
        ("under_review", True, False, "requirements.pending_verification"),
        ("past_due", True, False, "requirements.past_due"),
        ("not-a-state", False, False, "requirements.past_due"),
    ],
)
def test_metadata_sandbox_state_starts_the_account_in_that_state(
    stripe_client, sandbox, state, submitted, charges, disabled_reason
):
    account = stripe_client.v1.accounts.create(
        params={"type": "express", "metadata": {"sandbox_state": state}}
    )
    assert account.details_submitted is submitted
    assert account.charges_enabled is charges
    assert account.requirements.disabled_reason == disabled_reason
    # The state is kept, not just answered once.
    assert stripe_client.v1.accounts.retrieve(account.id).details_submitted is submitted


def test_list_pages_through_the_platforms_accounts_newest_first(stripe_client, make_client):
    created = [stripe_client.v1.accounts.create(params={"country": "US"}).id for _ in range(5)]
    make_client(OTHER_PLATFORM_KEY).v1.accounts.create(params={"country": "US"})

    first_page = stripe_client.v1.accounts.list(params={"limit": 2})
    assert [a.id for a in first_page.data] == created[::-1][:2]
    assert first_page.has_more is True
    assert [a.id for a in first_page.auto_paging_iter()] == created[::-1]
    previous = stripe_client.v1.accounts.list(params={"limit": 2, "ending_before": created[1]})
    assert [a.id for a in previous.data] == [created[3], created[2]]
    assert previous.has_more is True


def test_list_filters_by_creation_time(stripe_client):
    account = stripe_client.v1.accounts.create(params={"country": "US"})
    since = {"created": {"gte": account.created}}
    assert [a.id for a in stripe_client.v1.accounts.list(params=since).data] == [account.id]
    later = {"created": {"gt": account.created}}
    assert stripe_client.v1.accounts.list(params=later).data == []
    exact = stripe_client.v1.accounts.list(params={"created": account.created})
    assert [a.id for a in exact.data] == [account.id]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"created": {"after": 1}}, "created[after]"),
        ({"created": {"gte": "yesterday"}}, "created[gte]"),
        ({"starting_after": "acct_1DoesNotExist000"}, "starting_after"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_list_refuses_bad_parameters_like_stripe(stripe_client, params, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.list(params=params)
    assert (raised.value.http_status, raised.value.param) == (400, param)


@pytest.mark.parametrize(
    ("country", "currency"),
    [("US", "usd"), ("de", "eur"), ("FR", "eur"), ("GB", "gbp"), ("JP", "jpy"), ("CH", "chf")],
)
def test_default_currency_follows_the_country(stripe_client, country, currency):
    account = stripe_client.v1.accounts.create(params={"type": "express", "country": country})
    assert account.default_currency == currency


def test_an_explicit_default_currency_wins(stripe_client):
    params = {"type": "express", "country": "DE", "default_currency": "usd"}
    assert stripe_client.v1.accounts.create(params=params).default_currency == "usd"

"""Account links (v1 and v2) and Express login links over the real SDK."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
import stripe

from tests.sandbox.helpers import OTHER_PLATFORM_KEY, REFRESH_URL, RETURN_URL


def v1_link(stripe_client, account_id, link_type="account_onboarding", **extra):
    params = {
        "account": account_id,
        "type": link_type,
        "refresh_url": REFRESH_URL,
        "return_url": RETURN_URL,
        **extra,
    }
    return stripe_client.v1.account_links.create(params=params)


def v2_params(account_id, use_case="account_onboarding", **options):
    body = {"refresh_url": REFRESH_URL, "return_url": RETURN_URL, **options}
    return {"account": account_id, "use_case": {"type": use_case, use_case: body}}


def test_v1_link_is_a_hosted_url_that_expires_in_five_minutes(
    stripe_client, sandbox, express_account
):
    link = v1_link(
        stripe_client, express_account.id, collection_options={"fields": "eventually_due"}
    )
    assert link.object == "account_link"
    assert link.url.startswith(f"{sandbox.url}/setup/")
    assert link.expires_at - link.created == 300
    assert abs(link.created - time.time()) < 5


@pytest.mark.parametrize(
    ("missing", "param"),
    [("account", "account"), ("type", "type"), ("refresh_url", "refresh_url")],
)
def test_v1_link_without_a_required_param_is_refused(
    stripe_client, express_account, missing, param
):
    params = {
        "account": express_account.id,
        "type": "account_onboarding",
        "refresh_url": REFRESH_URL,
        "return_url": RETURN_URL,
    }
    del params[missing]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.account_links.create(params=params)
    assert (raised.value.http_status, raised.value.code, raised.value.param) == (
        400,
        "parameter_missing",
        param,
    )


def test_v1_link_with_a_bad_url_or_type_is_refused(stripe_client, express_account):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        v1_link(stripe_client, express_account.id, return_url="not a url")
    assert (raised.value.code, raised.value.param) == ("url_invalid", "return_url")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        v1_link(stripe_client, express_account.id, link_type="account_takeover")
    assert raised.value.param == "type"


def test_v1_link_for_another_platforms_account_is_refused(make_client, express_account):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        v1_link(make_client(OTHER_PLATFORM_KEY), express_account.id)
    assert (raised.value.code, raised.value.param) == ("resource_missing", "account")


def test_update_links_are_refused_for_accounts_with_a_stripe_dashboard(
    stripe_client, express_account
):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        v1_link(stripe_client, express_account.id, link_type="account_update")
    assert raised.value.http_status == 400
    assert raised.value.param == "type"


def test_update_links_are_allowed_where_the_platform_collects_requirements(
    stripe_client, custom_account
):
    assert v1_link(stripe_client, custom_account.id, link_type="account_update").url


def test_v2_link_has_rfc3339_times_and_echoes_the_use_case(stripe_client, sandbox, express_account):
    link = stripe_client.v2.core.account_links.create(params=v2_params(express_account.id))
    assert link.object == "v2.core.account_link"
    assert link.account == express_account.id
    assert link.livemode is False
    assert link.url.startswith(f"{sandbox.url}/r/{express_account.id}/")
    created = datetime.fromisoformat(link.created)
    expires = datetime.fromisoformat(link.expires_at)
    assert (expires - created).total_seconds() == 600
    assert link.use_case.type == "account_onboarding"
    assert link.use_case.account_onboarding.refresh_url == REFRESH_URL


def test_v2_link_with_configurations_fails_on_our_api_version(stripe_client, express_account):
    params = v2_params(express_account.id, configurations=["recipient"])
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v2.core.account_links.create(params=params)
    assert raised.value.http_status == 400
    assert raised.value.code == "parameter_unknown"
    assert "configurations" in str(raised.value.user_message)


def test_v2_link_accepts_configurations_on_api_versions_before_their_removal(
    stripe_client, express_account
):
    params = v2_params(express_account.id, configurations=["recipient"])
    link = stripe_client.v2.core.account_links.create(
        params=params, options={"stripe_version": "2026-08-27.preview"}
    )
    assert link.use_case.account_onboarding.configurations == ["recipient"]


def test_v2_link_needs_a_refresh_url(stripe_client, express_account):
    params = v2_params(express_account.id)
    del params["use_case"]["account_onboarding"]["refresh_url"]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v2.core.account_links.create(params=params)
    assert raised.value.code == "parameter_missing"


def test_v2_link_for_an_unknown_account_is_not_found(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v2.core.account_links.create(params=v2_params("acct_1DoesNotExist000"))
    assert raised.value.http_status == 404


def test_v2_update_link_follows_the_same_dashboard_rule(
    stripe_client, express_account, custom_account
):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v2.core.account_links.create(
            params=v2_params(express_account.id, use_case="account_update")
        )
    link = stripe_client.v2.core.account_links.create(
        params=v2_params(custom_account.id, use_case="account_update")
    )
    assert link.use_case.type == "account_update"


def test_login_link_needs_an_express_account_that_finished_onboarding(
    stripe_client, sandbox, express_account, custom_account
):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.login_links.create(express_account.id)
    assert "onboarding" in str(raised.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.login_links.create(custom_account.id)
    assert "Express Dashboard" in str(raised.value.user_message)

    sandbox.force_account_state(express_account.id, "complete")
    login = stripe_client.v1.accounts.login_links.create(express_account.id)
    assert login.object == "login_link"
    assert login.url.startswith(f"{sandbox.url}/express/{express_account.id}/")

"""Pure onboarding rules: which link Connect mints, which buttons show, which key is usable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.models import PaymentsAccount, StripeConnection
from app.services.onboarding.plan import (
    CROSS_BORDER,
    DOMESTIC,
    account_params,
    account_terms,
    forwarded_metadata,
    plan_next_step,
    resource_actions,
)
from app.services.stripe_credentials import choose_key_source


def payments(**fields) -> PaymentsAccount:
    base = {
        "id": "pay_1",
        "mode": "test",
        "country": "US",
        "stripe_account_id": "acct_1",
        "details_submitted": False,
        "onboarding_status": "pending",
        "status_reason": "needs_info",
        "dashboard_type": "express",
        "requirement_collection": "stripe",
        "connection_id": None,
        "account_generation": 0,
    }
    return PaymentsAccount(**{**base, **fields})


DONE = {"details_submitted": True, "onboarding_status": "complete", "status_reason": "none"}
PLATFORM = {"dashboard_type": "none", "requirement_collection": "application"}


@pytest.mark.parametrize(
    ("fields", "link_kind", "action", "link_type"),
    [
        ({"stripe_account_id": None}, "auto", "onboarding", "account_onboarding"),
        ({}, "auto", "onboarding", "account_onboarding"),
        ({"details_submitted": True}, "auto", "onboarding", "account_onboarding"),
        (
            {"details_submitted": True, "status_reason": "under_review"},
            "auto",
            "dashboard",
            None,
        ),
        (DONE, "auto", "dashboard", None),
        (DONE, "update", "dashboard", None),  # Express accounts have no update links
        ({**DONE, **PLATFORM}, "auto", "update", None),
        ({**DONE, **PLATFORM}, "update", "update", "account_update"),
        ({**DONE, "dashboard_type": "full"}, "auto", "none", None),
    ],
)
def test_plan_next_step(fields, link_kind, action, link_type):
    step = plan_next_step(payments(**fields), link_kind)
    assert (step.action, step.link_type) == (action, link_type)


@pytest.mark.parametrize(
    ("fields", "labels"),
    [
        ({"stripe_account_id": None}, ["Connect with Stripe"]),
        ({}, ["Continue onboarding"]),
        (DONE, ["Open Stripe dashboard"]),
        ({**DONE, **PLATFORM}, ["Update details"]),
        ({**DONE, "dashboard_type": "full"}, []),
    ],
)
def test_a_finished_resource_never_offers_connect(fields, labels):
    assert [a.label for a in resource_actions(payments(**fields))] == labels


def connection(**fields) -> StripeConnection:
    base = {
        "id": "sc_1",
        "name": "Main",
        "mode": "test",
        "status": "ACTIVE",
        "is_default": False,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    return StripeConnection(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "connections", "app_mode", "ok", "reason_part"),
    [
        ({"stripe_account_id": None}, [], None, False, "No Stripe connection for test mode"),
        ({"stripe_account_id": None}, [], "test", True, ""),
        ({"stripe_account_id": None, "mode": "live"}, [], "test", False, "live mode"),
        ({"stripe_account_id": None}, [connection()], None, True, ""),
        ({"stripe_account_id": None}, [connection(status="INACTIVE")], None, False, "No Stripe"),
        ({"connection_id": "sc_1"}, [connection(status="INACTIVE")], "test", False, "deactivated"),
        ({}, [], None, False, "no longer configured"),
        ({}, [], "test", True, ""),
    ],
)
def test_the_key_source_follows_the_one_rule(fields, connections, app_mode, ok, reason_part):
    found = choose_key_source(payments(**fields), connections, app_mode)
    assert found.ok is ok
    assert reason_part in found.reason


def test_account_params_link_back_to_the_resource_and_omit_what_is_unknown():
    class FakeServer:
        id, workspace_id, metadata_ = "srv_1", "ws_1", {}

    params = account_params(FakeServer(), payments(product_description="Prints"), "none")
    assert params["metadata"] == {
        "server_id": "srv_1",
        "payments_id": "pay_1",
        "workspace_id": "ws_1",
    }
    assert params["controller"]["requirement_collection"] == "application"
    assert params["business_profile"] == {"product_description": "Prints"}
    assert "email" not in params


def test_server_metadata_is_forwarded_within_stripes_limits():
    metadata = {
        "area": "growth",
        "k" * 41: "key too long",
        "long": "v" * 501,
        "count": 3,  # Stripe metadata values are strings
        **{f"tag{i:02d}": "x" for i in range(60)},
    }
    forwarded = forwarded_metadata(metadata)
    assert forwarded["area"] == "growth"
    assert "k" * 41 not in forwarded and "long" not in forwarded and "count" not in forwarded
    # Room is left for our own three keys (server_id, payments_id, workspace_id).
    assert len(forwarded) == 47


@pytest.mark.parametrize(
    ("platform", "account", "terms"),
    [
        ("same", "DE", DOMESTIC),
        ("US", "US", DOMESTIC),
        ("us", "US", DOMESTIC),
        ("US", "DE", CROSS_BORDER),
        ("DE", "GB", CROSS_BORDER),
        ("GB", "CA", CROSS_BORDER),
        ("CH", "US", CROSS_BORDER),
        ("US", "BR", DOMESTIC),  # outside the self-serve region: Stripe decides (and explains)
    ],
)
def test_capabilities_and_service_agreement_follow_platform_and_account_country(
    platform, account, terms
):
    assert account_terms(platform, account) == terms

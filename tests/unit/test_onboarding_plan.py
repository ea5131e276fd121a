"""Pure onboarding rules: which link Connect mints, which buttons show, which key is usable."""

from __future__ import annotations

import sys
import types
import typing
from datetime import UTC, datetime

import pytest
import typing_extensions
from stripe.params import AccountCreateParams
from stripe.params.v2.core import AccountCreateParams as V2AccountCreateParams

from app.account_snapshot import V2_INCLUDE
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


class Shop:
    """The resource's server row, as `account_params` reads it."""

    id, workspace_id, name, metadata_ = "srv_1", "ws_1", "Corner Shop", {}


def resolved(annotation, module: str):
    """A generated annotation as a type: forward references are read in the SDK's module
    (one at a time: some name types that only exist for type checkers), `NotRequired` dropped."""
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        annotation = eval(annotation, vars(sys.modules[module]))  # noqa: S307 — the SDK's own text
    if typing.get_origin(annotation) in (typing_extensions.NotRequired, typing.NotRequired):
        return resolved(typing.get_args(annotation)[0], module)
    return annotation


def assert_fits(value, declared, where="params", module=None):
    """Every key and enum value we send is one stripe-python's generated params declare."""
    module = getattr(declared, "__module__", None) if module is None else module
    declared = resolved(declared, module)
    if typing_extensions.is_typeddict(declared):
        for key, item in value.items():
            assert key in declared.__annotations__, f"{where}.{key} is not a parameter"
            assert_fits(item, declared.__annotations__[key], f"{where}.{key}", declared.__module__)
        return
    origin = typing.get_origin(declared)
    if origin in (typing.Union, types.UnionType):
        # e.g. `Dict[str, str] | UntypedStripeObject[str]` or `Literal[...] | str`: any of them
        assert any(
            typing.get_origin(resolved(option, module)) in (dict, typing.Literal) or option is str
            for option in typing.get_args(declared)
        ), f"{where}: {declared} is not a type we send"
    elif origin is typing.Literal:
        assert value in typing.get_args(declared), f"{where}={value!r} is not allowed"
    elif origin is list:
        for item in value:
            assert_fits(item, typing.get_args(declared)[0], f"{where}[]", module)


@pytest.mark.parametrize("dashboard", ["express", "full", "none"])
@pytest.mark.parametrize("platform", ["same", "US"])
def test_both_shapes_of_account_params_are_what_the_sdk_declares(dashboard, platform):
    resource = payments(country="DE", email="shop@example.com", product_description="Prints")
    assert_fits(account_params(Shop(), resource, dashboard, platform), AccountCreateParams)
    assert_fits(
        account_params(Shop(), resource, dashboard, platform, api="v2"), V2AccountCreateParams
    )


def test_v2_account_params_ask_for_the_same_terms_as_v1():
    resource = payments(country="DE", email="shop@example.com", product_description="Prints")
    v1 = account_params(Shop(), resource, "express")
    v2 = account_params(Shop(), resource, "express", api="v2")

    assert v2 == {
        "contact_email": "shop@example.com",
        "display_name": "Corner Shop",
        "dashboard": "express",
        "identity": {"country": "DE"},
        "defaults": {
            "responsibilities": {
                "fees_collector": "application",
                "losses_collector": "application",
            },
            "profile": {"product_description": "Prints"},
        },
        "configuration": {
            "merchant": {"capabilities": {"card_payments": {"requested": True}}},
            "recipient": {
                "capabilities": {"stripe_balance": {"stripe_transfers": {"requested": True}}}
            },
        },
        "metadata": v1["metadata"],
        "include": list(V2_INCLUDE),
    }


def test_a_cross_border_v2_account_is_a_recipient_only():
    v2 = account_params(Shop(), payments(country="DE"), "express", "US", api="v2")
    assert v2["configuration"] == {
        "recipient": {"capabilities": {"stripe_balance": {"stripe_transfers": {"requested": True}}}}
    }


def test_a_full_dashboard_v2_account_leaves_fees_and_losses_to_stripe():
    v2 = account_params(Shop(), payments(country="DE"), "full", api="v2")
    assert v2["defaults"] == {
        "responsibilities": {"fees_collector": "stripe", "losses_collector": "stripe"}
    }

"""Asking Stripe whose key this is, before a connection stores it (`GET /v1/account`).

docs.stripe.com/api/accounts/retrieve: with no account id, Stripe answers the platform account
the key belongs to. A key of another platform would make every resource under the connection
fail, so the answer must be the connection's account.
"""

from __future__ import annotations

from app.services.connection_rules import ConnectionInvalid
from app.stripe_gateway import (
    StripeCredentials,
    StripeGateway,
    StripeGatewayError,
    StripeKeyRejected,
    StripeUnavailable,
    mode_of_key,
)
from app.urls import sends_https_links

LIVE_NEEDS_HTTPS = (
    "Live keys need this app to send Stripe https:// return addresses, and it sends http://. "
    "The app's administrator must set PUBLIC_BASE_URL to its https:// address first."
)


def check_live_mode_urls(api_key: str) -> None:
    """A live key on an app that would send http:// return URLs: an error at the key.

    Stripe refuses every live-mode Account Link that redirects to http:// ("Livemode requests
    must always be redirected via HTTPS"), so such a connection could never onboard anyone.
    """
    if mode_of_key(api_key) == "live" and not sends_https_links():
        raise ConnectionInvalid({"api_key": LIVE_NEEDS_HTTPS})


def verify_with_stripe(api_key: str, stripe_account_id: str) -> None:
    """Ask Stripe whose key this is (`GET /v1/account`); ConnectionInvalid unless it is ours.

    A rejected key or another account is an error on that field; Stripe being unreachable is
    marked `stripe_unreachable` so the caller can offer to save without verifying.
    """
    credentials = StripeCredentials(api_key=api_key, mode=mode_of_key(api_key) or "test")
    try:
        account = StripeGateway(credentials).retrieve_platform_account()
    except StripeUnavailable:
        raise ConnectionInvalid(
            {
                "api_key": "Stripe could not be reached to verify this key. Try again, "
                "or save the connection unverified."
            },
            stripe_unreachable=True,
        ) from None
    except StripeKeyRejected:
        raise ConnectionInvalid(
            {"api_key": "Stripe rejected this key. Check that it is current and not revoked."}
        ) from None
    except StripeGatewayError as error:
        # The refusal table's sentence: e.g. a restricted key missing a named permission.
        raise ConnectionInvalid(
            {"api_key": f"Stripe could not verify this key. {error.advice()}"}
        ) from None
    if account.get("id") != stripe_account_id:
        raise ConnectionInvalid(
            {
                "stripe_account_id": "This key belongs to a different Stripe account "
                f"({account.get('id')}). Check the account id or the key."
            }
        )


def check_replacement_key(mode: str, stripe_account_id: str, api_key: str) -> None:
    """A new key for a connection of `mode` and platform `stripe_account_id`: same mode and,
    per Stripe, the same platform.

    Every account created under the connection belongs to its platform, so a key of another
    platform would make each of them fail (`GET /v1/account` names the key's platform:
    docs.stripe.com/api/accounts/retrieve). Without Stripe's answer the key is not saved, so
    "save unverified" is never offered here.
    """
    if mode_of_key(api_key) != mode:
        raise ConnectionInvalid(
            {"api_key": f"This connection is for {mode} mode; enter a {mode} key."}
        )
    try:
        verify_with_stripe(api_key, stripe_account_id)
    except ConnectionInvalid as invalid:
        if "stripe_account_id" in invalid.errors:
            raise ConnectionInvalid(
                {
                    "api_key": "This key belongs to another Stripe platform account, not "
                    f"{stripe_account_id}; every resource under this connection "
                    "needs a key of that account."
                }
            ) from None
        if invalid.stripe_unreachable:
            raise ConnectionInvalid(
                {
                    "api_key": "Stripe could not be reached to confirm that this key belongs to "
                    f"{stripe_account_id}. A replacement key is saved only once "
                    "Stripe confirms it; try again in a moment."
                }
            ) from None
        raise

"""The Connect inputs — country, email, product description — checked once for every surface.

The Connect button and `/v1` connect-account both call `validate_connect_inputs`, so a value is
accepted or refused, and explained, the same way wherever it is typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from app.reference import STRIPE_COUNTRIES

EMAIL_MAX_LENGTH = 254
PRODUCT_DESCRIPTION_MAX = 500
# Special-use names (RFC 6761 and friends) never receive mail: such an address is refused.
RESERVED_EMAIL_TLDS = tuple(SPECIAL_USE_DOMAIN_NAMES)

COUNTRY_MESSAGE = (
    "Use the ISO 3166-1 alpha-2 code of a country where Stripe Connect accounts can be "
    "created, such as US, GB or DE."
)
EMAIL_LENGTH_MESSAGE = f"Keep the email to {EMAIL_MAX_LENGTH} characters or fewer."
DESCRIPTION_MESSAGE = f"Keep it to {PRODUCT_DESCRIPTION_MAX} characters or fewer."


class InvalidOnboardingInput(ValueError):
    """Creation inputs that Stripe would refuse; `fields` maps each to a message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class ConnectInputs:
    """Normalised inputs; None for one not given (or given blank)."""

    country: str | None = None
    email: str | None = None
    product_description: str | None = None

    def as_params(self) -> dict[str, str]:
        """The given inputs by their column names, as account creation stores them."""
        values = {
            "country": self.country,
            "email": self.email,
            "product_description": self.product_description,
        }
        return {name: value for name, value in values.items() if value is not None}


def validate_connect_inputs(
    country: str | None, email: str | None, product_description: str | None
) -> ConnectInputs:
    """The inputs normalised (country upper case, email normalised, text stripped).

    Raises InvalidOnboardingInput naming each bad field by its API name.
    """
    problems: dict[str, str] = {}
    code = (country or "").strip().upper() or None
    if code is not None and code not in STRIPE_COUNTRIES:
        problems["country"] = COUNTRY_MESSAGE
    address = (email or "").strip() or None
    if address is not None:
        if len(address) > EMAIL_MAX_LENGTH:
            problems["email"] = EMAIL_LENGTH_MESSAGE
        else:
            try:
                # No DNS lookups: answers stay fast and offline; Stripe checks the address again.
                address = validate_email(address, check_deliverability=False).normalized
            except EmailNotValidError as error:
                problems["email"] = f"Enter a valid email address: {error}"
    description = (product_description or "").strip() or None
    if description is not None and len(description) > PRODUCT_DESCRIPTION_MAX:
        problems["productDescription"] = DESCRIPTION_MESSAGE
    if problems:
        raise InvalidOnboardingInput(problems)
    return ConnectInputs(country=code, email=address, product_description=description)

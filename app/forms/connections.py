"""Forms for a workspace's Stripe connections.

They carry the CSRF token and the inputs, nothing more: the rules live in
`app.services.connection_rules`, shared with the JSON API, and their messages are attached to
these fields by the view. Secret inputs are password fields, which never render a value — so a
form re-shown with errors never echoes a key back into the page.
"""

from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField, SubmitField, TextAreaField

from app.security.input import AppForm
from app.services.connection_options import form_hint

SECRET_INPUT = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}


class ConnectionForm(AppForm):
    """Add a Stripe connection: every seed 004 field."""

    name = StringField("Name", render_kw={"maxlength": 100})
    description = TextAreaField("Description (optional)", render_kw={"rows": 2})
    stripe_account_id = StringField(
        "Platform account id", render_kw={"placeholder": "acct_…", **SECRET_INPUT}
    )
    api_key = PasswordField("Secret key", render_kw={"placeholder": "sk_test_…", **SECRET_INPUT})
    webhook_secret = PasswordField(
        "Webhook signing secret", render_kw={"placeholder": "whsec_…", **SECRET_INPUT}
    )
    event_destination_secret = PasswordField(
        "Event destination signing secret (Accounts v2, optional)",
        render_kw={"placeholder": "whsec_…", **SECRET_INPUT},
    )
    partner_endpoint = StringField(
        "Partner callback endpoint",
        render_kw={"placeholder": "https://partner.example.com/stripe-events", "inputmode": "url"},
    )
    config_json = TextAreaField(
        "Extra configuration (JSON, optional)",
        description=form_hint(),
        render_kw={"rows": 4, "spellcheck": "false"},
    )
    verify = BooleanField("Verify the key with Stripe before saving", default=True)
    save_unverified = SubmitField("Save without verifying")

    def verify_requested(self) -> bool:
        """Verify unless the admin unticked the box or chose "save without verifying"."""
        return bool(self.verify.data) and not self.save_unverified.data


class ConnectionEditForm(ConnectionForm):
    """Edit a connection: the account id is fixed; blank secrets keep the stored ones."""

    stripe_account_id = None
    api_key = PasswordField(
        "New secret key (optional)", render_kw={"placeholder": "sk_test_…", **SECRET_INPUT}
    )
    webhook_secret = PasswordField(
        "New webhook signing secret (optional)",
        render_kw={"placeholder": "whsec_…", **SECRET_INPUT},
    )
    event_destination_secret = PasswordField(
        "New event destination signing secret (Accounts v2, optional)",
        render_kw={"placeholder": "whsec_…", **SECRET_INPUT},
    )
    # A new key is always checked with Stripe (it must belong to the connection's platform).
    verify = None
    save_unverified = None

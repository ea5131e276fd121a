"""The form that creates a payments resource."""

from __future__ import annotations

from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.reference import CURRENCIES, STRIPE_COUNTRIES
from app.security.input import AppForm


class PaymentsResourceForm(AppForm):
    """A new payments resource in one of the workspaces the user manages."""

    workspace_id = SelectField("Workspace", validators=[DataRequired("Choose a workspace.")])
    name = StringField(
        "Name",
        validators=[
            DataRequired("Give the resource a name."),
            Length(max=120, message="Keep the name under 120 characters."),
        ],
    )
    description = TextAreaField(
        "Description",
        validators=[Optional(), Length(max=1000, message="Keep it under 1000 characters.")],
    )
    mode = SelectField(
        "Mode",
        choices=[
            SelectChoice("test", "Test — no real money moves"),
            SelectChoice("live", "Live"),
        ],
        default="test",
    )
    currency = SelectField(
        "Default currency",
        choices=[
            SelectChoice(code, f"{code.upper()} — {name}") for code, name in CURRENCIES.items()
        ],
        default="usd",
    )
    country = SelectField(
        "Country of the business",
        choices=[
            SelectChoice(code, name)
            for code, name in sorted(STRIPE_COUNTRIES.items(), key=lambda item: item[1])
        ],
        default="US",
    )

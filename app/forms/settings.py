"""The form that names a new personal API token."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.security.input import AppForm
from app.services.api_tokens import NAME_MAX_LENGTH


class ApiTokenForm(AppForm):
    """A name for a new API token."""

    name = StringField(
        "Token name",
        validators=[
            DataRequired("Give the token a name, e.g. “CI deploys”."),
            Length(
                max=NAME_MAX_LENGTH,
                message=f"Keep the name under {NAME_MAX_LENGTH} characters.",
            ),
        ],
        render_kw={"maxlength": NAME_MAX_LENGTH, "autocomplete": "off"},
    )

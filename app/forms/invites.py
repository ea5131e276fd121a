"""Forms for onboarding invites. The rules (one live invite per address, a finished resource
needs none) live in the service, whose messages the views attach to these fields."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import EmailField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.security.input import AppForm

LOCALE_CHOICES = [
    SelectChoice("", "The invitee's browser language"),
    SelectChoice("en", "English"),
    SelectChoice("de", "Deutsch"),
    SelectChoice("fr", "Français"),
    SelectChoice("es", "Español"),
]


class OnboardingInviteForm(AppForm):
    """Invite one email address to complete a resource's Stripe onboarding."""

    email = EmailField(
        "Email address of the person who completes onboarding",
        validators=[
            DataRequired("Enter the email address to invite."),
            Length(max=254, message="That address is too long."),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    locale = SelectField("Language of the invite", choices=LOCALE_CHOICES, default="")


class BulkInviteForm(AppForm):
    """A CSV of `resource,email` lines, uploaded or pasted."""

    file = FileField("CSV file")
    text = TextAreaField(
        "Or paste the lines",
        validators=[Length(max=200_000, message="Paste at most 200,000 characters.")],
        render_kw={"rows": 8, "spellcheck": "false"},
    )

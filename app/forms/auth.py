"""The sign-in form."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from app.security.input import AppForm


class LoginForm(AppForm):
    """Email and password sign-in."""

    email = EmailField(
        "Email",
        validators=[DataRequired("Enter your email."), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me signed in for 30 days")

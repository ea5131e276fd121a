"""Forms for workspaces, members, invitations and a person's own account.

They carry the CSRF token and the inputs; the rules (roles, the last owner, password length)
live in the services, whose messages the views attach to these fields.
"""

from __future__ import annotations

from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.security.input import AppForm
from app.security.passwords import MIN_PASSWORD_LENGTH
from app.security.permissions import ROLES

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]
NEW_PASSWORD = {"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH}


def new_password_field(label: str, missing: str) -> PasswordField:
    """A field for a password being chosen: the same length rule wherever one is set."""
    return PasswordField(
        label,
        validators=[
            DataRequired(missing),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=1024,
                message=f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.",
            ),
        ],
        render_kw=NEW_PASSWORD,
    )


class WorkspaceNameForm(AppForm):
    """A new workspace, or a new name for one."""

    name = StringField(
        "Workspace name",
        validators=[
            DataRequired("Give the workspace a name."),
            Length(max=120, message="Keep the name under 120 characters."),
        ],
        render_kw={"maxlength": 120, "autocomplete": "organization"},
    )


class InviteForm(AppForm):
    """Invite someone by email with a role."""

    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter the email address to invite."),
            Length(max=254, message="That address is too long."),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default="developer")


class RoleForm(AppForm):
    """A member's new role."""

    role = SelectField("Role", choices=ROLE_CHOICES)


class NewAccountForm(AppForm):
    """A new person accepting an invitation chooses a name and a password."""

    name = StringField(
        "Your name",
        validators=[
            DataRequired("Tell us your name."),
            Length(max=120, message="Keep your name under 120 characters."),
        ],
        render_kw={"autocomplete": "name"},
    )
    password = new_password_field("Choose a password", "Choose a password.")


class NameForm(AppForm):
    """The person's display name."""

    name = StringField(
        "Name",
        validators=[Length(max=120, message="Keep your name under 120 characters.")],
        render_kw={"autocomplete": "name"},
    )


class ChangePasswordForm(AppForm):
    """A new password, with the current one as proof."""

    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = new_password_field("New password", "Choose a new password.")
    confirm = PasswordField(
        "Repeat the new password",
        validators=[EqualTo("new_password", "The two new passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class ForgotPasswordForm(AppForm):
    """The address to send a reset link to."""

    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[
            DataRequired("Enter your email."),
            Email("Enter a valid email address."),
            Length(max=254),
        ],
        render_kw={"autocomplete": "username"},
    )


class ResetPasswordForm(AppForm):
    """The new password chosen through a reset link."""

    password = new_password_field("New password", "Choose a new password.")

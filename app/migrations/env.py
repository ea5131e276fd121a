"""Alembic environment, run through Flask-Migrate (`flask db …`) inside the app context."""

from alembic import context
from flask import current_app

from app.models.base import UTCDateTime

config = context.config
db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def render_item(type_, obj, autogen_context):
    """Write our UTCDateTime as a plain timezone-aware DateTime, so revisions import only sa."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _options() -> dict:
    return {
        "target_metadata": target_metadata,
        "render_item": render_item,
        **current_app.extensions["migrate"].configure_args,
    }


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False),
        literal_binds=True,
        **_options(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate the app's database over a real connection."""
    with db.engine.connect() as connection:
        context.configure(connection=connection, **_options())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

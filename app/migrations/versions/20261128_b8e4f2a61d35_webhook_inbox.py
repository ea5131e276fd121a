"""webhook inbox: webhook_events records events for `flask webhooks work` to process

Revision ID: b8e4f2a61d35
Revises: e4d7a2c91b35
Create Date: 2026-11-28 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b8e4f2a61d35"
down_revision = "e4d7a2c91b35"
branch_labels = None
depends_on = None


def upgrade():
    # Rows from before the inbox were applied in the request that recorded them: `processed`.
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("created", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("livemode", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("data_object", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=10), nullable=False, server_default="processed")
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column(
                "next_attempt_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("result", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_webhook_events_due", ["status", "next_attempt_at"], unique=False)
    # The model sets every value itself; the defaults above were only for the existing rows.
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        for column in ("created", "livemode", "status", "attempts", "next_attempt_at"):
            batch_op.alter_column(column, server_default=None)


def downgrade():
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_due")
        for column in (
            "processed_at",
            "last_error",
            "result",
            "locked_until",
            "next_attempt_at",
            "attempts",
            "status",
            "request_id",
            "data_object",
            "livemode",
            "created",
        ):
            batch_op.drop_column(column)

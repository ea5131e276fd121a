"""onboarding invites, bulk invite batches, deadline reminders, future requirements, mute

Revision ID: 7c3f1b9e0a42
Revises: 7c2d9e4f1a6b
Create Date: 2026-11-27 14:05:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c3f1b9e0a42"
down_revision = "7c2d9e4f1a6b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "onboarding_invites",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("server_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expiry_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by_user_id"],
            ["users.id"],
            name=op.f("fk_onboarding_invites_invited_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["server_id"],
            ["servers.id"],
            name=op.f("fk_onboarding_invites_server_id_servers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_onboarding_invites_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_onboarding_invites_token_hash")),
    )
    op.create_index(
        "ix_onboarding_invites_server_email", "onboarding_invites", ["server_id", "email"]
    )
    op.create_index(
        op.f("ix_onboarding_invites_workspace_id"), "onboarding_invites", ["workspace_id"]
    )
    op.create_table(
        "onboarding_reminders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("server_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("deadline_key", sa.String(length=40), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["server_id"],
            ["servers.id"],
            name=op.f("fk_onboarding_reminders_server_id_servers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_reminders")),
        sa.UniqueConstraint(
            "server_id",
            "kind",
            "deadline_key",
            "offset_days",
            name=op.f("uq_onboarding_reminders_server_id_kind_deadline_key_offset_days"),
        ),
    )
    op.create_index(
        "ix_onboarding_reminders_server_sent", "onboarding_reminders", ["server_id", "sent_at"]
    )
    op.create_table(
        "bulk_invite_batches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_bulk_invite_batches_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_invite_batches")),
    )
    op.create_index(op.f("ix_bulk_invite_batches_user_id"), "bulk_invite_batches", ["user_id"])
    with op.batch_alter_table("payments_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("future_deadline", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("future_currently_due", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("reminders_muted_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("payments_accounts", schema=None) as batch_op:
        batch_op.drop_column("reminders_muted_at")
        batch_op.drop_column("future_currently_due")
        batch_op.drop_column("future_deadline")
    op.drop_index(op.f("ix_bulk_invite_batches_user_id"), table_name="bulk_invite_batches")
    op.drop_table("bulk_invite_batches")
    op.drop_index("ix_onboarding_reminders_server_sent", table_name="onboarding_reminders")
    op.drop_table("onboarding_reminders")
    op.drop_index(op.f("ix_onboarding_invites_workspace_id"), table_name="onboarding_invites")
    op.drop_index("ix_onboarding_invites_server_email", table_name="onboarding_invites")
    op.drop_table("onboarding_invites")

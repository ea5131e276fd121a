"""payment charges and sync runs

Revision ID: 7c2d9e4f1a6b
Revises: c4d1a7e9f203
Create Date: 2026-11-27 14:05:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c2d9e4f1a6b"
down_revision = "c4d1a7e9f203"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payment_charges",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("payments_account_id", sa.String(length=32), nullable=False),
        sa.Column("stripe_account_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("amount_refunded", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payments_account_id"], ["payments_accounts.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payment_charges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_charges_payments_account_id"),
            ["payments_account_id"],
            unique=False,
        )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_payments_id", sa.String(length=32), nullable=True),
        sa.Column("synced", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade():
    op.drop_table("sync_runs")
    with op.batch_alter_table("payment_charges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_charges_payments_account_id"))
    op.drop_table("payment_charges")

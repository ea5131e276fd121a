"""payments accounts carry their workspace: the status filter's count from one index

Revision ID: b8e4f2a61c3d
Revises: b8e4f2a61d35
Create Date: 2026-11-27 16:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b8e4f2a61c3d"
down_revision = "b8e4f2a61d35"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payments_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workspace_id", sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE payments_accounts SET workspace_id = "
        "(SELECT servers.workspace_id FROM servers WHERE servers.id = payments_accounts.server_id)"
    )
    with op.batch_alter_table("payments_accounts", schema=None) as batch_op:
        batch_op.alter_column("workspace_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_payments_accounts_workspace_id_workspaces"),
            "workspaces",
            ["workspace_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            "ix_payments_accounts_workspace_status",
            ["workspace_id", "onboarding_status"],
            unique=False,
        )
        batch_op.drop_index("ix_payments_accounts_status_server")


def downgrade():
    with op.batch_alter_table("payments_accounts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_accounts_status_server", ["onboarding_status", "server_id"], unique=False
        )
        batch_op.drop_index("ix_payments_accounts_workspace_status")
        batch_op.drop_constraint(
            batch_op.f("fk_payments_accounts_workspace_id_workspaces"), type_="foreignkey"
        )
        batch_op.drop_column("workspace_id")

"""indexes for the dashboard's and /v1/servers' filters, order and count

Revision ID: c4d1a7e9f203
Revises: 5a1e4c0d2b7f
Create Date: 2026-11-27 14:20:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d1a7e9f203"
down_revision = "5a1e4c0d2b7f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("servers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_servers_workspace_kind_created",
            ["workspace_id", "kind", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index("ix_servers_created", ["created_at", "id"], unique=False)
        # Its leading column: a second index on workspace_id alone only costs writes and lures
        # the planner into reading rows the composite answers from the index.
        batch_op.drop_index("ix_servers_workspace_id")
    with op.batch_alter_table("payments_accounts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_accounts_status_server", ["onboarding_status", "server_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("payments_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_accounts_status_server")
    with op.batch_alter_table("servers", schema=None) as batch_op:
        batch_op.create_index("ix_servers_workspace_id", ["workspace_id"], unique=False)
        batch_op.drop_index("ix_servers_created")
        batch_op.drop_index("ix_servers_workspace_kind_created")

"""payments.accounts_api: the Stripe API (v1 | v2) that created the resource's account

Revision ID: b5e2d0c7a913
Revises: 7c3f1b9e0a42
Create Date: 2026-11-27 16:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b5e2d0c7a913"
down_revision = "7c3f1b9e0a42"
branch_labels = None
depends_on = None


def upgrade():
    # Every account made so far was made through v1.
    with op.batch_alter_table("payments_accounts") as batch_op:
        batch_op.add_column(
            sa.Column("accounts_api", sa.String(length=2), server_default="v1", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("payments_accounts") as batch_op:
        batch_op.drop_column("accounts_api")

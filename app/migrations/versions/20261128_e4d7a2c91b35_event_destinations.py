"""event destinations: a v2 connection's destination id and its encrypted signing secret

Revision ID: e4d7a2c91b35
Revises: b5e2d0c7a913
Create Date: 2026-11-28 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e4d7a2c91b35"
down_revision = "b5e2d0c7a913"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stripe_connections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_destination_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("event_destination_secret_ciphertext", sa.Text(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("event_destination_secret_masked", sa.String(length=40), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("stripe_connections", schema=None) as batch_op:
        batch_op.drop_column("event_destination_secret_masked")
        batch_op.drop_column("event_destination_secret_ciphertext")
        batch_op.drop_column("event_destination_id")

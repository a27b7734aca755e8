"""Causality of adverse and paradoxical events: Naranjo answers and WHO-UMC criteria (issue 15).

Revision ID: 0002_interop
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_interop"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("naranjo", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("who_umc", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("who_umc")
        batch.drop_column("naranjo")

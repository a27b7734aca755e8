"""Each user's language for the web pages (``users.language``: "en", "ms" or NULL = the
browser's Accept-Language).

Revision ID: 0004_i18n
Revises: 0003_clinic
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_i18n"
down_revision = "0003_clinic"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")

"""outcomes.csv from stored lines (issue 11): each course's line of the outcomes export,
written with its stored outcomes (``psoreg.store.outcome_lines``).

* ``course_outcomes.csv_line``: the course's cells of ``outcomes.csv`` after ``course_id`` and
  ``patient_id``, neutralised and CSV-quoted;
* ``course_outcomes.csv_spans``: where its free-text cells are (scrubbed for analysts);
* ``course_outcomes.csv_version``: the version of the code that wrote the line;

(The partial indexes of deleted rows that make every export's count of deleted records a
lookup are 0006_dash11's.)

The columns start empty: the export computes a missing line from the stored JSON row when it
is read, and ``psoreg serve`` stores them at start-up (``refresh_stale``), as 0002 did for the
stored outcomes themselves.

Revision ID: 0007_exp11
Revises: 0006_dash11
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_exp11"
down_revision = "0006_dash11"
branch_labels = None
depends_on = None

COLUMNS = (
    ("csv_line", sa.Text()),
    ("csv_spans", sa.Text()),
    ("csv_version", sa.String(length=32)),
)


def upgrade() -> None:
    with op.batch_alter_table("course_outcomes") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("course_outcomes") as batch:
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)

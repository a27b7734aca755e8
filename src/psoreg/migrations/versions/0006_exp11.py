"""outcomes.csv from stored lines (issue 11): each course's line of the outcomes export,
written with its stored outcomes (``psoreg.store.outcome_lines``).

* ``course_outcomes.csv_line``: the course's cells of ``outcomes.csv`` after ``course_id`` and
  ``patient_id``, neutralised and CSV-quoted;
* ``course_outcomes.csv_spans``: where its free-text cells are (scrubbed for analysts);
* ``course_outcomes.csv_version``: the version of the code that wrote the line;
* ``ix_<table>_deleted`` on courses, doses, visits, events and relapses: the deleted rows only
  (a partial index, usually empty), so that every export's count of deleted records
  (``psoreg.store.inclusion.exclusions``) no longer scans the visits.

The columns start empty: the export computes a missing line from the stored JSON row when it
is read, and ``psoreg serve`` stores them at start-up (``refresh_stale``), as 0002 did for the
stored outcomes themselves.

Revision ID: 0006_exp11
Revises: 0005_web11
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_exp11"
down_revision = "0005_web11"
branch_labels = None
depends_on = None

COLUMNS = (
    ("csv_line", sa.Text()),
    ("csv_spans", sa.Text()),
    ("csv_version", sa.String(length=32)),
)


#: the record tables whose deleted rows get a partial index
DELETED = ("courses", "doses", "visits", "events", "relapses")


def upgrade() -> None:
    with op.batch_alter_table("course_outcomes") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    deleted = sa.text("deleted_at IS NOT NULL")
    for table in DELETED:
        op.create_index(
            f"ix_{table}_deleted",
            table,
            ["deleted_at"],
            sqlite_where=deleted,
            postgresql_where=deleted,
        )


def downgrade() -> None:
    for table in reversed(DELETED):
        op.drop_index(f"ix_{table}_deleted", table)
    with op.batch_alter_table("course_outcomes") as batch:
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)

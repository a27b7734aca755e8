"""The dashboard (issue 11): partial indexes for its counts of deleted records and for the
overdue count's last visit and dose of each course.

* ``ix_<table>_deleted`` (courses, doses, visits, events, relapses): the soft-deleted rows
  only (``WHERE deleted_at IS NOT NULL``; few), so "what analyses leave out" counts them
  without scanning every visit of the registry;
* ``ix_visits_live_course_date`` and ``ix_doses_live_course_date``: a course's records not
  deleted, in date order, so its last visit and first and last dose are one index seek each.

Revision ID: 0006_dash11
Revises: 0005_web11
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_dash11"
down_revision = "0005_web11"
branch_labels = None
depends_on = None

#: (index, table, columns, deleted rows only?)
INDEXES = (
    ("ix_courses_deleted", "courses", ["patient_pk"], True),
    ("ix_doses_deleted", "doses", ["course_pk"], True),
    ("ix_visits_deleted", "visits", ["course_pk"], True),
    ("ix_events_deleted", "events", ["course_pk"], True),
    ("ix_relapses_deleted", "relapses", ["course_pk"], True),
    ("ix_visits_live_course_date", "visits", ["course_pk", "date"], False),
    ("ix_doses_live_course_date", "doses", ["course_pk", "date"], False),
)


def upgrade() -> None:
    for name, table, columns, deleted in INDEXES:
        where = sa.text("deleted_at IS NOT NULL" if deleted else "deleted_at IS NULL")
        op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, table, _columns, _deleted in reversed(INDEXES):
        op.drop_index(name, table)

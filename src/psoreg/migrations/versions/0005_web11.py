"""Indexes for the read path of the web pages (issue 11): the patient list's flags, the stale
check of the stored outcomes, and each course's visits and doses in date order.

* ``ix_course_outcomes_patient_flags``: course_outcomes by patient with the version and the six
  flags (and the course), so the list filters, counts and pages from the index without reading
  the stored JSON rows (about 1.5 KB each);
* ``ix_visits_course_date`` and ``ix_doses_course_date``: a course's last visit and first and
  last dose (the dashboard's overdue count) and a patient's records in date order.

Revision ID: 0005_web11
Revises: 0004_i18n
"""

from alembic import op

revision = "0005_web11"
down_revision = "0004_i18n"
branch_labels = None
depends_on = None

FLAGS = (
    "treatment_success",
    "secondary_failure",
    "primary_failure",
    "relapse",
    "rebound",
    "paradoxical_event",
)


def upgrade() -> None:
    op.create_index(
        "ix_course_outcomes_patient_flags",
        "course_outcomes",
        ["patient_pk", "outcomes_version", "course_pk", *FLAGS],
    )
    op.create_index("ix_visits_course_date", "visits", ["course_pk", "date"])
    op.create_index("ix_doses_course_date", "doses", ["course_pk", "date"])


def downgrade() -> None:
    op.drop_index("ix_doses_course_date", "doses")
    op.drop_index("ix_visits_course_date", "visits")
    op.drop_index("ix_course_outcomes_patient_flags", "course_outcomes")

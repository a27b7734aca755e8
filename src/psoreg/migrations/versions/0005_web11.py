"""The read path of the web pages (issue 11): indexes for the patient list's flags, the stale
check of the stored outcomes and each course's visits and doses in date order, and the
dashboard's values of each stored outcome row as columns.

* ``ix_course_outcomes_patient_flags``: course_outcomes by patient with the version and the six
  flags (and the course), so the list filters, counts and pages from the index without reading
  the stored JSON rows (about 1.5 KB each);
* ``ix_visits_course_date`` and ``ix_doses_course_date``: a course's last visit and first and
  last dose (the dashboard's overdue count) and a patient's records in date order;
* ``course_outcomes.drug, stopped, week_pasi75, weeks_on_treatment, survival_event``: copies of
  the stored JSON row's values (filled here from it; written with it from now on), so the
  dashboard reads five small columns instead of decoding every row's JSON.

Revision ID: 0005_web11
Revises: 0004_i18n
"""

import sqlalchemy as sa
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


#: (column, type, PostgreSQL cast of the JSON text) of the dashboard's values
COLUMNS = (
    ("drug", sa.String(length=64), "text"),
    ("stopped", sa.Boolean(), "boolean"),
    ("week_pasi75", sa.Float(), "float8"),
    ("weeks_on_treatment", sa.Float(), "float8"),
    ("survival_event", sa.Boolean(), "boolean"),
)


def upgrade() -> None:
    with op.batch_alter_table("course_outcomes") as batch:
        for name, kind, _cast in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        sets = ", ".join(f"{n} = (outcome->>'{n}')::{cast}" for n, _k, cast in COLUMNS)
    else:  # SQLite: JSON true/false are 1/0, null is NULL
        sets = ", ".join(f"{n} = json_extract(outcome, '$.{n}')" for n, _k, _c in COLUMNS)
    op.execute(f"UPDATE course_outcomes SET {sets}")
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
    with op.batch_alter_table("course_outcomes") as batch:
        for name, _kind, _cast in reversed(COLUMNS):
            batch.drop_column(name)

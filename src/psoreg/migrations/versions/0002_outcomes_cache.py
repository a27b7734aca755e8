"""Materialised per-course outcomes (``course_outcomes``), refreshed with every write.

Revision ID: 0002_outcomes_cache
Revises: 0002_interop

The table starts empty: ``psoreg serve`` fills it at start-up (``refresh_stale``) and pages
compute any missing or stale course on the fly until then, so an upgraded registry never shows
a stale outcome.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_outcomes_cache"
down_revision = "0002_interop"
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
    op.create_table(
        "course_outcomes",
        sa.Column("course_pk", sa.Integer(), nullable=False),
        sa.Column("patient_pk", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.String(length=64), nullable=False),
        sa.Column("outcomes_version", sa.String(length=32), nullable=False),
        *[sa.Column(f, sa.Boolean(), nullable=True) for f in FLAGS],
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_pk"],
            ["courses.id"],
            name=op.f("fk_course_outcomes_course_pk_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_pk"],
            ["patients.id"],
            name=op.f("fk_course_outcomes_patient_pk_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_pk", name=op.f("pk_course_outcomes")),
    )
    op.create_index(
        op.f("ix_course_outcomes_patient_pk"), "course_outcomes", ["patient_pk"], unique=False
    )
    # the list and the exports read courses by patient; the engine's cohort reads children by
    # course
    for table in ("courses",):
        op.create_index(op.f(f"ix_{table}_patient_pk"), table, ["patient_pk"], unique=False)
    for table in ("visits", "doses", "events", "relapses"):
        op.create_index(op.f(f"ix_{table}_course_pk"), table, ["course_pk"], unique=False)


def downgrade() -> None:
    for table in ("visits", "doses", "events", "relapses"):
        op.drop_index(op.f(f"ix_{table}_course_pk"), table_name=table)
    op.drop_index(op.f("ix_courses_patient_pk"), table_name="courses")
    op.drop_index(op.f("ix_course_outcomes_patient_pk"), table_name="course_outcomes")
    op.drop_table("course_outcomes")

"""The registry a clinic runs: sites and memberships, consent, soft delete, data queries and
import batches.

Every existing patient goes to the site ``MAIN`` ("Main site", renamed by an administrator at
will) and every existing clinician or analyst becomes a member of it with their role, so an
upgraded single-clinic registry behaves as before. Soft-delete columns are added to the six
clinical tables.

SQLite cannot add a NOT NULL column with a foreign key in place (and rebuilding ``patients``
would cascade-delete its courses), so there ``patients.site`` is a nullable column with its
reference, filled here and required by the service layer; PostgreSQL gets NOT NULL as well.

Revision ID: 0003_clinic
Revises: 0002_security
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_clinic"
down_revision = "0002_security"
branch_labels = None
depends_on = None

CLINICAL = ("patients", "courses", "doses", "visits", "events", "relapses")
DEFAULT_SITE = ("MAIN", "Main site")


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "sites",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_sites")),
    )
    op.execute(
        sa.text("INSERT INTO sites (code, name, active) VALUES (:c, :n, :a)").bindparams(
            c=DEFAULT_SITE[0], n=DEFAULT_SITE[1], a=True
        )
    )
    op.create_table(
        "user_sites",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sites_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["site"], ["sites.code"], name=op.f("fk_user_sites_site_sites")),
        sa.PrimaryKeyConstraint("user_id", "site", name=op.f("pk_user_sites")),
    )
    op.add_column(
        "users", sa.Column("all_sites", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.execute(
        sa.text(
            "INSERT INTO user_sites (user_id, site, role) SELECT id, :c, role FROM users "
            "WHERE role IN ('clinician', 'analyst')"
        ).bindparams(c=DEFAULT_SITE[0])
    )

    if pg:
        op.add_column("patients", sa.Column("site", sa.String(length=16), nullable=True))
        op.create_foreign_key(
            op.f("fk_patients_site_sites"), "patients", "sites", ["site"], ["code"]
        )
    else:
        op.execute("ALTER TABLE patients ADD COLUMN site VARCHAR(16) REFERENCES sites (code)")
    op.execute(sa.text("UPDATE patients SET site = :c").bindparams(c=DEFAULT_SITE[0]))
    if pg:
        op.alter_column("patients", "site", nullable=False)
    op.create_index("ix_patients_site", "patients", ["site"])
    op.add_column("patients", sa.Column("consent_date", sa.Date(), nullable=True))
    op.add_column("patients", sa.Column("consent_version", sa.String(length=32), nullable=True))
    op.add_column("patients", sa.Column("consent_scope", sa.String(length=32), nullable=True))
    op.add_column("patients", sa.Column("consent_withdrawn_date", sa.Date(), nullable=True))
    for table in CLINICAL:
        op.add_column(table, sa.Column("deleted_at", sa.DateTime(), nullable=True))
        op.add_column(table, sa.Column("deleted_by", sa.String(length=64), nullable=True))
        op.add_column(table, sa.Column("deleted_reason", sa.String(length=500), nullable=True))

    op.create_table(
        "data_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=16), nullable=False),
        sa.Column("patient_pk", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("record_pk", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("assigned_to", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site"], ["sites.code"], name=op.f("fk_data_queries_site_sites")),
        sa.ForeignKeyConstraint(
            ["patient_pk"],
            ["patients.id"],
            name=op.f("fk_data_queries_patient_pk_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_queries")),
    )
    op.create_index("ix_data_queries_patient_pk", "data_queries", ["patient_pk"])
    op.create_index("ix_data_queries_site_status", "data_queries", ["site", "status"])
    op.create_table(
        "data_query_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["data_queries.id"],
            name=op.f("fk_data_query_messages_query_id_data_queries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_query_messages")),
    )
    op.create_index("ix_data_query_messages_query_id", "data_query_messages", ["query_id"])
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("names", sa.JSON(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("committed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site"], ["sites.code"], name=op.f("fk_import_batches_site_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )


def downgrade() -> None:
    # Rebuilding ``patients`` without its site column on SQLite would cascade-delete every
    # course under it: restore the backup taken before the upgrade instead.
    raise NotImplementedError(
        "0003_clinic is not reversible in place: restore the database backup made before "
        "the upgrade"
    )

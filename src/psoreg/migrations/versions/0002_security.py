"""Security: server-side sessions, API tokens, the login limiter, case-insensitive ids, and the
hash-chained audit trail with its insert and head triggers.

Existing audit entries are chained in id order with the site's key (psoreg passes the site
secret to the migration; see ``psoreg.store.db.migrate``).

Revision ID: 0002_security
Revises: 0002_outcomes_cache
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0002_security"
down_revision = "0002_outcomes_cache"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    _refuse_case_duplicates()
    with op.batch_alter_table("users") as b:
        b.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
        b.add_column(sa.Column("last_login_at", sa.DateTime(), nullable=True))
    op.create_index("uq_users_username_ci", "users", [sa.text("lower(username)")], unique=True)
    op.create_index(
        "uq_patients_patient_id_ci", "patients", [sa.text("upper(patient_id)")], unique=True
    )
    op.create_index(
        "uq_courses_course_id_ci", "courses", [sa.text("upper(course_id)")], unique=True
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_auth_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_sessions_token_hash")),
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("scopes", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index("ix_login_attempts_address_at", "login_attempts", ["address", "at"])
    op.create_index("ix_login_attempts_username_at", "login_attempts", ["username", "at"])
    with op.batch_alter_table("audit_log") as b:
        b.add_column(sa.Column("record_version", sa.Integer(), nullable=True))
        b.add_column(sa.Column("address", sa.String(length=64), nullable=True))
        b.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        b.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("key_check", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    _seal_existing_entries()
    _triggers()


def downgrade() -> None:
    _drop_triggers()
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_log") as b:
        for col in ("row_hash", "prev_hash", "address", "record_version"):
            b.drop_column(col)
    op.drop_table("login_attempts")
    op.drop_table("api_tokens")
    op.drop_table("auth_sessions")
    op.drop_index("uq_courses_course_id_ci", "courses")
    op.drop_index("uq_patients_patient_id_ci", "patients")
    op.drop_index("uq_users_username_ci", "users")
    with op.batch_alter_table("users") as b:
        b.drop_column("last_login_at")
        b.drop_column("password_changed_at")


def _refuse_case_duplicates() -> None:
    """Ids that differ only in case must be resolved by hand before the unique indexes."""
    bind = op.get_bind()
    problems = []
    for table, col, fn in (
        ("users", "username", "lower"),
        ("patients", "patient_id", "upper"),
        ("courses", "course_id", "upper"),
    ):
        rows = bind.execute(
            sa.text(f"SELECT {fn}({col}) FROM {table} GROUP BY {fn}({col}) HAVING count(*) > 1")
        ).all()
        problems += [f"{table}.{col} {r[0]!r}" for r in rows]
    if problems:
        raise RuntimeError(
            "ids that differ only in upper/lower case must be merged or renamed before this "
            "upgrade (they would no longer be unique): " + ", ".join(problems)
        )


def _seal_existing_entries() -> None:
    """Chain the entries written before this revision, in id order, with the site's key."""
    from psoreg.store.audit import CHAINED, chain_key, entry_hash, key_check

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(f"SELECT {', '.join(CHAINED[:-2])} FROM audit_log ORDER BY id")
    ).all()
    secret = context.config.attributes.get("audit_secret")
    if rows and not secret:
        raise RuntimeError(
            "the audit trail's existing entries must be chained with the site secret: "
            "upgrade by starting psoreg (psoreg serve / psoreg audit verify) with its data folder"
        )
    last_id, last_hash, check = 0, GENESIS, None
    if rows:
        key = chain_key(secret)
        check = key_check(key)
        _set_update_guard(bind, enabled=False)
        for r in rows:
            values = dict(zip(CHAINED, r, strict=False))
            if isinstance(values["at"], str):  # SQLite returns text through a plain query
                import datetime as dt

                values["at"] = dt.datetime.fromisoformat(values["at"])
            new = entry_hash(key, last_hash, values)
            bind.execute(
                sa.text("UPDATE audit_log SET prev_hash = :p, row_hash = :h WHERE id = :i"),
                {"p": last_hash, "h": new, "i": values["id"]},
            )
            last_id, last_hash = values["id"], new
        _set_update_guard(bind, enabled=True)
    bind.execute(
        sa.text(
            "INSERT INTO audit_head (id, last_id, last_hash, key_check) VALUES (1, :i, :h, :k)"
        ),
        {"i": last_id, "h": last_hash, "k": check},
    )


def _set_update_guard(bind: sa.Connection, *, enabled: bool) -> None:
    if bind.dialect.name == "postgresql":
        verb = "ENABLE" if enabled else "DISABLE"
        bind.execute(sa.text(f"ALTER TABLE audit_log {verb} TRIGGER audit_log_append_only"))
    elif enabled:
        bind.execute(
            sa.text(
                "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE "
                "on audit_log refused'); END"
            )
        )
    else:
        bind.execute(sa.text("DROP TRIGGER audit_log_no_update"))


_PG_INSERT = """
CREATE OR REPLACE FUNCTION psoreg_audit_chained_insert() RETURNS trigger AS $$
BEGIN
    IF NEW.row_hash IS NULL OR NEW.prev_hash IS NULL THEN
        RAISE EXCEPTION 'audit entries are chained by psoreg: an entry without its hash is refused';
    END IF;
    IF NEW.id <= COALESCE((SELECT max(id) FROM audit_log), 0)
       OR NEW.id > (SELECT last_id FROM audit_head WHERE id = 1) THEN
        RAISE EXCEPTION 'audit entry % is out of sequence: refused', NEW.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
_PG_HEAD = """
CREATE OR REPLACE FUNCTION psoreg_audit_head_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'the audit chain''s head cannot be deleted';
    END IF;
    IF NEW.last_id < OLD.last_id THEN
        RAISE EXCEPTION 'the audit chain''s head cannot be rewound';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def _triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_INSERT)
        op.execute(_PG_HEAD)
        op.execute(
            "CREATE TRIGGER audit_log_chained_insert BEFORE INSERT ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION psoreg_audit_chained_insert()"
        )
        op.execute(
            "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
            "FOR EACH ROW EXECUTE FUNCTION psoreg_audit_head_guard()"
        )
        op.execute(
            "CREATE TRIGGER audit_head_no_rewind BEFORE UPDATE ON audit_head "
            "FOR EACH ROW EXECUTE FUNCTION psoreg_audit_head_guard()"
        )
        op.execute(
            "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
            "FOR EACH STATEMENT EXECUTE FUNCTION psoreg_audit_head_guard()"
        )
        return
    op.execute(
        "CREATE TRIGGER audit_log_chained_insert BEFORE INSERT ON audit_log "
        "WHEN NEW.row_hash IS NULL OR NEW.prev_hash IS NULL "
        "OR NEW.id <= COALESCE((SELECT max(id) FROM audit_log), 0) "
        "OR NEW.id > (SELECT last_id FROM audit_head WHERE id = 1) "
        "BEGIN SELECT RAISE(ABORT, 'audit entries are chained by psoreg: an entry without "
        "its hash or out of sequence is refused'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
        "BEGIN SELECT RAISE(ABORT, 'the audit chain''s head cannot be deleted'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_head_no_rewind BEFORE UPDATE ON audit_head "
        "WHEN NEW.last_id < OLD.last_id "
        "BEGIN SELECT RAISE(ABORT, 'the audit chain''s head cannot be rewound'); END"
    )


def _drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table in (
            ("audit_log_chained_insert", "audit_log"),
            ("audit_head_no_delete", "audit_head"),
            ("audit_head_no_rewind", "audit_head"),
            ("audit_head_no_truncate", "audit_head"),
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS psoreg_audit_chained_insert()")
        op.execute("DROP FUNCTION IF EXISTS psoreg_audit_head_guard()")
    else:
        for name in ("audit_log_chained_insert", "audit_head_no_delete", "audit_head_no_rewind"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")

"""The append-only audit trail.

Every create, change and delete of a clinical record is written as one :class:`AuditRow` per
field (who, when, record, field, old → new, reason). The application never updates or deletes
audit rows: :func:`install_append_only_guard` makes a session refuse to flush such a change, and
the migration adds database triggers (SQLite and PostgreSQL) that abort any UPDATE or DELETE on
``audit_log`` whoever issues it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from psoreg.store.models import AuditRow


class AuditIsAppendOnly(PermissionError):
    """An attempt to change or delete an audit entry."""


def _guard(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditRow):
            raise AuditIsAppendOnly("the audit trail is append-only: entries cannot be changed")


def install_append_only_guard(factory: sessionmaker[Session]) -> None:
    """Make sessions from ``factory`` refuse to flush changes to audit rows."""
    event.listen(factory, "before_flush", _guard)


def as_text(value: Any) -> str | None:
    """A value as the audit trail shows it (dates ISO, collections JSON)."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def record(
    session: Session,
    *,
    username: str,
    action: str,
    table: str,
    record_id: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
    reason: str | None = None,
) -> None:
    """Append audit rows: one per changed field, or one without a field when none are given."""
    if not changes:
        session.add(
            AuditRow(
                username=username,
                action=action,
                table_name=table,
                record_id=record_id,
                reason=reason,
            )
        )
        return
    for field, (old, new) in changes.items():
        session.add(
            AuditRow(
                username=username,
                action=action,
                table_name=table,
                record_id=record_id,
                field=field,
                old_value=as_text(old),
                new_value=as_text(new),
                reason=reason,
            )
        )


def entries(session: Session, limit: int | None = None) -> list[AuditRow]:
    """Audit entries, newest first."""
    q = select(AuditRow).order_by(AuditRow.id.desc())
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q))

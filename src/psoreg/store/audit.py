"""The append-only, tamper-evident audit trail.

Every create, change and delete of a clinical record is written as one :class:`AuditRow` per
field (who, when, record, field, old → new, reason), and so are account changes, logins (web
page and API, successes and failures) and exports of identified data.

Three layers keep it honest:

* **In the application** the session refuses to flush a change or delete of an audit row
  (:class:`AuditIsAppendOnly`), and refuses to commit a write to a clinical table that has no
  audit entry (:class:`UnauditedWrite`): a cascade delete audits every record it removes.
* **In the database** triggers (SQLite and PostgreSQL) abort UPDATE and DELETE (and TRUNCATE)
  on ``audit_log``, an INSERT without its chain hash or out of sequence, and a DELETE of the
  chain's head.
* **The hash chain**: each entry carries ``row_hash`` = HMAC-SHA256(key, previous hash + the
  entry's fields), the key derived from the site secret (``secret.key``, which is not in the
  database). Entries get consecutive ids under a lock on the one-row ``audit_head`` table that
  records the end of the chain. On PostgreSQL that lock is taken as late as possible: a
  transaction's entries are held back from its flushes (:data:`DEFERRED`) and chained at its
  commit, after its stored outcomes were refreshed, so the lock is held only for the chaining and
  the commit, and concurrent writers are serialised on nothing longer. :func:`verify` recomputes
  the chain and names every entry that was inserted, changed, deleted or reordered, a head that
  does not match, and any protecting trigger that is missing or disabled. Someone with write
  access to the database but not the secret cannot forge a hash; what they can still do undetected
  is delete the newest entries together with rewinding the head, which is why ``psoreg audit
  verify`` prints the head to be recorded elsewhere and checks an earlier one with
  ``--expect-head``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, event, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from psoreg.store.models import CLINICAL_TABLES, AuditHead, AuditRow, utcnow
from psoreg.store.savepoints import forget_at_end

GENESIS = "0" * 64
#: the fields of an entry covered by its hash, in this order (chain format v1)
CHAINED = (
    "id",
    "at",
    "username",
    "action",
    "table_name",
    "record_id",
    "field",
    "old_value",
    "new_value",
    "reason",
    "record_version",
    "address",
)
_CLINICAL = {model: name for name, model in CLINICAL_TABLES.items()}
#: ``session.info`` keys: entries held back from the flushes until the commit (PostgreSQL), the
#: number of them when each open savepoint began, and "now chaining, do not hold back"
DEFERRED = "audit_deferred"
MARKS = "audit_marks"
FINAL = "audit_final"


class AuditIsAppendOnly(PermissionError):
    """An attempt to change or delete an audit entry."""


class UnauditedWrite(RuntimeError):
    """A clinical record was written without an audit entry (a bug, never user input)."""


class AuditKeyMismatch(RuntimeError):
    """The audit chain was written with another site secret than the one given."""


# --- hashing ---------------------------------------------------------------------------------


def chain_key(secret: str) -> bytes:
    """The chain's HMAC key, derived from the site secret."""
    return hmac.new(secret.encode(), b"psoreg audit chain v1", hashlib.sha256).digest()


def key_check(key: bytes) -> str:
    """A fingerprint of the key stored in the head, to tell a wrong secret from tampering."""
    return hmac.new(key, b"key check", hashlib.sha256).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    return value


def entry_hash(key: bytes, prev_hash: str, values: dict[str, Any]) -> str:
    """HMAC-SHA256 of the previous hash and the entry's :data:`CHAINED` fields."""
    payload = json.dumps(
        [prev_hash, *(_canonical(values.get(f)) for f in CHAINED)],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


# --- appending -------------------------------------------------------------------------------


WRONG_KEY = (
    "this database's audit trail was written with another secret.key: "
    "give psoreg the data folder that holds the site's secret"
)


def require_key(conn: Connection, secret: str) -> None:
    """Refuse a ``secret`` other than the one the audit trail was written with, before any
    write (``psoreg serve`` checks it at start-up instead of answering 500 on the first write)."""
    check = conn.execute(select(AuditHead.key_check).where(AuditHead.id == 1)).scalar()
    if check is not None and not hmac.compare_digest(check, key_check(chain_key(secret))):
        raise AuditKeyMismatch(WRONG_KEY)


def _lock_head(conn: Connection) -> tuple[int, str, str | None]:
    """Take the chain's lock and read its end (last id, last hash, key check)."""
    q = select(AuditHead.last_id, AuditHead.last_hash, AuditHead.key_check).where(AuditHead.id == 1)
    if conn.dialect.name == "postgresql":
        row = conn.execute(q.with_for_update()).one()
    else:
        # a no-op write takes SQLite's write lock before the head is read
        conn.execute(update(AuditHead).where(AuditHead.id == 1).values(last_id=AuditHead.last_id))
        row = conn.execute(q).one()
    return int(row[0]), str(row[1]), row[2]


def _chain(session: Session, _ctx: Any, _instances: Any) -> None:
    """before_flush: refuse changes to entries; give new entries their ids and hashes."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditRow | AuditHead):
            raise AuditIsAppendOnly("the audit trail is append-only: entries cannot be changed")
    pending: list[AuditRow] = session.info.get("audit_pending", [])
    extra = [o for o in session.new if isinstance(o, AuditRow) and o not in pending]
    rows = [o for o in (*pending, *extra) if o in session.new]
    session.info["audit_pending"] = []
    if not rows:
        return
    if not session.info.get(FINAL) and session.get_bind().dialect.name == "postgresql":
        # held back until the commit (_require_audit): the head's lock is taken then
        for row in rows:
            session.expunge(row)
        session.info.setdefault(DEFERRED, []).extend(rows)
        return
    key: bytes | None = session.info.get("audit_key")
    if key is None:
        raise AuditKeyMismatch("no audit key: open the store with open_store(url, secret=...)")
    conn = session.connection()
    last_id, last_hash, check = _lock_head(conn)
    if check is not None and not hmac.compare_digest(check, key_check(key)):
        raise AuditKeyMismatch(WRONG_KEY)
    for row in rows:
        last_id += 1
        row.id = last_id
        row.at = row.at or utcnow()
        row.prev_hash = last_hash
        row.row_hash = last_hash = entry_hash(key, last_hash, _values(row))
    conn.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(last_id=last_id, last_hash=last_hash, key_check=check or key_check(key))
    )


def _values(row: AuditRow) -> dict[str, Any]:
    return {f: getattr(row, f) for f in CHAINED}


def _collect_writes(session: Session, _ctx: Any) -> None:
    """after_flush: remember the clinical records this flush wrote."""
    written = session.info.setdefault("written", set())
    for obj in (*session.new, *session.deleted):
        if type(obj) in _CLINICAL:
            written.add((_CLINICAL[type(obj)], obj.id))
    for obj in session.dirty:
        if type(obj) in _CLINICAL and session.is_modified(obj, include_collections=False):
            written.add((_CLINICAL[type(obj)], obj.id))


def _require_audit(session: Session) -> None:
    """before_commit: chain the entries held back (PostgreSQL), then check that every clinical
    record written in this transaction has an audit entry.

    It runs after the stored outcomes' refresh (:mod:`psoreg.store.outcome_table` puts its
    listener first), so the head's lock is taken after the refresh, just before the commit."""
    if session.in_nested_transaction():
        return  # a SAVEPOINT released (SQLAlchemy fires before_commit for it): check at the end
    session.info[FINAL] = True
    deferred = session.info.pop(DEFERRED, [])
    if deferred:
        session.add_all(deferred)
        # chained in the order they were recorded: held back first, then any recorded since
        session.info["audit_pending"] = deferred + session.info.get("audit_pending", [])
    session.flush()
    written = session.info.pop("written", set())
    audited = session.info.pop("audited", set())
    missing = sorted(w for w in written if (w[0], str(w[1])) not in audited)
    if missing:
        session.info["written"] = written
        session.info["audited"] = audited
        names = ", ".join(f"{t} {pk}" for t, pk in missing[:5])
        raise UnauditedWrite(f"unaudited write to {names}: write through psoreg.store.service")


def install(factory: sessionmaker[Session]) -> None:
    """Make sessions from ``factory`` chain new audit entries (with the key in their
    ``info["audit_key"]``), refuse changes to entries, and refuse to commit an unaudited
    clinical write."""
    event.listen(factory, "before_flush", _chain)
    event.listen(factory, "after_flush", _collect_writes)
    event.listen(factory, "before_commit", _require_audit)
    event.listen(factory, "after_transaction_create", _mark_savepoint)
    event.listen(factory, "after_rollback", _forget_rolled_back)
    forget_at_end(factory, ("written", "audited", "audit_pending", DEFERRED, MARKS, FINAL))


def _mark_savepoint(session: Session, transaction: Any) -> None:
    """after_transaction_create: remember how many entries were held back when a savepoint
    began, to forget those of the savepoint if it is rolled back."""
    if transaction.nested:
        held = len(session.info.get(DEFERRED, ()))
        session.info.setdefault(MARKS, {})[transaction] = held


def _forget_rolled_back(session: Session) -> None:
    """after_rollback: forget the held-back entries of a savepoint rolled back (a failing unit
    of a group commit), or all of them when the transaction is."""
    deferred = session.info.get(DEFERRED)
    if not deferred:
        return
    savepoint = session.get_nested_transaction()  # the one being rolled back, if a savepoint
    if savepoint is None:
        deferred.clear()
        return
    mark = session.info.get(MARKS, {}).get(savepoint)
    if mark is not None:
        del deferred[mark:]


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
    record_version: int | None = None,
    address: str | None = None,
) -> None:
    """Append audit entries: one per changed field, or one without a field when none are given."""
    session.info.setdefault("audited", set()).add((table, str(record_id)))
    pending = session.info.setdefault("audit_pending", [])
    common = {
        "username": username[:64],
        "action": action,
        "table_name": table,
        "record_id": str(record_id)[:64],
        "reason": reason,
        "record_version": record_version,
        "address": address[:64] if address else None,
    }
    items = list((changes or {None: (None, None)}).items())
    for name, (old, new) in items:
        row = AuditRow(field=name, old_value=as_text(old), new_value=as_text(new), **common)
        session.add(row)
        pending.append(row)


def entries(session: Session, limit: int | None = None) -> list[AuditRow]:
    """Audit entries, newest first."""
    q = select(AuditRow).order_by(AuditRow.id.desc())
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q))


@dataclass(frozen=True)
class Change:
    """One changed field of a record, as the audit trail recorded it."""

    field: str | None
    username: str
    at: dt.datetime
    old_value: str | None
    new_value: str | None
    record_version: int | None
    reason: str | None = None


def history(session: Session, table: str, record_id: int, since_version: int) -> list[Change]:
    """The changes of one record after ``since_version`` (oldest first), as plain values that
    outlive the session."""
    q = (
        select(AuditRow)
        .where(
            AuditRow.table_name == table,
            AuditRow.record_id == str(record_id),
            AuditRow.record_version > since_version,
        )
        .order_by(AuditRow.id)
    )
    found = list(session.scalars(q))
    # entries of this transaction not chained yet (PostgreSQL: an earlier unit of a group commit)
    found += [
        e
        for e in session.info.get(DEFERRED, ())
        if e.table_name == table
        and e.record_id == str(record_id)
        and e.record_version is not None
        and e.record_version > since_version
    ]
    return [
        Change(
            e.field,
            e.username,
            e.at or utcnow(),
            e.old_value,
            e.new_value,
            e.record_version,
            e.reason,
        )
        for e in found
    ]


# --- verification ----------------------------------------------------------------------------


@dataclass
class Verification:
    """What :func:`verify` found: ``problems`` (empty when the trail is intact)."""

    checked: int = 0
    head_id: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _rows(conn: Connection, batch: int = 5000) -> Iterator[Any]:
    cols = [getattr(AuditRow, f) for f in CHAINED] + [AuditRow.prev_hash, AuditRow.row_hash]
    after = None
    while True:
        q = select(*cols).order_by(AuditRow.id).limit(batch)
        if after is not None:
            q = q.where(AuditRow.id > after)
        chunk = conn.execute(q).all()
        if not chunk:
            return
        yield from chunk
        after = chunk[-1][0]


def verify(
    conn: Connection, secret: str, expect_head: tuple[int, str] | None = None
) -> Verification:
    """Recompute the chain and check the head and the protecting triggers."""
    key = chain_key(secret)
    out = Verification()
    head = conn.execute(
        select(AuditHead.last_id, AuditHead.last_hash, AuditHead.key_check).where(AuditHead.id == 1)
    ).one_or_none()
    if head is None:
        out.problems.append("the chain's head (audit_head) is missing: it was deleted")
    elif head[2] is not None and not hmac.compare_digest(head[2], key_check(key)):
        out.problems.append(
            "secret.key is not the key this audit trail was written with: give the data "
            "folder of this site (--data); no entry could be checked"
        )
        return out
    prev_id, prev_hash = 0, GENESIS
    expected = {e: None for e in (expect_head,) if e}
    for r in _rows(conn):
        values = dict(zip(CHAINED, r[: len(CHAINED)], strict=True))
        rid, stored_prev, stored = values["id"], r[-2], r[-1]
        out.checked += 1
        gap = rid != prev_id + 1
        if gap:
            missing = f"{prev_id + 1}" if rid == prev_id + 2 else f"{prev_id + 1}–{rid - 1}"
            out.problems.append(f"entry {missing} missing before entry {rid}: deleted")
        if stored is None:
            out.problems.append(f"entry {rid} has no chain hash: inserted outside psoreg")
        elif stored != entry_hash(key, stored_prev or "", values):
            out.problems.append(
                f"entry {rid} does not match its hash: changed, or forged (inserted)"
            )
        elif stored_prev != prev_hash and not gap:
            out.problems.append(
                f"entry {rid} does not follow entry {prev_id}: reordered, or an entry "
                "between them was removed or inserted"
            )
        if expect_head and rid == expect_head[0]:
            expected[expect_head] = stored
        prev_id, prev_hash = rid, stored or ""
    out.head_id, out.head_hash = prev_id, prev_hash
    if head is not None and (head[0], head[1]) != (prev_id, prev_hash):
        if head[0] > prev_id:
            out.problems.append(
                f"the head records entry {head[0]} but the trail ends at entry {prev_id}: "
                "the newest entries were deleted"
            )
        else:
            out.problems.append(
                f"the trail ends at entry {prev_id} but the head records entry {head[0]}: "
                "entries were added outside psoreg, or the head was rewound"
            )
    if expect_head and expected[expect_head] != expect_head[1]:
        out.problems.append(
            f"entry {expect_head[0]} is not the head recorded earlier "
            f"({expect_head[1][:12]}…): the trail was cut or rewritten"
        )
    out.problems.extend(trigger_problems(conn))
    return out


#: the triggers that protect the trail, by dialect (created by migrations 0001 and 0002)
SQLITE_TRIGGERS = {
    "audit_log_no_update": "BEFORE UPDATE ON audit_log",
    "audit_log_no_delete": "BEFORE DELETE ON audit_log",
    "audit_log_chained_insert": "BEFORE INSERT ON audit_log",
    "audit_head_no_delete": "BEFORE DELETE ON audit_head",
    "audit_head_no_rewind": "BEFORE UPDATE ON audit_head",
}
PG_TRIGGERS = {
    "audit_log_append_only": "audit_log",
    "audit_log_no_truncate": "audit_log",
    "audit_log_chained_insert": "audit_log",
    "audit_head_no_delete": "audit_head",
    "audit_head_no_rewind": "audit_head",
    "audit_head_no_truncate": "audit_head",
}


def trigger_problems(conn: Connection) -> list[str]:
    """The protecting triggers that are missing, changed or disabled."""
    problems = []
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text(
                "SELECT t.tgname, t.tgenabled, c.relname FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
                "AND c.relname IN ('audit_log', 'audit_head')"
            )
        ).all()
        found = {name: (enabled, table) for name, enabled, table in rows}
        for name, table in PG_TRIGGERS.items():
            if name not in found or found[name][1] != table:
                problems.append(f"trigger {name} on {table} is missing (dropped)")
            elif found[name][0] == "D":
                problems.append(f"trigger {name} on {table} is disabled")
        funcs = dict(
            conn.execute(
                text(
                    "SELECT proname, prosrc FROM pg_proc WHERE proname IN "
                    "('psoreg_audit_append_only', 'psoreg_audit_chained_insert', "
                    "'psoreg_audit_head_guard')"
                )
            ).all()
        )
        for fn in (
            "psoreg_audit_append_only",
            "psoreg_audit_chained_insert",
            "psoreg_audit_head_guard",
        ):
            if "RAISE EXCEPTION" not in (funcs.get(fn) or ""):
                problems.append(f"trigger function {fn} is missing or no longer refuses")
        return problems
    rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
    found = {name: " ".join((sql or "").split()) for name, sql in rows}
    for name, clause in SQLITE_TRIGGERS.items():
        sql = found.get(name)
        if sql is None:
            problems.append(f"trigger {name} is missing (dropped)")
        elif clause not in sql or "RAISE(ABORT" not in sql:
            problems.append(f"trigger {name} was changed and no longer refuses")
    return problems

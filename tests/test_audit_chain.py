"""The tamper-evident audit trail (issue 10), on SQLite and PostgreSQL.

Each tampering is done as someone with write access to the database would: raw SQL, bypassing
the protecting triggers (dropped or disabled, and put back afterwards), then
``psoreg audit verify`` must exit non-zero naming the entry or the trigger.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from psoreg.cli import app as cli
from psoreg.store import service
from psoreg.store.audit import UnauditedWrite
from psoreg.store.models import AuditRow, CourseRow, DoseRow, PatientRow
from tests.web_conftest import PASSWORDS, TEST_SECRET, login

CLIN = service.Actor("dr.a", "clinician", "192.0.2.1")
runner = CliRunner()


@pytest.fixture
def site(store, tmp_path: Path) -> tuple:
    """A store with a patient, a course, doses, a visit and an event, and its data folder."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "secret.key").write_text(TEST_SECRET)
    with store.session() as s:
        p = service.create(s, CLIN, "patients", {"patient_id": "P1", "birth_date": "1980-01-01"})
        c = service.create(
            s, CLIN, "courses", {"drug": "ustekinumab", "start_date": "2024-01-08"}, p.id
        )
        for d in ("2024-01-08", "2024-02-05"):
            service.create(s, CLIN, "doses", {"date": d, "dose_mg": 45}, c.id)
        service.create(s, CLIN, "visits", {"date": "2024-01-08", "pasi": 20}, c.id)
        service.create(s, CLIN, "events", {"kind": "paradoxical", "date": "2024-03-01"}, c.id)
    return store, folder


def _verify(store, folder: Path, *extra: str):
    url = store.engine.url.render_as_string(hide_password=False)
    return runner.invoke(cli, ["audit", "verify", "--db", url, "--data", str(folder), *extra])


def _sql(store, *statements: str) -> None:
    with store.engine.begin() as c:
        for st in statements:
            c.execute(text(st))


class Bypass:
    """Turn a protecting trigger off and back on, as an intruder covering their tracks would."""

    PG = {
        "insert": ("audit_log", "audit_log_chained_insert"),
        "update": ("audit_log", "audit_log_append_only"),
        "delete": ("audit_log", "audit_log_append_only"),
        "head": ("audit_head", "audit_head_no_rewind"),
    }
    SQLITE = {
        "insert": "audit_log_chained_insert",
        "update": "audit_log_no_update",
        "delete": "audit_log_no_delete",
        "head": "audit_head_no_rewind",
    }

    def __init__(self, store, *kinds: str) -> None:
        self.store, self.kinds = store, kinds
        self.saved: list[str] = []

    def __enter__(self) -> None:
        if self.store.dialect == "postgresql":
            for k in self.kinds:
                table, trigger = self.PG[k]
                _sql(self.store, f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
            return
        with self.store.engine.begin() as c:
            for k in self.kinds:
                name = self.SQLITE[k]
                self.saved.append(
                    c.execute(
                        text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": name}
                    ).scalar_one()
                )
                c.execute(text(f"DROP TRIGGER {name}"))

    def __exit__(self, *exc: object) -> None:
        if self.store.dialect == "postgresql":
            for k in self.kinds:
                table, trigger = self.PG[k]
                _sql(self.store, f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        else:
            _sql(self.store, *self.saved)


def _ids(store) -> list[int]:
    with store.session() as s:
        return list(s.scalars(select(AuditRow.id).order_by(AuditRow.id)))


def test_an_intact_trail_verifies(site) -> None:
    store, folder = site
    r = _verify(store, folder)
    assert r.exit_code == 0, r.output
    assert "Audit trail intact" in r.output and "Head: " in r.output


def test_a_forged_insert_is_refused_and_if_forced_named(site) -> None:
    store, folder = site
    n = _ids(store)[-1]
    forged = (
        "INSERT INTO audit_log (id, at, username, action, table_name, record_id, field, "
        f"new_value, prev_hash, row_hash) VALUES ({n + 1}, '2024-05-01 10:00:00', 'dr.a', "
        f"'update', 'patients', '1', 'name', 'Someone Else', '{'0' * 64}', '{'a' * 64}')"
    )
    with pytest.raises(Exception, match="(?i)chained|sequence|refused"):
        _sql(store, forged)
    with Bypass(store, "insert"):
        _sql(store, forged)
    r = _verify(store, folder)
    assert r.exit_code == 1
    assert f"entry {n + 1} does not match its hash" in r.output
    assert f"trail ends at entry {n + 1} but the head records entry {n}" in r.output


def test_a_changed_entry_is_named(site) -> None:
    store, folder = site
    with Bypass(store, "update"):
        _sql(
            store,
            "UPDATE audit_log SET new_value = '99' WHERE field = 'dose_mg' AND id = "
            "(SELECT min(id) FROM audit_log WHERE field = 'dose_mg')",
        )
    with store.session() as s:
        changed = s.scalar(select(func.min(AuditRow.id)).where(AuditRow.field == "dose_mg"))
    r = _verify(store, folder)
    assert r.exit_code == 1 and f"entry {changed} does not match its hash" in r.output


def test_a_deleted_entry_is_named(site) -> None:
    store, folder = site
    victim = _ids(store)[3]
    with Bypass(store, "delete"):
        _sql(store, f"DELETE FROM audit_log WHERE id = {victim}")
    r = _verify(store, folder)
    assert r.exit_code == 1 and f"entry {victim} missing before entry {victim + 1}" in r.output


def test_reordered_entries_are_named(site) -> None:
    store, folder = site
    a, b = _ids(store)[2], _ids(store)[5]
    with Bypass(store, "update"):
        _sql(
            store,
            f"UPDATE audit_log SET id = -1 WHERE id = {a}",
            f"UPDATE audit_log SET id = {a} WHERE id = {b}",
            f"UPDATE audit_log SET id = {b} WHERE id = -1",
        )
    r = _verify(store, folder)
    assert r.exit_code == 1
    assert f"entry {a} does not match" in r.output and f"entry {b} does not match" in r.output


def test_a_dropped_or_disabled_trigger_is_named(site) -> None:
    store, folder = site
    if store.dialect == "postgresql":
        _sql(store, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        expected = "trigger audit_log_append_only on audit_log is disabled"
    else:
        _sql(store, "DROP TRIGGER audit_log_no_delete")
        expected = "trigger audit_log_no_delete is missing (dropped)"
    r = _verify(store, folder)
    assert r.exit_code == 1 and expected in r.output
    if store.dialect == "postgresql":
        _sql(store, "DROP TRIGGER audit_log_chained_insert ON audit_log")
        r = _verify(store, folder)
        assert "trigger audit_log_chained_insert on audit_log is missing" in r.output


def test_newest_entries_cut_with_the_head_rewound_are_caught_by_an_earlier_head(site) -> None:
    store, folder = site
    r = _verify(store, folder)
    head = r.output.split("Head: ")[1].split()[0]
    with store.session() as s:
        service.update(s, CLIN, "patients", 1, {"weight_kg": 70}, 1)
    head_id = int(head.split(":")[0])
    with store.engine.connect() as c:
        prev = c.execute(
            text(f"SELECT row_hash FROM audit_log WHERE id = {head_id - 1}")
        ).scalar_one()
    with Bypass(store, "delete", "head"):
        _sql(
            store,
            f"DELETE FROM audit_log WHERE id >= {head_id}",
            f"UPDATE audit_head SET last_id = {head_id - 1}, last_hash = '{prev}'",
        )
    assert _verify(store, folder).exit_code == 0  # consistent on its own ...
    r = _verify(store, folder, "--expect-head", head)
    assert r.exit_code == 1 and f"entry {head_id} is not the head recorded earlier" in r.output


def test_the_wrong_secret_is_told_apart_from_tampering(site, tmp_path: Path) -> None:
    store, _ = site
    other = tmp_path / "other"
    other.mkdir()
    (other / "secret.key").write_text("another-secret")
    r = _verify(store, other)
    assert r.exit_code == 1 and "secret.key is not the key" in r.output
    assert _verify(store, tmp_path / "missing").exit_code == 2


def test_serve_refuses_another_secret_at_start_up(site, tmp_path: Path) -> None:
    """A data folder with another secret.key stops ``psoreg serve`` before it listens (it used
    to start, then answer 500 on the first write); the site's own folder starts."""
    from psoreg.store.audit import AuditKeyMismatch
    from psoreg.web.run import build

    store, folder = site
    url = store.engine.url.render_as_string(hide_password=False)
    other = tmp_path / "other-site"
    other.mkdir()
    (other / "secret.key").write_text("another-secret")
    with pytest.raises(AuditKeyMismatch, match="written with another secret.key"):
        build(url, other)
    r = runner.invoke(cli, ["serve", "--db", url, "--data", str(other), "--no-demo"])
    assert r.exit_code == 2 and "written with another secret.key" in " ".join(r.output.split())
    assert build(url, folder).has_users is not None  # the right secret opens it


def test_a_purge_audits_every_record_it_removes(site) -> None:
    store, folder = site
    with store.session() as s:
        p = s.scalar(select(PatientRow))
        records = {("patients", str(p.id))}
        for c in p.courses:
            records.add(("courses", str(c.id)))
            for t in ("doses", "visits", "events", "relapses"):
                records |= {(t, str(x.id)) for x in getattr(c, t)}
        pk, version = p.id, p.version
    assert len(records) == 6
    with store.session() as s:
        service.delete(s, CLIN, "patients", pk, version, reason="duplicate entry")
    with store.session() as s:  # a soft delete: one entry, nothing removed
        rows = s.scalars(select(AuditRow).where(AuditRow.action == "delete")).all()
        assert [(r.table_name, r.record_id, r.reason) for r in rows] == [
            ("patients", str(pk), "duplicate entry")
        ]
    admin = service.Actor("root", "admin", "192.0.2.9")
    with store.session() as s:
        service.purge(s, admin, "patients", pk, reason="erasure request")
    with store.session() as s:
        rows = s.scalars(select(AuditRow).where(AuditRow.action == "purge")).all()
        assert {(r.table_name, r.record_id) for r in rows} == records
        dose = next(r for r in rows if r.table_name == "doses" and r.field == "dose_mg")
        assert dose.old_value == "45.0" and dose.username == "root"
        assert dose.reason == f"removed with patient {pk}: erasure request"
        assert dose.address == "192.0.2.9"
        assert s.scalar(select(func.count()).select_from(DoseRow)) == 0
    assert _verify(store, folder).exit_code == 0


def test_a_write_without_an_audit_entry_is_refused(site) -> None:
    store, _ = site
    with pytest.raises(UnauditedWrite), store.session() as s:
        s.scalar(select(CourseRow)).regimen = "changed behind the audit trail's back"
    with pytest.raises(UnauditedWrite), store.session() as s:
        s.delete(s.scalar(select(DoseRow)))
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(DoseRow)) == 2


def test_concurrent_writers_keep_one_chain(site) -> None:
    store, folder = site
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(5):
                with store.session() as s:
                    service.create(s, CLIN, "patients", {"patient_id": f"T{n}-{i}"})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    ids = _ids(store)
    assert ids == list(range(1, len(ids) + 1))
    r = _verify(store, folder)
    assert r.exit_code == 0, r.output


def test_logins_and_identified_exports_are_audited_with_the_actor(accounts_store) -> None:
    from psoreg.web import create_app

    with TestClient(create_app(accounts_store, TEST_SECRET)) as c:
        c.post("/api/token", json={"username": "clinician", "password": "wrong"})
        tok = c.post(
            "/api/token", json={"username": "clinician", "password": PASSWORDS["clinician"]}
        ).json()["token"]
        c.get("/api/export/patients", headers={"Authorization": f"Bearer {tok}"})
        token = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        c.post("/login", data={"username": "nobody", "password": "x", "csrf_token": token})
        login(c, "clinician")
        c.get("/export/courses.csv")
        c.get("/export/registry.xlsx")
    with accounts_store.session() as s:
        rows = s.scalars(select(AuditRow).order_by(AuditRow.id)).all()
    seen = [(r.action, r.username, r.record_id, r.new_value) for r in rows if r.action != "create"]
    assert ("login-failed", "clinician", "2", "api") in seen
    assert ("login", "clinician", "2", "api") in seen
    assert ("login-failed", "(unknown user)", "-", "html") in seen
    assert not any("nobody" in str(r) for r in seen)
    assert ("login", "clinician", "2", "html") in seen
    exports = {(r.record_id, r.field, r.new_value) for r in rows if r.action == "export"}
    assert ("api:patients", "identified", "yes") in exports
    assert ("courses.csv", "identified", "yes") in exports
    assert ("registry.xlsx", "identified", "yes") in exports
    assert all(r.address == "testclient" for r in rows if r.action in ("login", "export"))


def test_upgrading_a_0001_database_chains_its_existing_entries(
    store_url, tmp_path: Path, request
) -> None:
    """A registry created before the chain: its entries are chained by the upgrade (with the
    site's key) and verify; ids that differ only in case stop the upgrade, named."""
    from psoreg.store.db import make_engine, migrate, open_store

    if store_url.startswith("postgresql"):  # an empty database, not the migrated template
        pg = request.getfixturevalue("pg_server")
        with pg.admin.connect() as c:
            c.execute(text("CREATE DATABASE psoreg_legacy"))
        store_url = pg.url("psoreg_legacy")
    else:  # a new file, not a copy of the migrated template
        store_url = f"sqlite:///{tmp_path / 'legacy.sqlite3'}"
    engine = make_engine(store_url)
    migrate(engine, "0002_outcomes_cache")  # the revision before 0002_security
    legacy = (
        "INSERT INTO audit_log (at, username, action, table_name, record_id, field, new_value) "
        "VALUES ('2024-01-0{0} 09:00:00.123456', 'dr.old', 'create', 'patients', '{0}', "
        "'patient_id', 'p{0}')"
    )
    with engine.begin() as c:
        for i in (1, 2, 3):
            c.execute(text(legacy.format(i)))
        c.execute(text("INSERT INTO patients (patient_id, sex, version) VALUES ('ab1', 'F', 1)"))
        c.execute(text("INSERT INTO patients (patient_id, sex, version) VALUES ('AB1', 'F', 1)"))
    with pytest.raises(RuntimeError, match="differ only in upper/lower case.*'AB1'"):
        migrate(engine, secret=TEST_SECRET)
    with engine.begin() as c:
        c.execute(text("DELETE FROM patients WHERE patient_id = 'ab1'"))
    engine.dispose()
    store = open_store(store_url, secret=TEST_SECRET)
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "secret.key").write_text(TEST_SECRET)
    with store.session() as s:
        service.create(s, CLIN, "patients", {"patient_id": "P9"})
    r = _verify(store, folder)
    assert r.exit_code == 0, r.output
    assert _ids(store)[:3] == [1, 2, 3]
    store.close()

"""``outcomes.csv`` from the stored lines (issue 11) is, byte for byte, the export the engine
gives: for every role and site, with hostile text in the courses (formula triggers, quotes,
commas, line breaks, unicode, empty and missing values), whether the lines are stored, missing
(made on read) or the stored outcomes are stale (the engine's fallback); an edit shows in the
next export; and one cell is exactly what the csv module writes.

Every registry test runs on SQLite and on a real PostgreSQL server (``tests/web_conftest.py``).
"""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from psoreg.accounts.users import add_user
from psoreg.io.spreadsheet import TRIGGERS, csv_cell, csv_uncell, neutralise, unescape
from psoreg.store import audit, service, sites
from psoreg.store import outcome_table as ot
from psoreg.store.models import CourseOutcomeRow, CourseRow
from psoreg.store.outcome_lines import line_version
from tests.web_conftest import PASSWORDS, login

ADMIN = service.Actor("setup", "admin")
#: free text no form accepts (line breaks, control characters) is written by plain ORM
HOSTILE = [
    "=cmd|' /C calc'!A0",
    "+1",
    "-1",
    "@x",
    "\t=1+1",
    "\r=2",
    "'=already escaped",
    "-0.5",
    "\uff1d1",
    'say "hi", then\nnew line',
    "ünïcødé — 漢字 ✓",
    "seen 12/03/2024 MRN 1234567",
    "call +60 12-345 6789 or a@b.org",
    "Jan 2024, then 2024-02-30",
    "a,b",
    '"',
    "'",
    "",
    None,
    "Alice Smith's regimen, HN998877",
    "x\r\ny",
    "  padded  ",
]
#: (user name, role, sites): everyone of the demo registry, and users of the second site only
USERS = [
    ("clinician", "clinician", None),
    ("analyst", "analyst", None),
    ("admin", "admin", None),
    ("northcl", "clinician", ["NORTH"]),
    ("northan", "analyst", ["NORTH"]),
    ("allan", "analyst", "all"),
]


def _cell_of_csv_module(value: object) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([neutralise(value), "x"])
    return buf.getvalue()[: -len(",x\n")]


def test_a_cell_is_what_the_csv_module_writes() -> None:
    """Every character, alone (a formula trigger first) and inside text; numbers, booleans,
    None; and a cell reads back as its text."""
    points = [*range(0x3000), *range(0x3000, 0x110000, 61)]  # every ASCII and Latin letter
    bad = [
        text
        for text in (s for cp in points for s in (chr(cp), f"a{chr(cp)}b"))
        if csv_cell(text) != _cell_of_csv_module(text) or csv_uncell(csv_cell(text)) != text
    ]
    assert not bad
    for c in TRIGGERS:
        for text in (c, f"{c}1", f"'{c}x", f"''{c}", f"{c}1e5", f'{c}"q"'):
            assert csv_cell(text) == _cell_of_csv_module(text), repr(text)
            assert csv_uncell(csv_cell(text)) == text, repr(text)
    for value in (None, 0, -3, 1.5, -0.0, 1e-300, 12.0, 1 / 3, True, False):
        assert csv_cell(value) == _cell_of_csv_module(value), value
    for text in HOSTILE:
        if text is not None:
            assert csv_uncell(csv_cell(text)) == text


@pytest.fixture
def registry(seeded_store):
    """The demo registry, a second site with a patient whose courses hold hostile free text,
    and a clinician and an analyst of that site only."""
    with seeded_store.session() as s:
        sites.add_site(s, "NORTH", "North clinic", by="setup")
        for name, role, where in USERS[3:]:
            if where == "all":
                add_user(s, name, PASSWORDS[role], role, by="setup", all_sites=True)
            else:
                add_user(s, name, PASSWORDS[role], role, by="setup", sites=where)
        p = service.create(
            s,
            ADMIN,
            "patients",
            {
                "patient_id": "N1",
                "name": "Alice Smith",
                "hospital_number": "HN998877",
                "birth_date": "1970-01-01",
                "site": "NORTH",
            },
        )
        for i in range(0, len(HOSTILE), 2):
            c = service.create(
                s,
                ADMIN,
                "courses",
                {"drug": "ustekinumab", "start_date": f"2024-{i // 2 + 1:02d}-01"},
                parent_pk=p.id,
            )
            for day, pasi in ((1, 12), (20, 2.5)):
                service.create(
                    s,
                    ADMIN,
                    "visits",
                    {"date": f"2024-{i // 2 + 1:02d}-{day:02d}", "pasi": pasi},
                    c.id,
                )
        s.flush()
        courses = s.scalars(select(CourseRow).where(CourseRow.patient_pk == p.id)).all()
        for i, course in enumerate(sorted(courses, key=lambda c: c.start_date)):
            course.regimen = HOSTILE[2 * i]
            course.next_treatment = HOSTILE[2 * i + 1] if 2 * i + 1 < len(HOSTILE) else None
            s.flush()
            audit.record(
                s, username="script", action="update", table="courses", record_id=course.id
            )
    return seeded_store


@pytest.fixture
def clients(registry):
    """One logged-in client per user of :data:`USERS`."""
    from psoreg.web import create_app
    from tests.web_conftest import TEST_SECRET

    app = create_app(registry, TEST_SECRET)
    out = {}
    for user, role, _sites in USERS:
        out[user] = TestClient(app).__enter__()
        login(out[user], role, user)
    yield out
    for client in out.values():
        client.__exit__(None, None, None)


def _exports(clients: dict[str, TestClient]) -> dict[str, bytes]:
    out = {}
    for user, client in clients.items():
        r = client.get("/export/outcomes.csv")
        assert r.status_code == 200, r.text
        out[user] = r.content
    return out


def _stored_lines(store) -> tuple[int, int]:
    with store.reader() as s:
        total = s.scalar(select(func.count()).select_from(CourseOutcomeRow))
        current = s.scalar(
            select(func.count())
            .select_from(CourseOutcomeRow)
            .where(CourseOutcomeRow.csv_version == line_version())
        )
    return total, current


def test_the_stored_lines_are_the_engines_export(registry, clients) -> None:
    total, current = _stored_lines(registry)
    assert total == current > 6, "every course's line is written with its outcomes"
    fast = _exports(clients)

    # the hostile text is there, escaped, for the clinicians; scrubbed for the analysts
    rows = list(csv.reader(io.StringIO(fast["admin"].decode())))
    cells = [c for r in rows for c in r]
    with registry.reader() as s:  # (the engine reads text trimmed)
        stored = [o for (o,) in s.execute(select(CourseOutcomeRow.outcome))]
    texts = {unescape(c) for c in cells}
    assert {o[k] for o in stored for k in ("regimen", "next_treatment") if o[k]} <= texts
    assert {'say "hi", then\nnew line', "x\r\ny", "ünïcødé — 漢字 ✓", '"', "a,b"} <= texts
    assert "'=cmd|' /C calc'!A0" in cells and "'+1" in cells and "-1" in cells
    assert len({len(r) for r in rows}) == 1, "a line break in a cell split a row"
    assert b"Alice" in fast["admin"] and b"N1-C" in fast["admin"]
    for analyst in ("analyst", "northan", "allan"):
        assert b"Alice" not in fast[analyst] and b"HN998877" not in fast[analyst]
        assert b"N1-C" not in fast[analyst] and b"C01" not in fast[analyst]
    assert b"[name]" in fast["northan"] and b"[email]" in fast["allan"]
    assert fast["northcl"].count(b"\nN1-C") == fast["northcl"].count(b",NORTH,") == 11
    assert b",NORTH," not in fast["clinician"] + fast["analyst"]

    # lines missing (a registry migrated from before them): made on read, the same bytes
    with registry.session() as s:
        s.execute(update(CourseOutcomeRow).values(csv_line=None, csv_version=None))
    assert _exports(clients) == fast
    assert ot.refresh_stale(registry) == 0  # the outcomes are current: lines only
    assert _stored_lines(registry) == (total, total)
    # lines of another version of the line code: the same
    with registry.session() as s:
        s.execute(update(CourseOutcomeRow).values(csv_version="older line code"))
    assert _exports(clients) == fast
    ot.refresh_lines(registry)

    # stale outcomes (another definitions or options version): the engine's export, and the
    # stored lines agree with it byte for byte
    with registry.session() as s:
        s.execute(update(CourseOutcomeRow).values(outcomes_version="an older version"))
    assert _exports(clients) == fast
    ot.refresh_stale(registry)
    assert _stored_lines(registry) == (total, total)
    assert _exports(clients) == fast


def test_an_edit_shows_in_the_next_export(registry, clients) -> None:
    """A course changed through the API: the very next export has its new line (written in
    the edit's transaction), and only that line changed."""
    with registry.reader() as s:
        course = s.scalar(select(CourseRow).where(CourseRow.course_id == "C01"))
        pk, version = course.id, course.version
    client = clients["clinician"]
    tok = client.post(
        "/api/token", json={"username": "clinician", "password": PASSWORDS["clinician"]}
    ).json()["token"]
    before = client.get("/export/outcomes.csv").text
    r = client.patch(
        f"/api/courses/{pk}",
        json={"data": {"regimen": "=2+2, every 8 weeks"}, "version": version},
        headers={"Authorization": f"Bearer {tok}"},
    )
    assert r.status_code == 200, r.text
    after = client.get("/export/outcomes.csv").text
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 1 and changed[0][1].startswith("C01,")
    assert '"\'=2+2, every 8 weeks"' in changed[0][1]
    with registry.reader() as s:
        line = s.scalar(select(CourseOutcomeRow.csv_line).where(CourseOutcomeRow.course_pk == pk))
    assert '"\'=2+2, every 8 weeks"' in line
    # and the engine's own export agrees
    with registry.session() as s:
        s.execute(update(CourseOutcomeRow).values(outcomes_version="an older version"))
    assert _exports(clients)["clinician"].decode() == after

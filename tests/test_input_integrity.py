"""Data integrity at the input boundary: one named test per hostile file of issue 9.

Each hostile file is real (written to a temporary folder, read through the command line with
Typer's runner, or through :func:`psoreg.io.load`). Every refusal must exit 2 and name the row
and column; every accepted file must give exactly the figures of the clean example.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from psoreg.cases.cli import cases_app
from psoreg.cli import app
from psoreg.errors import ImportFailed
from psoreg.io import ReadOptions, cells, load, read_upload
from psoreg.store import parse
from psoreg.store.errors import FieldError
from tests.conftest import CASE_SERIES, VISIT_COHORT

runner = CliRunner()
CLEAN = CASE_SERIES.read_text(encoding="utf-8")
LINES = CLEAN.splitlines()


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def _with_line(i: int, new: str) -> str:
    lines = list(LINES)
    lines[i] = new
    return "\n".join(lines) + "\n"


def _refused(path: Path, *, where: str, command: str = "summarize", extra=()) -> str:
    """Run the command; it must exit 2, name ``where`` ("row N, column 'x'") and never trace."""
    res = runner.invoke(app, [command, str(path), *extra])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and res.exception is None or res.exit_code == 2
    assert "nothing was imported" in res.stderr
    assert where in res.stderr, res.stderr
    return res.stderr


def _same_cohort(a, b) -> None:
    for t in ("patients", "courses", "assessments", "milestones", "events", "relapses", "doses"):
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t), check_like=False)


def _summary(path: Path, *extra: str) -> dict:
    res = runner.invoke(app, ["summarize", str(path), "--format", "json", *extra])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    doc.pop("input")
    doc.pop("reading")
    doc.pop("comparisons", None)  # published figures are found beside the original file only
    return doc


@pytest.fixture(scope="module")
def clean_summary(tmp_path_factory) -> dict:
    return _summary(CASE_SERIES)


def _visits(tmp_path: Path) -> Path:
    dst = tmp_path / "cohort"
    shutil.copytree(VISIT_COHORT, dst)
    return dst


# --- encodings and file types ----------------------------------------------------------------

ACCENTED = CLEAN.replace("Chinese", "Chinese – café", 1)


def test_cp1252_csv_saved_by_excel(tmp_path: Path) -> None:
    path = _write(tmp_path, "excel.csv", ACCENTED.encode("cp1252"))
    utf8 = _write(tmp_path, "utf8.csv", ACCENTED)
    _same_cohort(load(path), load(utf8))
    assert load(path).patients.ethnicity.iloc[0] == "Chinese – café"
    assert any("decoded as cp1252" in n for n in load(path).source_notes)


def test_latin1_csv_forced_with_encoding_option(tmp_path: Path) -> None:
    text = CLEAN.replace("Chinese", "Chinese ÿ", 1)
    path = _write(tmp_path, "latin.csv", text.encode("latin-1"))
    cohort = load(path, options=ReadOptions(encoding="latin-1"))
    assert cohort.patients.ethnicity.iloc[0] == "Chinese ÿ"
    assert any("--encoding latin-1" in n for n in cohort.source_notes)
    res = runner.invoke(app, ["summarize", str(path), "--encoding", "nope"])
    assert res.exit_code == 2 and "unknown encoding 'nope'" in res.stderr


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_utf16_with_and_without_bom(tmp_path: Path, encoding: str) -> None:
    path = _write(tmp_path, "u.csv", ACCENTED.encode(encoding))
    _same_cohort(load(path), load(_write(tmp_path, "utf8.csv", ACCENTED)))


def test_empty_file_is_refused(tmp_path: Path) -> None:
    _refused(_write(tmp_path, "empty.csv", ""), where="the file is empty")


def test_empty_assessments_csv_is_refused(tmp_path: Path) -> None:
    path = _visits(tmp_path)
    (path / "assessments.csv").write_text("")
    _refused(path, where="the file is empty", command="outcomes")


def test_header_only_file_is_refused(tmp_path: Path) -> None:
    _refused(_write(tmp_path, "h.csv", LINES[0] + "\n"), where="no data rows")
    path = _visits(tmp_path)
    (path / "courses.csv").write_text((VISIT_COHORT / "courses.csv").read_text().splitlines()[0])
    _refused(path, where="column 'courses': no data rows", command="outcomes")


def test_xlsx_that_is_really_csv(tmp_path: Path) -> None:
    path = _write(tmp_path, "series.xlsx", CLEAN)
    _same_cohort(load(path), load(CASE_SERIES))
    assert any("holds text, not an Excel workbook" in n for n in load(path).source_notes)


def test_csv_that_is_really_xlsx_and_unreadable_types(tmp_path: Path) -> None:
    xlsx = tmp_path / "series.csv"
    pd.read_csv(CASE_SERIES, dtype=str, keep_default_na=False).to_excel(
        xlsx, index=False, engine="openpyxl"
    )
    _same_cohort(load(xlsx), load(CASE_SERIES))
    _refused(_write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 600), where=".xls workbook")
    _refused(
        _write(tmp_path, "x.csv", bytes(range(256)) * 8), where="cannot tell the text encoding"
    )


# --- CSV structure ---------------------------------------------------------------------------


def test_row_with_extra_cells(tmp_path: Path) -> None:
    path = _write(tmp_path, "extra.csv", _with_line(2, LINES[2] + ",extra"))
    _refused(path, where="row 3, column '31 (no header)'")


def test_row_cut_short_is_refused_not_read_as_missing(tmp_path: Path) -> None:
    """Patient 3's row cut after its drug: baseline PASI would become NaN and success flip."""
    short = ",".join(LINES[3].split(",")[:13])
    err = _refused(_write(tmp_path, "short.csv", _with_line(3, short)), where="row 4, column")
    assert "cut short" in err


def test_unclosed_quote(tmp_path: Path) -> None:
    path = _write(tmp_path, "q.csv", _with_line(4, LINES[4].replace("plaque", '"plaque', 1)))
    err = _refused(path, where="row 5, column 'psoriasis_type'")
    assert "never closed" in err


def test_text_after_closing_quote(tmp_path: Path) -> None:
    path = _write(tmp_path, "q.csv", _with_line(2, LINES[2].replace("plaque", '"pla"que', 1)))
    _refused(path, where="row 3, column 'psoriasis_type'")


def test_trailing_delimiter_on_every_line_is_fine(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", "\n".join(line + "," for line in LINES) + "\n")
    _same_cohort(load(path), load(CASE_SERIES))
    bad = _write(tmp_path, "b.csv", _with_line(2, LINES[2] + ",x").replace("\n", ",\n", 1))
    _refused(bad, where="row 3, column '31 (no header)'")


def test_duplicated_header_column(tmp_path: Path) -> None:
    header = LINES[0].replace("regimen", "baseline_pasi")
    _refused(_write(tmp_path, "d.csv", _with_line(0, header)), where="column 'baseline_pasi'")


def test_semicolon_separated_file_with_decimal_comma(tmp_path: Path, clean_summary) -> None:
    df = pd.read_csv(CASE_SERIES, dtype=str, keep_default_na=False)
    df["baseline_pasi"] = df["baseline_pasi"].str.replace(".", ",")
    path = tmp_path / "eu.csv"
    df.to_csv(path, sep=";", index=False)
    err = _refused(path, where="row 2, column 'baseline_pasi'")
    assert "--decimal-comma" in err
    assert _summary(path, "--decimal-comma") == clean_summary
    res = runner.invoke(app, ["summarize", str(path), "--decimal-comma"])
    assert "--decimal-comma: ',' read as the decimal point" in res.stderr


# --- cells -----------------------------------------------------------------------------------


def test_thousands_separator_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", _with_line(1, LINES[1].replace(",14.8,", ',"1,000",')))
    assert "thousands separators" in _refused(path, where="row 2, column 'baseline_pasi'")


def test_underscore_in_number_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "u.csv", _with_line(1, LINES[1].replace(",14.8,", ",1_4,")))
    assert "underscores" in _refused(path, where="row 2, column 'baseline_pasi'")


def test_nan_in_milestone_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "n.csv", _with_line(1, LINES[1].replace(",16,16,", ",NaN,16,", 1)))
    assert "leave the cell empty" in _refused(path, where="row 2, column 'pasi75_week'")


def test_trailing_garbage_after_date(tmp_path: Path) -> None:
    path = _visits(tmp_path)
    f = path / "courses.csv"
    f.write_text(f.read_text().replace("2024-01-08", "2024-01-08garbage"))
    _refused(path, where="row 2, column 'courses.start_date'", command="outcomes")


def test_future_start_date(tmp_path: Path) -> None:
    path = _visits(tmp_path)
    f = path / "courses.csv"
    f.write_text(f.read_text().replace("2024-05-06", "2099-05-06"))
    err = _refused(path, where="row 5, column 'courses.start_date'", command="outcomes")
    assert "in the future" in err


# --- Excel -----------------------------------------------------------------------------------


def _workbook(tmp_path: Path, edit) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    df = pd.read_csv(CASE_SERIES, dtype=str, keep_default_na=False)
    ws.append(list(df.columns))
    for rec in df.itertuples(index=False):
        ws.append([cells.number(v) if _numeric(v) else v for v in rec])
    edit(ws)
    path = tmp_path / "series.xlsx"
    wb.save(path)
    return path


def _numeric(v: str) -> bool:
    try:
        return cells.number(v) is not None
    except ValueError:
        return False


def test_xlsx_formula_without_cached_value(tmp_path: Path) -> None:
    def edit(ws):
        ws["N2"] = "=B2*10"  # baseline_pasi of row 2, never calculated (openpyxl writes none)

    err = _refused(_workbook(tmp_path, edit), where="row 2, column 'baseline_pasi'")
    assert "has no saved value" in err


def test_xlsx_error_cell(tmp_path: Path) -> None:
    import re
    import zipfile

    path = _workbook(tmp_path, lambda ws: ws.__setitem__("N3", "=1/0"))
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml = re.sub(r'<c r="N3"[^>]*>.*?</c>', '<c r="N3" t="e"><f>1/0</f><v>#DIV/0!</v></c>', xml)
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, b in parts.items():
            z.writestr(n, b)
    assert "#DIV/0!" in _refused(path, where="row 3, column 'baseline_pasi'")


def test_xlsx_with_cached_formula_values_reads_like_csv(tmp_path: Path) -> None:
    path = _workbook(tmp_path, lambda ws: None)
    _same_cohort(load(path), load(CASE_SERIES))


# --- tables and combinations -----------------------------------------------------------------


def test_assessments_without_pasi_column(tmp_path: Path) -> None:
    path = _visits(tmp_path)
    f = path / "assessments.csv"
    df = pd.read_csv(f, dtype=str, keep_default_na=False).drop(columns=["pasi"])
    df.to_csv(f, index=False)
    err = _refused(path, where="row 2, column 'assessments.pasi'", command="outcomes")
    assert "no pasi column" in err
    df.drop(columns=[c for c in df.columns if c.startswith("head_")]).to_csv(f, index=False)
    _refused(path, where="column 'assessments.head_erythema': required column is missing",
             command="outcomes")  # fmt: skip
    keep = ["course", "patient", "week", "date", "dlqi"]
    df[keep].to_csv(f, index=False)
    _refused(path, where="column 'assessments.pasi': required column is missing",
             command="outcomes")  # fmt: skip


def test_duplicate_course_week_visits(tmp_path: Path) -> None:
    path = _visits(tmp_path)
    f = path / "assessments.csv"
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    again = df.iloc[[2]].copy()  # C01 week 12 again, PASI 5 instead of 4
    assert (again["course"].iloc[0], again["week"].iloc[0]) == ("C01", "12")
    again["pasi"] = "5"
    pd.concat([df.iloc[:3], again, df.iloc[3:]]).to_csv(f, index=False)
    err = _refused(path, where="row 5, column 'assessments.week'", command="outcomes")
    assert "already has a visit at week 12 (row 4)" in err


def test_duplicate_event_row(tmp_path: Path) -> None:
    path = _visits(tmp_path)
    f = path / "events.csv"
    lines = f.read_text().splitlines()
    f.write_text("\n".join([*lines, lines[2]]) + "\n")
    err = _refused(path, where="row 4, column 'events.course'", command="outcomes")
    assert "same record as row 3" in err


def test_disease_duration_longer_than_age(tmp_path: Path) -> None:
    line = LINES[1].replace(",no,20,dys", ",no,90,dys", 1)  # patient 1 is 50
    path = _write(tmp_path, "d.csv", _with_line(1, line))
    assert "longer than the patient's age" in _refused(
        path, where="row 2, column 'disease_duration_years'"
    )


def test_onset_before_birth(tmp_path: Path) -> None:
    path = _visits(tmp_path)
    f = path / "patients.csv"
    f.write_text(
        f.read_text().replace("1975,Malay,82,plaque,no,1995", "1975,Malay,82,plaque,no,1970")
    )
    _refused(path, where="row 2, column 'patients.onset_year'", command="outcomes")


def test_missing_required_table_and_column(tmp_path: Path) -> None:
    path = _visits(tmp_path)
    f = path / "courses.csv"
    pd.read_csv(f, dtype=str).drop(columns=["drug"]).to_csv(f, index=False)
    _refused(path, where="column 'courses.drug': required column is missing", command="outcomes")
    (path / "courses.csv").unlink()
    _refused(path, where="missing table(s): courses", command="outcomes")


def test_visit_week_and_date_must_agree(tmp_path: Path) -> None:
    path = _visits(tmp_path)
    f = path / "assessments.csv"
    f.write_text(f.read_text().replace(",P05,,2023-05-24,", ",P05,3,2023-05-24,"))
    _refused(path, where="column 'assessments.week'", command="outcomes")


def test_problems_are_capped_and_counted(tmp_path: Path) -> None:
    rows = [LINES[0]] + [LINES[1].replace("1,1,", f"{i},1,", 1).replace(",14.8,", ",x,")
                         for i in range(1, 1101)]  # fmt: skip
    path = _write(tmp_path, "many.csv", "\n".join(rows) + "\n")
    with pytest.raises(ImportFailed) as exc:
        load(path)
    assert exc.value.count == 1100 and len(exc.value.errors) == 1000
    assert exc.value.lines()[-1] == "... and 100 more problem(s) not listed"


# --- case files ------------------------------------------------------------------------------


def test_json_case_file_nested_100000_deep(tmp_path: Path) -> None:
    path = _write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    res = runner.invoke(cases_app, ["import", str(path), "--library", str(tmp_path / "l.json")])
    assert res.exit_code == 2 and "nested too deeply" in res.stderr
    path = _write(tmp_path, "deep2.json", "[" * 40 + "]" * 40)
    res = runner.invoke(cases_app, ["import", str(path), "--library", str(tmp_path / "l.json")])
    assert res.exit_code == 2 and "nested more than 32 levels deep" in res.stderr


def test_case_csv_cut_short_row_and_cp1252(tmp_path: Path) -> None:
    from psoreg.cases import cases_to_csv, read_cases, starter_library

    cases = starter_library()[:2]
    text = cases_to_csv(cases)
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    rows[2] = rows[2][:5]  # cut short after the 5th cell
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = _write(tmp_path, "c.csv", buf.getvalue())
    res = runner.invoke(cases_app, ["import", str(path), "--library", str(tmp_path / "l.json")])
    assert res.exit_code == 2 and "row 3, column" in res.stderr and "cut short" in res.stderr
    assert "Traceback" not in res.output
    accented = text.replace("Table 3", "Table 3 – café")
    path = _write(tmp_path, "w.csv", accented.encode("cp1252"))
    back = read_cases(path)
    assert [c.case_id for c in back] == [c.case_id for c in cases]
    assert any("café" in (c.source_location or "") for c in back)


# --- one parser for every boundary -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("1,000", False), ("1_4", False), ("NaN", False), ("inf", False), ("21,4", False),
     ("1e400", False),
     ("12.5", True), ("-3", True), (" 7 ", True), ("1e2", True)],
)  # fmt: skip
def test_forms_and_files_parse_numbers_alike(value: str, accepted: bool) -> None:
    try:
        f = parse.number("pasi", value)
    except FieldError as exc:
        assert not accepted and "pasi" in exc.errors
        f = None
    try:
        c = cells.number(value)
    except ValueError:
        assert not accepted
        c = None
    assert f == c


def test_forms_refuse_trailing_garbage_after_date() -> None:
    with pytest.raises(FieldError) as exc:
        parse.date("start_date", "2024-01-08garbage")
    assert "start_date" in exc.value.errors
    with pytest.raises(ValueError):
        cells.date("20240108")  # ISO basic format: refused in files and forms alike
    assert parse.boolean("x", "on") is True and cells.boolean("t") is True


def test_upload_entry_point(tmp_path: Path) -> None:
    cohort = read_upload(ACCENTED.encode("cp1252"), "C:\\Users\\me\\series.csv")
    assert len(cohort.courses) == 8
    with pytest.raises(ImportFailed) as exc:
        read_upload(_with_line(1, LINES[1].replace(",14.8,", ",1_4,")).encode(), "s.csv")
    assert exc.value.path == "s.csv" and exc.value.errors[0].row == 2

"""The report of the published case series reproduces its Table 1, Table 2 and summary figures
(shared/data/README.md), in the Report object and read back out of the .docx and .html files.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from psoreg.cli import app
from psoreg.io import load
from psoreg.reports import build_report, write_report, write_tables_csv
from tests.conftest import CASE_SERIES, VISIT_COHORT
from tests.test_report_helpers import ARTIFACTS, docx_tables, numbers, read_html

# Paper Table 1: id -> (age, sex, ethnicity, PsA, disease duration, biologic naive, photo)
TABLE1 = {
    "1": ("50", "M", "Chinese", "No", "20", "Yes", "Yes"),
    "2": ("46", "M", "Chinese", "No", "25", "No", "Yes"),
    "3": ("38", "M", "Indian", "Yes", "4", "No", "No"),
    "4": ("29", "M", "Malay", "No", "14", "Yes", "Yes"),
    "5": ("44", "M", "Malay", "No", "4", "Yes", "No"),
    "6": ("26", "F", "Malay", "No", "18", "Yes", "No"),
    "7": ("49", "F", "Chinese", "Yes", "24", "Yes", "Yes"),
    "8": ("21", "M", "Malay", "No", "15", "Yes", "Yes"),
}
T1_COLS = ("age", "sex", "ethnicity", "psa", "duration", "biologic_naive", "phototherapy")

# Paper Table 2: id -> (baseline PASI, success wk 12, PASI75 wk, PASI90 wk, Rx duration,
# time to relapse, next treatment)
TABLE2 = {
    "1": ("14.8", "No", "16", "16", "105", "40", "acitretin"),
    "2": ("15", "Yes", "12", "12", "77", "—", "secukinumab"),
    "3": ("54.6", "Yes", "4", "50", "120", "26", "ustekinumab"),
    "4": ("70.5", "No", "17", "17", "41", "65", "secukinumab"),
    "5": ("65.3", "No", "42", "52", "123", "66", "secukinumab"),
    "6": ("14.3", "No", "16", "16", "77", "28", "ustekinumab"),
    "7": ("20.3", "Yes", "4", "16", "102", "—", "secukinumab"),
    "8": ("22.4", "No", "16", "16", "140 (ongoing)", "—", "ustekinumab continued"),
}
T2_COLS = (
    "baseline_pasi",
    "success",
    "pasi75",
    "pasi90",
    "weeks_on_treatment",
    "weeks_to_relapse",
    "next_treatment",
)

# (summary row, value cell) as published (shared/data/README.md), psoreg's formatting.
SUMMARY = {
    "patients": "8",
    "male": "6/8 (75%)",
    "biologic_naive": "6/8 (75%)",
    "psoriatic_arthritis": "2/8 (25%)",
    "age": "41.0 (IQR 26.8–48.3)",
    "disease_duration": "16.5 (IQR 6.5–23.0)",
    "baseline_pasi": "21.4 (IQR 14.9–62.6)",
    "treatment_success": "3/8 (37.5%)",
    "secondary_failure": "2/8 (25%)",
    "paradoxical_event": "1/8 (12.5%)",
    "relapse_pustular": "2/8 (25%)",
}
# medians whose first number is the published one
MEDIANS = {"weeks_to_pasi75": "16", "weeks_on_treatment": "102", "weeks_to_relapse": "40"}


@pytest.fixture(scope="module")
def report():
    r = build_report(load(CASE_SERIES), source=CASE_SERIES)
    yield r
    r.close()


@pytest.fixture(scope="module")
def files(report, tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    ARTIFACTS.mkdir(exist_ok=True)
    out = {}
    for ext in ("html", "docx", "md", "tex"):
        write_report(report, d / f"case-series.{ext}")
        out[ext] = d / f"case-series.{ext}"
    write_report(report, ARTIFACTS / "case-series-report.html")
    out["csv"] = write_tables_csv(report, d / "tables")
    return out


def _first_number(text: str) -> str:
    return numbers(text)[0].removesuffix(".0")


def test_table1_reproduces_the_paper(report) -> None:
    t = report.table("table1")
    assert [r.key for r in t.rows] == list(TABLE1)
    for pid, expected in TABLE1.items():
        assert tuple(t.cell(pid, c).text for c in T1_COLS) == expected, pid
    assert "Pustular then plaque".lower() in t.cell("5", "phenotype").text
    assert t.cell("1", "systemics").text == "ciclosporin, methotrexate, acitretin"


def test_table1_summary_counts_and_medians(report) -> None:
    t = report.table("table1_summary")
    assert t.cell("male", "value").text == "6/8 (75%)"
    assert t.cell("age", "value").text == "41.0 (IQR 26.8–48.3)"
    # the Discussion says "All patients have dyslipidaemia"; Table 1 lists it for 7 of 8
    assert t.cell("comorbidity_dyslipidaemia", "value").text == "7/8 (87.5%)"
    assert t.cell("comorbidity_hypertension", "value").text == "5/8 (62.5%)"  # Discussion
    assert t.cell("comorbidity_fatty_liver", "value").text == "3/8 (37.5%)"  # Discussion
    assert t.cell("ethnicity_malay", "value").text == "4/8 (50%)"


def test_table2_reproduces_the_paper(report) -> None:
    t = report.table("table2")
    for cid, expected in TABLE2.items():
        assert tuple(t.cell(cid, c).text for c in T2_COLS) == expected, cid
    assert t.cell("2", "secondary_failure").text == "Week 52"
    assert t.cell("7", "secondary_failure").text == "Week 44"
    assert t.cell("6", "paradoxical").text.startswith("Week 24")
    assert t.cell("1", "relapse_morphology").text == "plaque, localised pustular"
    assert t.cell("6", "relapse_morphology").text == "plaque, generalised pustular"


def test_summary_table_reproduces_the_published_figures(report) -> None:
    t = report.table("summary")
    for key, text in SUMMARY.items():
        assert t.cell(key, "value").text == text, key
    for key, first in MEDIANS.items():
        assert _first_number(t.cell(key, "value").text) == first, key
    assert "Hyndman-Fan type 6" in t.cell("age", "note").text
    assert "1 ongoing excluded" in t.cell("weeks_on_treatment", "note").text


def test_correlations_are_spearman_with_p_and_n(report) -> None:
    t = report.table("correlations")
    assert t.cell("disease_duration", "n").text == "5"
    assert t.cell("baseline_pasi", "r").text == "0.60"
    assert t.cell("baseline_pasi", "p").text == "0.28"
    assert any("Spearman" in f for f in t.footnotes)


def test_every_number_of_the_paragraph_is_in_its_cells(report) -> None:
    assert len(report.paragraph) >= 8
    for s in report.paragraph:
        cell_numbers: set[str] = set()
        for ref in s.refs:
            cell_numbers.update(numbers(report.table(ref.table).cell(ref.row, ref.column).text))
        for n in numbers(s.text):
            assert n in cell_numbers, (n, s.text)
    text = report.paragraph_text()
    for figure in ("6/8 (75%)", "26.8–48.3", "3/8 (37.5%)", "2/8 (25%)", "1/8 (12.5%)"):
        assert figure in text


def test_docx_tables_read_back(files) -> None:
    tables = docx_tables(files["docx"])
    t1 = tables["Table 1. Demographic and clinical characteristics of the patients"]
    assert t1[0][0] == "ID" and len(t1) == 9
    assert t1[1][:4] == ["1", "50", "M", "Chinese"]
    t2 = tables["Table 2. Regimen, response, relapse and treatment after each course"]
    by_id = {row[0]: row for row in t2[1:]}
    header = t2[0]
    assert by_id["3"][header.index("PASI90 (week)")] == "50"
    assert by_id["8"][header.index("Weeks on treatment")] == "140 (ongoing)"
    summary = {row[0]: row[1] for row in tables["Table 3. Summary of the case series"][1:]}
    assert summary["Male"] == "6/8 (75%)"
    assert summary["Age, years, median (IQR)"] == "41.0 (IQR 26.8–48.3)"
    assert summary["Disease duration, years, median (IQR)"] == "16.5 (IQR 6.5–23.0)"
    assert summary["Baseline PASI, median (IQR)"] == "21.4 (IQR 14.9–62.6)"
    assert summary["Treatment success (PASI75 at week 12)"] == "3/8 (37.5%)"
    pasi75 = "Weeks to PASI75 among courses reaching it, median (IQR)"
    assert _first_number(summary[pasi75]) == "16"
    assert _first_number(summary["Weeks to PASI75, Kaplan–Meier median (95% CI)"]) == "16"
    on_tx = "Weeks on treatment among courses that stopped, median (IQR)"
    assert _first_number(summary[on_tx]) == "102"
    assert summary["Drug survival, Kaplan–Meier median (95% CI)"] == "102 (95% CI 41–123) weeks"
    key = "Weeks from stopping to relapse (loss_of_pasi50) among courses relapsing, median (IQR)"
    assert _first_number(summary[key]) == "40"
    rows = tables["Table 3. Summary of the case series"][1:]
    after_minimal = [r for i, r in enumerate(rows) if i and rows[i - 1][0].startswith("Minimal")]
    assert after_minimal[0][:2] == ["    Unknown", "5"]  # minimal response unknown for 5
    assert summary["Secondary failure"] == "2/8 (25%)"
    assert summary["Paradoxical event"] == "1/8 (12.5%)"


def test_html_cells_read_back_and_the_file_is_self_contained(files, report) -> None:
    page = read_html(files["html"])
    for key, text in SUMMARY.items():
        assert page.cells[("summary", key, "value")] == text
    for cid, expected in TABLE2.items():
        assert tuple(page.cells[("table2", cid, c)] for c in T2_COLS) == expected
    html = files["html"].read_text(encoding="utf-8")
    assert html.count("<svg") == len(report.figures) == 7  # flow, swimmer, trajectories, 4 KM
    assert "<script" not in html and "<img" not in html and "http://" not in html.split("<svg")[0]
    # sentences carry their cell references, and the numbers are in those cells
    for text, refs in page.sentences:
        cell_text = " ".join(page.cells[tuple(r.split(":"))] for r in refs.split())
        assert set(numbers(text)) <= set(numbers(cell_text)), text


def test_appendix_has_options_definitions_versions_and_checksum(report) -> None:
    import hashlib

    run = {r.text("item"): r.text("value") for r in report.table("appendix_run").rows}
    assert run["Input SHA-256"] == hashlib.sha256(CASE_SERIES.read_bytes()).hexdigest()
    assert run["Software"].startswith("psoreg ")
    assert "type6" in run["Quantile method"] and "SPSS" in run["Quantile method"]
    assert run["lifelines"] != "not installed"
    opts = report.table("appendix_options")
    assert opts.cell("primary_week", "value").text == "12"
    assert "Menter" in opts.cell("primary_week", "definition").text
    assert report.table("appendix_definitions").cell("treatment_success", "definition").text


def test_folder_checksum_is_over_sorted_files() -> None:
    from psoreg.reports.appendix import sha256_of

    a = sha256_of(VISIT_COHORT)
    assert a == sha256_of(VISIT_COHORT) and len(a) == 64


def test_csv_tables(files) -> None:
    names = {p.name for p in files["csv"]}
    assert {"table1.csv", "table2.csv", "summary.csv", "correlations.csv"} <= names
    text = next(p for p in files["csv"] if p.name == "summary.csv").read_text()
    assert "3/8 (37.5%)" in text


def test_markdown_has_tables_and_figure_links(files) -> None:
    md = files["md"].read_text(encoding="utf-8")
    assert "| ID | Age (years) |" in md
    assert "![Figure 2. Swimmer plot of the courses](case-series_figures/swimmer.svg)" in md
    assert (files["md"].parent / "case-series_figures" / "swimmer.svg").exists()


runner = CliRunner()


def test_cli_writes_every_format(tmp_path) -> None:
    for ext in ("html", "docx", "md", "tex"):
        out = tmp_path / f"r.{ext}"
        res = runner.invoke(
            app,
            ["report", str(CASE_SERIES), "--out", str(out), "--tables-dir", str(tmp_path / "t")],
        )
        assert res.exit_code == 0, res.output
        assert out.exists() and (tmp_path / "t" / "table2.csv").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--out", "r.rtf"], "--out"),
        (["--out", "r.html", "--group-by", "sex"], "--group-by"),
        (["--out", "r.html", "--suppress-below", "1"], "--suppress-below"),
        (["--out", "r.html", "--quantile", "type9"], "--quantile"),
        (["--out", "r.html", "--primary-week", "0"], "--primary-week"),
    ],
)
def test_cli_errors_are_one_line_exit_2(tmp_path, args, message) -> None:
    args = [a if not a.startswith("r.") else str(tmp_path / a) for a in args]
    res = runner.invoke(app, ["report", str(CASE_SERIES), *args])
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output
    assert len([line for line in res.output.splitlines() if line.strip()]) == 1


def test_cli_missing_input_exit_2(tmp_path) -> None:
    res = runner.invoke(
        app, ["report", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "r.html")]
    )
    assert res.exit_code == 2 and "no such file" in res.output

"""``psoreg cases`` (``psoreg.cases.cli.cases_app``) through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psoreg.cases import CaseRecord, cases_to_csv, cases_to_json, read_cases, starter_library
from psoreg.cases.cli import cases_app

runner = CliRunner()


@pytest.fixture
def lib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user library; the environment default points there too."""
    path = tmp_path / "user-cases.json"
    monkeypatch.setenv("PSOREG_CASE_LIBRARY", str(path))
    return path


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cases_app, list(args))


def assert_clean_error(result, *fragments: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    # one line, or (a file's problems) a heading and one line per problem
    assert lines[0].startswith("error: ")
    assert all(line.startswith("  - ") for line in lines[1:]), lines
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr


def clinic_case() -> CaseRecord:
    return CaseRecord(
        case_id="clinic-2025-01",
        age_years=39,
        sex="F",
        suspect_drugs=[{"drug": "Cosentyx", "dose": "300 mg", "route": "SC"}],
        indication="psoriatic arthritis",
        time_to_onset="12 weeks",
        event_type="phenotype change",
        personal_history_psoriasis=True,
        morphology="palmoplantar pustular",
        sites="palms; soles",
        management="topical: corticosteroid",
        drug_stopped=False,
    )


def test_compare_clinic_case_text(lib: Path) -> None:
    result = run("compare", "ukmmc-patient-6")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for study in ["UKM Medical Centre", "Gregoriou et al. 2019", "Wenk et al. 2012",
                  "Hay & Pan 2014", "Suh et al. 2018", "Dai & Chen 2018"]:  # fmt: skip
        assert study in out
    assert "median 18.5 days (range 2–70 days; 6 of 6 known)" in out
    assert "4 of 6 with a known answer (67%)" in out


def test_compare_json_rows_match_table_3(lib: Path) -> None:
    result = run("compare", "ukmmc-patient-6", "--drug", "ustekinumab", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [r["study"] for r in doc["rows"]][1:] == [
        "Gregoriou et al. 2019", "Wenk et al. 2012", "Caca-Biljanovska et al. 2013",
        "Hay & Pan 2014", "Suh et al. 2018", "Dai & Chen 2018",
    ]  # fmt: skip
    assert [r["onset_days"] for r in doc["rows"]] == [168, 2, 4, 70, 28, 42, 9]
    assert doc["summary"]["n_cases"] == 6


def test_compare_natalizumab_by_morphology_markdown(lib: Path) -> None:
    result = run("compare", "ozarslan-2022", "--morphology", "palmoplantar pustulosis",
                 "--format", "md")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == 2
    assert rows[0].startswith("| **Ozarslan et al. 2022** (this case) | 50/F |")
    assert rows[1].startswith("| Suh et al. 2018 | 30/M | psoriasis | 6 weeks |")


def test_compare_by_class_and_html_out(lib: Path, tmp_path: Path) -> None:
    out = tmp_path / "report" / "cmp.html"
    result = run("compare", "hay-pan-2014", "--class", "IL-12/23 inhibitor",
                 "--format", "html", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and "Hay &amp; Pan 2014" in text


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_compare_case_from_file(lib: Path, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"new{suffix}"
    case = clinic_case()
    path.write_text(cases_to_json([case]) if suffix == ".json" else cases_to_csv([case]))
    result = run("compare", str(path), "--morphology", "pustular", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[1].startswith("clinic-2025-01,True,clinic-2025-01,39/F,")
    assert len(lines) == 1 + 1 + 8  # header, the case, 7 ustekinumab + Ozarslan (pustular)


def test_list_filters(lib: Path) -> None:
    result = run("list", "--drug", "natalizumab", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [r["case_id"] for r in json.loads(result.stdout)] == [
        "ozarslan-2022", "lambrianides-2018-case-1", "lambrianides-2018-case-2",
        "lambrianides-2018-case-3",
    ]  # fmt: skip
    text = run("list")
    assert text.exit_code == 0 and "11 case(s)" in text.stdout


def test_import_then_list_compare_export_round_trip(lib: Path, tmp_path: Path) -> None:
    src = tmp_path / "clinic.csv"
    src.write_text(cases_to_csv([clinic_case()]))
    result = run("import", str(src))
    assert result.exit_code == 0, result.output
    assert f"imported 1 case(s) into {lib}" in result.stdout
    assert [c.case_id for c in read_cases(lib)] == ["clinic-2025-01"]

    listed = run("list", "--no-starter", "--format", "csv")
    assert listed.stdout.splitlines()[1].startswith("clinic-2025-01,clinic-2025-01,secukinumab")

    compared = run("compare", "clinic-2025-01", "--format", "json")
    doc = json.loads(compared.stdout)
    assert doc["criterion"] == {"kind": "drug", "value": "secukinumab"}
    assert doc["summary"]["n_cases"] == 0

    for suffix in (".csv", ".json"):
        out = tmp_path / f"all{suffix}"
        exported = run("export", "--out", str(out))
        assert exported.exit_code == 0 and "exported 12 case(s)" in exported.stdout
        assert read_cases(out) == [*starter_library(), clinic_case()]

    again = run("import", str(src))
    assert_clean_error(again, "'clinic-2025-01' is already in the library")
    replaced = run("import", str(src), "--replace")
    assert replaced.exit_code == 0


def test_export_explicit_library_option(tmp_path: Path) -> None:
    user = tmp_path / "mine.json"
    user.write_text(cases_to_json([clinic_case()]))
    out = tmp_path / "only-mine.csv"
    result = run("export", "--out", str(out), "--library", str(user), "--no-starter")
    assert result.exit_code == 0, result.output
    assert read_cases(out) == [clinic_case()]


def test_draft_to_stdout_and_file(lib: Path, tmp_path: Path) -> None:
    result = run("draft", "ozarslan-2022")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Case report draft: ozarslan-2022")
    assert "## Informed consent" in result.stdout
    out = tmp_path / "draft.md"
    assert run("draft", "suh-2018", "--out", str(out)).exit_code == 0
    assert "## Timeline" in out.read_text()


def test_errors_are_one_line_exit_2(lib: Path, tmp_path: Path) -> None:
    assert_clean_error(run("compare", "no-such-case"), "case: got 'no-such-case'")
    assert_clean_error(
        run("compare", "suh-2018", "--drug", "ustekinumab", "--class", "TNF inhibitor"),
        "only one of --drug, --class, --morphology",
    )
    assert_clean_error(run("compare", "suh-2018", "--drug", "aspirin"), "drug: got 'aspirin'")
    assert_clean_error(run("compare", "suh-2018", "--format", "pdf"), "--format: got 'pdf'")
    assert_clean_error(run("compare", str(tmp_path / "missing.json")), "no such file")
    assert_clean_error(run("import", str(tmp_path / "missing.csv")), "no such file")

    two = tmp_path / "two.json"
    two.write_text(cases_to_json(starter_library()[:2]))
    assert_clean_error(run("compare", str(two)), "holds 2 cases; expected exactly one")

    bad = tmp_path / "bad.csv"
    bad.write_text("case_id,suspect_drugs,age_years,bsa_percent\nx,ustekinumab,130,\n"
                   "y,ustekinumab,,101\n")  # fmt: skip
    result = run("import", str(bad))
    assert_clean_error(result, "row 2, column 'age_years'", "row 3, column 'bsa_percent'")
    assert not lib.exists()  # nothing imported

    broken = tmp_path / "broken.json"
    broken.write_text("{oops")
    assert_clean_error(run("draft", str(broken)), "not valid JSON")

    corrupt_lib = tmp_path / "corrupt.json"
    corrupt_lib.write_text(json.dumps([{"case_id": "z", "suspect_drugs": ["nope"]}]))
    assert_clean_error(
        run("list", "--library", str(corrupt_lib)), "case 1 (z): suspect_drugs.0.drug"
    )

"""CSV and JSON import/export: nothing is lost, every field compared; bad files refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psoreg.cases import (
    CSV_COLUMNS,
    CaseRecord,
    cases_from_csv,
    cases_from_json,
    cases_to_csv,
    cases_to_json,
    read_cases,
    starter_library,
    write_cases,
)
from psoreg.errors import ImportFailed


def full_case() -> CaseRecord:
    """A case with every field set away from its default, and awkward text."""
    return CaseRecord(
        case_id="clinic-2024.07_a",
        origin="clinic",
        study="Our clinic; 2024",
        year=2024,
        citation='Doe J, "Quoted", 2024, with, commas',
        doi="10.1234/abc.def(2024)",
        source_location="clinic notes p. 3",
        source_text="line one\nline two; with semicolon",
        notes=["has; semicolon", "[bracketed] note", "none"],
        registry_patient_id="P-17",
        registry_course_id="P-17-2",
        age_years=44.5,
        sex="other",
        suspect_drugs=[
            {"drug": "adalimumab", "dose": "40 mg every other week", "route": "SC"},
            {"drug": "infliximab", "route": "IV"},
        ],
        indication="Crohn's disease",
        concomitant_drugs=["mesalazine", "vitamin D; 1000 IU"],
        time_to_onset_days=100.5,
        time_to_onset_unit="days",
        time_to_onset_approximate=True,
        time_to_onset_text="about 3 months after induction",
        event_type="new-onset",
        morphology=["palmoplantar pustular", "scalp", "inverse"],
        event_psoriatic_arthritis=False,
        sites=["palms", "soles", "scalp", "groin"],
        presentation="Pustules, scaling — and fissures",
        extent={"bsa_percent": 2.5, "pasi": 3.2, "pppasi": 10.8, "description": "localised"},
        dermoscopy="yellow globules",
        histology="psoriasiform hyperplasia, neutrophils",
        personal_history_psoriasis=False,
        psoriatic_arthritis_history=False,
        family_history_psoriasis=True,
        other_triggers=[],
        management=["topical: clobetasol: 0.05%", "switch: ustekinumab", "phototherapy"],
        drug_stopped=True,
        dechallenge="positive",
        rechallenge="negative",
        outcome="resolved with sequelae",
        outcome_text="nail dystrophy persisted",
        naranjo={
            "previous_reports": "yes",
            "after_drug": "yes",
            "improved_on_withdrawal": "yes",
            "reappeared_on_readministration": "no",
            "alternative_causes": "no",
            "placebo_reaction": "unknown",
            "toxic_concentration": "no",
            "dose_response": "unknown",
            "previous_similar_reaction": "no",
            "objective_evidence": "yes",
        },
        who_umc={
            "information": "sufficient",
            "time_relationship": "plausible",
            "alternative_explanation": "unlikely",
            "withdrawal": "positive",
            "definitive": "no",
            "rechallenge": "negative",
        },
    )


def gppga_case() -> CaseRecord:
    return CaseRecord(
        case_id="gpp-1",
        suspect_drugs=["secukinumab"],
        morphology="generalised pustular",
        event_type="phenotype change",
        personal_history_psoriasis=True,
        pre_existing_phenotype="plaque; nail",
        extent={"gppga": 3},
        other_triggers=None,
        concomitant_drugs=[],
        naranjo={},  # every item unknown: kept as an assessment, not dropped
        who_umc={"information": "pending"},
    )


def assert_same(a: list[CaseRecord], b: list[CaseRecord]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        for name in CaseRecord.model_fields:
            assert getattr(x, name) == getattr(y, name), (x.case_id, name)
        assert x == y


def test_full_case_sets_every_field() -> None:
    case = full_case()
    defaults = CaseRecord(case_id="d", suspect_drugs=["ustekinumab"])
    same = [n for n in CaseRecord.model_fields if getattr(case, n) == getattr(defaults, n)]
    # "clinic" is both the default and what a clinic case is; a case without personal history
    # has no pre-existing phenotype (gppga_case() sets that one)
    assert same == ["origin", "pre_existing_phenotype"]


CASES = [full_case(), gppga_case(), *starter_library()]


def test_csv_round_trip_keeps_every_field() -> None:
    assert_same(cases_from_csv(cases_to_csv(CASES)), CASES)


def test_json_round_trip_keeps_every_field() -> None:
    assert_same(cases_from_json(cases_to_json(CASES)), CASES)


def test_csv_then_json_then_csv(tmp_path: Path) -> None:
    write_cases(CASES, tmp_path / "a.csv")
    write_cases(read_cases(tmp_path / "a.csv"), tmp_path / "b.json")
    write_cases(read_cases(tmp_path / "b.json"), tmp_path / "c.csv")
    assert_same(read_cases(tmp_path / "c.csv"), CASES)
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "c.csv").read_text()


def test_csv_has_documented_columns_and_readable_cells() -> None:
    text = cases_to_csv([full_case()])
    header, row = text.splitlines()[0], cases_from_csv(text)[0]
    assert header.split(",") == list(CSV_COLUMNS)
    assert row.naranjo.score == full_case().naranjo.score
    starter_csv = cases_to_csv(starter_library())
    assert "trunk; limbs" in starter_csv
    assert "topical: corticosteroid; systemic: ciclosporin" in starter_csv


def test_json_document_shape() -> None:
    doc = json.loads(cases_to_json([full_case()]))
    assert doc["format"] == "psoreg-cases" and doc["version"] == 1
    assert doc["cases"][0]["naranjo"]["score"] == 6  # 1 + 2 + 1 - 1 + 2 + 1
    assert doc["cases"][0]["naranjo"]["category"] == "probable"
    assert doc["cases"][0]["who_umc"]["category"] == "possible"


def test_json_accepts_single_case_and_bare_list() -> None:
    one = {"case_id": "a", "suspect_drugs": ["ustekinumab"], "time_to_onset": "2 weeks"}
    assert cases_from_json(json.dumps(one))[0].time_to_onset_days == 14
    assert len(cases_from_json(json.dumps([one, {**one, "case_id": "b"}]))) == 2


printable = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"
        )
        | st.sampled_from([";", "[", "]", '"', ",", "\n"]),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, deadline=None)
@given(
    sites=st.lists(printable, max_size=4),
    notes=st.lists(printable, max_size=3),
    triggers=st.none() | st.lists(printable, max_size=3),
    presentation=st.none() | printable,
)
def test_round_trip_of_any_text(
    sites: list[str], notes: list[str], triggers: list[str] | None, presentation: str | None
) -> None:
    case = CaseRecord(
        case_id="h",
        suspect_drugs=[{"drug": "ustekinumab", "dose": presentation}],
        sites=sites,
        notes=notes,
        other_triggers=triggers,
        presentation=presentation,
    )
    assert_same(cases_from_csv(cases_to_csv([case])), [case])
    assert_same(cases_from_json(cases_to_json([case])), [case])


def test_csv_accepts_time_to_onset_as_written() -> None:
    text = "case_id,suspect_drugs,time_to_onset,morphology\nc,Stelara,10 weeks,PPP\n"
    case = cases_from_csv(text)[0]
    assert (case.time_to_onset_days, case.time_to_onset_unit.value) == (70, "weeks")
    assert (
        case.drug_names == ("ustekinumab",) and case.morphology[0].value == "palmoplantar pustular"
    )


# --- refusing bad files ----------------------------------------------------------------------


def _csv(rows: list[dict[str, Any]]) -> str:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    lines = [",".join(cols)] + [",".join(str(r.get(c, "")) for c in cols) for r in rows]
    return "\n".join(lines) + "\n"


def _errors(text: str, loader=cases_from_csv) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportFailed) as info:
        loader(text)
    return [str(e) for e in info.value.errors]


def test_bad_csv_rows_named_by_row_and_column() -> None:
    text = _csv(
        [
            {"case_id": "ok", "suspect_drugs": "ustekinumab", "age_years": "40"},
            {"case_id": "old", "suspect_drugs": "ustekinumab", "age_years": "130"},
            {"case_id": "drug", "suspect_drugs": "aspirin", "age_years": ""},
            {"case_id": "bsa", "suspect_drugs": "ustekinumab", "bsa_percent": "150"},
            {"case_id": "nar", "suspect_drugs": "ustekinumab", "naranjo_after_drug": "maybe"},
            {
                "case_id": "dose",
                "suspect_drugs": "ustekinumab;adalimumab",
                "suspect_doses": "a;b;c",
            },
            {"case_id": "ok", "suspect_drugs": "ustekinumab"},
        ]
    )
    errors = _errors(text)
    assert (
        errors[0]
        == "row 3, column 'age_years': Input should be less than or equal to 120 (got '130')"
    )
    assert errors[1].startswith("row 4, column 'suspect_drugs': got 'aspirin'")
    assert errors[2].startswith("row 5, column 'bsa_percent': ")
    assert errors[3].startswith("row 6, column 'naranjo_after_drug': got 'maybe'")
    assert (
        errors[4]
        == "row 7, column 'suspect_doses': expected 2 value(s), one per suspect drug, got 3"
    )
    assert errors[5] == "row 8, column 'case_id': 'ok' already used in row 2"
    assert len(errors) == 6


def test_unknown_and_missing_columns_refused() -> None:
    errors = _errors("case_id,colour\nx,blue\n")
    assert any("column 'colour': unknown column" in e for e in errors)
    assert any("column 'suspect_drugs': required column is missing" in e for e in errors)


def test_inconsistent_recorded_score_refused() -> None:
    text = _csv([{"case_id": "x", "suspect_drugs": "ustekinumab", "naranjo_after_drug": "yes",
                  "naranjo_score": "9"}])  # fmt: skip
    assert "naranjo_score" in _errors(text)[0]


def test_bad_json_refused_with_case_and_field() -> None:
    base = {"suspect_drugs": ["ustekinumab"]}
    doc = {
        "cases": [
            {**base, "case_id": "a", "sex": "Q"},
            {**base, "case_id": "b", "extent": {"pasi": 99}},
        ]
    }
    errors = _errors(json.dumps(doc), cases_from_json)
    assert errors[0].startswith("case 1 (a): sex: ")
    assert errors[1].startswith("case 2 (b): extent.pasi: Input should be less than or equal to 72")
    assert _errors("{not json", cases_from_json)[0].startswith("not valid JSON")
    assert _errors('{"format": "other", "cases": []}', cases_from_json)[0].startswith(
        "column 'format'"
    )


def test_wrong_suffix_refused(tmp_path: Path) -> None:
    (tmp_path / "cases.txt").write_text("x")
    with pytest.raises(ImportFailed) as info:
        read_cases(tmp_path / "cases.txt")
    assert "expected a .json or .csv file" in str(info.value)

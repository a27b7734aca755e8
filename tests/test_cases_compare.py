"""Comparison tables and summaries against the papers.

Rows and onset times are Table 3 of the UKMMC ustekinumab case series (Gregoriou 2 days, Wenk 4
days, Caca-Biljanovska 10 weeks, Hay & Pan 4 weeks, Suh 6 weeks, Dai & Chen 9 days, UKMMC 24
weeks) and Ozarslan 2022 with the natalizumab cases its Discussion summarises. Medians are
worked by hand: sorted ustekinumab literature onsets 2, 4, 9, 28, 42, 70 days -> median
(9 + 28) / 2 = 18.5 days.
"""

from __future__ import annotations

import json

import pytest

from psoreg.cases import CaseRecord, compare, find_case, render_comparison, starter_library
from psoreg.cases.summary import summarise
from psoreg.errors import InvalidValue

USTEKINUMAB_ROWS = [
    # study, age/sex, onset shown, onset days, area, treatment, drug stopped
    ("UKM Medical Centre", "26/F", "24 weeks", 168, "trunk (BSA 1%)", "topical corticosteroid",
     "no"),
    ("Gregoriou et al. 2019", "54/F", "2 days", 2, "trunk & limbs", "systemic methotrexate", "yes"),
    ("Wenk et al. 2012", "37/F", "4 days", 4, "generalised",
     "topical corticosteroid; systemic corticosteroid; systemic acitretin", "yes"),
    ("Caca-Biljanovska et al. 2013", "34/F", "10 weeks", 70, "trunk & limbs",
     "topical corticosteroid", "no"),
    ("Hay & Pan 2014", "47/M", "4 weeks", 28, "generalised", "switch to adalimumab", "yes"),
    ("Suh et al. 2018", "30/M", "6 weeks", 42, "palms & soles",
     "topical corticosteroid; systemic ciclosporin", "yes"),
    ("Dai & Chen 2018", "70/M", "9 days", 9, "lower limbs (bilateral)", "systemic acitretin", "no"),
]  # fmt: skip


@pytest.fixture(scope="module")
def library() -> list[CaseRecord]:
    return starter_library()


def _rows(comp):  # type: ignore[no-untyped-def]
    return [
        (r.study, r.age_sex, r.time_to_onset, r.onset_days, r.area, r.treatment, r.drug_stopped)
        for r in comp.rows
    ]


def test_clinic_ustekinumab_case_against_ustekinumab_literature(library: list[CaseRecord]) -> None:
    comp = compare(find_case(library, "ukmmc-patient-6"), library, drug="Stelara")
    assert comp.criterion.kind == "drug" and comp.criterion.value == "ustekinumab"
    assert _rows(comp) == USTEKINUMAB_ROWS
    assert [r.is_compared_case for r in comp.rows] == [True] + [False] * 6
    # Table 3's 'Ps' is chronic plaque psoriasis for the literature as for the clinic's own case
    # (one coding rule, psoreg.cases.coding)
    assert [r.phenotype for r in comp.rows] == [
        "plaque", "plaque & PsA", "plaque & PsA", "plaque", "plaque & PsA", "plaque", "plaque",
    ]  # fmt: skip

    s = comp.summary
    assert s.n_cases == 6
    onset = s.onset_by_drug["ustekinumab"]
    assert (onset.n_known, onset.median_days, onset.min_days, onset.max_days) == (6, 18.5, 2, 70)
    assert s.onset_by_class["IL-12/23 inhibitor"] == onset
    assert s.morphology == {
        "pustular": 4, "plaque": 3, "localised pustular": 1, "palmoplantar pustular": 1,
    }  # fmt: skip
    assert s.sites == {
        "generalised": 2, "limbs": 2, "trunk": 2, "lower limbs (bilateral)": 1, "palms": 1,
        "soles": 1,
    }  # fmt: skip
    assert s.drug_stopped == {"yes": 4, "no": 2}
    assert s.stopped_share == pytest.approx(4 / 6)
    assert s.outcomes == {"improved": 1, "unknown": 5}
    assert comp.case_onset_text() == (
        "24 weeks (168 days); literature median 18.5 days (range 2–70 days; 6 of 6 known); "
        "later than every matching case"
    )


def test_default_criterion_is_the_case_drug(library: list[CaseRecord]) -> None:
    comp = compare(find_case(library, "ukmmc-patient-6"), library)
    assert comp.criterion.describe() == "drug ustekinumab"
    assert _rows(comp) == USTEKINUMAB_ROWS


def test_by_class_matches_by_drug_for_ustekinumab(library: list[CaseRecord]) -> None:
    comp = compare(find_case(library, "ukmmc-patient-6"), library, drug_class="il-12/23 INHIBITOR")
    assert comp.criterion.value == "IL-12/23 inhibitor"
    assert _rows(comp) == USTEKINUMAB_ROWS


def test_natalizumab_case_by_drug(library: list[CaseRecord]) -> None:
    comp = compare(find_case(library, "ozarslan-2022"), library, drug="natalizumab")
    rows = comp.rows
    assert [r.study for r in rows] == [
        "Ozarslan et al. 2022",
        "Lambrianides et al. 2018 (case 1 of 3)",
        "Lambrianides et al. 2018 (case 2 of 3)",
        "Lambrianides et al. 2018 (case 3 of 3)",
    ]
    assert [r.time_to_onset for r in rows] == [
        "~6 months", "unknown", "after several natalizumab infusions", "unknown",
    ]  # fmt: skip
    assert rows[0].onset_days == pytest.approx(182.625)
    assert [r.onset_days for r in rows[1:]] == [None, None, None]
    assert rows[0].age_sex == "50/F" and rows[0].phenotype == "none"
    assert rows[0].area == "palms & soles"
    assert rows[0].treatment == "unknown" and rows[0].drug_stopped == "unknown"
    assert [r.age_sex for r in rows[1:]] == ["unknown"] * 3

    s = comp.summary
    assert s.n_cases == 3
    assert s.onset_by_drug["natalizumab"].n_known == 0
    assert s.onset_by_drug["natalizumab"].median_days is None
    assert s.onset_by_class["integrin inhibitor"].text() == "not reported (0 of 3 known)"
    assert s.morphology == {"plaque": 2, "psoriatic arthritis": 1}
    assert s.family_history == {"yes": 3}
    assert s.event_types == {"new-onset": 1, "worsening": 1, "unknown": 1}
    assert s.drug_stopped == {"unknown": 3} and s.stopped_share is None
    assert s.sites == {"unknown": 3}


def test_natalizumab_case_by_palmoplantar_morphology(library: list[CaseRecord]) -> None:
    comp = compare(find_case(library, "ozarslan-2022"), library, morphology="PPP")
    assert comp.criterion.value == "palmoplantar pustular"
    assert [(r.study, r.time_to_onset, r.onset_days) for r in comp.rows] == [
        ("Ozarslan et al. 2022", "~6 months", pytest.approx(182.625)),
        ("Suh et al. 2018", "6 weeks", 42),
    ]
    s = comp.summary
    assert s.n_cases == 1
    assert s.onset_by_drug["ustekinumab"].median_days == 42
    assert s.sites == {"palms": 1, "soles": 1}
    assert s.drug_stopped == {"yes": 1}


def test_natalizumab_case_by_pustular_morphology(library: list[CaseRecord]) -> None:
    comp = compare(find_case(library, "ozarslan-2022"), library, morphology="pustular")
    studies = [r.study for r in comp.rows]
    assert studies == ["Ozarslan et al. 2022"] + [row[0] for row in USTEKINUMAB_ROWS[1:]] + [
        "UKM Medical Centre"
    ]
    onset = comp.summary.onset_by_drug["ustekinumab"]
    # 2, 4, 9, 28, 42, 70, 168 -> median 28
    assert (onset.n_known, onset.median_days, onset.min_days, onset.max_days) == (7, 28, 2, 168)
    assert comp.summary.drug_stopped == {"yes": 4, "no": 3}


def test_stand_alone_case_beside_library(library: list[CaseRecord]) -> None:
    new = CaseRecord(
        case_id="clinic-2024-01",
        age_years=33,
        sex="M",
        suspect_drugs=["ustekinumab"],
        time_to_onset="3 weeks",
        morphology="palmoplantar pustular",
        sites="palms",
        drug_stopped=False,
    )
    comp = compare(new, library)
    assert len(comp.rows) == 8  # itself + the seven ustekinumab cases (UKMMC included)
    assert comp.rows[0].study == "clinic-2024-01" and comp.rows[0].time_to_onset == "3 weeks"
    assert comp.summary.onset_by_drug["ustekinumab"].median_days == 28
    assert "within the range" in comp.case_onset_text()


def test_two_criteria_refused(library: list[CaseRecord]) -> None:
    with pytest.raises(InvalidValue) as info:
        compare(library[0], library, drug="ustekinumab", morphology="plaque")
    assert info.value.field == "criterion"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"drug": "aspirin"}, "drug"), ({"drug_class": "statin"}, "drug_class"),
     ({"morphology": "spotty"}, "morphology")],
)  # fmt: skip
def test_unknown_criterion_refused(library: list[CaseRecord], kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidValue) as info:
        compare(library[0], library, **kwargs)
    assert info.value.field == field


def test_summary_of_nothing() -> None:
    s = summarise([])
    assert s.n_cases == 0 and s.onset_by_drug == {} and s.stopped_share is None


@pytest.mark.parametrize("fmt", ["text", "csv", "md", "html", "json"])
def test_every_format_shows_rows_and_summary(library: list[CaseRecord], fmt: str) -> None:
    comp = compare(find_case(library, "ukmmc-patient-6"), library)
    out = render_comparison(comp, fmt)
    for study, *_ in USTEKINUMAB_ROWS:
        assert study.replace("&", "&amp;" if fmt == "html" else "&") in out
    if fmt != "csv":
        assert "18.5 days" in out
    if fmt == "json":
        doc = json.loads(out)
        assert [r["onset_days"] for r in doc["rows"]] == [168, 2, 4, 70, 28, 42, 9]
        assert doc["summary"]["onset_by_drug"]["ustekinumab"]["median_days"] == 18.5
        assert doc["case"]["case_id"] == "ukmmc-patient-6"
    if fmt == "csv":
        lines = out.strip().splitlines()
        assert len(lines) == 8 and lines[0].startswith("case_id,is_compared_case,study")


def test_html_escapes_values(library: list[CaseRecord]) -> None:
    nasty = CaseRecord(
        case_id="x", suspect_drugs=["ustekinumab"], presentation="<script>alert(1)</script>"
    )
    out = render_comparison(compare(nasty, library), "html")
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_unknown_format_refused(library: list[CaseRecord]) -> None:
    comp = compare(library[0], library)
    with pytest.raises(InvalidValue) as info:
        render_comparison(comp, "pdf")
    assert info.value.field == "format"

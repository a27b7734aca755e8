"""The CARE case-report draft: headings, known facts, placeholders, causality with reasons."""

from __future__ import annotations

import re

import pytest

from psoreg.cases import CARE_HEADINGS, CaseRecord, draft_case_report, find_case, starter_library

CARE = [
    "Title", "Keywords", "Abstract", "Introduction", "Patient information", "Clinical findings",
    "Timeline", "Diagnostic assessment", "Therapeutic intervention", "Follow-up and outcomes",
    "Discussion", "Patient perspective", "Informed consent",
]  # fmt: skip


@pytest.fixture(scope="module")
def library() -> list[CaseRecord]:
    return starter_library()


def _section(draft: str, heading: str) -> str:
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", draft, re.S | re.M)
    assert m, heading
    return m[1]


def test_care_headings_in_order(library: list[CaseRecord]) -> None:
    assert list(CARE_HEADINGS) == CARE
    draft = draft_case_report(find_case(library, "ozarslan-2022"), library)
    assert re.findall(r"^## (.+)$", draft, re.M) == CARE


def test_known_facts_filled_unknown_marked(library: list[CaseRecord]) -> None:
    draft = draft_case_report(find_case(library, "ozarslan-2022"), library)
    title = _section(draft, "Title")
    assert "palmoplantar pustular psoriasis" in title and "natalizumab" in title
    assert "multiple sclerosis" in title
    patient = _section(draft, "Patient information")
    assert "- Age: 50 years" in patient and "- Sex: female" in patient
    assert "- Personal history of psoriasis: no" in patient
    assert "- Family history of psoriasis: no" in patient
    findings = _section(draft, "Clinical findings")
    assert "- Sites: palms, soles" in findings
    assert "[to complete: extent (BSA or PPPASI)]" in findings  # the score that fits PPP
    diag = _section(draft, "Diagnostic assessment")
    assert "yellow globules and crusts along with the dotted vessels" in diag
    assert "- Histology: [to complete: histology findings]" in diag
    assert "[to complete: answer the 10 items" in diag  # no Naranjo recorded
    therapy = _section(draft, "Therapeutic intervention")
    assert "natalizumab ([to complete: dose and route])" in therapy
    assert "[to complete: " in _section(draft, "Informed consent")
    assert "[to complete: " in _section(draft, "Patient perspective")
    assert "~6 months" in _section(draft, "Timeline")
    assert "DOI: https://doi.org/10.5826/dpc.1202a88" in draft


def test_discussion_compares_with_library(library: list[CaseRecord]) -> None:
    draft = draft_case_report(find_case(library, "ukmmc-patient-6"), library)
    discussion = _section(draft, "Discussion")
    assert "6 published case(s) share the drug ustekinumab" in discussion
    assert "median 18.5 days (range 2–70 days; 6 of 6 known)" in discussion
    assert "4 of 6 with a known answer (67%)" in discussion


def test_causality_shown_with_answers_and_reasons(library: list[CaseRecord]) -> None:
    base = find_case(library, "ukmmc-patient-6").model_dump()
    base["naranjo"] = {
        "previous_reports": "yes",
        "after_drug": "yes",
        "improved_on_withdrawal": "unknown",
        "alternative_causes": "no",
        "objective_evidence": "yes",
    }
    base["who_umc"] = {
        "time_relationship": "plausible",
        "alternative_explanation": "possible",
        "withdrawal": "not done",
    }
    draft = draft_case_report(CaseRecord(**base))
    diag = _section(draft, "Diagnostic assessment")
    assert (
        "| 2 | Did the adverse event appear after the suspected drug was given? | yes | +2 |"
        in diag
    )
    assert "| 5 | Are there alternative causes" in diag and "| no | +2 |" in diag
    assert "**Total 6: probable.** Reason: probable (score 6):" in diag
    assert "**Category: possible.** Reason: possible: reasonable time relationship" in diag
    assert "Naranjo probable (score 6); WHO-UMC possible." in _section(draft, "Abstract")
    # no library given: the discussion is left to the clinician
    assert "psoreg literature library" not in _section(draft, "Discussion")


def test_minimal_clinic_case_is_mostly_placeholders() -> None:
    draft = draft_case_report(CaseRecord(case_id="c1", suspect_drugs=["bimekizumab"]))
    assert draft.count("[to complete:") >= 25
    assert "bimekizumab: IL-17 inhibitor, target IL-17A and IL-17F, ATC L04AC21" in draft
    assert "[to complete: age]" in _section(draft, "Patient information")
    assert "Source of this record" not in draft  # a clinic case has no literature source

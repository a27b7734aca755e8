"""A structured case-report draft in Markdown, under the CARE checklist headings.

Headings follow the CARE case-report guideline (Gagnier et al., *Glob Adv Health Med*
2013;2:38; care-statement.org): title, keywords, abstract, introduction, patient information,
clinical findings, timeline, diagnostic assessment, therapeutic intervention, follow-up and
outcomes, discussion, patient perspective, informed consent. The causality section shows the
Naranjo answers, score and category (Naranjo 1981) and the WHO-UMC answers and category with the
criteria behind it (clinical-facts §5).

Everything the record does not say is written ``[to complete: ...]`` for the clinician; nothing
is invented. The draft is a starting point to edit, not a finished manuscript.
"""

from __future__ import annotations

from collections.abc import Iterable

from psoreg.cases.compare import compare
from psoreg.cases.naranjo import NARANJO_ITEMS
from psoreg.cases.onset import format_onset
from psoreg.cases.record import CaseRecord
from psoreg.cases.vocab import ChallengeResult, EventType, Origin, Outcome
from psoreg.cases.who_umc import WHO_UMC_QUESTIONS
from psoreg.model.vocab import Morphology, Sex

__all__ = ["CARE_HEADINGS", "draft_case_report", "todo"]

#: The CARE checklist headings, in order.
CARE_HEADINGS: tuple[str, ...] = (
    "Title",
    "Keywords",
    "Abstract",
    "Introduction",
    "Patient information",
    "Clinical findings",
    "Timeline",
    "Diagnostic assessment",
    "Therapeutic intervention",
    "Follow-up and outcomes",
    "Discussion",
    "Patient perspective",
    "Informed consent",
)

#: The extent score that fits each morphology (clinical-facts §1-2).
_SCORE_FOR = {
    Morphology.palmoplantar_pustular: "PPPASI",
    Morphology.generalised_pustular: "GPPGA",
    Morphology.plaque: "PASI",
}


def todo(what: str) -> str:
    """The placeholder for a fact the clinician must add."""
    return f"[to complete: {what}]"


def _or_todo(value: object, what: str) -> str:
    if value is None or value == "" or value == ():
        return todo(what)
    return str(value)


def _yes_no(value: bool | None, what: str) -> str:
    return todo(what) if value is None else ("yes" if value else "no")


_SEX_NAMES = {Sex.female: "female", Sex.male: "male", Sex.other: "other"}


def _sex_word(sex: Sex) -> str | None:
    return {Sex.female: "woman", Sex.male: "man", Sex.other: "person"}.get(sex)


def _morph(case: CaseRecord) -> str | None:
    words = [m.value for m in case.morphology]
    return " and ".join(words) if words else None


def _onset(case: CaseRecord) -> str | None:
    if case.time_to_onset_days is not None:
        return format_onset(
            case.time_to_onset_days, case.time_to_onset_unit, case.time_to_onset_approximate
        )
    return case.time_to_onset_text


def _event_words(case: CaseRecord) -> str:
    morph = _morph(case)
    if morph:
        return f"{morph} psoriasis"
    return "psoriatic arthritis" if case.event_psoriatic_arthritis else "the event"


def _drugs(case: CaseRecord) -> str:
    return " and ".join(case.drug_names)


def _title(case: CaseRecord) -> str:
    kind = {
        EventType.new_onset: "New-onset",
        EventType.worsening: "Worsening of",
        EventType.phenotype_change: "Paradoxical",
        EventType.exacerbation: "Paradoxical",
    }.get(case.event_type, "Paradoxical")
    morph = _morph(case)
    disease = f"{morph} psoriasis" if morph else "psoriasis"
    if case.event_psoriatic_arthritis and not morph:
        disease = "psoriatic arthritis"
    if kind == "Worsening of":
        disease = disease[0].lower() + disease[1:]
    indication = case.indication or todo("indication")
    return f"{kind} {disease} during {_drugs(case)} treatment for {indication}: a case report"


def _keywords(case: CaseRecord) -> str:
    words = [
        *case.drug_names,
        *case.drug_classes,
        "paradoxical psoriasis",
        "drug-induced psoriasis",
    ]
    words += [m.value for m in case.morphology]
    if case.indication:
        words.append(case.indication)
    return "; ".join(dict.fromkeys(words))


def _patient_phrase(case: CaseRecord) -> str:
    age = f"{case.age_years:g}-year-old" if case.age_years is not None else todo("age")
    sex = _sex_word(case.sex) or todo("sex")
    return f"A {age} {sex}"


def _abstract(case: CaseRecord) -> list[str]:
    onset = _onset(case) or todo("time from first dose to onset")
    sites = " and ".join(case.sites) or todo("sites")
    event = _morph(case) or ("psoriatic arthritis" if case.event_psoriatic_arthritis else None)
    lines = [
        f"**Introduction:** {todo('why this case is worth reporting')}",
        "",
        f"**Case presentation:** {_patient_phrase(case)} treated with {_drugs(case)} for "
        f"{case.indication or todo('indication')} developed "
        f"{event or todo('morphology')} psoriasis"
        f"{'' if case.event_psoriatic_arthritis and not case.morphology else f' on the {sites}'}"
        f" {onset} after the first dose.",
        "",
        f"**Management and outcome:** {_management_sentence(case)} Outcome: {_outcome(case)}.",
        "",
        f"**Causality:** {_causality_sentence(case)}",
        "",
        f"**Conclusion:** {todo('the take-away lesson')}",
    ]
    return lines


def _management_sentence(case: CaseRecord) -> str:
    steps = "; ".join(str(t) for t in case.management) or todo("management")
    drug = case.primary_drug.drug
    stopped = {
        True: f"{drug} was stopped.",
        False: f"{drug} was continued.",
        None: todo(f"whether {drug} was stopped") + ".",
    }[case.drug_stopped]
    return f"Managed with {steps}; {stopped}"


def _outcome(case: CaseRecord) -> str:
    if case.outcome is Outcome.unknown and not case.outcome_text:
        return todo("outcome")
    text = case.outcome.value if case.outcome is not Outcome.unknown else ""
    if case.outcome_text:
        text = f"{text} ({case.outcome_text})" if text else case.outcome_text
    return text


def _causality_sentence(case: CaseRecord) -> str:
    n = case.naranjo
    w = case.who_umc
    naranjo = f"Naranjo {n.category.value} (score {n.score})" if n else todo("Naranjo assessment")
    who = f"WHO-UMC {w.category.value}" if w else todo("WHO-UMC assessment")
    return f"{naranjo}; {who}."


def _patient_information(case: CaseRecord) -> list[str]:
    phenotype = ", ".join(m.value for m in case.pre_existing_phenotype)
    if case.personal_history_psoriasis is True and not phenotype:
        phenotype = todo("type of pre-existing psoriasis")
    concomitant = (
        todo("concomitant drugs")
        if case.concomitant_drugs is None
        else ", ".join(case.concomitant_drugs) or "none"
    )
    triggers = (
        todo("other possible triggers (infection, stress, drugs such as lithium or "
             "beta-blockers, steroid withdrawal)")
        if case.other_triggers is None
        else ", ".join(case.other_triggers) or "none identified"
    )  # fmt: skip
    lines = [
        f"- Age: {todo('age') if case.age_years is None else f'{case.age_years:g} years'}",
        f"- Sex: {_SEX_NAMES.get(case.sex) or todo('sex')}",
        f"- Indication for {_drugs(case)}: {_or_todo(case.indication, 'indication')}",
        "- Personal history of psoriasis: "
        + _yes_no(case.personal_history_psoriasis, "personal history of psoriasis")
        + (f" ({phenotype})" if case.personal_history_psoriasis else ""),
        "- Psoriatic arthritis before the event: "
        + _yes_no(case.psoriatic_arthritis_history, "psoriatic arthritis history"),
        "- Family history of psoriasis: "
        + _yes_no(case.family_history_psoriasis, "family history of psoriasis"),
        f"- Concomitant drugs: {concomitant}",
        f"- Other possible triggers: {triggers}",
        f"- {todo('relevant comorbidities and past treatments; de-identify every detail')}",
    ]
    return lines


def _extent(case: CaseRecord) -> str:
    if case.extent.known:
        return str(case.extent)
    scores = [_SCORE_FOR[m] for m in case.morphology if m in _SCORE_FOR]
    hint = " or ".join(dict.fromkeys(["BSA", *scores]))
    return todo(f"extent ({hint})")


def _clinical_findings(case: CaseRecord) -> list[str]:
    event_type = (
        case.event_type.value if case.event_type is not EventType.unknown
        else todo("new-onset, worsening or change of phenotype")
    )  # fmt: skip
    lines = [
        f"- Presentation: {_or_todo(case.presentation, 'description of the eruption')}",
        f"- Event type: {event_type}",
        f"- Morphology: {_or_todo(_morph(case), 'morphology')}",
        f"- Sites: {_or_todo(', '.join(case.sites), 'sites')}",
        f"- Extent: {_extent(case)}",
    ]
    if case.event_psoriatic_arthritis:
        lines.append("- Psoriatic arthritis: part of the event")
    return lines


def _timeline(case: CaseRecord) -> list[str]:
    d = case.primary_drug
    dose = ", ".join(x for x in (d.dose, d.route.value if d.route else None) if x) or todo(
        "dose and route"
    )
    rows = [
        ("day 0", f"first dose of {d.drug} ({dose})"),
        (_onset(case) or todo("time to onset"), f"onset of {_event_words(case)}"),
    ]
    if case.management:
        rows.append((todo("when"), "management: " + "; ".join(str(t) for t in case.management)))
    if case.drug_stopped is not None:
        rows.append((todo("when"), f"{d.drug} {'stopped' if case.drug_stopped else 'continued'}"))
    rows.append((todo("last follow-up"), f"outcome: {_outcome(case)}"))
    out = ["| Time from first dose | Event |", "|---|---|"]
    out += [f"| {t} | {e} |" for t, e in rows]
    return out


def _naranjo_section(case: CaseRecord) -> list[str]:
    out = ["#### Naranjo adverse drug reaction probability scale (Naranjo et al. 1981)", ""]
    out += ["| # | Question | Answer | Points |", "|---|---|---|---|"]
    n = case.naranjo
    for item in NARANJO_ITEMS:
        if n is None:
            out.append(f"| {item.number} | {item.question} | {todo('yes/no/unknown')} | |")
        else:
            answer = getattr(n, item.key)
            points = item.points(answer)
            out.append(f"| {item.number} | {item.question} | {answer.value} | "
                       f"{f'{points:+d}' if points else '0'} |")  # fmt: skip
    out.append("")
    if n is None:
        out.append(todo("answer the 10 items; the score bands are >=9 definite, 5-8 probable, "
                        "1-4 possible, <=0 doubtful"))  # fmt: skip
    else:
        out.append(f"**Total {n.score}: {n.category.value}.** Reason: {n.reason}.")
    return out


def _who_section(case: CaseRecord) -> list[str]:
    out = ["#### WHO-UMC causality assessment", ""]
    w = case.who_umc
    out += ["| Criterion | Answer |", "|---|---|"]
    for name, (question, allowed) in WHO_UMC_QUESTIONS.items():
        value = todo(allowed) if w is None else getattr(w, name).value
        out.append(f"| {question} | {value} |")
    out.append("")
    if w is None:
        out.append(todo("WHO-UMC category: certain, probable/likely, possible, unlikely, "
                        "conditional/unclassified or unassessable/unclassifiable"))  # fmt: skip
    else:
        out.append(f"**Category: {w.category.value}.** Reason: {w.reason}.")
    return out


def _diagnostic(case: CaseRecord) -> list[str]:
    out = [
        f"- Dermoscopy: {_or_todo(case.dermoscopy, 'dermoscopy findings')}",
        f"- Histology: {_or_todo(case.histology, 'histology findings')}",
        f"- Differential diagnosis: {todo('diagnoses considered and excluded')}",
        "",
        "### Causality",
        "",
    ]
    return out + _naranjo_section(case) + [""] + _who_section(case)


def _therapeutic(case: CaseRecord) -> list[str]:
    drugs = []
    for d in case.suspect_drugs:
        detail = ", ".join(x for x in (d.dose, d.route.value if d.route else None) if x)
        drugs.append(f"{d.drug} ({detail or todo('dose and route')})")
    return [
        f"- Suspect drug(s): {'; '.join(drugs)}",
        f"- Management of the event: "
        f"{'; '.join(str(t) for t in case.management) or todo('topical, systemic or switch')}",
        f"- Suspect drug stopped: {_yes_no(case.drug_stopped, 'whether the drug was stopped')}",
    ]


def _challenge(result: ChallengeResult, what: str) -> str:
    return todo(what) if result is ChallengeResult.unknown else result.value


def _follow_up(case: CaseRecord) -> list[str]:
    return [
        f"- Dechallenge: {_challenge(case.dechallenge, 'dechallenge result')}",
        f"- Rechallenge: {_challenge(case.rechallenge, 'rechallenge result')}",
        f"- Outcome: {_outcome(case)}",
        f"- Follow-up: {todo('duration of follow-up, adherence and tolerability')}",
    ]


def _discussion(
    case: CaseRecord, library: Iterable[CaseRecord] | None, extra: Iterable[str] = ()
) -> list[str]:
    out = []
    if library is not None:
        comp = compare(case, library)
        s = comp.summary
        if s.n_cases:
            studies = ", ".join(c.label for c in comp.literature)
            onset = "; ".join(f"{k}: {v.text()}" for k, v in s.onset_by_drug.items())
            out.append(
                f"In the psoreg literature library, {s.n_cases} published case(s) share "
                f"the {comp.criterion.describe()} ({studies}). Time to onset - {onset}. "
                f"Drug stopped: {s.stopped_text()}. This case: {comp.case_onset_text()}."
            )
        else:
            out.append(f"The psoreg literature library holds no other case with the "
                       f"{comp.criterion.describe()}.")  # fmt: skip
        out.append("")
    for sentence in extra:
        if sentence:
            out += [sentence, ""]
    out.append(todo("comparison with the literature, possible mechanisms, strengths and "
                    "limitations, and the main lesson"))  # fmt: skip
    return out


def _source(case: CaseRecord) -> list[str]:
    if case.origin is Origin.clinic:
        return []
    out = ["", "---", "", f"Source of this record ({case.origin.value}):", ""]
    if case.citation:
        out.append(f"- Citation: {case.citation}")
    if case.doi:
        out.append(f"- DOI: https://doi.org/{case.doi}")
    if case.source_location:
        out.append(f"- Taken from: {case.source_location}")
    if case.registry_course_id:
        out.append(f"- Registry course: {case.registry_course_id}")
    out += [f"- Note: {n}" for n in case.notes]
    return out


def draft_case_report(
    case: CaseRecord,
    library: Iterable[CaseRecord] | None = None,
    extra_discussion: Iterable[str] = (),
) -> str:
    """A Markdown case-report draft of ``case`` under the CARE headings.

    With ``library``, the discussion opens with how the case compares with the published cases
    of the same drug; ``extra_discussion`` sentences follow (e.g. the FAERS disproportionality
    of the case's drug and event, :mod:`psoreg.signals.casecompare`).
    """
    sections = {
        "Title": [_title(case)],
        "Keywords": [_keywords(case)],
        "Abstract": _abstract(case),
        "Introduction": [
            "Paradoxical psoriasis is new-onset psoriasis in a patient treated for another "
            "disease, or the worsening or change of phenotype of pre-existing psoriasis, during "
            "treatment with a biologic (Maronese et al., J Invest Dermatol 2024).",
            "",
            "; ".join(
                f"{d.catalogue.name}: {d.catalogue.drug_class}, target {d.catalogue.target}, "
                f"ATC {d.catalogue.atc}"
                for d in case.suspect_drugs
            )
            + ".",
            "",
            todo("why this case is worth reporting"),
        ],
        "Patient information": _patient_information(case),
        "Clinical findings": _clinical_findings(case),
        "Timeline": _timeline(case),
        "Diagnostic assessment": _diagnostic(case),
        "Therapeutic intervention": _therapeutic(case),
        "Follow-up and outcomes": _follow_up(case),
        "Discussion": _discussion(case, library, extra_discussion),
        "Patient perspective": [todo("the patient's own account, if they wish to give one")],
        "Informed consent": [
            todo("written informed consent for publication obtained from the patient (date)")
        ],
    }
    lines = [
        f"# Case report draft: {case.case_id}",
        "",
        "_Structured by the CARE checklist. Edit before use; every_ `[to complete: …]` _marks "
        "a fact the record does not hold._",
    ]
    for heading in CARE_HEADINGS:
        lines += ["", f"## {heading}", "", *sections[heading]]
    lines += _source(case)
    return "\n".join(lines) + "\n"

"""Comparing one case with the matching published cases, in the layout of Table 3.

The UKMMC case series' Table 3 ("Summaries of paradoxical events compared with current
literatures") sets the layout: study, age/sex, type of psoriasis, time to onset, clinical
presentation, area affected, treatment, drug stopped. :func:`compare` puts the case first, then
the library cases that match one criterion - the same drug, the same drug class (catalogue,
clinical-facts §6) or the same morphology - and summarises the matching literature
(:func:`psoreg.cases.summary.summarise`). The case itself is left out of the literature if it
is in the library.

Morphology matching: ``pustular`` matches every pustular variant (localised, palmoplantar,
generalised); any other morphology matches exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from psoreg.cases.onset import format_onset
from psoreg.cases.record import CaseRecord
from psoreg.cases.summary import OnsetStats, Summary, onset_stats, summarise
from psoreg.catalogue import drugs_in_class, get_drug
from psoreg.errors import InvalidValue
from psoreg.model.vocab import PUSTULAR_MORPHOLOGIES, Morphology, parse_morphology

__all__ = [
    "TABLE_COLUMNS",
    "Comparison",
    "Criterion",
    "TableRow",
    "compare",
    "criterion",
    "matching_cases",
    "table_row",
]

CriterionKind = Literal["drug", "class", "morphology"]


@dataclass(frozen=True)
class Criterion:
    """What a literature case must share with the compared case."""

    kind: CriterionKind
    value: str  # catalogue drug name, catalogue class, or morphology value

    def matches(self, case: CaseRecord) -> bool:
        if self.kind == "drug":
            return self.value in case.drug_names
        if self.kind == "class":
            return self.value in case.drug_classes
        wanted = Morphology(self.value)
        if wanted is Morphology.pustular:
            return any(m in PUSTULAR_MORPHOLOGIES for m in case.morphology)
        return wanted in case.morphology

    def describe(self) -> str:
        return {"drug": "drug", "class": "drug class", "morphology": "morphology"}[
            self.kind
        ] + f" {self.value}"


def criterion(
    case: CaseRecord,
    drug: str | None = None,
    drug_class: str | None = None,
    morphology: str | None = None,
) -> Criterion:
    """The one criterion given, else the case's primary suspect drug.

    Raises :class:`InvalidValue` if more than one is given or the value is unknown.
    """
    given = [(k, v) for k, v in (("drug", drug), ("class", drug_class), ("morphology", morphology))
             if v is not None]  # fmt: skip
    if len(given) > 1:
        names = ", ".join(f"--{k}" for k, _ in given)
        raise InvalidValue("criterion", names, "only one of --drug, --class, --morphology")
    if not given:
        return Criterion("drug", case.primary_drug.drug)
    kind, value = given[0]
    if kind == "drug":
        return Criterion("drug", get_drug(value).name)
    if kind == "class":
        return Criterion("class", drugs_in_class(value)[0].drug_class)
    try:
        return Criterion("morphology", parse_morphology(value).value)
    except ValueError:
        allowed = "one of: " + ", ".join(m.value for m in Morphology)
        raise InvalidValue("morphology", value, allowed) from None


def matching_cases(
    library: Iterable[CaseRecord], crit: Criterion, exclude: str | None = None
) -> list[CaseRecord]:
    """Library cases matching ``crit``, in library order, without the case ``exclude``."""
    return [c for c in library if c.case_id != exclude and crit.matches(c)]


#: Column key -> heading, in the order of the case series' Table 3.
TABLE_COLUMNS: dict[str, str] = {
    "study": "Study",
    "age_sex": "Age/sex",
    "phenotype": "Type of psoriasis",
    "time_to_onset": "Time to onset",
    "presentation": "Clinical presentation",
    "area": "Area affected",
    "treatment": "Treatment",
    "drug_stopped": "Drug stopped",
}


@dataclass(frozen=True)
class TableRow:
    """One row of the comparison table (display text), plus the values behind it."""

    case_id: str
    is_compared_case: bool
    study: str
    age_sex: str
    phenotype: str
    time_to_onset: str
    presentation: str
    area: str
    treatment: str
    drug_stopped: str
    drugs: tuple[str, ...]
    morphology: tuple[str, ...]
    onset_days: float | None

    def cells(self) -> list[str]:
        """The display cells in :data:`TABLE_COLUMNS` order."""
        return [getattr(self, key) for key in TABLE_COLUMNS]


def _age_sex(case: CaseRecord) -> str:
    age = "?" if case.age_years is None else f"{case.age_years:g}"
    sex = "?" if case.sex.value in ("unknown", "other") else case.sex.value
    if case.sex.value == "other":
        sex = "other"
    return "unknown" if age == sex == "?" else f"{age}/{sex}"


def _phenotype(case: CaseRecord) -> str:
    if case.personal_history_psoriasis is False:
        text = "none"
    elif case.personal_history_psoriasis is True:
        text = " & ".join(m.value for m in case.pre_existing_phenotype) or "psoriasis"
    else:
        text = "unknown"
    if case.psoriatic_arthritis_history:
        text = "PsA" if text in ("none", "unknown") else f"{text} & PsA"
    return text


def _onset(case: CaseRecord) -> str:
    if case.time_to_onset_days is not None:
        return format_onset(
            case.time_to_onset_days, case.time_to_onset_unit, case.time_to_onset_approximate
        )
    return case.time_to_onset_text or "unknown"


def _presentation(case: CaseRecord) -> str:
    if case.presentation:
        return case.presentation
    words = [m.value for m in case.morphology]
    if case.event_psoriatic_arthritis:
        words.append("psoriatic arthritis")
    return ", ".join(words) or "unknown"


def _area(case: CaseRecord) -> str:
    area = " & ".join(case.sites)
    if not area:
        area = case.extent.description or "unknown"
    if case.extent.bsa_percent is not None:
        area = f"{area} (BSA {case.extent.bsa_percent:g}%)"
    return area


def table_row(case: CaseRecord, is_compared_case: bool = False) -> TableRow:
    """The Table 3 row of ``case``; ``unknown`` where the record does not say."""
    stopped = {True: "yes", False: "no", None: "unknown"}[case.drug_stopped]
    return TableRow(
        case_id=case.case_id,
        is_compared_case=is_compared_case,
        study=case.label,
        age_sex=_age_sex(case),
        phenotype=_phenotype(case),
        time_to_onset=_onset(case),
        presentation=_presentation(case),
        area=_area(case),
        treatment="; ".join(str(t) for t in case.management) or "unknown",
        drug_stopped=stopped,
        drugs=case.drug_names,
        morphology=tuple(m.value for m in case.morphology),
        onset_days=case.time_to_onset_days,
    )


@dataclass(frozen=True)
class Comparison:
    """A case beside the matching literature, with the literature's summary."""

    case: CaseRecord
    criterion: Criterion
    literature: list[CaseRecord]
    summary: Summary

    @property
    def rows(self) -> list[TableRow]:
        """The compared case first, then the literature in library order."""
        return [table_row(self.case, True), *(table_row(c) for c in self.literature)]

    @property
    def literature_onset(self) -> OnsetStats:
        return onset_stats(self.literature)

    def case_onset_text(self) -> str:
        """Where the case's onset falls against the literature's range."""
        days = self.case.time_to_onset_days
        stats = self.literature_onset
        if days is None:
            return f"time to onset {_onset(self.case)}"
        own = f"{_onset(self.case)} ({days:.1f}".rstrip("0").rstrip(".") + " days)"
        if stats.n_known == 0 or stats.min_days is None or stats.max_days is None:
            return own + "; no onset time in the matching literature"
        if days < stats.min_days:
            where = "earlier than every matching case"
        elif days > stats.max_days:
            where = "later than every matching case"
        else:
            where = "within the range of the matching cases"
        return f"{own}; literature {stats.text()}; {where}"


def compare(
    case: CaseRecord,
    library: Iterable[CaseRecord],
    drug: str | None = None,
    drug_class: str | None = None,
    morphology: str | None = None,
) -> Comparison:
    """Compare ``case`` with the library cases sharing its drug, class or morphology.

    With no criterion the case's primary suspect drug is used. The case is excluded from the
    literature by its ``case_id``.
    """
    crit = criterion(case, drug, drug_class, morphology)
    literature = matching_cases(library, crit, exclude=case.case_id)
    return Comparison(case, crit, literature, summarise(literature))

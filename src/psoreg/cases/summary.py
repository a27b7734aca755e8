"""Summary of a set of cases: onset times by drug and class, morphology, sites, management.

Medians and ranges are computed with pandas over the cases whose time to onset is known (days);
an approximate onset (``~6 months``) counts at its stated value. A case with several suspect
drugs counts once under each drug and each class. Counts of morphologies and sites are numbers
of cases showing each (a case can show several), with ``unknown`` for cases recording none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from psoreg.cases.record import CaseRecord
from psoreg.model.vocab import Morphology

__all__ = ["OnsetStats", "Summary", "onset_stats", "summarise"]

#: Label used in morphology counts for a case whose event is psoriatic arthritis.
ARTHRITIS = "psoriatic arthritis"


@dataclass(frozen=True)
class OnsetStats:
    """Time to onset over a group of cases, in days (``None`` when no onset is known)."""

    n_cases: int
    n_known: int
    median_days: float | None
    min_days: float | None
    max_days: float | None

    def text(self) -> str:
        """E.g. ``"median 18.5 days (range 2-70 days; 6 of 6 known)"``."""
        if self.n_known == 0:
            return f"not reported (0 of {self.n_cases} known)"
        if self.n_known == 1:
            return f"{_num(self.median_days)} days (1 of {self.n_cases} known)"
        return (
            f"median {_num(self.median_days)} days (range {_num(self.min_days)}–"
            f"{_num(self.max_days)} days; {self.n_known} of {self.n_cases} known)"
        )


def _num(x: float | None) -> str:
    if x is None:
        return "?"
    return f"{x:.1f}".rstrip("0").rstrip(".")


def onset_stats(cases: Iterable[CaseRecord]) -> OnsetStats:
    """Median and range of ``time_to_onset_days`` over ``cases``."""
    cases = list(cases)
    days = pd.Series([c.time_to_onset_days for c in cases], dtype="float64").dropna()
    if days.empty:
        return OnsetStats(len(cases), 0, None, None, None)
    return OnsetStats(
        n_cases=len(cases),
        n_known=int(days.size),
        median_days=float(days.median()),
        min_days=float(days.min()),
        max_days=float(days.max()),
    )


@dataclass(frozen=True)
class Summary:
    """What a set of cases shows; every count is a number of cases."""

    n_cases: int
    onset_by_drug: dict[str, OnsetStats] = field(default_factory=dict)
    onset_by_class: dict[str, OnsetStats] = field(default_factory=dict)
    morphology: dict[str, int] = field(default_factory=dict)
    sites: dict[str, int] = field(default_factory=dict)
    event_types: dict[str, int] = field(default_factory=dict)
    drug_stopped: dict[str, int] = field(default_factory=dict)  # yes / no / unknown
    outcomes: dict[str, int] = field(default_factory=dict)
    family_history: dict[str, int] = field(default_factory=dict)  # yes / no / unknown

    @property
    def stopped_share(self) -> float | None:
        """Share of cases with a known answer in which the suspect drug was stopped."""
        known = self.drug_stopped.get("yes", 0) + self.drug_stopped.get("no", 0)
        return None if known == 0 else self.drug_stopped.get("yes", 0) / known

    def stopped_text(self) -> str:
        yes = self.drug_stopped.get("yes", 0)
        known = yes + self.drug_stopped.get("no", 0)
        unknown = self.drug_stopped.get("unknown", 0)
        if known == 0:
            return f"not reported ({unknown} unknown)"
        share = self.stopped_share or 0.0
        return f"{yes} of {known} with a known answer ({share:.0%}); {unknown} unknown"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["stopped_share"] = self.stopped_share
        return out


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _ordered(counter: Counter[str], order: list[str] | None = None) -> dict[str, int]:
    rank = {name: i for i, name in enumerate(order or [])}
    keys = sorted(
        counter,
        key=lambda k: (k == "unknown", -counter[k], rank.get(k, len(rank)), k),
    )
    return {k: counter[k] for k in keys}


def summarise(cases: Iterable[CaseRecord]) -> Summary:
    """Count and median what ``cases`` show (see the module docstring)."""
    cases = list(cases)
    by_drug: dict[str, list[CaseRecord]] = {}
    by_class: dict[str, list[CaseRecord]] = {}
    morph: Counter[str] = Counter()
    sites: Counter[str] = Counter()
    for case in cases:
        for name in dict.fromkeys(case.drug_names):
            by_drug.setdefault(name, []).append(case)
        for cls in case.drug_classes:
            by_class.setdefault(cls, []).append(case)
        labels = [m.value for m in case.morphology]
        if case.event_psoriatic_arthritis:
            labels.append(ARTHRITIS)
        morph.update(labels or ["unknown"])
        sites.update([s.lower() for s in case.sites] or ["unknown"])
    return Summary(
        n_cases=len(cases),
        onset_by_drug={k: onset_stats(v) for k, v in sorted(by_drug.items())},
        onset_by_class={k: onset_stats(v) for k, v in sorted(by_class.items())},
        morphology=_ordered(morph, [m.value for m in Morphology] + [ARTHRITIS]),
        sites=_ordered(sites),
        event_types=_ordered(Counter(c.event_type.value for c in cases)),
        drug_stopped=_ordered(Counter(_yes_no(c.drug_stopped) for c in cases)),
        outcomes=_ordered(Counter(c.outcome.value for c in cases)),
        family_history=_ordered(Counter(_yes_no(c.family_history_psoriasis) for c in cases)),
    )

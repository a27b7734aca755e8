"""Summary figures by group (drug, or biologic-naive vs experienced), with a test per row.

Tests (scipy.stats): counts in 2 groups – Fisher's exact test on the 2×2 table
(``fisher_exact``); in more than 2 groups – the Fisher–Freeman–Halton exact test by Monte Carlo
(``fisher_exact`` with ``MonteCarloMethod``, 9,999 tables, fixed seed, so reports are
reproducible); continuous values in 2 groups – Mann–Whitney U test, two-sided
(``mannwhitneyu``); in more than 2 groups – Kruskal–Wallis H test (``kruskal``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from psoreg.analysis.stats import Correlation, Count, MedianIQR, QuantileMethod
from psoreg.analysis.summary import Summary, summarize
from psoreg.analysis.survival import MedianCI
from psoreg.cohort import Cohort
from psoreg.i18n import N_, _
from psoreg.outcomes import OutcomeResult
from psoreg.reports.cells import DASH, count_cell, median_cell, missing, n_cell, p_text
from psoreg.reports.model import Cell, ReportTable, Row
from psoreg.reports.summary_tables import UNITS

GROUP_BY = ("drug", "biologic_naive")

TESTS = {
    "fisher": N_("Fisher's exact test (scipy.stats.fisher_exact)"),
    "ffh": N_(
        "Fisher–Freeman–Halton exact test, Monte Carlo with 9,999 tables and a fixed seed "
        "(scipy.stats.fisher_exact with MonteCarloMethod)"
    ),
    "mwu": N_("Mann–Whitney U test, two-sided (scipy.stats.mannwhitneyu)"),
    "kw": N_("Kruskal–Wallis H test (scipy.stats.kruskal)"),
}
SHORT = {"fisher": "Fisher", "ffh": "FFH", "mwu": "MWU", "kw": "KW"}

#: Where each median's raw values are, to test them: (frame, column, stopped courses only).
RAW: dict[str, tuple[str, str, bool]] = {
    "age": ("patients", "age_years", False),
    "disease_duration": ("patients", "disease_duration_years", False),
    "baseline_pasi": ("outcomes", "baseline_pasi", False),
    "weeks_to_pasi75": ("outcomes", "week_pasi75", False),
    "weeks_on_treatment": ("outcomes", "weeks_on_treatment", True),
    "weeks_to_relapse": ("outcomes", "weeks_to_relapse", False),
}
SEED = 20240601


@dataclass
class Group:
    label: str
    cohort: Cohort
    result: OutcomeResult
    summary: Summary


def split(
    cohort: Cohort, result: OutcomeResult, by: str, quantile: QuantileMethod
) -> tuple[list[Group], list[str]]:
    """The cohort split into groups (sub-cohorts with their outcomes and summaries), and notes."""
    if by not in GROUP_BY:
        raise ValueError(f"--group-by: got {by!r}; expected one of {', '.join(GROUP_BY)}")
    o = result.table
    notes: list[str] = []
    pid = cohort.patients.patient_id.astype(str)
    groups: list[tuple[str, pd.Series, pd.Series]] = []  # label, patient mask, course mask
    if by == "drug":
        for drug in sorted(o.drug.dropna().astype(str).unique()):
            cmask = o.drug.astype(str) == drug
            pmask = pid.isin(set(o.patient_id[cmask].astype(str)))
            groups.append((drug, pmask, cmask))
        multi = o.groupby(o.patient_id.astype(str)).drug.nunique()
        if (multi > 1).any():
            notes.append(
                _(
                    "Patients with courses of more than one drug are counted in each drug's "
                    "group for patient characteristics."
                )
            )
    else:
        naive = cohort.patients.biologic_naive
        for value, label in [(True, _("Biologic-naive")), (False, _("Biologic-experienced"))]:
            pmask = (naive == value).fillna(False).astype(bool)
            cmask = o.patient_id.astype(str).isin(set(pid[pmask]))
            groups.append((label, pmask, cmask))
        unknown = int(naive.isna().sum())
        if unknown:
            notes.append(
                _("{n} patient(s) with biologic-naive status not recorded excluded.").format(
                    n=unknown
                )
            )
    out = []
    for label, pmask, cmask in groups:
        cids = set(o.course_id[cmask].astype(str))
        sub = Cohort(
            patients=cohort.patients[pmask.to_numpy()],
            courses=cohort.courses[cohort.courses.course_id.astype(str).isin(cids)],
            kind=cohort.kind,
        )
        res = OutcomeResult(o[cmask.to_numpy()].reset_index(drop=True), result.options)
        out.append(Group(label, sub, res, summarize(sub, res, quantile=quantile)))
    return [g for g in out if len(g.result.table) or len(g.cohort.patients)], notes


def _raw(g: Group, key: str) -> np.ndarray:
    frame, col, stopped_only = RAW[key]
    df = g.cohort.patients if frame == "patients" else g.result.table
    if stopped_only:
        df = df[df.stopped.fillna(False).astype(bool)]
    return np.asarray([float(v) for v in df[col] if not missing(v)], dtype=float)


def _count_test(counts: Sequence[Count]) -> tuple[float | None, str | None]:
    table = np.array([[c.k, c.n - c.k] for c in counts])
    if len(counts) < 2 or any(c.n == 0 for c in counts) or (table.sum(axis=0) == 0).any():
        return None, None
    from scipy import stats as sps  # on use: 0.5-2.5 s to import, and only --group-by tests

    try:
        if len(counts) == 2:
            return float(sps.fisher_exact(table).pvalue), "fisher"
        method = sps.MonteCarloMethod(n_resamples=9999, rng=np.random.default_rng(SEED))
        p = np.asarray(sps.fisher_exact(table, method=method).pvalue).ravel()[0]
        return float(p), "ffh"
    except (ValueError, TypeError):
        return None, None


def _values_test(values: Sequence[np.ndarray]) -> tuple[float | None, str | None]:
    if len(values) < 2 or any(v.size == 0 for v in values):
        return None, None
    if np.ptp(np.concatenate(values)) == 0:
        return None, None
    from scipy import stats as sps  # on use (see _count_test)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if len(values) == 2:
                res = sps.mannwhitneyu(values[0], values[1], alternative="two-sided")
                return float(res.pvalue), "mwu"
            return float(sps.kruskal(*values).pvalue), "kw"
        except ValueError:
            return None, None


#: Summary figures that *are* the grouping variable: never tested against themselves.
SELF = {"drug": set(), "biologic_naive": {"biologic_naive"}}


def _header(label: str, g: Summary) -> str:
    """'Biologic-naive (N = 6 patients, 6 courses)', gtsummary's N in the group header."""
    return _("{group} (N = {patients} patients, {courses} courses)").format(
        group=label,
        patients=int(g["patients"].stat),
        courses=int(g["courses"].stat),  # type: ignore[arg-type]
    )


def _cell(s: object, key: str) -> Cell:
    if isinstance(s, Count):
        return count_cell(s)
    if isinstance(s, MedianIQR):
        return median_cell(s, UNITS.get(key, ""))
    if isinstance(s, MedianCI):
        return Cell(s.text() + " " + _("weeks"))
    return n_cell(int(s))  # type: ignore[arg-type]


def group_table(
    groups: list[Group], by: str, notes: list[str], overall: Summary | None = None
) -> ReportTable:
    """Each summary figure per group and overall, with the p-value and the test's short name.

    The grouping variable itself is not a row (it would be tested against itself); group
    headers carry their N, as gtsummary's ``tbl_summary(by=)`` prints them."""
    cols = [("figure", _("Figure"))]
    if overall is not None:
        cols.append(("overall", _header(_("Overall"), overall)))
    cols += [(f"g{i}", _header(g.label, g.summary)) for i, g in enumerate(groups)]
    cols += [("p", "p"), ("test", _("Test"))]
    used: set[str] = set()
    rows: list[Row] = []
    first = groups[0].summary if groups else None
    for f in first.figures if first else []:
        if isinstance(f.stat, Correlation | MedianCI) or f.key in SELF.get(by, set()):
            continue
        cells: dict[str, Cell] = {"figure": Cell(f.label)}
        if overall is not None:
            cells["overall"] = _cell(overall[f.key].stat, f.key)
        stats = [g.summary[f.key].stat for g in groups]
        for i, s in enumerate(stats):
            cells[f"g{i}"] = _cell(s, f.key)
        p, test = None, None
        if isinstance(f.stat, Count):
            p, test = _count_test(stats)  # type: ignore[arg-type]
        elif isinstance(f.stat, MedianIQR) and f.key in RAW:
            p, test = _values_test([_raw(g, f.key) for g in groups])
        if test:
            used.add(test)
        cells["p"] = Cell(p_text(p))
        cells["test"] = Cell(SHORT[test] if test else DASH)
        rows.append(Row(f.key, cells))
    foot = [f"{SHORT[t]} = {_(TESTS[t])}." for t in TESTS if t in used]
    if len(groups) < 2:
        foot.append(_("Only one group: no test."))
    foot.append(_("— = no test (a group without values, or no variation)."))
    if by in SELF and SELF[by]:
        foot.append(_("The grouping variable is not tested against itself."))
    foot.append(
        _(
            "p > 0.99 is printed as >0.99, p < 0.001 as <0.001. Kaplan–Meier medians by group "
            "are in the figures."
        )
    )
    title = (
        _("Table 5. Summary by drug")
        if by == "drug"
        else _("Table 5. Summary by biologic-naive status")
    )
    return ReportTable("groups", title, cols, rows, [*notes, *foot])

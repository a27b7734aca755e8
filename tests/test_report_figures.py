"""Every figure, for the example cohorts and edge cases, checked by what is drawn.

PNGs go to test-artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import pytest

from psoreg.io import load
from psoreg.outcomes import compute_outcomes
from psoreg.reports.figure_files import write_figure
from psoreg.reports.figures import km_figure, swimmer_figure, trajectories_figure
from psoreg.reports.figures.km import km_data
from psoreg.reports.identifiers import make_labels
from tests.conftest import CASE_SERIES, VISIT_COHORT
from tests.test_report_helpers import ARTIFACTS, edge_cohort

COHORTS = {
    "case_series": lambda: load(CASE_SERIES),
    "visit_cohort": lambda: load(VISIT_COHORT),
    "one_patient": lambda: edge_cohort("one_patient"),
    "no_pasi75": lambda: edge_cohort("no_pasi75"),
    "all_ongoing": lambda: edge_cohort("all_ongoing"),
}


@pytest.fixture(scope="module", params=list(COHORTS))
def case(request):
    cohort = COHORTS[request.param]()
    o = compute_outcomes(cohort).table
    return request.param, cohort, o, make_labels(cohort, o, include_identifiers=False)


def _save(fig, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    assert write_figure(fig, ARTIFACTS / f"{name}.png").stat().st_size > 5000


def _line(ax, gid: str):
    return next(line for line in ax.get_lines() if line.get_gid() == gid)


def test_swimmer(case) -> None:
    name, _, o, labels = case
    fig = swimmer_figure(o, labels)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_gid() == "course-bar"]
    assert len(bars) == len(o)
    stopped = o.stopped.fillna(False).astype(bool)
    assert sorted(round(b.get_width()) for b in bars) == sorted(
        round(w) for w in o.weeks_on_treatment
    )
    assert len(_line(ax, "PASI75").get_xdata()) == int(o.week_pasi75.notna().sum())
    assert len(_line(ax, "PASI90").get_xdata()) == int(o.week_pasi90.notna().sum())
    assert len(_line(ax, "Secondary failure").get_xdata()) == int(
        o.secondary_failure.fillna(False).astype(bool).sum()
    )
    assert len(_line(ax, "Paradoxical event").get_xdata()) == int(
        o.paradoxical_event.fillna(False).astype(bool).sum()
    )
    relapsed = o.relapse.map(lambda v: v is True or v == True)  # noqa: E712
    assert len(_line(ax, "Relapse").get_xdata()) == int(relapsed.sum())
    arrows = [t for t in ax.texts if t.get_gid() == "ongoing"]
    assert len(arrows) == int((~stopped).sum())
    reasons = [t.get_text() for t in ax.texts if t.get_gid() == "stop-reason"]
    assert len(reasons) == len(o)
    assert reasons.count("ongoing") == int((~stopped).sum())
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        labels.course_of(c) for c in o.course_id
    ]
    _save(fig, f"swimmer_{name}")


def test_trajectories(case) -> None:
    name, cohort, o, labels = case
    fig = trajectories_figure(cohort, o, labels)
    ax_abs, ax_pct = fig.axes[:2]
    thresholds = sorted(
        line.get_ydata()[0]
        for line in ax_pct.get_lines()
        if str(line.get_gid()).startswith("threshold")
    )
    assert thresholds == [50, 75, 90]
    kind = "milestones" if cohort.kind == "abstracted" else "visits"
    courses = [line for line in ax_pct.get_lines() if str(line.get_gid()).startswith(kind)]
    assert len(courses) == len(o)
    assert all(line.get_gid().startswith(kind) for line in courses)
    note = [t for t in fig.texts if t.get_gid() == "milestone-note"]
    assert bool(note) == (kind == "milestones")
    if kind == "visits":
        # one point per recorded visit (plus a week-0 point when the baseline is before it)
        first = courses[0]
        cid = o.course_id.iloc[0]
        n_visits = int((cohort.assessments.course_id == cid).sum())
        off = [
            ln for ln in ax_pct.get_lines() if ln.get_gid() == f"off-treatment:{first.get_gid()}"
        ]
        n_off = len(off[0].get_xdata()) - 1 if off else 0  # the bridge repeats the last on-visit
        assert len(first.get_xdata()) + n_off in (n_visits, n_visits + 1)
        stop = o.stop_week.iloc[0]
        stops = [ln for ln in ax_pct.get_lines() if ln.get_gid() == f"stop:{first.get_gid()}"]
        assert (len(stops) == 1) == (stop == stop)  # a stop marker exactly where it stopped
        if stops:
            assert list(stops[0].get_xdata()) == [stop]
    else:
        # the case series' patient 3: baseline, PASI75 at week 4, PASI90 at week 50
        p3 = next(line for line in courses if line.get_gid() == "milestones:3")
        assert list(p3.get_xdata()) == [0, 4, 50] and list(p3.get_ydata()) == [0, 75, 90]
        # milestones are not joined: nothing was measured between them
        assert all(line.get_linestyle() == "None" for line in courses)
    _save(fig, f"trajectories_{name}")


@pytest.mark.parametrize("endpoint", ["pasi75", "pasi90", "drug_survival", "relapse_free"])
def test_kaplan_meier(case, endpoint) -> None:
    name, _, o, _ = case
    fig = km_figure(o, endpoint)
    ax, ax_risk = fig.axes[:2]
    data = km_data(o, endpoint)
    risk = {
        t.get_gid(): t.get_text() for t in ax_risk.texts if str(t.get_gid()).startswith("at-risk")
    }
    assert risk["at-risk:0"] == str(len(data))
    for gid, text in risk.items():
        t = float(gid.split(":")[1])
        assert text == str(int((data.duration >= t).sum())), gid
    curves = [line for line in ax.get_lines() if str(line.get_gid()).startswith("km:")]
    if len(data):
        assert len(curves) == 1
        legend = ax.get_legend().get_texts()[0].get_text()
        assert f"n={len(data)}" in legend and f"events={int(data.event.sum())}" in legend
        assert "median" in legend and "95% CI" in legend
    else:
        assert not curves and any(t.get_gid() == "empty" for t in ax.texts)
    _save(fig, f"km_{endpoint}_{name}")


def test_km_case_series_medians() -> None:
    o = compute_outcomes(load(CASE_SERIES)).table
    legend = km_figure(o, "pasi75").axes[0].get_legend().get_texts()[0].get_text()
    assert "median 16 (95% CI" in legend  # the paper's 16 weeks to PASI75
    legend = km_figure(o, "relapse_free").axes[0].get_legend().get_texts()[0].get_text()
    assert "n=5, events=5" in legend and "median 40 (95% CI" in legend


def test_km_nobody_reaching_pasi75_is_not_reached() -> None:
    o = compute_outcomes(edge_cohort("no_pasi75")).table
    legend = km_figure(o, "pasi75").axes[0].get_legend().get_texts()[0].get_text()
    assert "events=0" in legend and "median NR" in legend


def test_km_grouped_at_risk_rows_and_suppression() -> None:
    cohort = load(VISIT_COHORT)
    o = compute_outcomes(cohort).table
    groups = {d: o.drug == d for d in sorted(o.drug.unique())}
    fig = km_figure(o, "drug_survival", groups, suppress_below=3)
    ax, ax_risk = fig.axes[:2]
    assert len([ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("km:")]) == 4
    assert [t.get_text() for t in ax_risk.get_yticklabels()] == list(reversed(list(groups)))
    texts = {t.get_text() for t in ax_risk.texts}
    assert texts <= {"<3", "3"}  # every count under 3 is masked
    legends = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "adalimumab (n=<3, events=<3)" in legends[0]
    _save(fig, "km_drug_survival_grouped_suppressed")

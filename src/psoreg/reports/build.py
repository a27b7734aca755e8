"""Build the case-series report: tables, results paragraph, figures and appendix.

:func:`build_report` is the library entry point (the CLI's ``psoreg report`` and, later, the web
application call it); the renderers lay the :class:`~psoreg.reports.model.Report` out as HTML,
Word, Markdown or LaTeX.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from psoreg.analysis.stats import QUANTILE_METHODS, QuantileMethod
from psoreg.analysis.summary import summarize
from psoreg.cohort import Cohort
from psoreg.outcomes import OutcomeOptions, compute_outcomes
from psoreg.reports.appendix import appendix_tables
from psoreg.reports.figures import km_figure, swimmer_figure, trajectories_figure
from psoreg.reports.figures.km import KM_ENDPOINTS
from psoreg.reports.figures.trajectories import MILESTONE_NOTE
from psoreg.reports.groups import GROUP_BY, group_table, split
from psoreg.reports.identifiers import make_labels
from psoreg.reports.model import Report, ReportFigure, ReportTable
from psoreg.reports.paragraph import results_paragraph
from psoreg.reports.summary_tables import correlations_table, summary_table
from psoreg.reports.suppress import suppress_table
from psoreg.reports.tables import table1, table1_summary, table2


def build_report(
    cohort: Cohort,
    options: OutcomeOptions | None = None,
    quantile: QuantileMethod = "type6",
    suppress_below: int | None = None,
    include_identifiers: bool = False,
    *,
    group_by: str | None = None,
    source: Path | None = None,
    title: str = "Case series report",
) -> Report:
    """The full report of ``cohort`` under ``options``.

    ``quantile`` names the IQR method (type6 = SPSS, as the case series); ``suppress_below``
    masks counts under K in every table and figure label; patients are numbered 1..n unless
    ``include_identifiers``; ``group_by`` ("drug" or "biologic_naive") adds a comparison table
    and grouped Kaplan–Meier curves; ``source`` (the input file or folder) is checksummed in the
    appendix.
    """
    if quantile not in QUANTILE_METHODS:
        raise ValueError(
            f"--quantile: got {quantile!r}; expected one of {', '.join(QUANTILE_METHODS)}"
        )
    if group_by is not None and group_by not in GROUP_BY:
        raise ValueError(f"--group-by: got {group_by!r}; expected one of {', '.join(GROUP_BY)}")
    if suppress_below is not None and suppress_below < 2:
        raise ValueError(f"--suppress-below: got {suppress_below}; expected an integer ≥ 2")
    options = options or OutcomeOptions()
    result = compute_outcomes(cohort, options)
    outcomes = result.table
    summary = summarize(cohort, result, quantile=quantile)
    labels = make_labels(cohort, outcomes, include_identifiers)

    tables = [
        table1(cohort, labels),
        table1_summary(cohort, summary),
        table2(outcomes, labels, options),
        summary_table(summary),
        correlations_table(cohort, outcomes),
    ]
    km_groups = None
    if group_by:
        groups, notes = split(cohort, result, group_by, quantile)
        tables.append(group_table(groups, group_by, notes))
        km_groups = {
            g.label: outcomes.course_id.isin(set(g.result.table.course_id)) for g in groups
        }
    tables = [suppress_table(t, suppress_below) for t in tables]
    paragraph = results_paragraph({t.key: t for t in tables})
    figures = _figures(cohort, outcomes, labels, km_groups, suppress_below)
    appendix = appendix_tables(
        result, quantile, source, cohort.kind, suppress_below, include_identifiers, group_by
    )
    notes = list(summary.warnings)
    return Report(title, tables, paragraph, figures, appendix, notes)


def _figures(
    cohort: Cohort,
    outcomes: pd.DataFrame,
    labels,  # noqa: ANN001 - identifiers.Labels
    km_groups: dict[str, pd.Series] | None,
    k: int | None,
) -> list[ReportFigure]:
    traj = trajectories_figure(cohort, outcomes, labels)
    abstracted = any(t.get_gid() == "milestone-note" for t in traj.texts)
    figs = [
        ReportFigure(
            "swimmer",
            "Figure 1. Swimmer plot",
            "One bar per course from the first dose to the stop or last follow-up, coloured by "
            "drug; triangles: first PASI75; diamonds: first PASI90; crosses: secondary failure; "
            "stars: paradoxical event; dotted line to an open circle: relapse after the stop; "
            "arrow: ongoing. The stop reason is written at the end of each row.",
            swimmer_figure(outcomes, labels, k),
        ),
        ReportFigure(
            "trajectories",
            "Figure 2. PASI trajectories",
            "Absolute PASI and % improvement from baseline per course, with PASI50/75/90 "
            "reference lines. " + (MILESTONE_NOTE if abstracted else "Each point is a visit."),
            traj,
        ),
    ]
    for i, (key, ep) in enumerate(KM_ENDPOINTS.items(), start=3):
        figs.append(
            ReportFigure(
                f"km_{key}",
                f"Figure {i}. Kaplan–Meier: {ep.title.lower()}",
                _KM_CAPTIONS[key] + " Shaded: 95% CI; ticks: censored; table: number at risk; "
                "median with 95% CI (NR = not reached).",
                km_figure(outcomes, key, km_groups, k),
            )
        )
    return figs


_KM_CAPTIONS = {
    "pasi75": "Cumulative proportion of courses reaching PASI75; courses not reaching it are "
    "censored at their last week on treatment.",
    "pasi90": "Cumulative proportion of courses reaching PASI90; courses not reaching it are "
    "censored at their last week on treatment.",
    "drug_survival": "Proportion of courses still on the drug; ongoing courses censored at last "
    "follow-up.",
    "relapse_free": "Proportion of courses without relapse after stopping, over courses "
    "stopped while responding; no relapse = censored at last follow-up.",
}


def all_tables(report: Report) -> list[ReportTable]:
    return [*report.tables, *report.appendix]

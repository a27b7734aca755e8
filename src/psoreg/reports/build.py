"""Build the case-series report: tables, results paragraph, figures and appendix.

:func:`build_report` is the library entry point (the CLI's ``psoreg report`` and, later, the web
application call it); the renderers lay the :class:`~psoreg.reports.model.Report` out as HTML,
Word, Markdown or LaTeX.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from psoreg.analysis.published import compare, load_published
from psoreg.analysis.stats import QUANTILE_METHODS, QuantileMethod
from psoreg.analysis.summary import summarize
from psoreg.analysis.survival import CI_METHODS, MEDIAN_CONVENTIONS, CIMethod, MedianConvention
from psoreg.cohort import Cohort
from psoreg.i18n import N_, _, check_language, pgettext, use_language
from psoreg.outcomes import OutcomeOptions, compute_outcomes
from psoreg.reports import strings
from psoreg.reports.appendix import appendix_tables
from psoreg.reports.cells import DASH
from psoreg.reports.figures import km_figure, swimmer_figure, trajectories_figure
from psoreg.reports.figures.flow import flow_figure
from psoreg.reports.figures.km import KM_ENDPOINTS
from psoreg.reports.groups import GROUP_BY, group_table, split
from psoreg.reports.identifiers import make_labels
from psoreg.reports.model import Cell, Report, ReportFigure, ReportTable, Row, numbered
from psoreg.reports.paragraph import results_paragraph
from psoreg.reports.strobe import (
    adverse_event_table,
    flow_stages,
    flow_table,
    followup_table,
    missing_table,
    sensitivity_table,
)
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
    title: str | None = None,
    km_median: MedianConvention = "smallest",
    km_ci: CIMethod = "log-log",
    published: Path | None = None,
    lang: str = "en",
) -> Report:
    """The full report of ``cohort`` under ``options``.

    ``quantile`` names the IQR method (type6 = SPSS, as the case series); ``suppress_below``
    masks counts under K in every table and figure label; patients are numbered 1..n unless
    ``include_identifiers``; ``group_by`` ("drug" or "biologic_naive") adds a comparison table
    and grouped Kaplan–Meier curves; ``source`` (the input file or folder) is checksummed in the
    appendix; ``km_median``/``km_ci`` name the Kaplan–Meier conventions; ``published`` (a
    published-figures JSON, :mod:`psoreg.analysis.published`) adds a comparison table.

    ``lang`` is the report's language: "en", "ms" (Bahasa Malaysia) or "both" – English tables
    and figures with the results written as an Abstrak (Malay) and Abstract (English) pair, as
    the case series' journal prints its abstracts (:mod:`psoreg.reports.abstract`).
    """
    both = lang == "both"
    language = "en" if both else check_language(lang)
    with use_language(language):
        report = _build(
            cohort, options, quantile, suppress_below, include_identifiers, group_by, source,
            title, km_median, km_ci, published,
        )  # fmt: skip
    report.lang = language
    if both:
        from psoreg.reports.abstract import abstract_pair

        report.abstracts = abstract_pair(report)
    return report


def _build(
    cohort: Cohort,
    options: OutcomeOptions | None,
    quantile: QuantileMethod,
    suppress_below: int | None,
    include_identifiers: bool,
    group_by: str | None,
    source: Path | None,
    title: str | None,
    km_median: MedianConvention,
    km_ci: CIMethod,
    published: Path | None,
) -> Report:
    if quantile not in QUANTILE_METHODS:
        raise ValueError(
            f"--quantile: got {quantile!r}; expected one of {', '.join(QUANTILE_METHODS)}"
        )
    if group_by is not None and group_by not in GROUP_BY:
        raise ValueError(f"--group-by: got {group_by!r}; expected one of {', '.join(GROUP_BY)}")
    if suppress_below is not None and suppress_below < 2:
        raise ValueError(f"--suppress-below: got {suppress_below}; expected an integer ≥ 2")
    if km_median not in MEDIAN_CONVENTIONS:
        raise ValueError(f"--km-median: got {km_median!r}; expected smallest or midpoint")
    if km_ci not in CI_METHODS:
        raise ValueError(f"--km-ci: got {km_ci!r}; expected one of {', '.join(CI_METHODS)}")
    options = options or OutcomeOptions()
    result = compute_outcomes(cohort, options)
    outcomes = result.table
    summary = summarize(cohort, result, quantile=quantile, km_median=km_median, km_ci=km_ci)
    labels = make_labels(cohort, outcomes, include_identifiers)
    shared = suppress_below is not None

    # the paper's order: Table 1 (patients), Table 2 (courses), Table 3 (summary); then the rest
    tables = [] if shared else [table1(cohort, labels), table2(outcomes, labels, options)]
    tables += [
        summary_table(summary, suppress_details=shared),
        table1_summary(cohort, summary),
        correlations_table(cohort, outcomes),
    ]
    km_groups = None
    if group_by:
        groups, notes = split(cohort, result, group_by, quantile)
        tables.append(group_table(groups, group_by, notes, overall=summary))
        km_groups = {
            g.label: outcomes.course_id.isin(set(g.result.table.course_id)) for g in groups
        }
    tables += [
        flow_table(outcomes, options),
        missing_table(cohort, outcomes),
        adverse_event_table(cohort, outcomes),
        followup_table(outcomes, quantile, km_median, km_ci),
        sensitivity_table(outcomes, options, km_median, km_ci, cohort.kind == "abstracted"),
    ]
    if published is not None:
        data = load_published(published)
        summary.comparisons = compare(summary, data)
        tables.append(comparison_table(summary.comparisons, data.get("source", published.name)))
    _number(tables)
    tables = [suppress_table(t, suppress_below) for t in tables]
    paragraph = results_paragraph({t.key: t for t in tables})
    figures = _figures(
        cohort, outcomes, labels, km_groups, suppress_below, options, km_median, km_ci
    )
    appendix = appendix_tables(
        result, quantile, source, cohort.kind, suppress_below, include_identifiers, group_by
    )
    notes = list(summary.warnings)
    if shared:
        notes.append(_(strings.SUPPRESSED_PER_PATIENT).format(k=suppress_below))
    notes += [f"{c.label}: {c.note}" for c in summary.comparisons if c.agrees is False and c.note]
    report = Report(title or _(DEFAULT_TITLE), tables, paragraph, figures, appendix, notes)
    report.summary = summary
    return report


#: The report's title unless ``--title`` names one.
DEFAULT_TITLE = N_("Case series report")


def _number(tables: list[ReportTable]) -> None:
    """Number the tables in the order they are printed ('Table 3. …', 'Jadual 3. …')."""
    for i, t in enumerate(tables, start=1):
        found = numbered(t.title)
        if found:
            t.title = _("Table") + f" {i}. {found[1]}"


def comparison_table(comparisons: list, source: str) -> ReportTable:  # noqa: ANN001
    """psoreg's figures beside the publication's, with a note wherever they differ."""
    rows = []
    for c in comparisons:
        verdict = {True: _("same"), False: _("differs"), None: DASH}[c.agrees]
        rows.append(
            Row(
                c.key,
                {
                    "figure": Cell(c.label),
                    "psoreg": Cell(c.psoreg),
                    "paper": Cell(c.published),
                    "verdict": Cell(verdict),
                    "note": Cell(c.note or DASH),
                },
            )
        )
    return ReportTable(
        "published",
        _("Table 11. Comparison with the published figures"),
        [
            ("figure", _("Figure")),
            ("psoreg", "psoreg"),
            ("paper", _("Paper")),
            ("verdict", _("Agreement")),
            ("note", _("Note")),
        ],  # fmt: skip
        rows,
        [
            _(
                "Published figures: {source}. psoreg reports what the data give and never "
                "adjusts a number to match the paper; each disagreement is explained in its note."
            ).format(source=source)
        ],
    )


def _figures(
    cohort: Cohort,
    outcomes: pd.DataFrame,
    labels,  # noqa: ANN001 - identifiers.Labels
    km_groups: dict[str, pd.Series] | None,
    k: int | None,
    options: OutcomeOptions,
    km_median: MedianConvention,
    km_ci: CIMethod,
) -> list[ReportFigure]:
    figs: list[tuple[str, str, str, object]] = [
        ("flow", _(strings.FLOW_TITLE), _(strings.FLOW_CAPTION),
         flow_figure(flow_stages(outcomes, options), k)),
    ]  # fmt: skip
    if k is None:  # per-patient figures are left out of a report shared under suppression
        traj = trajectories_figure(cohort, outcomes, labels)
        abstracted = any(str(ln.get_gid()).startswith("milestones") for ln in traj.axes[0].lines)
        figs += [
            ("swimmer", _(strings.SWIMMER_TITLE), _(strings.SWIMMER_CAPTION),
             swimmer_figure(outcomes, labels, k)),
            ("trajectories", _(strings.TRAJECTORIES_TITLE),
             _(strings.TRAJECTORIES_CAPTION_MILESTONES) if abstracted
             else _(strings.TRAJECTORIES_CAPTION_VISITS), traj),
        ]  # fmt: skip
    method = _(strings.KM_METHOD).format(
        ci=km_ci,
        median=_("smallest time with S(t) ≤ 0.5")
        if km_median == "smallest"
        else _("R's convention: midpoint of a flat segment at exactly S = 0.5"),
    )
    for key, ep in KM_ENDPOINTS.items():
        figs.append(
            (f"km_{key}", _("Kaplan–Meier curve: {title}").format(title=_(ep.title)),
             _(strings.KM_CAPTIONS[key]) + " " + method,
             km_figure(outcomes, key, km_groups, k, km_median, km_ci))
        )  # fmt: skip
    return [
        ReportFigure(key, pgettext("chart", "Figure") + f" {i}. {title}", caption, fig)
        for i, (key, title, caption, fig) in enumerate(figs, start=1)
    ]


def all_tables(report: Report) -> list[ReportTable]:
    return [*report.tables, *report.appendix]

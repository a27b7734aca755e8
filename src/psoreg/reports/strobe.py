"""The STROBE items a case-series report owes its reader beyond Tables 1–3.

STROBE (von Elm et al., *Lancet* 2007) items 13 (participants at each stage, with reasons),
14b (missing data per variable), 14c (follow-up) and 17 (other analyses: sensitivity), and the
adverse-event table journals ask of a drug study:

* :func:`flow_table` – courses included → assessable at the primary week → stopped → followed up
  after the stop → eligible for relapse → relapsed, with the reason each stage loses courses
  (drawn as a diagram by :func:`psoreg.reports.figures.flow.flow_figure`);
* :func:`missing_table` – per variable, how many records lack it;
* :func:`adverse_event_table` – adverse and paradoxical events by kind and morphology: events
  and courses with at least one (k/N, Wilson 95% CI);
* :func:`followup_table` – time on treatment, the reverse Kaplan–Meier (potential) follow-up
  (Schemper & Smith, *Control Clin Trials* 1996), and follow-up after the stop;
* :func:`sensitivity_table` – relapse under both definitions (loss of PASI50; NPF/EMEA half of
  the best improvement), the headline marked.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from psoreg.analysis.stats import Count, count, fmt, median_iqr
from psoreg.analysis.survival import (
    CIMethod,
    MedianConvention,
    endpoint_data,
    kaplan_meier,
)
from psoreg.cohort import Cohort
from psoreg.i18n import N_, _
from psoreg.outcomes import OutcomeOptions
from psoreg.reports.cells import DASH, count_cell, median_cell, missing, n_cell, not_shown
from psoreg.reports.model import Cell, ReportTable, Row


def _flag(s: pd.Series) -> pd.Series:
    return s.map(lambda v: not missing(v) and bool(v)).astype(bool)


@dataclass(frozen=True)
class FlowStage:
    key: str
    label: str
    n: int
    left: str = ""  # why courses did not go on to the next stage
    left_n: int = 0


def flow_stages(outcomes: pd.DataFrame, options: OutcomeOptions) -> list[FlowStage]:
    """The courses at each stage and the reasons they left (STROBE item 13)."""
    o = outcomes
    n = len(o)
    assessable = o.treatment_success.notna()
    stopped = _flag(o.stopped)
    followed = stopped & (o.relapse_followup_weeks.notna() | o.weeks_to_recorded_relapse.notna())
    eligible = o.relapse.notna()
    relapsed = _flag(o.relapse)
    wk = (
        _("each drug's assessment week")
        if options.primary_week_by_drug
        else _("week {week}").format(week=fmt(options.primary_week))
    )
    win = (
        _("±{weeks} weeks").format(weeks=fmt(options.window_before))
        if options.window_before == options.window_after
        else _("−{before}/+{after} weeks").format(
            before=fmt(options.window_before), after=fmt(options.window_after)
        )
    )
    not_resp = int((followed & ~eligible).sum())
    return [
        FlowStage(
            "included",
            _("Courses included"),
            n,
            _("not assessable: no visit within {window} of {week}").format(window=win, week=wk),
            int((~assessable).sum()),
        ),  # fmt: skip
        FlowStage(
            "assessable",
            _("Assessable for treatment success at {week}").format(week=wk),
            int(assessable.sum()),
            _("ongoing at the last follow-up (of all included)"),
            int((~stopped).sum()),
        ),  # fmt: skip
        FlowStage(
            "stopped",
            _("Stopped (of all courses included)"),
            int(stopped.sum()),
            _("no visit or relapse recorded after the stop"),
            int((stopped & ~followed).sum()),
        ),  # fmt: skip
        FlowStage(
            "followed",
            _("Followed up after the stop"),
            int(followed.sum()),
            _("not responding at the stop ({definition})").format(
                definition=options.relapse_definition
            ),
            not_resp,
        ),  # fmt: skip
        FlowStage(
            "eligible",
            _("Eligible for relapse (responding at the stop)"),
            int(eligible.sum()),
            _("no relapse by the last follow-up"),
            int((eligible & ~relapsed).sum()),
        ),  # fmt: skip
        FlowStage(
            "relapsed",
            _("Relapsed ({definition})").format(definition=options.relapse_definition),
            int(relapsed.sum()),
        ),
    ]


def flow_table(outcomes: pd.DataFrame, options: OutcomeOptions) -> ReportTable:
    rows = []
    for s in flow_stages(outcomes, options):
        rows.append(
            Row(
                s.key,
                {
                    "stage": Cell(s.label),
                    "n": n_cell(s.n),
                    "left": Cell(s.left or DASH),
                    "left_n": n_cell(s.left_n) if s.left else Cell(DASH),
                },
            )
        )
    return ReportTable(
        "flow",
        _("Table 6. Flow of the courses"),
        [
            ("stage", _("Stage")),
            ("n", _("Courses")),
            ("left", _("Not going on: reason")),
            ("left_n", _("Courses")),
        ],  # fmt: skip
        rows,
        [
            _(
                "STROBE item 13: numbers at each stage of the study, with the reasons for not "
                "going on. Courses are counted once at each stage; the figure 'Flow of the "
                "courses' draws the same numbers."
            )
        ],
    )


#: (table, column, label, population) of the variables the missing-data summary covers.
MISSING_VARIABLES = [
    ("patients", "sex", N_("Sex"), N_("patients")),
    ("patients", "age_years", N_("Age"), N_("patients")),
    ("patients", "ethnicity", N_("Ethnicity"), N_("patients")),
    ("patients", "psoriatic_arthritis", N_("Psoriatic arthritis"), N_("patients")),
    ("patients", "disease_duration_years", N_("Disease duration"), N_("patients")),
    ("patients", "biologic_naive", N_("Biologic-naive status"), N_("patients")),
    ("patients", "prior_phototherapy", N_("Prior phototherapy"), N_("patients")),
    ("outcomes", "baseline_pasi", N_("Baseline PASI"), N_("courses")),
    ("outcomes", "baseline_dlqi", N_("Baseline DLQI"), N_("courses")),
    ("outcomes", "treatment_success", N_("Treatment success (primary visit)"), N_("courses")),
    ("outcomes", "minimal_response", N_("Minimal response (primary visit)"), N_("courses")),
    ("stopped", "stop_reason", N_("Stop reason"), N_("courses that stopped")),
    ("relapsed", "relapse_morphology", N_("Relapse morphology"), N_("courses with a relapse")),
]


def missing_table(cohort: Cohort, outcomes: pd.DataFrame) -> ReportTable:
    """Per variable: records lacking it, of how many (STROBE item 14b)."""
    p = cohort.patients.copy()
    p.loc[p.sex.astype("string").isin(["unknown"]), "sex"] = None
    frames = {
        "patients": p,
        "outcomes": outcomes,
        "stopped": outcomes[_flag(outcomes.stopped)],
        "relapsed": outcomes[_flag(outcomes.relapse) | outcomes.weeks_to_recorded_relapse.notna()],
    }
    rows = []
    for frame, col, label, population in MISSING_VARIABLES:
        df = frames[frame]
        if col not in df.columns or not len(df):
            continue
        c = Count(int(df[col].isna().sum()), len(df), _(population))
        rows.append(
            Row(
                col,
                {"variable": Cell(_(label)), "missing": count_cell(c), "of": Cell(_(population))},
            )
        )
    return ReportTable(
        "missing",
        _("Table 7. Missing data"),
        [("variable", _("Variable")), ("missing", _("Missing, n/N (%)")), ("of", _("N counts"))],
        rows,
        [
            _(
                "STROBE item 14b. Counts and percentages in the other tables are over the "
                "records with the item known; the unknown ones are shown there as 'Unknown' rows."
            ),
            _(
                "Minimal response is unknown for abstracted courses whose PASI50 week was not "
                "recorded and whose PASI75 came after the primary window (PASI50 may have come "
                "before it)."
            ),
        ],
    )


def _event_rows(events: pd.DataFrame, n_courses: int) -> list[Row]:
    rows = []
    groups: list[tuple[str, str, pd.DataFrame]] = []
    for kind, label, short in (
        ("adverse", _("Adverse events"), _("Adverse")),
        ("paradoxical", _("Paradoxical events"), _("Paradoxical")),
    ):
        e = events[events.kind == kind]
        groups.append((kind, _("{events}, any").format(events=label), e))
        morph = e.morphology.fillna("not classified").astype(str)
        for m in sorted(set(morph)):
            shown = _("not classified") if m == "not classified" else m.replace(";", ", ")
            groups.append((f"{kind}_{m}", f"{short}: {shown}", e[morph == m]))
    for key, label, e in groups:
        courses = Count(int(e.course_id.nunique()), n_courses, _("all courses"))
        ci = courses.wilson()
        rows.append(
            Row(
                key.replace(" ", "_").replace(";", "_"),
                {
                    "event": Cell(label),
                    "events": n_cell(len(e)),
                    "courses": count_cell(courses),
                    "ci": Cell(
                        DASH if ci is None else f"{fmt(100 * ci[0])}–{fmt(100 * ci[1])}",
                        count=courses.k,
                        masked=lambda k: "—",
                    ),
                },
            )
        )
    return rows


def adverse_event_table(cohort: Cohort, outcomes: pd.DataFrame) -> ReportTable:
    """Adverse and paradoxical events: events, and courses with at least one (k/N, CI)."""
    ev = cohort.events[cohort.events.course_id.isin(set(outcomes.course_id))]
    after = outcomes.set_index("course_id").stop_week
    wk = ev.course_id.map(after)
    on = ev[~(wk.notna() & (ev.week > wk))]
    return ReportTable(
        "adverse_events",
        _("Table 8. Adverse and paradoxical events"),
        [
            ("event", _("Event (morphology)")),
            ("events", _("Events")),
            ("courses", _("Courses with ≥ 1, n/N (%)")),
            ("ci", _("95% CI (%)")),
        ],  # fmt: skip
        _event_rows(on, len(outcomes)),
        [
            _(
                "Events from the first dose to the stop (or last follow-up). Paradoxical events "
                "dated after the stop are not counted here (see the notes). Free-text "
                "descriptions are not printed. CI: Wilson score interval (Wilson 1927)."
            ),
        ],
    )


def followup_table(
    outcomes: pd.DataFrame, quantile: str, median: MedianConvention, ci: CIMethod
) -> ReportTable:
    """Follow-up on and after treatment (STROBE item 14c)."""
    o = outcomes
    rows: list[Row] = []

    def add(key: str, label: str, cell: Cell, note: str) -> None:
        rows.append(Row(key, {"item": Cell(label), "value": cell, "note": Cell(note)}))

    on = median_iqr(o.weeks_on_treatment, quantile)  # type: ignore[arg-type]
    add("on_treatment", _("Weeks on treatment, median (IQR)"), median_cell(on, "weeks"),
        _("all courses; ongoing courses to the last follow-up"))  # fmt: skip
    total = float(o.weeks_on_treatment.fillna(0).sum())
    add("course_weeks", _("Total time on treatment"),
        Cell(_("{weeks} course-weeks ({years} course-years)").format(
            weeks=fmt(total), years=fmt(total / 52.1775))),
        _("sum over courses"))  # fmt: skip
    d = endpoint_data(o, "drug_survival")
    rev = kaplan_meier(d.duration, ~d.event, ci).median(median)
    add("potential", _("Potential follow-up, reverse Kaplan–Meier median (95% CI)"),
        Cell(rev.text() + " " + _("weeks"), count=len(d), masked=not_shown),
        _("Schemper & Smith 1996: stops censored, ongoing courses as events"))  # fmt: skip
    after = pd.concat([o.relapse_followup_weeks, o.weeks_to_recorded_relapse], axis=1).max(axis=1)
    after = after[_flag(o.stopped)]
    add("after_stop", _("Weeks observed after the stop, median (IQR)"),
        median_cell(median_iqr(after, quantile), "weeks"),  # type: ignore[arg-type]
        _("stopped courses with a visit or relapse after the stop"))  # fmt: skip
    add("ongoing", _("Courses ongoing at the last follow-up"), count_cell(
        count(~_flag(o.stopped), _("all courses"))), _("all courses"))  # fmt: skip
    return ReportTable(
        "followup",
        _("Table 9. Follow-up"),
        [("item", _("Follow-up")), ("value", _("Value")), ("note", _("Over"))],
        rows,
        [_("STROBE item 14c. Quartiles by the report's quantile method.")],
    )


def sensitivity_table(
    outcomes: pd.DataFrame,
    options: OutcomeOptions,
    median: MedianConvention,
    ci: CIMethod,
    abstracted: bool,
) -> ReportTable:
    """Relapse under both definitions, the headline one marked (STROBE item 17)."""
    rows = []
    for defn, label in (
        ("loss_of_pasi50", _("Loss of PASI50 (case series; 'time to lose PASI50')")),
        (
            "half_of_best",
            _("Loss of half the best improvement (NPF/EMEA; {rule})").format(
                rule=options.half_of_best_loss.replace("_", " ")
            ),
        ),
    ):
        o = outcomes.assign(relapse=outcomes[f"relapse_{defn}"],
                            weeks_to_relapse=outcomes[f"weeks_to_relapse_{defn}"])  # fmt: skip
        c = count(o.relapse, _("eligible courses"))
        d = endpoint_data(o, "relapse_free")
        m = kaplan_meier(d.duration, d.event, ci).median(median) if len(d) else None
        rows.append(
            Row(
                defn,
                {
                    "definition": Cell(label + (" – " + _("headline") if defn ==
                                                options.relapse_definition else "")),
                    "relapse": count_cell(c),
                    "unknown": n_cell(c.unknown),
                    "km": Cell(DASH if m is None else m.text() + " " + _("weeks"),
                               count=len(d) or None, masked=not_shown),
                },
            )
        )  # fmt: skip
    foot = [
        _(
            "STROBE item 17: the relapse result under the second definition. Both are computed "
            "from the same visits (Papp 2006 Table 1); the headline one is set by "
            "--relapse-definition. Unknown: stopped without later follow-up, not responding at "
            "the stop, or ongoing."
        )
    ]
    if abstracted:
        foot.append(
            _(
                "Abstracted data record only the relapse week the source used (here loss of "
                "PASI50); the other definition needs visits and is unknown."
            )
        )
    return ReportTable(
        "sensitivity",
        _("Table 10. Sensitivity analysis: relapse under both definitions"),
        [
            ("definition", _("Relapse definition")),
            ("relapse", _("Relapsed, n/N (%)")),
            ("unknown", _("Unknown")),
            ("km", _("Relapse-free time, KM median (95% CI)")),
        ],  # fmt: skip
        rows,
        foot,
    )

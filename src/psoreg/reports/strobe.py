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
from psoreg.outcomes import OutcomeOptions
from psoreg.reports.cells import DASH, count_cell, median_cell, missing, n_cell
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
        "each drug's assessment week"
        if options.primary_week_by_drug
        else (f"week {fmt(options.primary_week)}")
    )
    win = (
        f"±{fmt(options.window_before)} weeks"
        if options.window_before == options.window_after
        else f"−{fmt(options.window_before)}/+{fmt(options.window_after)} weeks"
    )
    not_resp = int((followed & ~eligible).sum())
    return [
        FlowStage(
            "included",
            "Courses included",
            n,
            f"not assessable: no visit within {win} of {wk}",
            int((~assessable).sum()),
        ),  # fmt: skip
        FlowStage(
            "assessable",
            f"Assessable for treatment success at {wk}",
            int(assessable.sum()),
            "ongoing at the last follow-up (of all included)",
            int((~stopped).sum()),
        ),  # fmt: skip
        FlowStage(
            "stopped",
            "Stopped (of all courses included)",
            int(stopped.sum()),
            "no visit or relapse recorded after the stop",
            int((stopped & ~followed).sum()),
        ),  # fmt: skip
        FlowStage(
            "followed",
            "Followed up after the stop",
            int(followed.sum()),
            f"not responding at the stop ({options.relapse_definition})",
            not_resp,
        ),  # fmt: skip
        FlowStage(
            "eligible",
            "Eligible for relapse (responding at the stop)",
            int(eligible.sum()),
            "no relapse by the last follow-up",
            int((eligible & ~relapsed).sum()),
        ),  # fmt: skip
        FlowStage("relapsed", f"Relapsed ({options.relapse_definition})", int(relapsed.sum())),
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
        "Table 6. Flow of the courses",
        [
            ("stage", "Stage"),
            ("n", "Courses"),
            ("left", "Not going on: reason"),
            ("left_n", "Courses"),
        ],  # fmt: skip
        rows,
        [
            "STROBE item 13: numbers at each stage of the study, with the reasons for not "
            "going on. Courses are counted once at each stage; the figure 'Flow of the "
            "courses' draws the same numbers."
        ],
    )


#: (table, column, label, population) of the variables the missing-data summary covers.
MISSING_VARIABLES = [
    ("patients", "sex", "Sex", "patients"),
    ("patients", "age_years", "Age", "patients"),
    ("patients", "ethnicity", "Ethnicity", "patients"),
    ("patients", "psoriatic_arthritis", "Psoriatic arthritis", "patients"),
    ("patients", "disease_duration_years", "Disease duration", "patients"),
    ("patients", "biologic_naive", "Biologic-naive status", "patients"),
    ("patients", "prior_phototherapy", "Prior phototherapy", "patients"),
    ("outcomes", "baseline_pasi", "Baseline PASI", "courses"),
    ("outcomes", "baseline_dlqi", "Baseline DLQI", "courses"),
    ("outcomes", "treatment_success", "Treatment success (primary visit)", "courses"),
    ("outcomes", "minimal_response", "Minimal response (primary visit)", "courses"),
    ("stopped", "stop_reason", "Stop reason", "courses that stopped"),
    ("relapsed", "relapse_morphology", "Relapse morphology", "courses with a relapse"),
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
        c = Count(int(df[col].isna().sum()), len(df), population)
        rows.append(
            Row(col, {"variable": Cell(label), "missing": count_cell(c), "of": Cell(population)})
        )
    return ReportTable(
        "missing",
        "Table 7. Missing data",
        [("variable", "Variable"), ("missing", "Missing, n/N (%)"), ("of", "N counts")],
        rows,
        [
            "STROBE item 14b. Counts and percentages in the other tables are over the records "
            "with the item known; the unknown ones are shown there as 'Unknown' rows.",
            "Minimal response is unknown for abstracted courses whose PASI50 week was not "
            "recorded and whose PASI75 came after the primary window (PASI50 may have come "
            "before it).",
        ],
    )


def _event_rows(events: pd.DataFrame, n_courses: int) -> list[Row]:
    rows = []
    groups: list[tuple[str, str, pd.DataFrame]] = []
    for kind, label in (("adverse", "Adverse events"), ("paradoxical", "Paradoxical events")):
        e = events[events.kind == kind]
        groups.append((kind, f"{label}, any", e))
        morph = e.morphology.fillna("not classified").astype(str)
        for m in sorted(set(morph)):
            groups.append((f"{kind}_{m}", f"{label.split()[0]}: {m.replace(';', ', ')}",
                           e[morph == m]))  # fmt: skip
    for key, label, e in groups:
        courses = Count(int(e.course_id.nunique()), n_courses, "all courses")
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
        "Table 8. Adverse and paradoxical events",
        [
            ("event", "Event (morphology)"),
            ("events", "Events"),
            ("courses", "Courses with ≥ 1, n/N (%)"),
            ("ci", "95% CI (%)"),
        ],  # fmt: skip
        _event_rows(on, len(outcomes)),
        [
            "Events from the first dose to the stop (or last follow-up). Paradoxical events "
            "dated after the stop are not counted here (see the notes). Free-text "
            "descriptions are not printed. CI: Wilson score interval (Wilson 1927).",
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
    add("on_treatment", "Weeks on treatment, median (IQR)", median_cell(on, "weeks"),
        "all courses; ongoing courses to the last follow-up")  # fmt: skip
    total = float(o.weeks_on_treatment.fillna(0).sum())
    add("course_weeks", "Total time on treatment", Cell(f"{fmt(total)} course-weeks "
        f"({fmt(total / 52.1775)} course-years)"), "sum over courses")  # fmt: skip
    d = endpoint_data(o, "drug_survival")
    rev = kaplan_meier(d.duration, ~d.event, ci).median(median)
    add("potential", "Potential follow-up, reverse Kaplan–Meier median (95% CI)",
        Cell(f"{rev.text()} weeks", count=len(d), masked=lambda k: f"not shown (n<{k})"),
        "Schemper & Smith 1996: stops censored, ongoing courses as events")  # fmt: skip
    after = pd.concat([o.relapse_followup_weeks, o.weeks_to_recorded_relapse], axis=1).max(axis=1)
    after = after[_flag(o.stopped)]
    add("after_stop", "Weeks observed after the stop, median (IQR)",
        median_cell(median_iqr(after, quantile), "weeks"),  # type: ignore[arg-type]
        "stopped courses with a visit or relapse after the stop")  # fmt: skip
    add("ongoing", "Courses ongoing at the last follow-up", count_cell(
        count(~_flag(o.stopped), "all courses")), "all courses")  # fmt: skip
    return ReportTable(
        "followup",
        "Table 9. Follow-up",
        [("item", "Follow-up"), ("value", "Value"), ("note", "Over")],
        rows,
        ["STROBE item 14c. Quartiles by the report's quantile method."],
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
        ("loss_of_pasi50", "Loss of PASI50 (case series; 'time to lose PASI50')"),
        (
            "half_of_best",
            "Loss of half the best improvement (NPF/EMEA; "
            f"{options.half_of_best_loss.replace('_', ' ')})",
        ),
    ):
        o = outcomes.assign(relapse=outcomes[f"relapse_{defn}"],
                            weeks_to_relapse=outcomes[f"weeks_to_relapse_{defn}"])  # fmt: skip
        c = count(o.relapse, "eligible courses")
        d = endpoint_data(o, "relapse_free")
        m = kaplan_meier(d.duration, d.event, ci).median(median) if len(d) else None
        rows.append(
            Row(
                defn,
                {
                    "definition": Cell(label + (" – headline" if defn ==
                                                options.relapse_definition else "")),
                    "relapse": count_cell(c),
                    "unknown": n_cell(c.unknown),
                    "km": Cell(DASH if m is None else f"{m.text()} weeks", count=len(d) or None,
                               masked=lambda k: f"not shown (n<{k})"),
                },
            )
        )  # fmt: skip
    foot = [
        "STROBE item 17: the relapse result under the second definition. Both are computed "
        "from the same visits (Papp 2006 Table 1); the headline one is set by "
        "--relapse-definition. Unknown: stopped without later follow-up, not responding at "
        "the stop, or ongoing."
    ]
    if abstracted:
        foot.append(
            "Abstracted data record only the relapse week the source used (here loss of "
            "PASI50); the other definition needs visits and is unknown."
        )
    return ReportTable(
        "sensitivity",
        "Table 10. Sensitivity analysis: relapse under both definitions",
        [
            ("definition", "Relapse definition"),
            ("relapse", "Relapsed, n/N (%)"),
            ("unknown", "Unknown"),
            ("km", "Relapse-free time, KM median (95% CI)"),
        ],  # fmt: skip
        rows,
        foot,
    )

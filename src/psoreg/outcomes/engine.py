"""Per-course outcomes, each definition written once as an Ibis expression.

The expressions only use portable relational operations (filters, joins, grouped conditional
aggregates, ``row_number``/``lead`` windows), so the same code runs on DuckDB (the embedded
default) and on Spark or a SQL server. Definitions and their sources: :mod:`.options`.

Improvement at a visit is ``(PASI₀ − PASI_t) / PASI₀ × 100`` (undefined for PASI₀ = 0); "PASI X
reached" is improvement ≥ X. Comparisons carry a 1e-9 tolerance so that, e.g., 20 → 5 counts as
exactly 75%. "On therapy" is ``0 < week ≤ stop_week`` (or any later week for ongoing courses);
"after stopping" is ``week > stop_week``.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from psoreg.cohort import MILESTONES
from psoreg.model.vocab import FAILURE_STOP_REASONS
from psoreg.outcomes.options import REBOUND_MONTHS, OutcomeOptions

EPS = 1e-9
RESPONSE_LEVELS = (50, 75, 90)
ABSOLUTE_TARGETS = (2, 3)


@dataclass(frozen=True)
class Tables:
    """The engine's input tables (Ibis expressions on any backend)."""

    courses: ir.Table
    assessments: ir.Table
    milestones: ir.Table
    events: ir.Table
    relapses: ir.Table
    drug_weeks: ir.Table  # drug, response_week


def _earliest(a: ir.Value, b: ir.Value) -> ir.Value:
    """The earlier of two nullable weeks (either may be missing), portable across backends."""
    return ibis.coalesce(ibis.least(a, b), a, b)


def _visits(t: Tables, opts: OutcomeOptions) -> tuple[ir.Table, ir.Table]:
    """Courses with their baseline, and every visit annotated with improvement and phase."""
    c, a = t.courses, t.assessments.filter(t.assessments.pasi.notnull())
    pre = a.filter((a.week <= 0) & (a.week >= -opts.baseline_lookback_weeks))
    derived = pre.group_by("course_id").aggregate(derived_baseline=pre.pasi.argmax(pre.week))
    ad = t.assessments.filter(t.assessments.dlqi.notnull())
    pre_d = ad.filter((ad.week <= 0) & (ad.week >= -opts.baseline_lookback_weeks))
    derived_d = pre_d.group_by("course_id").aggregate(derived_dlqi=pre_d.dlqi.argmax(pre_d.week))
    cb = c.left_join(derived, "course_id").select(
        *[c[name] for name in c.columns if name not in ("baseline_pasi", "baseline_dlqi")],
        c.baseline_dlqi,
        baseline_pasi=ibis.coalesce(c.baseline_pasi, derived.derived_baseline),
    )
    cb = cb.left_join(derived_d, "course_id").select(
        *[cb[name] for name in cb.columns if name != "baseline_dlqi"],
        baseline_dlqi=ibis.coalesce(cb.baseline_dlqi.cast("float64"), derived_d.derived_dlqi),
    )
    cb = cb.mutate(**_rebound_windows(cb, opts))
    v = a.join(cb.select("course_id", "stop_week", baseline="baseline_pasi"), "course_id")
    v = v.mutate(
        impr=(v.baseline - v.pasi) / v.baseline.nullif(0) * 100,
        on_therapy=(v.week > 0) & (v.stop_week.isnull() | (v.week <= v.stop_week)),
        after_stop=v.stop_week.notnull() & (v.week > v.stop_week),
    )
    return cb, v


def _rebound_windows(cb: ir.Table, opts: OutcomeOptions) -> dict[str, ir.Value]:
    """Each course's NPF and EMEA rebound windows, in weeks after the stop.

    In days (``rebound_days_npf``/``_ema`` / 7), or, with ``rebound_window_unit =
    "calendar_months"`` and a known start date, the days from the stop date to the same day 3
    (2) calendar months later (clamped to the month's end, as DuckDB and Spark add months).
    """
    out: dict[str, ir.Value] = {}
    for defn, months in REBOUND_MONTHS.items():
        days = ibis.literal(float(opts.rebound_days(defn)))
        if opts.rebound_window_unit == "calendar_months":
            stop = cb.start_date.cast("date") + (cb.stop_week * 7).round().cast(
                "int64"
            ).as_interval("D")
            cal = (stop + ibis.interval(months=months)).delta(stop, unit="day").cast("float64")
            days = ibis.coalesce(cal, days)
        out[f"rebound_window_{defn}"] = days / 7
    return out


def _reached(v: ir.Table, level: float) -> ir.BooleanValue:
    return v.impr + EPS >= level


def _visit_summary(v: ir.Table) -> ir.Table:
    """Per course: first week of each response level, best and last on-therapy improvement."""
    on = v.on_therapy
    aggs: dict[str, ir.Value] = {
        f"d_pasi{lvl}": v.week.min(where=on & _reached(v, lvl)) for lvl in RESPONSE_LEVELS
    }
    aggs["d_pasi100"] = v.week.min(where=on & (v.pasi == 0) & (v.baseline > 0))
    for n in ABSOLUTE_TARGETS:
        aggs[f"d_pasi_le{n}"] = v.week.min(where=on & (v.pasi <= n + EPS))
    aggs.update(
        n_visits=v.count(),
        n_on_therapy=on.cast("int64").sum(),
        n_after_stop=v.after_stop.cast("int64").sum(),
        best_improvement=v.impr.max(where=on),
        last_on_week=v.week.max(where=on),
        last_after_stop_week=v.week.max(where=v.after_stop),
        last_week=v.week.max(),
    )
    s = v.group_by("course_id").aggregate(**aggs)
    # the improvement at the last on-therapy visit (state at the stop)
    last = v.filter(v.on_therapy).join(s.select("course_id", "last_on_week"), "course_id")
    last = last.filter(last.week == last.last_on_week)
    last = last.group_by("course_id").aggregate(last_on_improvement=last.impr.min())
    return s.left_join(last, "course_id").select(
        *[s[name] for name in s.columns], last.last_on_improvement
    )


def _secondary_failure(v: ir.Table, s: ir.Table, opts: OutcomeOptions) -> ir.Table:
    """First on-therapy week PASI50 is lost after having been reached (optionally confirmed)."""
    on = v.filter(v.on_therapy).join(s.select("course_id", "d_pasi50"), "course_id")
    on = on.mutate(lost=(on.week > on.d_pasi50) & (on.impr + EPS < 50))
    w = ibis.window(group_by="course_id", order_by="week")
    on = on.mutate(next_lost=on.lost.lead().over(w))
    cond = (
        on.lost & on.next_lost.fill_null(False) if opts.secondary_failure_confirmation else on.lost
    )
    return on.group_by("course_id").aggregate(d_secondary_failure=on.week.min(where=cond))


def _after_stop(v: ir.Table, s: ir.Table, cb: ir.Table, opts: OutcomeOptions) -> ir.Table:
    """Relapse under both definitions and PASI rebound, from visits after the stop."""
    x = v.filter(v.after_stop).join(
        s.select("course_id", "best_improvement", "last_on_improvement"), "course_id"
    )
    x = x.join(cb.select("course_id", "rebound_window_npf", "rebound_window_ema"), "course_id")
    elig50 = x.last_on_improvement + EPS >= 50
    half = 0.5 * x.best_improvement
    if opts.half_of_best_loss == "at_least_half":  # NPF: losing exactly half counts
        lost_half = x.impr <= half + EPS
        kept_half = x.last_on_improvement > half + EPS
    else:  # EMEA: more than half must be lost
        lost_half = x.impr + EPS < half
        kept_half = x.last_on_improvement + EPS >= half
    elig_half = (x.best_improvement + EPS >= 50) & kept_half
    since = x.week - x.stop_week
    rebound_pasi = (x.baseline > 0) & (x.pasi + EPS >= opts.rebound_pasi_ratio * x.baseline)
    if opts.rebound_zero_baseline == "any_pasi":
        rebound_pasi = rebound_pasi | ((x.baseline == 0) & (x.pasi > 0))
    return x.group_by("course_id").aggregate(
        d_relapse_loss_of_pasi50=x.week.min(where=elig50 & (x.impr + EPS < 50)),
        d_relapse_half_of_best=x.week.min(where=elig_half & lost_half),
        eligible_loss_of_pasi50=elig50.any(),
        eligible_half_of_best=elig_half.any(),
        pasi_rebound_npf=(rebound_pasi & (since <= x.rebound_window_npf + EPS)).any(),
        pasi_rebound_ema=(rebound_pasi & (since <= x.rebound_window_ema + EPS)).any(),
    )


def _primary_visit(v: ir.Table, cb: ir.Table, t: Tables, opts: OutcomeOptions) -> ir.Table:
    """The on-therapy visit nearest the primary week within its window (ties: the earlier)."""
    pw = cb.select("course_id", "drug")
    if opts.primary_week_by_drug:
        dw = t.drug_weeks
        pw = pw.left_join(dw, pw.drug == dw.drug).select(
            pw.course_id,
            target_week=ibis.coalesce(dw.response_week.cast("float64"), opts.primary_week),
        )
    else:
        pw = pw.select("course_id", target_week=ibis.literal(float(opts.primary_week)))
    cand = v.filter(v.on_therapy).join(pw, "course_id")
    cand = cand.filter(
        (cand.week >= cand.target_week - opts.window_before)
        & (cand.week <= cand.target_week + opts.window_after)
    )
    cand = cand.mutate(dist=(cand.week - cand.target_week).abs())
    rank = ibis.row_number().over(group_by="course_id", order_by=[cand.dist, cand.week])
    cand = cand.mutate(rank=rank).filter(lambda t_: t_.rank == 0)
    prim = cand.select(
        "course_id",
        primary_visit_week="week",
        improvement_at_primary="impr",
        dlqi_at_primary="dlqi",
    )
    return pw.left_join(prim, "course_id").select(
        pw.course_id,
        pw.target_week,
        prim.primary_visit_week,
        prim.improvement_at_primary,
        prim.dlqi_at_primary,
    )


def _recorded(t: Tables) -> ir.Table:
    m = t.milestones
    return m.group_by("course_id").aggregate(
        n_milestones=m.count(), **{f"r_{k}": m.week.min(where=m.milestone == k) for k in MILESTONES}
    )


def _rebound_morphology(tbl: ir.Table, defn: str) -> ir.BooleanValue:
    """NPF: new generalised pustular or erythrodermic; EMEA: new pustular of any kind
    (palmoplantar and localised included) or erythrodermic (Papp 2006 Table 1)."""
    rb = tbl.rebound_morphology.fill_null(False)
    return rb if defn == "npf" else rb | tbl.pustular.fill_null(False)


def _events(t: Tables, cb: ir.Table, opts: OutcomeOptions) -> ir.Table:
    e = t.events.join(
        cb.select("course_id", "stop_week", "rebound_window_npf", "rebound_window_ema"),
        "course_id",
    )
    since = e.week - e.stop_week
    after = e.stop_week.notnull() & (since > 0)
    par_any = e.kind == "paradoxical"
    par_after = par_any & after
    par = par_any if opts.paradoxical_after_stop == "count" else par_any & ~after
    rebound = {
        f"event_rebound_{d}": (
            _rebound_morphology(e, d) & after & (since <= e[f"rebound_window_{d}"] + EPS)
        ).any()
        for d in REBOUND_MONTHS
    }
    return e.group_by("course_id").aggregate(
        n_paradoxical_events=par.cast("int64").sum(),
        n_paradoxical_after_stop=par_after.cast("int64").sum(),
        n_adverse_events=(e.kind == "adverse").cast("int64").sum(),
        week_paradoxical_event=e.week.min(where=par),
        paradoxical_morphology=e.morphology.argmin(e.week, where=par),
        **rebound,
    )


def _relapse_episodes(t: Tables, cb: ir.Table, opts: OutcomeOptions) -> ir.Table:
    r = t.relapses.join(
        cb.select("course_id", "rebound_window_npf", "rebound_window_ema"), "course_id"
    )
    rebound = {
        f"episode_rebound_{d}": (
            _rebound_morphology(r, d) & (r.weeks_after_stop <= r[f"rebound_window_{d}"] + EPS)
        ).any()
        for d in REBOUND_MONTHS
    }
    return r.group_by("course_id").aggregate(
        weeks_to_recorded_relapse=r.weeks_after_stop.min(),
        relapse_morphology=r.morphology.argmin(r.weeks_after_stop),
        relapse_pustular=r.pustular.any(),
        **rebound,
    )


def outcome_expr(t: Tables, opts: OutcomeOptions | None = None) -> ir.Table:
    """The per-course outcomes table as one Ibis expression."""
    opts = opts or OutcomeOptions()
    cb, v = _visits(t, opts)
    s = _visit_summary(v)
    parts = [
        s,
        _secondary_failure(v, s, opts),
        _after_stop(v, s, cb, opts),
        _primary_visit(v, cb, t, opts),
        _recorded(t),
        _events(t, cb, opts),
        _relapse_episodes(t, cb, opts),
    ]
    j = cb
    for p in parts:
        j = j.left_join(p, "course_id").drop("course_id_right")
    return _finish(j, opts)


def _finish(j: ir.Table, opts: OutcomeOptions) -> ir.Table:
    # Visit-level data decide where a course has any visit; recorded milestones otherwise.
    has_visits = j.n_visits.fill_null(0) > 0
    has_milestones = j.n_milestones.fill_null(0) > 0
    stopped = j.stop_week.notnull()
    cols: dict[str, ir.Value] = {}
    for lvl in (*RESPONSE_LEVELS, 100):
        cols[f"week_pasi{lvl}"] = _earliest(j[f"d_pasi{lvl}"], j[f"r_pasi{lvl}"])
    for n in ABSOLUTE_TARGETS:
        cols[f"week_pasi_le{n}"] = _earliest(j[f"d_pasi_le{n}"], j[f"r_pasi_le{n}"])
    j = j.mutate(**cols)

    window_end = j.target_week + opts.window_after
    first50 = ibis.coalesce(
        ibis.least(j.week_pasi50, j.week_pasi75, j.week_pasi90, j.week_pasi100),
        j.week_pasi50,
        j.week_pasi75,
        j.week_pasi90,
        j.week_pasi100,
    )
    visit_success = j.improvement_at_primary + EPS >= 75
    visit_minimal = j.improvement_at_primary + EPS >= 50
    dlqi_fall = j.baseline_dlqi - j.dlqi_at_primary.cast("float64")
    with_dlqi = opts.minimal_response_definition == "pasi50_dlqi"
    if with_dlqi:  # BAD: PASI50 and a DLQI fall of at least dlqi_mcid points
        visit_minimal = ibis.cases(
            (visit_minimal.isnull(), ibis.null("boolean")),
            (~visit_minimal, False),
            (dlqi_fall.isnull(), ibis.null("boolean")),
            else_=dlqi_fall + EPS >= opts.dlqi_mcid,
        )
    if opts.missing_primary_as_failure:
        visit_success = visit_success.fill_null(False)
        visit_minimal = visit_minimal.fill_null(False)
    # Abstracted records: a first-reached week within the window means the level was met there
    # (with the BAD definition the DLQI at that week is not recorded: unknown).
    rec_success = j.week_pasi75.notnull() & (j.week_pasi75 <= window_end)
    rec_minimal = ibis.cases(
        (first50.notnull() & (first50 <= window_end), ibis.null("boolean") if with_dlqi else True),
        (j.r_pasi50.notnull(), False),
        else_=ibis.null("boolean"),
    )
    minimal = ibis.ifelse(has_visits, visit_minimal, rec_minimal)

    def relapse(defn: str) -> dict[str, ir.Value]:
        week = _earliest(j[f"d_relapse_{defn}"], j[f"r_relapse_{defn}"])
        followed = j[f"eligible_{defn}"].fill_null(False) & j.last_after_stop_week.notnull()
        status = ibis.cases((week.notnull(), True), (followed, False), else_=ibis.null("boolean"))
        return {f"relapse_{defn}": status, f"weeks_to_relapse_{defn}": week - j.stop_week}

    rel = {**relapse("loss_of_pasi50"), **relapse("half_of_best")}

    def rebound(defn: str) -> ir.Value:
        hit = (
            j[f"pasi_rebound_{defn}"].fill_null(False)
            | j[f"event_rebound_{defn}"].fill_null(False)
            | j[f"episode_rebound_{defn}"].fill_null(False)
        )
        known = j.last_after_stop_week.notnull() | j.weeks_to_recorded_relapse.notnull()
        return ibis.cases(
            (~stopped, ibis.null("boolean")),
            (hit, True),
            (known, False),
            else_=ibis.null("boolean"),
        )

    failure_reasons = [r.value for r in FAILURE_STOP_REASONS]
    survival_event = (
        stopped
        if opts.survival_events == "any_stop"
        else stopped & j.stop_reason.isin(failure_reasons).fill_null(False)
    )
    sf_week = _earliest(j.d_secondary_failure, j.r_secondary_failure)
    out = j.mutate(
        source=ibis.cases(
            (has_visits & has_milestones, "mixed"),
            (has_visits, "visits"),
            (has_milestones, "abstracted"),
            else_="none",
        ),
        primary_week=j.target_week,
        treatment_success=ibis.ifelse(has_visits, visit_success, rec_success),
        minimal_response=minimal,
        primary_failure=~minimal,
        secondary_failure=sf_week.notnull(),
        week_secondary_failure=sf_week,
        stopped=stopped,
        weeks_on_treatment=ibis.coalesce(j.stop_week, j.followup_week, j.last_on_week),
        survival_event=survival_event,
        **rel,
        relapse_followup_weeks=j.last_after_stop_week - j.stop_week,
        rebound_npf=rebound("npf"),
        rebound_ema=rebound("ema"),
        paradoxical_event=j.n_paradoxical_events.fill_null(0) > 0,
        n_paradoxical_events=j.n_paradoxical_events.fill_null(0),
        n_adverse_events=j.n_adverse_events.fill_null(0),
        n_paradoxical_after_stop=j.n_paradoxical_after_stop.fill_null(0),
    )
    out = _with_recorded_relapses(out, has_milestones, opts)
    head = opts.relapse_definition
    out = out.mutate(
        relapse=out[f"relapse_{head}"],
        weeks_to_relapse=out[f"weeks_to_relapse_{head}"],
        relapse_source=out[f"relapse_source_{head}"],
        rebound=out[f"rebound_{opts.rebound_definition}"],
        relapse_pustular=out.relapse_pustular.fill_null(False),
    )
    return out.select(*OUTCOME_COLUMNS).order_by("course_id")


def _with_recorded_relapses(
    t: ir.Table, has_milestones: ir.BooleanValue, opts: OutcomeOptions
) -> ir.Table:
    """The last step: a relapse episode the clinic recorded counts as a relapse under both
    definitions (``recorded_relapse="counts"``), at the earlier of its week and the week the
    PASI shows it; ``relapse_source_<definition>`` says which: ``pasi``, ``recorded`` or
    ``pasi and recorded``. Abstracted records are left as they are: their episodes only carry
    the morphology of the relapse milestone the chart review recorded."""
    rec = ibis.ifelse(has_milestones, ibis.null("float64"), t.weeks_to_recorded_relapse)
    cols: dict[str, ir.Value] = {}
    for defn in ("loss_of_pasi50", "half_of_best"):
        derived = t[f"weeks_to_relapse_{defn}"]
        counts = rec.notnull() if opts.recorded_relapse == "counts" else ibis.literal(False)
        cols[f"relapse_source_{defn}"] = ibis.cases(
            (derived.notnull() & counts, "pasi and recorded"),
            (derived.notnull(), "pasi"),
            (counts, "recorded"),
            else_=ibis.null("string"),
        )
        if opts.recorded_relapse == "counts":
            cols[f"relapse_{defn}"] = ibis.ifelse(rec.notnull(), True, t[f"relapse_{defn}"])
            cols[f"weeks_to_relapse_{defn}"] = _earliest(derived, rec)
    return t.mutate(**cols)


OUTCOME_COLUMNS = (
    "course_id",
    "patient_id",
    "drug",
    "regimen",
    "source",
    "baseline_pasi",
    "week_pasi50",
    "week_pasi75",
    "week_pasi90",
    "week_pasi100",
    "week_pasi_le2",
    "week_pasi_le3",
    "best_improvement",
    "primary_week",
    "primary_visit_week",
    "improvement_at_primary",
    "treatment_success",
    "minimal_response",
    "primary_failure",
    "secondary_failure",
    "week_secondary_failure",
    "stopped",
    "stop_week",
    "stop_reason",
    "weeks_on_treatment",
    "survival_event",
    "relapse",
    "weeks_to_relapse",
    "relapse_source",
    "relapse_loss_of_pasi50",
    "weeks_to_relapse_loss_of_pasi50",
    "relapse_half_of_best",
    "weeks_to_relapse_half_of_best",
    "relapse_followup_weeks",
    "weeks_to_recorded_relapse",
    "relapse_morphology",
    "relapse_pustular",
    "rebound",
    "rebound_npf",
    "rebound_ema",
    "paradoxical_event",
    "n_paradoxical_events",
    "week_paradoxical_event",
    "paradoxical_morphology",
    "n_adverse_events",
    "n_paradoxical_after_stop",
    "baseline_dlqi",
    "dlqi_at_primary",
    "next_treatment",
)

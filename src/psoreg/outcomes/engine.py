"""Per-course outcomes, each definition written once as an Ibis expression.

The expressions only use portable relational operations (filters, joins, grouped conditional
aggregates, structs and lists with their ``min``/``max``/``filter``/``map``, a ``lead`` window),
so the same code runs on DuckDB (the embedded default) and on Spark. Definitions and their
sources: :mod:`.options`.

They read the visits once: one join of every visit with its course (baseline, stop), then one
grouped pass that yields every per-course value the visits decide (:func:`_visit_summary`).
Events, relapse episodes and recorded milestones are aggregated once each; the per-course parts
are then joined to the courses and combined (:func:`_resolve`, :func:`_finish`). Only the
``secondary_failure_confirmation`` option reads the visits a second time (a window over them).

Improvement at a visit is ``(PASI₀ − PASI_t) / PASI₀ × 100`` (undefined for PASI₀ = 0); "PASI X
reached" is improvement ≥ X. Comparisons carry a 1e-9 tolerance so that, e.g., 20 → 5 counts as
exactly 75%. "On therapy" is ``0 < week ≤ stop_week`` (or any later week for ongoing courses);
"after stopping" is ``week > stop_week``.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from psoreg.cohort import MILESTONES
from psoreg.model.vocab import FAILURE_STOP_REASONS
from psoreg.outcomes.options import REBOUND_MONTHS, OutcomeOptions

EPS = 1e-9
RESPONSE_LEVELS = (50, 75, 90)
ABSOLUTE_TARGETS = (2, 3)


def duckdb_backend(**config: object) -> object:
    """An Ibis DuckDB connection that runs these expressions as they are.

    Ibis 12 writes list lambdas as ``x -> ...``, which DuckDB 2.0 runs only when asked
    (``lambda_syntax``). psoreg's own runs use the compiled SQL, which is rewritten to
    ``lambda x: ...`` (:func:`psoreg.outcomes.compiled.duckdb_lambdas`), and need no setting.
    """
    con = ibis.duckdb.connect(**config)
    con.raw_sql("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
    return con


_VISIT = dt.Struct({"week": dt.float64, "impr": dt.float64, "dlqi": dt.float64})


@ibis.udf.agg.builtin(name="max_by")
def _max_by(arg: float, key: float) -> float:
    """``arg`` at the row with the greatest ``key`` (DuckDB ``arg_max``, Spark ``max_by``); a
    native aggregate, unlike Ibis' ``argmax`` (an ordered ``first``, ten times slower on DuckDB).
    DuckDB skips rows whose ``arg`` is null: give it no nulls that matter (wrap in a struct)."""


@ibis.udf.agg.builtin(name="max_by")
def _max_by_visit(arg: _VISIT, key: float) -> _VISIT:
    """:func:`_max_by` of a visit's improvement and DLQI (either may be null)."""


@ibis.udf.agg.builtin(name="min_by")
def _min_by_visit(arg: _VISIT, key: float) -> _VISIT:
    """``arg`` at the row with the least ``key``: see :func:`_max_by`."""


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


def _num(x: float) -> ir.FloatingValue:
    """An option's number as a DOUBLE literal (a bare ``2.0`` is a DECIMAL in DuckDB's SQL)."""
    return ibis.literal(float(x), type="float64")


def _latest(t: ir.Table, where: ir.BooleanValue, **fields: ir.Value) -> ir.StructValue:
    """The latest of the rows ``where`` holds, as a struct of ``week`` and ``fields`` (on a tied
    week, the greatest ``fields``): a maximum of structs, one pass, the same on every backend."""
    return ibis.ifelse(where, ibis.struct({"week": t.week, **fields}), None).max()


def _courses(t: Tables, opts: OutcomeOptions) -> ir.Table:
    """Every course with its baseline PASI and DLQI, rebound windows and primary week.

    A baseline not stated on the course is the last visit in the look-back window before the
    first dose (``-lookback <= week <= 0``), for PASI and for DLQI apart: one grouped pass over
    those few visits.
    """
    c, a = t.courses, t.assessments
    pre = a.filter((a.week <= 0) & (a.week >= -opts.baseline_lookback_weeks))
    derived = pre.group_by("course_id").aggregate(
        pasi=_max_by(pre.pasi, pre.week, where=pre.pasi.notnull()),
        dlqi=_max_by(pre.dlqi, pre.week, where=pre.dlqi.notnull()),
    )
    cb = c.left_join(derived, "course_id").select(
        *[c[name] for name in c.columns if name not in ("baseline_pasi", "baseline_dlqi")],
        baseline_pasi=ibis.coalesce(c.baseline_pasi, derived.pasi),
        baseline_dlqi=ibis.coalesce(c.baseline_dlqi.cast("float64"), derived.dlqi),
    )
    cb = cb.mutate(**_rebound_windows(cb, opts))
    if opts.primary_week_by_drug:
        dw = t.drug_weeks
        cb = cb.left_join(dw, cb.drug == dw.drug).select(
            *[cb[name] for name in cb.columns],
            target_week=ibis.coalesce(dw.response_week.cast("float64"), _num(opts.primary_week)),
        )
    else:
        cb = cb.mutate(target_week=_num(opts.primary_week))
    return cb


def _visits(t: Tables, cb: ir.Table, opts: OutcomeOptions) -> ir.Table:
    """Every visit with a PASI, annotated with its course's baseline, improvement and phase."""
    a = t.assessments.filter(t.assessments.pasi.notnull())
    keep = ["course_id", "stop_week", "baseline_pasi"]
    if opts.primary_week_by_drug:
        keep.append("target_week")
    v = a.join(cb.select(*keep), "course_id").rename(baseline="baseline_pasi")
    return v.mutate(
        impr=(v.baseline - v.pasi) / v.baseline.nullif(0) * 100,
        on_therapy=(v.week > 0) & (v.stop_week.isnull() | (v.week <= v.stop_week)),
        after_stop=v.stop_week.notnull() & (v.week > v.stop_week),
    )


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


def _lost50(v: ir.Table) -> ir.BooleanValue:
    return v.impr + EPS < 50


def _visit_summary(v: ir.Table, opts: OutcomeOptions) -> ir.Table:
    """One grouped pass over the visits: everything per course that the visits decide.

    Comparisons of a visit with a per-course value found in the same pass (a loss after the
    first PASI50 week; after the stop, a loss of PASI50 or of half the best improvement, which
    is at most 50) need the visits below PASI50: they are kept as a short list per course and
    resolved by :func:`_resolve`, so the visits are read once.
    """
    on, after = v.on_therapy, v.after_stop
    aggs: dict[str, ir.Value] = {
        f"d_pasi{lvl}": _first_week(v, on & _reached(v, lvl)) for lvl in RESPONSE_LEVELS
    }
    aggs["d_pasi100"] = _first_week(v, on & (v.pasi == 0) & (v.baseline > 0))
    for n in ABSOLUTE_TARGETS:
        aggs[f"d_pasi_le{n}"] = _first_week(v, on & (v.pasi <= n + EPS))
    aggs.update(
        n_visits=v.count(),
        best_improvement=ibis.ifelse(on, v.impr, None).max(),
        last_after_stop_week=ibis.ifelse(after, v.week, None).max(),
        # the last on-therapy visit, the one with the highest PASI on a tied day (the lowest
        # improvement: for a baseline > 0 improvement falls as PASI rises)
        last_on=_latest(v, on, pasi=v.pasi),
        # the visits after the first dose below PASI50 (+ EPS), whatever the phase
        below50=ibis.ifelse(
            (v.week > 0) & (v.impr <= 50 + EPS), ibis.struct({"week": v.week, "impr": v.impr}), None
        ).collect(),
        # PASI rebound: the first week after the stop at >= ratio x baseline, counted from it
        rebound_pasi_since=ibis.ifelse(
            after & _rebound_pasi(v, opts), v.week - v.stop_week, None
        ).min(),
        **_primary_candidates(v, opts),
    )
    return v.group_by("course_id").aggregate(**aggs)


def _first_week(v: ir.Table, where: ir.BooleanValue) -> ir.FloatingValue:
    """The first week at which ``where`` holds (a CASE, cheaper than a FILTER on DuckDB)."""
    return ibis.ifelse(where, v.week, None).min()


def _rebound_pasi(v: ir.Table, opts: OutcomeOptions) -> ir.BooleanValue:
    """A visit at or above ``rebound_pasi_ratio`` x baseline (Papp 2006)."""
    hit = (v.baseline > 0) & (v.pasi + EPS >= opts.rebound_pasi_ratio * v.baseline)
    if opts.rebound_zero_baseline == "any_pasi":
        hit = hit | ((v.baseline == 0) & (v.pasi > 0))
    return hit


def _primary_candidates(v: ir.Table, opts: OutcomeOptions) -> dict[str, ir.Value]:
    """The on-therapy visits nearest the primary week within its window: the latest at or
    before it and the earliest after it (:func:`_resolve` picks the nearer, ties the earlier)."""
    target = v.target_week if opts.primary_week_by_drug else _num(opts.primary_week)
    window = v.on_therapy & (v.week >= target - _num(opts.window_before))
    window = window & (v.week <= target + _num(opts.window_after))
    visit = ibis.struct({"week": v.week, "impr": v.impr, "dlqi": v.dlqi})
    return {
        "before": _max_by_visit(visit, v.week, where=window & (v.week <= target)),
        "after": _min_by_visit(visit, v.week, where=window & (v.week > target)),
    }


def _secondary_failure_confirmed(v: ir.Table, s: ir.Table) -> ir.Table:
    """With confirmation: the first on-therapy week PASI50 is lost after having been reached
    and the next on-therapy visit is lost too (a second read of the visits, with a window)."""
    on = v.filter(v.on_therapy).join(s.select("course_id", "d_pasi50"), "course_id")
    on = on.mutate(lost=(on.week > on.d_pasi50) & (on.impr + EPS < 50))
    w = ibis.window(group_by="course_id", order_by="week")
    on = on.mutate(next_lost=on.lost.lead().over(w))
    cond = on.lost & on.next_lost.fill_null(False)
    return on.group_by("course_id").aggregate(d_secondary_failure=on.week.min(where=cond))


def _resolve(j: ir.Table, opts: OutcomeOptions) -> ir.Table:
    """Per course, what the visit summary left to combine with the course's own values."""
    # the primary assessment: the nearer of the two candidates, the earlier on a tie
    target, before, later = j.target_week, j.before, j.after
    use_before = before.notnull() & (
        later.isnull() | ((before["week"] - target).abs() <= (later["week"] - target).abs())
    )
    primary = ibis.ifelse(use_before, before, later)
    last_on_week = j.last_on["week"]
    last_on_impr = (j.baseline_pasi - j.last_on["pasi"]) / j.baseline_pasi.nullif(0) * 100
    # relapse (Papp 2006 Table 1): eligible when the state at the stop still met the level
    best = j.best_improvement
    half = 0.5 * best
    if opts.half_of_best_loss == "at_least_half":  # NPF: losing exactly half counts
        kept_half = last_on_impr > half + EPS
        lost_half = lambda x: x["impr"] <= half + EPS  # noqa: E731
    else:  # EMEA: more than half must be lost
        kept_half = last_on_impr + EPS >= half
        lost_half = lambda x: x["impr"] + EPS < half  # noqa: E731
    elig50 = last_on_impr + EPS >= 50
    elig_half = (best + EPS >= 50) & kept_half
    stop = j.stop_week
    after = j.below50.filter(lambda x: stop.notnull() & (x["week"] > stop))

    def first(visits: ir.ArrayValue) -> ir.FloatingValue:
        return visits.map(lambda x: x["week"]).mins()

    cols: dict[str, ir.Value] = {
        "primary_visit_week": primary["week"],
        "improvement_at_primary": primary["impr"],
        "dlqi_at_primary": primary["dlqi"],
        "last_on_week": last_on_week,
        "last_on_improvement": last_on_impr,
        "d_relapse_loss_of_pasi50": ibis.cases(
            (elig50, first(after.filter(lambda x: x["impr"] + EPS < 50))), else_=None
        ),
        "d_relapse_half_of_best": ibis.cases(
            (elig_half, first(after.filter(lost_half))), else_=None
        ),
        "eligible_loss_of_pasi50": elig50,
        "eligible_half_of_best": elig_half,
    }
    for defn in REBOUND_MONTHS:
        cols[f"pasi_rebound_{defn}"] = j.rebound_pasi_since <= j[f"rebound_window_{defn}"] + EPS
    if not opts.secondary_failure_confirmation:
        # PASI50 reached, then lost on therapy: the first visit below it after the first reached
        lost = j.below50.filter(
            lambda x: (
                (x["week"] > j.d_pasi50)
                & (stop.isnull() | (x["week"] <= stop))
                & (x["impr"] + EPS < 50)
            )
        )
        cols["d_secondary_failure"] = first(lost)
    return j.mutate(**cols)


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
    """The per-course outcomes table as one Ibis expression.

    The visits are read once (one join with their course, one grouped pass: see
    :func:`_visit_summary`); events, relapse episodes and recorded milestones once each.
    """
    opts = opts or OutcomeOptions()
    cb = _courses(t, opts)
    v = _visits(t, cb, opts)
    s = _visit_summary(v, opts)
    parts = [s, _recorded(t), _events(t, cb, opts), _relapse_episodes(t, cb, opts)]
    if opts.secondary_failure_confirmation:
        parts.append(_secondary_failure_confirmed(v, s))
    j = cb
    for p in parts:
        j = j.left_join(p, "course_id").drop("course_id_right")
    return _finish(_resolve(j, opts), opts)


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

"""A small, obviously-correct reference implementation of the outcome definitions.

Plain Python, one course at a time, written from the definitions in
``psoreg.outcomes.options`` without looking at the engine's relational form. The property tests
check the Ibis engine against it on random trajectories (visit-level data and events).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math

import pandas as pd

from psoreg.outcomes.options import OutcomeOptions

EPS = 1e-9

#: The engine's columns the oracle computes (and the tests compare).
ORACLE_COLUMNS = (
    "course_id", "baseline_pasi", "week_pasi50", "week_pasi75", "week_pasi90", "week_pasi100",
    "week_pasi_le2", "week_pasi_le3", "best_improvement", "primary_visit_week",
    "improvement_at_primary", "treatment_success", "minimal_response", "primary_failure",
    "secondary_failure", "week_secondary_failure", "stopped", "weeks_on_treatment",
    "relapse_loss_of_pasi50", "weeks_to_relapse_loss_of_pasi50", "relapse_half_of_best",
    "weeks_to_relapse_half_of_best", "relapse_followup_weeks", "relapse", "weeks_to_relapse",
    "relapse_source", "rebound_npf", "rebound_ema",
    "paradoxical_event", "week_paradoxical_event", "n_paradoxical_after_stop", "baseline_dlqi",
    "dlqi_at_primary",
)  # fmt: skip

MONTHS = {"npf": 3, "ema": 2}


def add_months(d: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later, clamped to the month's last day."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def window_weeks(c, stop: float | None, o: OutcomeOptions, defn: str) -> float:  # noqa: ANN001
    """The rebound window in weeks: days / 7, or calendar months from the stop date."""
    days = o.rebound_days(defn)
    start = getattr(c, "start_date", None)
    if o.rebound_window_unit == "calendar_months" and stop is not None and not pd.isna(start):
        stop_date = pd.Timestamp(start).date() + dt.timedelta(days=round(stop * 7))
        days = (add_months(stop_date, MONTHS[defn]) - stop_date).days
    return days / 7


def _num(x: object) -> float | None:
    return None if x is None or pd.isna(x) else float(x)  # type: ignore[arg-type]


def reference_outcomes(cohort, options: OutcomeOptions | None = None) -> pd.DataFrame:  # noqa: ANN001
    """Per-course outcomes for visit-level cohorts (no recorded milestones)."""
    o = options or OutcomeOptions()
    visits: dict[str, list[tuple[float, float]]] = {}
    dlqis: dict[str, list[tuple[float, float | None]]] = {}
    for a in cohort.assessments.itertuples():
        if _num(a.pasi) is not None:
            visits.setdefault(a.course_id, []).append((float(a.week), float(a.pasi)))
        dlqis.setdefault(a.course_id, []).append((float(a.week), _num(a.dlqi)))
    events: dict[str, list] = {}
    for e in cohort.events.itertuples():
        events.setdefault(e.course_id, []).append(e)
    episodes: dict[str, list] = {}
    for r in cohort.relapses.itertuples():
        episodes.setdefault(r.course_id, []).append(r)
    rows = [
        _course(c, sorted(visits.get(c.course_id, [])), events.get(c.course_id, []),
                episodes.get(c.course_id, []), o, dict(dlqis.get(c.course_id, [])))
        for c in cohort.courses.itertuples()
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=list(ORACLE_COLUMNS)).sort_values("course_id")


def _course(c, visits, events, episodes, o: OutcomeOptions, dlqi) -> dict:  # noqa: ANN001, C901
    stop = _num(c.stop_week)
    base = _num(c.baseline_pasi)
    if base is None:
        pre = [(w, p) for w, p in visits if -o.baseline_lookback_weeks <= w <= 0]
        base = pre[-1][1] if pre else None  # visits are sorted by week: the last one
    base_dlqi = _num(getattr(c, "baseline_dlqi", None))
    if base_dlqi is None:
        pre_d = sorted((w, d) for w, d in dlqi.items()
                       if d is not None and -o.baseline_lookback_weeks <= w <= 0)  # fmt: skip
        base_dlqi = pre_d[-1][1] if pre_d else None

    def impr(p: float) -> float | None:
        return None if not base else (base - p) / base * 100

    def reached(p: float, level: float) -> bool:
        i = impr(p)
        return i is not None and i + EPS >= level

    on = [(w, p) for w, p in visits if w > 0 and (stop is None or w <= stop)]
    after = [(w, p) for w, p in visits if stop is not None and w > stop]

    def first(pred) -> float | None:  # noqa: ANN001
        return next((w for w, p in on if pred(p)), None)

    r: dict = {"course_id": c.course_id, "baseline_pasi": base, "baseline_dlqi": base_dlqi}
    for lvl in (50, 75, 90):
        r[f"week_pasi{lvl}"] = first(lambda p, lvl=lvl: reached(p, lvl))
    r["week_pasi100"] = first(lambda p: p == 0 and bool(base) and base > 0)
    r["week_pasi_le2"] = first(lambda p: p <= 2 + EPS)
    r["week_pasi_le3"] = first(lambda p: p <= 3 + EPS)
    imprs = [impr(p) for _, p in on if impr(p) is not None]
    best = max(imprs) if imprs else None
    r["best_improvement"] = best

    # primary assessment: nearest on-therapy visit in the window, ties -> the earlier
    wk = o.primary_week
    cands = [(abs(w - wk), w, p) for w, p in on if wk - o.window_before <= w <= wk + o.window_after]
    prim = min(cands) if cands else None
    r["primary_visit_week"] = prim[1] if prim else None
    r["improvement_at_primary"] = impr(prim[2]) if prim else None
    r["dlqi_at_primary"] = dlqi.get(prim[1]) if prim else None
    ip = r["improvement_at_primary"]
    if visits:
        succ = None if ip is None else ip + EPS >= 75
        mini = None if ip is None else ip + EPS >= 50
        if mini and o.minimal_response_definition == "pasi50_dlqi":  # BAD: and DLQI fall
            d_at = r["dlqi_at_primary"]
            mini = (
                None if d_at is None or base_dlqi is None else base_dlqi - d_at + EPS >= o.dlqi_mcid
            )
        if o.missing_primary_as_failure:
            succ, mini = bool(succ), bool(mini)
    else:  # no visits and no milestones: nothing reached
        succ = False
        mini = None
    r["treatment_success"] = succ
    r["minimal_response"] = mini
    r["primary_failure"] = None if mini is None else not mini

    # secondary failure: PASI50 reached, later lost on therapy (optionally confirmed next visit)
    w50 = r["week_pasi50"]
    lost = [w50 is not None and w > w50 and (impr(p) is not None and impr(p) + EPS < 50)
            for w, p in on]  # fmt: skip
    sf = None
    for i, (w, _) in enumerate(on):
        confirmed = lost[i + 1] if i + 1 < len(on) else False
        if lost[i] and (confirmed or not o.secondary_failure_confirmation):
            sf = w
            break
    r["secondary_failure"] = sf is not None
    r["week_secondary_failure"] = sf

    r["stopped"] = stop is not None
    r["weeks_on_treatment"] = (
        stop if stop is not None else _num(c.followup_week) if _num(c.followup_week) is not None
        else (on[-1][0] if on else None)
    )  # fmt: skip

    last_on = impr(on[-1][1]) if on else None
    npf = o.half_of_best_loss == "at_least_half"  # NPF "loss of 50%" vs EMEA "loss of >50%"

    def lost_half(i: float) -> bool:
        return best is not None and (i <= 0.5 * best + EPS if npf else i + EPS < 0.5 * best)

    elig = {
        "loss_of_pasi50": last_on is not None and last_on + EPS >= 50,
        "half_of_best": best is not None and best + EPS >= 50 and last_on is not None
        and not lost_half(last_on),
    }  # fmt: skip
    lost_after = {
        "loss_of_pasi50": lambda i: i + EPS < 50,
        "half_of_best": lost_half,
    }
    for d in ("loss_of_pasi50", "half_of_best"):
        week = None
        if elig[d]:
            week = next(
                (w for w, p in after if impr(p) is not None and lost_after[d](impr(p))), None
            )
        r[f"relapse_{d}"] = True if week is not None else (False if elig[d] and after else None)
        r[f"weeks_to_relapse_{d}"] = None if week is None else week - stop
        # a relapse episode the clinic recorded counts too, at the earlier week
        recorded = [float(x.weeks_after_stop) for x in episodes]
        counts = bool(recorded) and o.recorded_relapse == "counts"
        derived = r[f"weeks_to_relapse_{d}"]
        r[f"relapse_source_{d}"] = (
            ("pasi and recorded" if counts else "pasi") if derived is not None
            else ("recorded" if counts else None)
        )  # fmt: skip
        if counts:
            r[f"relapse_{d}"] = True
            r[f"weeks_to_relapse_{d}"] = min(
                [*recorded, *([derived] if derived is not None else [])]
            )
    head = o.relapse_definition
    r["relapse"] = r[f"relapse_{head}"]
    r["weeks_to_relapse"] = r[f"weeks_to_relapse_{head}"]
    r["relapse_source"] = r[f"relapse_source_{head}"]
    r["relapse_followup_weeks"] = after[-1][0] - stop if after else None

    def pasi_rebound(p: float) -> bool:
        if base is None:
            return False
        if base == 0:
            return o.rebound_zero_baseline == "any_pasi" and p > 0
        return p + EPS >= o.rebound_pasi_ratio * base

    def morph(x, d: str) -> bool:  # noqa: ANN001 - NPF: GPP/erythrodermic; EMEA: any pustular too
        rb = bool(x.rebound_morphology) if not pd.isna(x.rebound_morphology) else False
        pus = (
            bool(getattr(x, "pustular", False))
            if not pd.isna(getattr(x, "pustular", False))
            else False
        )
        return rb or (d == "ema" and pus)

    for d in ("npf", "ema"):
        win = (window_weeks(c, stop, o, d) if stop is not None else 0) + EPS
        hit = any(w - stop <= win and pasi_rebound(p) for w, p in after)
        hit |= any(morph(e, d) and stop is not None and 0 < e.week - stop <= win for e in events)
        hit |= any(morph(x, d) and x.weeks_after_stop <= win for x in episodes)
        known = bool(after) or bool(episodes)
        r[f"rebound_{d}"] = None if stop is None else (True if hit else (False if known else None))

    def after_stop(e) -> bool:  # noqa: ANN001
        return stop is not None and e.week > stop

    par_all = [e for e in events if e.kind == "paradoxical"]
    par = [e.week for e in par_all if o.paradoxical_after_stop == "count" or not after_stop(e)]
    r["paradoxical_event"] = bool(par)
    r["week_paradoxical_event"] = min(par) if par else None
    r["n_paradoxical_after_stop"] = sum(1 for e in par_all if after_stop(e))
    return r


def same(a: object, b: object, tol: float = 1e-6) -> bool:
    """Equal, treating None/NaN/NA alike and floats within a tolerance."""
    na, nb = a is None or pd.isna(a), b is None or pd.isna(b)  # type: ignore[arg-type]
    if na or nb:
        return na and nb
    if isinstance(a, bool | np_bool()) or isinstance(b, bool | np_bool()):
        return bool(a) == bool(b)
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=tol, abs_tol=tol)  # type: ignore[arg-type]


def np_bool() -> type:
    import numpy as np

    return np.bool_

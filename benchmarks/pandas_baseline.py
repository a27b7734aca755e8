"""The comparison point of the benchmark: a straightforward pandas implementation, one course at
a time (``groupby(...).apply``), of four of the engine's definitions with default options.

* ``week_pasi75`` – first on-therapy week with improvement ≥ 75 % from baseline;
* ``treatment_success`` – PASI75 at the on-therapy visit nearest week 12 within ±2 weeks;
* ``secondary_failure`` – PASI50 reached, later lost on therapy;
* ``relapse`` – after stopping, first visit with improvement < 50 % (loss of PASI50), among
  courses still at PASI50 at the stop; ``False`` when followed without relapse.

It reads the same Parquet files as the engine and gives the same values on them (the benchmark
checks this), so the timing compares like with like.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

EPS = 1e-9
PRIMARY_WEEK, WINDOW, LOOKBACK = 12.0, 2.0, 4.0
COLUMNS = ("week_pasi75", "treatment_success", "secondary_failure", "relapse")


def _course(g: pd.DataFrame) -> pd.Series:
    stop = g["stop_week"].iat[0]
    base = g["baseline_pasi"].iat[0]
    g = g.sort_values("week")
    if pd.isna(base):
        pre = g[(g.week <= 0) & (g.week >= -LOOKBACK)]
        base = pre.pasi.iat[-1] if len(pre) else np.nan
    impr = (base - g.pasi) / base * 100 if base and not pd.isna(base) else g.pasi * np.nan
    stopped = not pd.isna(stop)
    on = (g.week > 0) & (g.week <= stop) if stopped else g.week > 0
    after = g.week > stop if stopped else g.week < -np.inf

    on_weeks, on_impr = g.week[on], impr[on]
    hit75 = on_weeks[on_impr + EPS >= 75]
    week75 = hit75.iat[0] if len(hit75) else np.nan

    window = on_weeks[(on_weeks >= PRIMARY_WEEK - WINDOW) & (on_weeks <= PRIMARY_WEEK + WINDOW)]
    if len(window):
        nearest = (window - PRIMARY_WEEK).abs().sort_values(kind="stable").index[0]
        success = bool(impr[nearest] + EPS >= 75) if not pd.isna(impr[nearest]) else None
    else:
        success = None

    hit50 = on_weeks[on_impr + EPS >= 50]
    week50 = hit50.iat[0] if len(hit50) else np.nan
    lost = (on_weeks > week50) & (on_impr + EPS < 50)
    secondary = bool(lost.any())

    relapse = None
    last_on = on_impr.iat[-1] if len(on_impr) else np.nan
    if stopped and not pd.isna(last_on) and last_on + EPS >= 50:
        after_impr = impr[after]
        if (after_impr + EPS < 50).any():
            relapse = True
        elif len(after_impr):
            relapse = False
    return pd.Series(
        {
            "week_pasi75": week75,
            "treatment_success": success,
            "secondary_failure": secondary,
            "relapse": relapse,
        }
    )


def pandas_outcomes(input_dir: Path, courses: int | None = None) -> pd.DataFrame:
    """The four outcomes per course (courses with at least one visit), optionally only for the
    first ``courses`` courses of the cohort."""
    c = pd.read_parquet(
        Path(input_dir) / "courses.parquet", columns=["course_id", "stop_week", "baseline_pasi"]
    )
    a = pd.read_parquet(Path(input_dir) / "assessments.parquet")
    if courses is not None:
        keep = c.course_id.iloc[:courses]
        c, a = c[c.course_id.isin(keep)], a[a.course_id.isin(keep)]
    visits = a.dropna(subset=["pasi"]).merge(c, on="course_id")
    out = visits.groupby("course_id", sort=True)[list(visits.columns)].apply(_course)
    return out.reset_index()


def disagreements(baseline: pd.DataFrame, engine: pd.DataFrame) -> dict[str, int]:
    """How many courses differ between the baseline and the engine, per column.

    The baselines read the PASI only: a relapse the engine found from a recorded relapse
    episode alone (``relapse_source == "recorded"``, issue 13) is left out of the relapse
    comparison."""
    m = baseline.merge(engine, on="course_id", suffixes=("", "_engine"))
    diffs = {}
    for col in COLUMNS:
        x, y = m[col], m[f"{col}_engine"]
        if col == "relapse" and "relapse_source" in m:
            comparable = m["relapse_source"].astype("string").fillna("") != "recorded"
            x, y = x[comparable], y[comparable]
        both_na = x.isna() & y.isna()
        if col == "week_pasi75":
            equal = np.isclose(x.astype(float), y.astype(float), rtol=0, atol=1e-9)
        else:
            equal = x.astype("boolean").fillna(False) == y.astype("boolean").fillna(False)
            equal &= x.isna() == y.isna()
        diffs[col] = int((~(equal | both_na)).sum())
    return diffs

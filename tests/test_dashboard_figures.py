"""The dashboard's figures and survival chart, counted with numpy, equal the plain pandas
groupby they replaced (kept here as the oracle), also with missing drugs, flags and weeks, and
for the object columns of the stale-row fallback."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from psoreg.analysis.survival import survival_curve
from psoreg.web import dashboard_charts as dc
from psoreg.web.exports import dashboard_stats

FLAGS = ("stopped", "treatment_success", "secondary_failure", "relapse", "paradoxical_event")


def _oracle_stats(table: pd.DataFrame, n_patients: int) -> dict:
    def rate(col: str, df: pd.DataFrame) -> tuple[int, int]:
        known = df[col].dropna()
        return int(known.astype("boolean").sum()), int(len(known))

    def block(df: pd.DataFrame) -> dict:
        t75 = df["week_pasi75"].dropna()
        return {
            "courses": len(df),
            "ongoing": int((~df["stopped"].astype("boolean").fillna(False)).sum()),
            "success": rate("treatment_success", df),
            "secondary_failure": rate("secondary_failure", df),
            "median_week_pasi75": float(t75.median()) if len(t75) else None,
            "reached_pasi75": len(t75),
            "relapses": int(df["relapse"].astype("boolean").fillna(False).sum()),
            "paradoxical": int(df["paradoxical_event"].astype("boolean").fillna(False).sum()),
        }

    if table.empty:
        return {"patients": n_patients, "all": None, "by_drug": {}}
    by_drug = {drug: block(df) for drug, df in table.groupby("drug")}
    return {"patients": n_patients, "all": block(table), "by_drug": by_drug}


def _oracle_groups(table: pd.DataFrame) -> list:
    groups = []
    for drug, df in sorted(table.groupby("drug"), key=lambda kv: str(kv[0])):
        d = df.dropna(subset=["weeks_on_treatment"])
        if d.empty:
            continue
        ts, ss = survival_curve(
            d["weeks_on_treatment"].astype(float),
            d["survival_event"].astype("boolean").fillna(False).astype(bool),
        )
        groups.append((str(drug), ts, ss, float(d["weeks_on_treatment"].max()), len(d)))
    return groups


def _table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    drugs = np.array(["ustekinumab", "adalimumab", "guselkumab", "etanercept", None], dtype=object)

    def flags() -> pd.arrays.BooleanArray:
        return pd.arrays.BooleanArray(rng.random(n) < 0.5, rng.random(n) < 0.2)

    weeks = np.round(rng.gamma(2, 30, n), 1)
    weeks[rng.random(n) < 0.05] = np.nan
    t75 = np.where(rng.random(n) < 0.6, np.round(rng.uniform(2, 30, n) * 7) / 7, np.nan)
    return pd.DataFrame(
        {
            "drug": drugs[rng.integers(0, len(drugs), n)],
            **{f: flags() for f in FLAGS},
            "week_pasi75": t75,
            "weeks_on_treatment": weeks,
            "survival_event": flags(),
            "site": "MAIN",
        }
    )


@pytest.mark.parametrize("n,seed", [(0, 0), (1, 1), (7, 2), (3000, 3)])
def test_figures_equal_the_pandas_groupby(n: int, seed: int) -> None:
    table = _table(n, seed)
    as_objects = table.astype(object).where(table.notna(), None)  # the fallback's columns
    for t in (table, as_objects):
        assert repr(dashboard_stats(t, 42)) == repr(_oracle_stats(t, 42))


def test_survival_chart_draws_the_pandas_groups() -> None:
    table = _table(3000, 4)
    table.loc[table["drug"] == "etanercept", "weeks_on_treatment"] = np.nan  # no curve
    svg = dc.drug_survival(table)
    want = _oracle_groups(table)
    assert [g[0] for g in want] == ["adalimumab", "guselkumab", "ustekinumab"]
    lines = re.findall(r'<polyline class="km" points="([^"]+)"', svg)
    assert len(lines) == len(want)
    for (drug, ts, ss, _last, n), points in zip(want, lines, strict=True):
        assert f"{drug} (n={n})" in svg
        pts = [tuple(map(float, p.split(","))) for p in points.split()]
        assert len(pts) == 2 * len(ts) + 1  # a step per event time, then to the last week
        assert pts[-1][1] == pts[-2][1] == round(10 + 214 * (1 - ss[-1]), 1)
    assert "etanercept" not in svg
    assert svg == dc.drug_survival(table.astype(object).where(table.notna(), None))

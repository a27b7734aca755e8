"""The published case series (UKMMC ustekinumab): every figure of shared/data/README.md.

Expected values are the paper's, typed from its text and tables.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from psoreg.analysis.stats import round_half_up
from psoreg.analysis.summary import summarize
from psoreg.cli import app
from psoreg.io import load
from psoreg.outcomes import compute_outcomes
from tests.conftest import CASE_SERIES


@pytest.fixture(scope="module")
def summary():
    cohort = load(CASE_SERIES)
    return summarize(cohort, compute_outcomes(cohort))


def _count(summary, key: str) -> tuple[int, int, float]:
    v = summary[key].stat
    return v.k, v.n, round(v.percent, 1)


def _median(summary, key: str, digits: int = 1) -> tuple[float, float, float]:
    """Median and quartiles rounded half up, as papers print them (48.25 -> 48.3)."""
    m = summary[key].stat
    return tuple(round_half_up(v, digits) for v in (m.median, m.q1, m.q3))


def test_patients_and_sex(summary) -> None:
    assert summary["patients"].stat == 8
    assert _count(summary, "male") == (6, 8, 75.0)


def test_biologic_naive_psa_and_pustular_history(summary) -> None:
    assert _count(summary, "biologic_naive") == (6, 8, 75.0)
    assert _count(summary, "psoriatic_arthritis") == (2, 8, 25.0)
    assert _count(summary, "pustular_history") == (2, 8, 25.0)


def test_age_duration_and_baseline_pasi_medians_with_spss_quartiles(summary) -> None:
    assert _median(summary, "age") == (41.0, 26.8, 48.3)
    assert _median(summary, "disease_duration") == (16.5, 6.5, 23.0)
    # 21.35 and 14.85 round half up, as the paper does (21.4, 14.9)
    assert summary["baseline_pasi"].text == "21.4 (IQR 14.9–62.6)"
    assert "type 6" in summary["baseline_pasi"].note


def test_treatment_success_at_week_12(summary) -> None:
    assert _count(summary, "treatment_success") == (3, 8, 37.5)


def test_weeks_to_pasi75_on_treatment_and_to_relapse(summary) -> None:
    assert summary["weeks_to_pasi75"].stat.median == 16
    assert summary["weeks_to_pasi75"].stat.n == 8
    on = summary["weeks_on_treatment"].stat
    assert (on.median, on.n) == (102, 7)  # patient 8, ongoing, excluded
    rel = summary["weeks_to_relapse"].stat
    assert (rel.median, rel.n) == (40, 5)


def test_secondary_failure_paradoxical_event_and_pustular_relapse(summary) -> None:
    assert _count(summary, "secondary_failure") == (2, 8, 25.0)
    assert "52, 44" in summary["secondary_failure"].note
    assert _count(summary, "paradoxical_event") == (1, 8, 12.5)
    assert _count(summary, "relapse_pustular") == (2, 8, 25.0)


def test_recorded_success_agrees_with_the_definition(summary) -> None:
    assert summary.warnings == []


def test_quantile_method_is_selectable_and_named() -> None:
    cohort = load(CASE_SERIES)
    r7 = summarize(cohort, compute_outcomes(cohort), quantile="type7")
    # type 7 (R) gives a different IQR for age: 21,26,29,38,44,46,49,50 -> 28.25, 46.75
    assert _median(r7, "age", 2) == (41.0, 28.25, 46.75)
    assert "type 7" in r7["age"].note


def test_summarize_command_prints_every_figure_as_json() -> None:
    res = CliRunner().invoke(app, ["summarize", str(CASE_SERIES), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    figs = {f["key"]: f for f in data["figures"]}
    assert figs["patients"]["value"] == 8
    assert figs["male"]["value"]["k"] == 6
    assert figs["age"]["value"]["median"] == 41
    assert figs["treatment_success"]["text"] == "3/8 (37.5%)"
    assert figs["weeks_on_treatment"]["value"]["median"] == 102
    assert figs["weeks_to_relapse"]["value"]["median"] == 40
    assert data["provenance"]["quantile_method"] == "type6"
    assert {o["option"] for o in data["provenance"]["options"]} >= {
        "primary_week",
        "relapse_definition",
    }


def test_summarize_command_text() -> None:
    res = CliRunner().invoke(app, ["summarize", str(CASE_SERIES)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for text in ["6/8 (75%)", "41.0 (IQR 26.8–48.3)", "16.5 (IQR 6.5–23.0)", "21.4 (IQR 14.9–62.6)",
                 "3/8 (37.5%)", "1/8 (12.5%)"]:  # fmt: skip
        assert text in res.stdout


def test_shared_csv_without_drug_column_needs_drug_option(tmp_path) -> None:
    from tests.conftest import ROOT

    shared = ROOT.parent / "shared" / "data" / "ukmmc-ustekinumab-case-series.csv"
    if not shared.exists():
        pytest.skip("shared/ is not beside this checkout")
    res = CliRunner().invoke(app, ["summarize", str(shared), "--format", "json"])
    assert res.exit_code == 2
    assert "drug" in res.stderr and "required column is missing" in res.stderr
    res = CliRunner().invoke(app, ["summarize", str(shared), "-f", "json", "--drug", "stelara"])
    assert res.exit_code == 0, res.output
    figs = {f["key"]: f for f in json.loads(res.stdout)["figures"]}
    assert figs["treatment_success"]["text"] == "3/8 (37.5%)"

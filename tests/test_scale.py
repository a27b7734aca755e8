"""Outcomes from Parquet to Parquet on DuckDB: same results as the in-memory engine and the
reference implementation, in one pass or in batches, and under a memory limit smaller than the
query's working set."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from psoreg.cohort import SCHEMAS, Cohort
from psoreg.outcomes import OUTCOME_COLUMNS, OutcomeOptions, compute_outcomes
from psoreg.outcomes.compiled import compiled
from psoreg.scale import (
    ScaleError,
    _register_inputs,
    parse_bytes,
    plan_batches,
    run_outcomes_parquet,
)
from psoreg.synth import synthesize
from tests.oracle import ORACLE_COLUMNS, reference_outcomes, same


def load_cohort(directory: Path) -> Cohort:
    return Cohort(**{t: pd.read_parquet(directory / f"{t}.parquet") for t in SCHEMAS})


def same_value(u: object, v: object) -> bool:
    """Equal: missing alike, text exactly, numbers and flags via the reference's ``same``."""
    if isinstance(u, str) or isinstance(v, str):
        return u == v
    return same(u, v, tol=1e-9)


def assert_frames_equal(a: pd.DataFrame, b: pd.DataFrame, columns=OUTCOME_COLUMNS) -> None:
    """Same courses in the same order and the same value in every column (floats ±1e-9)."""
    assert list(a.course_id) == list(b.course_id)
    for col in columns:
        x, y = a[col].tolist(), b[col].tolist()
        bad = [(a.course_id.iat[i], u, v) for i, (u, v) in enumerate(zip(x, y, strict=True))
               if not same_value(u, v)]  # fmt: skip
        assert not bad, f"{col}: {len(bad)} differences, e.g. {bad[:3]}"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("small")
    synthesize(800, seed=21, out_dir=d)
    return d


def test_parquet_run_equals_in_memory_engine_and_reference(small, tmp_path):
    out = tmp_path / "outcomes.parquet"
    n = run_outcomes_parquet(small, out, progress=False)
    got = pd.read_parquet(out)
    assert n == len(got) == 800
    assert tuple(got.columns) == OUTCOME_COLUMNS
    assert got.course_id.is_monotonic_increasing

    cohort = load_cohort(small)
    expected = compute_outcomes(cohort, OutcomeOptions()).table
    assert_frames_equal(got, expected)

    reference = reference_outcomes(cohort, OutcomeOptions()).reset_index(drop=True)
    assert_frames_equal(got, reference, columns=ORACLE_COLUMNS)
    # the synthetic cohort exercises the definitions, not just their empty cases
    for col in ("treatment_success", "secondary_failure", "relapse", "rebound", "stopped"):
        assert got[col].astype("boolean").fillna(False).any(), col


def test_batches_give_the_same_file_contents(small, tmp_path):
    one = tmp_path / "one.parquet"
    many = tmp_path / "many.parquet"
    opts = OutcomeOptions(primary_week_by_drug=True, relapse_definition="half_of_best")
    run_outcomes_parquet(small, one, options=opts, batches=1, progress=False)
    n = run_outcomes_parquet(small, many, options=opts, batches=3, progress=False)
    a, b = pd.read_parquet(one), pd.read_parquet(many)
    assert n == 800 and len(pq.ParquetFile(many).metadata.schema) > 0
    assert_frames_equal(a, b)


def test_missing_optional_tables_count_as_empty(small, tmp_path):
    part = tmp_path / "part"
    part.mkdir()
    for t in ("courses", "assessments", "events"):
        (part / f"{t}.parquet").write_bytes((small / f"{t}.parquet").read_bytes())
    full, partial = tmp_path / "full.parquet", tmp_path / "partial.parquet"
    run_outcomes_parquet(small, full, progress=False)
    run_outcomes_parquet(part, partial, progress=False)
    a, b = pd.read_parquet(full), pd.read_parquet(partial)
    without_relapses = [c for c in OUTCOME_COLUMNS if "relapse" not in c and "rebound" not in c]
    assert_frames_equal(a, b, columns=without_relapses)
    assert b.weeks_to_recorded_relapse.isna().all()


def _peak_buffer_memory(input_dir: Path, tmp_path: Path) -> int:
    """DuckDB's own peak memory for the whole outcome query in one pass (its profiler)."""
    con = duckdb.connect(config={"threads": 2})
    _register_inputs(con, input_dir, "psoreg_")
    sql = compiled(OutcomeOptions(), "duckdb").sql
    profile = tmp_path / "profile.json"
    con.execute(f"PRAGMA enable_profiling='json'; PRAGMA profiling_output='{profile}'")
    con.execute(f"COPY ({sql}) TO '{tmp_path / 'unused.parquet'}'")
    con.execute("PRAGMA disable_profiling")
    return json.loads(profile.read_text())["system"]["peak_buffer_memory"]


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """60,000 courses (0.9M visits) and their outcomes computed without a memory limit."""
    d = tmp_path_factory.mktemp("large")
    synthesize(60_000, seed=5, out_dir=d / "cohort")
    run_outcomes_parquet(d / "cohort", d / "free.parquet", progress=False)
    return d / "cohort", pd.read_parquet(d / "free.parquet")


def test_cohort_larger_than_the_memory_limit_completes_with_the_same_results(large, tmp_path):
    """The query's working set for this cohort is larger than the limit (measured by DuckDB's
    profiler); under the limit the run goes in batches and gives the unlimited result."""
    cohort, free = large
    limit = "90MB"
    assert _peak_buffer_memory(cohort, tmp_path) > 1.25 * parse_bytes(limit)
    assert plan_batches(pq.ParquetFile(cohort / "assessments.parquet").metadata.num_rows, limit) > 1

    bounded = tmp_path / "bounded.parquet"
    n = run_outcomes_parquet(cohort, bounded, memory_limit=limit, threads=2, progress=False)
    assert n == 60_000
    assert_frames_equal(free, pd.read_parquet(bounded))
    assert not list(tmp_path.glob(".psoreg-spill-*"))  # spill directory removed
    assert not list(tmp_path.glob("*.partial"))


def test_a_pass_that_runs_out_of_memory_is_split(large, tmp_path, caplog):
    """One pass forced under a limit half its working set: the run falls back to batches."""
    cohort, free = large
    forced = tmp_path / "forced.parquet"
    with caplog.at_level(logging.INFO, logger="psoreg.scale"):
        run_outcomes_parquet(
            cohort, forced, memory_limit="96MB", threads=2, batches=1, progress=False
        )
    assert "one pass ran out of memory" in caplog.text
    assert_frames_equal(free, pd.read_parquet(forced))


def test_a_limit_below_the_query_floor_is_reported(large, tmp_path, caplog):
    cohort, _ = large
    out = tmp_path / "o.parquet"
    too_small = "too small for the outcome query; 1[0-9]{3} courses"
    with (
        caplog.at_level(logging.INFO, logger="psoreg.scale"),
        pytest.raises(ScaleError, match=too_small),
    ):
        run_outcomes_parquet(cohort, out, memory_limit="20MB", batches=1, progress=False)
    assert "ran out of memory; splitting" in caplog.text
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_progress_bar_is_written_to_stderr(small, tmp_path, capsys):
    run_outcomes_parquet(small, tmp_path / "o.parquet", batches=2, progress=True)
    assert "courses" in capsys.readouterr().err


def test_plan_batches():
    assert plan_batches(15_000_000, "64GB") == 1
    assert plan_batches(15_000_000, "1GB") == 3  # 2.1 GB of working set in ~0.94 GB
    assert plan_batches(200_000_000, "1TB") == 10  # capped rows per batch, for progress
    with pytest.raises(ScaleError, match="at least 80MB"):
        plan_batches(1000, "64MB")


def test_parse_bytes():
    assert parse_bytes("64MB") == 64_000_000
    assert parse_bytes("4GiB") == 4 * 2**30
    assert parse_bytes("512 mib") == 512 * 2**20
    assert parse_bytes("2g") == 2 * 10**9
    with pytest.raises(ScaleError, match="memory_limit"):
        parse_bytes("lots")


def test_errors(small, tmp_path):
    with pytest.raises(ScaleError, match="not a directory"):
        run_outcomes_parquet(tmp_path / "nowhere", tmp_path / "o.parquet", progress=False)
    with pytest.raises(ScaleError, match="courses.parquet is missing"):
        run_outcomes_parquet(tmp_path, tmp_path / "o.parquet", progress=False)
    with pytest.raises(ScaleError, match="engine"):
        run_outcomes_parquet(small, tmp_path / "o.parquet", engine="oracle", progress=False)
    with pytest.raises(ScaleError, match="batches"):
        run_outcomes_parquet(small, tmp_path / "o.parquet", batches=0, progress=False)
    with pytest.raises(ScaleError, match="at least 80MB"):
        run_outcomes_parquet(small, tmp_path / "o.parquet", memory_limit="64MB", progress=False)
    with pytest.raises(ScaleError, match="URIs are for engine='spark'"):
        run_outcomes_parquet("s3a://bucket/cohort", tmp_path / "o.parquet", progress=False)
    assert not (tmp_path / "o.parquet").exists()


def test_benchmark_baseline_computes_the_same_outcomes(small):
    """The benchmark's point of comparison (benchmarks/pandas_baseline.py) agrees with us."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    try:
        from pandas_baseline import disagreements, pandas_outcomes
    finally:
        sys.path.pop(0)
    engine = compute_outcomes(load_cohort(small), OutcomeOptions()).table
    baseline = pandas_outcomes(small, courses=300)
    assert len(baseline) == 300
    assert disagreements(baseline, engine) == dict.fromkeys(
        ("week_pasi75", "treatment_success", "secondary_failure", "relapse"), 0
    )

"""One engine, two backends: the same Ibis outcome expressions on DuckDB and on Spark (PySpark,
local mode) give the same per-course results, and both agree with the reference implementation.

Needs Java (``scripts/system-deps.sh`` installs it); one SparkSession serves the whole session.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from psoreg.outcomes import OUTCOME_COLUMNS, OutcomeOptions
from psoreg.scale import get_or_create, run_outcomes_parquet
from psoreg.synth import synthesize
from tests.oracle import ORACLE_COLUMNS, reference_outcomes
from tests.test_scale import assert_frames_equal, load_cohort

pytest.importorskip("pyspark")
if shutil.which("java") is None:  # pragma: no cover - CI installs Java
    pytest.skip("Java is not installed (scripts/system-deps.sh)", allow_module_level=True)

COURSES = 600


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    session = get_or_create(
        SparkSession.builder.master("local[2]")
        .appName("psoreg-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Visit-level courses and, for the milestone paths, 10 % chart-review courses."""
    d = tmp_path_factory.mktemp("spark-cohort")
    synthesize(COURSES, seed=31, out_dir=d, abstracted_share=0.1)
    return d


def both(cohort: Path, tmp_path: Path, options: OutcomeOptions) -> tuple[pd.DataFrame, ...]:
    duck_out, spark_out = tmp_path / "duckdb.parquet", tmp_path / "spark"
    n_duck = run_outcomes_parquet(cohort, duck_out, options=options, progress=False)
    n_spark = run_outcomes_parquet(
        cohort, spark_out, engine="spark", options=options, progress=False
    )
    assert n_duck == n_spark == COURSES
    assert spark_out.is_dir()  # Spark writes part files
    duck, spark = pd.read_parquet(duck_out), pd.read_parquet(spark_out)
    assert tuple(spark.columns) == OUTCOME_COLUMNS
    assert spark.course_id.is_monotonic_increasing  # sorted across the part files
    return duck, spark


def visit_courses(cohort: Path) -> tuple[pd.DataFrame, list[str]]:
    """The reference implementation's outcomes, and the courses it covers (no milestones)."""
    c = load_cohort(cohort)
    charted = set(c.milestones.course_id)
    c.courses = c.courses[~c.courses.course_id.isin(charted)].reset_index(drop=True)
    return c, sorted(set(c.courses.course_id))


@pytest.mark.parametrize(
    "options",
    [
        OutcomeOptions(),
        OutcomeOptions(
            primary_week=16,
            window_before=4,
            window_after=0,
            secondary_failure_confirmation=True,
            missing_primary_as_failure=True,
            baseline_lookback_weeks=2,
            relapse_definition="half_of_best",
            rebound_definition="ema",
            survival_events="failure_stop",
            rebound_window_unit="calendar_months",
            rebound_zero_baseline="any_pasi",
            half_of_best_loss="at_least_half",
            minimal_response_definition="pasi50_dlqi",
            paradoxical_after_stop="count",
        ),
    ],
    ids=["defaults", "other-definitions"],
)
def test_duckdb_and_spark_agree_with_each_other_and_the_reference(spark, cohort, tmp_path, options):
    duck, spark_result = both(cohort, tmp_path, options)
    assert_frames_equal(duck, spark_result)

    ref_cohort, ids = visit_courses(cohort)
    reference = reference_outcomes(ref_cohort, options).reset_index(drop=True)
    assert list(reference.course_id) == ids
    for result in (duck, spark_result):
        visits = result[result.course_id.isin(ids)].reset_index(drop=True)
        assert_frames_equal(visits, reference, columns=ORACLE_COLUMNS)

    # the cohort reaches the interesting branches on both backends
    assert {"visits", "abstracted"} <= set(duck.source)
    for col in ("treatment_success", "secondary_failure", "relapse", "paradoxical_event"):
        assert duck[col].astype("boolean").fillna(False).any(), col


def test_per_drug_primary_weeks_and_uris_on_spark(spark, cohort, tmp_path):
    """The drug-table join is portable too; Spark reads and writes URIs, and an optional table
    that is absent counts as empty on both backends."""
    part = tmp_path / "cohort"
    shutil.copytree(cohort, part)
    (part / "relapses.parquet").unlink()
    options = OutcomeOptions(primary_week_by_drug=True)
    duck_out, spark_out = tmp_path / "duckdb.parquet", tmp_path / "spark"
    run_outcomes_parquet(part, duck_out, options=options, progress=False)
    n = run_outcomes_parquet(
        part.as_uri(), spark_out.as_uri(), engine="spark", options=options, progress=False
    )
    assert n == COURSES
    duck, spark_result = pd.read_parquet(duck_out), pd.read_parquet(spark_out)
    assert_frames_equal(duck, spark_result)
    weeks = duck.groupby("drug").primary_week.first()
    assert weeks["infliximab"] == 10 and weeks["tildrakizumab"] == 28
    assert duck.weeks_to_recorded_relapse.isna().all()

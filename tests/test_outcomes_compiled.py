"""Compile once: the cached SQL gives exactly what executing the Ibis expressions gives, the
expressions are built once per options, and a changed definition or option is never answered
from an old query."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from psoreg.cohort import SCHEMAS, Cohort
from psoreg.io import load
from psoreg.outcomes import OutcomeOptions, compute_outcomes, outcome_expr, tables_from_cohort
from psoreg.outcomes import compiled as cm
from psoreg.outcomes.engine import duckdb_backend
from psoreg.synth import synthesize
from tests.conftest import CASE_SERIES, VISIT_COHORT

OPTION_SETS = [
    OutcomeOptions(),
    OutcomeOptions(
        primary_week_by_drug=True,
        relapse_definition="half_of_best",
        rebound_definition="ema",
        secondary_failure_confirmation=True,
        missing_primary_as_failure=True,
        survival_events="failure_stop",
        window_before=4,
        window_after=1,
        baseline_lookback_weeks=8,
    ),
]


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def own_cache(module_cache, monkeypatch):
    """The module's own cache folder (compiled queries are shared by its tests) and an empty
    in-process cache for each test."""
    monkeypatch.setenv("PSOREG_CACHE_DIR", str(module_cache))
    cm.compiled.cache_clear()
    yield
    cm.compiled.cache_clear()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Cohort:
    d = tmp_path_factory.mktemp("synth")
    synthesize(600, seed=5, out_dir=d, abstracted_share=0.1)
    return Cohort(**{t: pd.read_parquet(d / f"{t}.parquet") for t in SCHEMAS})


def _by_ibis(cohort: Cohort, opts: OutcomeOptions) -> pd.DataFrame:
    con = duckdb_backend()
    return con.execute(outcome_expr(tables_from_cohort(cohort, con), opts)).reset_index(drop=True)


@pytest.mark.parametrize("opts", OPTION_SETS, ids=["defaults", "every-option-changed"])
def test_compiled_query_equals_executing_the_expressions(synthetic, opts) -> None:
    # one cohort holding the synthetic registry and both example files
    parts = [synthetic, load(VISIT_COHORT), load(CASE_SERIES)]
    cohort = Cohort(**{t: pd.concat([getattr(c, t) for c in parts]) for t in SCHEMAS})
    got = compute_outcomes(cohort, opts).table
    assert len(got) == 600 + 6 + 8
    pd.testing.assert_frame_equal(got, _by_ibis(cohort, opts))


def test_empty_cohort_gives_typed_empty_frame() -> None:
    got = compute_outcomes(Cohort()).table
    pd.testing.assert_frame_equal(got, _by_ibis(Cohort(), OutcomeOptions()))


def test_expressions_are_built_once_per_options(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PSOREG_CACHE_DIR", str(tmp_path))
    calls = []
    real = cm.build_query

    def counting(options, dialect):
        calls.append(options)
        return real(options, dialect)

    monkeypatch.setattr(cm, "build_query", counting)
    cohort = load(VISIT_COHORT)
    for _ in range(3):
        compute_outcomes(cohort)
        compute_outcomes(cohort, OPTION_SETS[1])
    assert calls == [OutcomeOptions(), OPTION_SETS[1]]


def test_a_new_process_reads_the_query_from_disk_without_ibis(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PSOREG_CACHE_DIR", str(tmp_path))
    cohort = load(VISIT_COHORT)
    first = compute_outcomes(cohort).table
    files = list(cm.cache_dir().glob("outcomes-duckdb-*.json"))
    assert len(files) == 1
    cm.compiled.cache_clear()  # as in a new process

    def refuse(*_a):
        raise AssertionError("the expression was built again")

    monkeypatch.setattr(cm, "build_query", refuse)
    pd.testing.assert_frame_equal(compute_outcomes(cohort).table, first)


def test_changed_options_or_definitions_are_never_answered_from_an_old_query(
    monkeypatch,
) -> None:
    cohort = load(VISIT_COHORT)
    compute_outcomes(cohort)
    old = cm.compiled(OutcomeOptions())
    assert cm.compiled(OutcomeOptions(primary_week=16)).key != old.key
    assert cm.outcomes_version(OutcomeOptions(primary_week=16)) != cm.outcomes_version()
    # a changed definition (any source file of the engine) is a new version and a new key
    version = cm.outcomes_version()
    monkeypatch.setattr(cm, "definitions_fingerprint", lambda: "edited engine.py")
    cm.compiled.cache_clear()
    assert cm.outcomes_version() != version
    assert cm.compiled(OutcomeOptions()).key != old.key
    # a cache file whose content is for another key is ignored, not trusted
    path = next(cm.cache_dir().glob(f"outcomes-duckdb-{old.key}.json"))
    data = json.loads(path.read_text())
    data["key"] = "something else"
    path.write_text(json.dumps(data))
    assert cm._read_cache(path, old.key) is None


def test_definitions_fingerprint_covers_the_engine_source() -> None:
    package = Path(cm.__file__).resolve().parent.parent
    covered = {p for pattern in cm.DEFINITION_SOURCES for p in package.glob(pattern)}
    for name in ("outcomes/engine.py", "outcomes/options.py", "cohort.py", "store/export.py"):
        assert package / name in covered


def test_unwritable_cache_folder_still_computes(monkeypatch, tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("PSOREG_CACHE_DIR", str(blocker / "cache"))
    cm.compiled.cache_clear()
    assert len(compute_outcomes(load(VISIT_COHORT)).table) == 6

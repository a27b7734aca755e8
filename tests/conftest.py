"""Shared fixtures: one DuckDB connection per session, paths of the example files."""

from __future__ import annotations

from pathlib import Path

import ibis
import pytest

# fixtures of the store, web and end-to-end tests
pytest_plugins = ["tests.web_conftest"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CASE_SERIES = EXAMPLES / "ukmmc-ustekinumab-case-series.csv"
VISIT_COHORT = EXAMPLES / "visit-cohort"


@pytest.fixture(scope="session")
def duck():
    return ibis.duckdb.connect()

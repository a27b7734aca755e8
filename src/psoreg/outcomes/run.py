"""Run the outcome expressions on a backend (DuckDB by default) and say which definitions ran."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd

from psoreg import __version__
from psoreg.cohort import Cohort
from psoreg.outcomes.engine import Tables, outcome_expr
from psoreg.outcomes.options import DEFINITIONS, OutcomeOptions


@dataclass
class OutcomeResult:
    """Per-course outcomes and the definitions that produced them."""

    table: pd.DataFrame
    options: OutcomeOptions
    definitions: dict[str, str] = field(default_factory=lambda: dict(DEFINITIONS))

    def provenance(self) -> dict[str, Any]:
        return {
            "software": f"psoreg {__version__}",
            "options": self.options.describe(),
            "definitions": self.definitions,
        }


def drug_weeks_frame() -> pd.DataFrame:
    from psoreg.catalogue import all_drugs

    return pd.DataFrame(
        {
            "drug": pd.Series([d.name for d in all_drugs()], dtype="string"),
            "response_week": pd.Series([d.response_week for d in all_drugs()], dtype="float64"),
        }
    )


def tables_from_cohort(cohort: Cohort, con: Any | None = None) -> Tables:
    """Ibis tables for a cohort: in-memory tables, or tables created on ``con`` when given."""

    def table(name: str, df: pd.DataFrame) -> Any:
        if con is None:
            return ibis.memtable(df)
        return con.create_table(f"psoreg_{name}", df, overwrite=True)

    return Tables(
        courses=table("courses", cohort.courses),
        assessments=table("assessments", cohort.assessments),
        milestones=table("milestones", cohort.milestones),
        events=table("events", cohort.events),
        relapses=table("relapses", cohort.relapses),
        drug_weeks=table("drug_weeks", drug_weeks_frame()),
    )


def compute_outcomes(
    cohort: Cohort, options: OutcomeOptions | None = None, con: Any | None = None
) -> OutcomeResult:
    """Per-course outcomes of ``cohort`` under ``options``, executed on ``con`` (DuckDB)."""
    options = options or OutcomeOptions()
    con = con or ibis.duckdb.connect()
    expr = outcome_expr(tables_from_cohort(cohort, con), options)
    df = con.execute(expr)
    return OutcomeResult(table=df.reset_index(drop=True), options=options)

"""Run the outcome definitions on a cohort (DuckDB by default) and say which definitions ran.

The definitions are the Ibis expressions of :mod:`psoreg.outcomes.engine`; they are compiled to
SQL once per options and process (:mod:`psoreg.outcomes.compiled`), so running them on a
clinic's data costs milliseconds and imports neither Ibis nor sqlglot once the query is cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from psoreg import __version__
from psoreg.outcomes.options import DEFINITIONS, OutcomeOptions

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from psoreg.cohort import Cohort
    from psoreg.outcomes.engine import Tables


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
    import pandas as pd

    from psoreg.catalogue import all_drugs

    return pd.DataFrame(
        {
            "drug": pd.Series([d.name for d in all_drugs()], dtype="string"),
            "response_week": pd.Series([d.response_week for d in all_drugs()], dtype="float64"),
        }
    )


def tables_from_cohort(cohort: Cohort, con: Any | None = None) -> Tables:
    """Ibis tables for a cohort: in-memory tables, or tables created on ``con`` when given
    (for running the expressions on another backend; :func:`compute_outcomes` does not need it).
    """
    import ibis

    from psoreg.outcomes.engine import Tables

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
    """Per-course outcomes of ``cohort`` under ``options``, on DuckDB.

    ``con`` is an optional DuckDB connection (or Ibis DuckDB backend) to run on; by default
    each thread has its own in-memory one. The query is the compiled outcome expression
    (:func:`psoreg.outcomes.compiled.compiled`), built once per options.
    """
    from psoreg.outcomes.compiled import execute

    options = options or OutcomeOptions()
    return OutcomeResult(table=execute(cohort, options, con), options=options)

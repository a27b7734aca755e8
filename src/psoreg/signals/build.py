"""De-duplicate an ingested store and map its drug names: the ``current/`` analysis tables.

Case de-duplication (the pharmacovigilance README; FDA's FAERS README):

* FAERS: the current version of a case is the DEMO row with the highest ``caseversion``, then
  the latest ``fda_dt``, then the highest ``primaryid``; legacy AERS: the latest ``isr`` per
  ``case``. A case in both is taken from FAERS (its versions are the newer). The same
  ``primaryid`` listed in two quarters counts once (the later quarter).
* Every case listed in any quarter's deleted-cases file (``DELE*.txt``) is removed.

Rows of DRUG and REAC are joined to the current version by ``primaryid`` *and* quarter, so a
version re-listed in a later quarter is not counted twice. Drug names are mapped to ingredients
(:mod:`psoreg.signals.drugs`) once per distinct (drugname, prod_ai).

Written to ``current/``: ``reports.parquet`` (one row per current case: ``rid``, ids, quarter,
year, sex, age in years, age band), ``drugs.parquet`` (``rid``, ``role_cod``, ``ingredient``,
``map_method``), ``reactions.parquet`` (``rid``, ``pt_key``), ``pt_names.parquet`` and
``summary.json`` with the counts before and after each step and the mapping coverage.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from psoreg.errors import PsoregError
from psoreg.signals.drugs import DrugMapper, load_mapper
from psoreg.signals.ingest import raw_glob, read_manifest

__all__ = ["AGE_BANDS", "BuildSummary", "build_current", "read_summary"]

#: Age bands for stratification (years): lower bounds, the last open-ended.
AGE_BANDS = ((0, "<18"), (18, "18-44"), (45, "45-64"), (65, "65-74"), (75, "75+"))
#: Years per unit of FAERS ``age_cod``.
_AGE_UNITS = {"YR": 1.0, "DEC": 10.0, "MON": 1 / 12, "WK": 7 / 365.25, "DY": 1 / 365.25,
              "HR": 1 / 8766}  # fmt: skip


@dataclass
class BuildSummary:
    data: dict[str, Any]

    def __getitem__(self, k: str) -> Any:
        return self.data[k]


def read_summary(store: Path) -> dict[str, Any]:
    path = store / "current" / "summary.json"
    if not path.exists():
        raise PsoregError(f"{store}: no analysis tables; run `psoreg signals ingest` first")
    return json.loads(path.read_text())


def _q(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def _age_sql() -> str:
    cases = " ".join(f"WHEN '{k}' THEN {v!r}" for k, v in _AGE_UNITS.items())
    years = f"TRY_CAST(age AS DOUBLE) * (CASE upper(coalesce(age_cod, 'YR')) {cases} ELSE NULL END)"
    return f"CASE WHEN {years} BETWEEN 0 AND 120 THEN {years} END"


def _band_sql() -> str:
    parts = []
    for (lo, name), nxt in zip(AGE_BANDS, [*AGE_BANDS[1:], None], strict=True):
        cond = f"age_years >= {lo}" + (f" AND age_years < {nxt[0]}" if nxt else "")
        parts.append(f"WHEN {cond} THEN '{name}'")
    return "CASE " + " ".join(parts) + " ELSE 'unknown' END"


def _map_names(con: duckdb.DuckDBPyConnection, mapper: DrugMapper) -> dict[str, Any]:
    """Map every distinct (drugname, prod_ai) and register it as table ``drug_map``."""
    # one pass over the current drug rows: the distinct prod_ai values are those of the names
    names = con.execute("SELECT drugname, prod_ai, count(*) FROM cur_drug GROUP BY ALL").fetchall()
    mapper.add_known({r[1] for r in names if r[1] is not None})
    learned = mapper.learn(names)
    ingr, method = [], []
    for drugname, prod_ai, _ in names:
        i, m = mapper.map(drugname, prod_ai)
        ingr.append(i)
        method.append(m)
    table = pa.table(
        {
            "drugname": [r[0] for r in names],
            "prod_ai": [r[1] for r in names],
            "ingredient": ingr,
            "map_method": method,
        }
    )
    con.register("drug_map_arrow", table)
    con.execute("CREATE TEMP TABLE drug_map AS SELECT * FROM drug_map_arrow")
    con.unregister("drug_map_arrow")
    by_method: dict[str, int] = {}
    for (_, _, n), m in zip(names, method, strict=True):
        by_method[m] = by_method.get(m, 0) + int(n)
    return {"distinct_names": len(names), "learned_names": learned, "rows_by_method": by_method}


def build_current(
    store: Path,
    synonyms: Path | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """(Re)write ``current/`` from ``raw/``; returns the summary (also in summary.json)."""
    t0 = time.perf_counter()
    manifest = read_manifest(store)
    if not manifest["quarters"]:
        raise PsoregError(f"{store}: nothing ingested yet")
    out = store / "current"
    tmp = store / ".current-tmp"
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit={_q(memory_limit)}")
    if threads:
        con.execute(f"SET threads={int(threads)}")
    con.execute(f"SET temp_directory={_q(str(store / '.duckdb-tmp'))}")
    con.execute("SET preserve_insertion_order=false")
    has_dele = any("dele" in q["tables"] for q in manifest["quarters"].values())
    demo = raw_glob(store, "demo")
    con.execute(f"""
        CREATE TEMP TABLE versions AS
        SELECT primaryid, coalesce(caseid, primaryid) AS caseid, caseversion, fda_dt, quarter,
               layout, sex, age, age_cod,
               row_number() OVER (
                   PARTITION BY coalesce(caseid, primaryid)
                   ORDER BY (layout = 'faers') DESC, TRY_CAST(caseversion AS INTEGER) DESC NULLS LAST,
                            fda_dt DESC NULLS LAST, TRY_CAST(primaryid AS BIGINT) DESC NULLS LAST,
                            quarter DESC) AS rank
        FROM read_parquet({_q(demo)})
    """)  # fmt: skip
    before = con.execute(
        "SELECT count(*), count(DISTINCT caseid), count(DISTINCT primaryid) FROM versions"
    ).fetchone()
    dele_sql = (
        f"SELECT DISTINCT caseid FROM read_parquet({_q(raw_glob(store, 'dele'))})"
        if has_dele
        else "SELECT NULL::VARCHAR AS caseid WHERE false"
    )
    con.execute(f"CREATE TEMP TABLE deleted AS {dele_sql}")
    n_deleted_ids = con.execute("SELECT count(*) FROM deleted").fetchone()[0]
    removed = con.execute(
        "SELECT count(*) FROM versions WHERE rank = 1 AND caseid IN (SELECT caseid FROM deleted)"
    ).fetchone()[0]
    con.execute(f"""
        CREATE TEMP TABLE reports AS
        SELECT *, {_band_sql()} AS age_band FROM (
            SELECT row_number() OVER (ORDER BY quarter, TRY_CAST(primaryid AS BIGINT), primaryid)::INTEGER AS rid,
                   primaryid, caseid, caseversion, quarter, layout,
                   TRY_CAST(substr(quarter, 1, 4) AS INTEGER) AS year,
                   CASE upper(sex) WHEN 'M' THEN 'M' WHEN 'F' THEN 'F' ELSE 'UNK' END AS sex,
                   age_years
            FROM (SELECT *, {_age_sql()} AS age_years FROM versions v
                  ANTI JOIN deleted d ON v.caseid = d.caseid WHERE rank = 1))
    """)  # fmt: skip
    con.execute("DROP TABLE versions")
    n_reports = con.execute("SELECT count(*) FROM reports").fetchone()[0]

    drug = raw_glob(store, "drug")
    con.execute(f"""
        CREATE TEMP VIEW cur_drug AS
        SELECT r.rid, TRY_CAST(d.drug_seq AS BIGINT) AS drug_seq, upper(trim(d.role_cod)) AS role_cod,
               d.drugname, d.prod_ai
        FROM read_parquet({_q(drug)}) d JOIN reports r USING (primaryid, quarter)
    """)  # fmt: skip
    drug_rows_raw = con.execute(f"SELECT count(*) FROM read_parquet({_q(drug)})").fetchone()[0]
    mapper = load_mapper(synonyms)
    mapping = _map_names(con, mapper)
    con.execute(f"""
        COPY (SELECT d.rid, d.drug_seq, d.role_cod, m.ingredient, m.map_method, d.drugname
              FROM cur_drug d JOIN drug_map m
                ON d.drugname IS NOT DISTINCT FROM m.drugname AND d.prod_ai IS NOT DISTINCT FROM m.prod_ai)
        TO {_q(str(tmp / 'drugs.parquet'))} (FORMAT parquet, COMPRESSION zstd)
    """)  # fmt: skip
    drug_rows = sum(mapping["rows_by_method"].values())
    mapped = drug_rows - mapping["rows_by_method"].get("unmapped", 0)

    reac = raw_glob(store, "reac")
    reac_rows_raw = con.execute(f"SELECT count(*) FROM read_parquet({_q(reac)})").fetchone()[0]
    # PT keys are normalised once per distinct spelling (a small dictionary), not once per row
    con.execute(f"""
        CREATE TEMP TABLE pt_dict AS
        SELECT pt, lower(regexp_replace(trim(pt), '\\s+', ' ', 'g')) AS pt_key, trim(pt) <> '' AS keep, n
        FROM (SELECT pt, count(*) AS n FROM read_parquet({_q(reac)}) WHERE pt IS NOT NULL GROUP BY pt)
    """)  # fmt: skip
    con.execute(f"""
        COPY (SELECT DISTINCT r.rid, k.pt_key
              FROM read_parquet({_q(reac)}) x JOIN reports r USING (primaryid, quarter)
              JOIN (SELECT pt, pt_key FROM pt_dict WHERE keep) k ON x.pt = k.pt)
        TO {_q(str(tmp / 'reactions.parquet'))} (FORMAT parquet, COMPRESSION zstd)
    """)  # fmt: skip
    # display name per PT key: the most frequent spelling, mixed case preferred to UPPER CASE
    con.execute(f"""
        COPY (SELECT pt_key, arg_max(pt, (pt <> upper(pt), n)) AS pt
              FROM (SELECT pt_key, trim(pt) AS pt, sum(n) AS n FROM pt_dict GROUP BY ALL)
              GROUP BY pt_key)
        TO {_q(str(tmp / 'pt_names.parquet'))} (FORMAT parquet)
    """)  # fmt: skip
    reac_rows = con.execute(
        f"SELECT count(*) FROM read_parquet({_q(str(tmp / 'reactions.parquet'))})"
    ).fetchone()[0]
    con.execute(
        f"COPY reports TO {_q(str(tmp / 'reports.parquet'))} (FORMAT parquet, COMPRESSION zstd)"
    )
    quarters = sorted(manifest["quarters"])
    summary = {
        "quarters": quarters,
        "layouts": {q: manifest["quarters"][q]["layout"] for q in quarters},
        "reports_before": int(before[0]),
        "cases_before": int(before[1]),
        "superseded_versions": int(before[0]) - int(before[1]),
        "deleted_case_ids": int(n_deleted_ids),
        "deleted_cases_removed": int(removed),
        "reports_after": int(n_reports),
        "drug_rows_raw": int(drug_rows_raw),
        "drug_rows_current": int(drug_rows),
        "reaction_rows_raw": int(reac_rows_raw),
        "reaction_rows_current": int(reac_rows),
        "mapping": {
            "version": mapper.version,
            "sources": mapper.sources,
            "distinct_names": mapping["distinct_names"],
            "learned_names": mapping["learned_names"],
            "rows_by_method": mapping["rows_by_method"],
            "rows_mapped": int(mapped),
            "coverage": (mapped / drug_rows) if drug_rows else None,
        },
        "dedup_rule": "current version per case (FAERS: highest caseversion, then latest "
        "fda_dt, then highest primaryid; AERS: latest isr per case); deleted cases removed",
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    (tmp / "summary.json").write_text(json.dumps(summary, indent=2))
    con.close()
    if out.exists():
        import shutil

        shutil.rmtree(out)
    tmp.replace(out)
    return summary

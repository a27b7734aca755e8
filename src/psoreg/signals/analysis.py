"""Disproportionality of drug × event pairs on a de-duplicated store (DuckDB).

Counting unit: the report (current version of a case). For an analysis:

* the **population** is the reports of the period holding at least one drug of the chosen
  roles and at least one reaction;
* a report "has" a drug if any of its drug rows of the chosen roles maps to that ingredient,
  and "has" an event if it lists the PT (or any PT of the group);
* ``a`` = reports with drug and event, ``b`` = with the drug, not the event, ``c`` = the event
  without the drug, ``d`` = neither; E = (a+b)(a+c)/N, or with strata Σₛ nₛ(drug)·nₛ(event)/Nₛ
  (as openEBGM's ``processRaw``);
* **comparator** ``controls``: the population is the reports with the drug or with any control
  drug (Kip et al., *Inflamm Bowel Dis* 2013); ``c``/``d`` count the control reports without
  the drug. MGPS is not defined there (its prior is fitted over the whole database) and is left
  empty.

MGPS's prior is fitted over **every** PT-level pair with a ≥ 1 of the same population (roles,
period, strata), then applied to the requested rows; the fit is cached in the store.

:func:`count_pairs` does the counting for any (report, drug) / (report, event) relations, so the
same code serves FAERS stores and generic report tables (``caers.csv.gz``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from psoreg.errors import PsoregError
from psoreg.signals.build import read_summary
from psoreg.signals.drugs import load_mapper
from psoreg.signals.events import EventSpec, Meddra
from psoreg.signals.measures import (
    chi2_yates,
    information_component,
    prr,
    ror,
    two_by_two,
)
from psoreg.signals.mgps import Hyper, fit_hyperparameters, posterior

__all__ = [
    "RULES",
    "ROLES",
    "STRATA",
    "SignalOptions",
    "SignalResult",
    "count_pairs",
    "measures_table",
    "run_signals",
]

Roles = Literal["PS", "PS+SS", "all"]
#: Drug roles per option (FAERS ``role_cod``).
ROLES: dict[str, tuple[str, ...]] = {
    "PS": ("PS",),
    "PS+SS": ("PS", "SS"),
    "all": ("PS", "SS", "C", "I"),
}
#: Stratification variables of the report table.
STRATA = ("sex", "age_band", "year")
#: The signal rules, named in every output.
RULES = (
    "PRR signal (Evans 2001 / MHRA): PRR >= 2 and chi2 (Yates) >= 4 and a >= 3; "
    "IC signal (Norén 2013): IC025 > 0; "
    "MGPS signal (DuMouchel 1999; Szarfman 2002): EB05 >= 2"
)


@dataclass(frozen=True)
class SignalOptions:
    """How the 2×2 tables are built and which measures are computed."""

    roles: Roles = "PS+SS"
    period: tuple[str | None, str | None] = (None, None)  # quarters, inclusive
    controls: tuple[str, ...] = ()  # comparator drugs (ingredients); () = whole database
    stratify: tuple[str, ...] = ()
    mgps: bool = True
    all_cells: bool = False  # MGPS fitted on every drug × event cell, zeros included
    zero_correction: Literal["none", "haldane"] = "none"

    def __post_init__(self) -> None:
        if self.roles not in ROLES:
            raise PsoregError(f"--roles: got {self.roles!r}; expected one of {', '.join(ROLES)}")
        if self.zero_correction not in ("none", "haldane"):
            raise PsoregError(
                f"--zero-correction: got {self.zero_correction!r}; expected none or haldane"
            )
        bad = [s for s in self.stratify if s not in STRATA]
        if bad:
            raise PsoregError(f"--stratify: got {bad[0]!r}; expected any of {', '.join(STRATA)}")
        for q in self.period:
            if q is not None and not (
                len(q) == 6 and q[:4].isdigit() and q[4] == "Q" and q[5] in "1234"
            ):
                raise PsoregError(f"--period: got {q!r}; expected quarters like 2009Q1:2020Q4")

    def describe(self) -> str:
        period = f"{self.period[0] or 'first'}–{self.period[1] or 'last'} quarter"
        comp = (
            f"comparator: control drugs {', '.join(self.controls)}"
            if self.controls
            else "comparator: whole database"
        )
        strata = f"stratified by {', '.join(self.stratify)}" if self.stratify else "unstratified"
        fit = "all cells" if self.all_cells else "truncated at N >= 1 (openEBGM)"
        return (
            f"roles {self.roles}; period {period}; {comp}; {strata}; MGPS likelihood {fit}; "
            f"zero cells: {self.zero_correction}"
        )


@dataclass
class SignalResult:
    table: pd.DataFrame
    options: SignalOptions
    data_version: str
    rules: str = RULES
    hyper: Hyper | None = None
    population: int = 0
    notes: list[str] = field(default_factory=list)

    def about(self) -> dict[str, Any]:
        return {
            "signal_rules": self.rules,
            "data_version": self.data_version,
            "options": self.options.describe(),
            "population_reports": self.population,
            "mgps_hyperparameters": None if self.hyper is None else self.hyper.as_dict(),
            "notes": self.notes,
        }


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def count_pairs(
    con: duckdb.DuckDBPyConnection,
    rd: str,
    re_: str,
    strata: str | None = None,
    pairs: str | None = None,
) -> str:
    """Count every pair; returns the name of a temp table (drug, event, a, n_drug, n_event, n,
    expected).

    ``rd``/``re_`` are relations of distinct (rid, drug) and (rid, event); ``strata`` a relation
    (rid, s) of every report of the population; ``pairs`` optionally a relation of distinct
    (rid, drug, event) when pairs are not the within-report cross product (openEBGM's raw rows).
    """
    if pairs is None:
        # integer codes for drugs and events: the join and GROUP BY of every report's drug x
        # event rows (hundreds of millions at full scale) then hash integers, not strings
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _dn AS
            SELECT drug, (row_number() OVER ())::INTEGER AS d FROM (SELECT DISTINCT drug FROM {rd});
            CREATE OR REPLACE TEMP TABLE _en AS
            SELECT event, (row_number() OVER ())::INTEGER AS e FROM (SELECT DISTINCT event FROM {re_});
            CREATE OR REPLACE TEMP TABLE _ai AS
            SELECT x.d, y.e, count(*) AS a
            FROM (SELECT rid, d FROM {rd} JOIN _dn USING (drug)) x
            JOIN (SELECT rid, e FROM {re_} JOIN _en USING (event)) y USING (rid)
            GROUP BY ALL;
            CREATE OR REPLACE TEMP TABLE _a AS
            SELECT _dn.drug, _en.event, _ai.a FROM _ai JOIN _dn USING (d) JOIN _en USING (e);
            DROP TABLE _ai;
        """)  # fmt: skip
    else:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _a AS SELECT drug, event, count(*) AS a FROM {pairs} GROUP BY ALL"
        )
    if strata is None:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _pairs AS
            WITH dm AS (SELECT drug, count(*) AS n_drug FROM {rd} GROUP BY ALL),
                 em AS (SELECT event, count(*) AS n_event FROM {re_} GROUP BY ALL),
                 t AS (SELECT count(DISTINCT rid) AS n FROM (SELECT rid FROM {rd} UNION SELECT rid FROM {re_}))
            SELECT p.drug, p.event, p.a, dm.n_drug, em.n_event, t.n,
                   dm.n_drug::DOUBLE * em.n_event / t.n AS expected
            FROM _a p JOIN dm USING (drug) JOIN em USING (event), t
        """)  # fmt: skip
        return "_pairs"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _pairs AS
        WITH dms AS (SELECT drug, s, count(*) AS n FROM {rd} JOIN {strata} USING (rid) GROUP BY ALL),
             ems AS (SELECT event, s, count(*) AS n FROM {re_} JOIN {strata} USING (rid) GROUP BY ALL),
             ts AS (SELECT s, count(*) AS n FROM {strata} GROUP BY ALL),
             e AS (SELECT p.drug, p.event, sum(dms.n::DOUBLE * ems.n / ts.n) AS expected
                   FROM _a p JOIN dms USING (drug) JOIN ems ON ems.event = p.event AND ems.s = dms.s
                   JOIN ts ON ts.s = dms.s GROUP BY ALL),
             dm AS (SELECT drug, sum(n) AS n_drug FROM dms GROUP BY ALL),
             em AS (SELECT event, sum(n) AS n_event FROM ems GROUP BY ALL),
             t AS (SELECT sum(n) AS n FROM ts)
        SELECT p.drug, p.event, p.a, dm.n_drug, em.n_event, t.n, coalesce(e.expected, 0) AS expected
        FROM _a p JOIN dm USING (drug) JOIN em USING (event) LEFT JOIN e USING (drug, event), t
    """)  # fmt: skip
    return "_pairs"


def measures_table(
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    expected: np.ndarray,
    hyper: Hyper | None,
    zero_correction: str = "none",
) -> dict[str, np.ndarray]:
    """Every measure and signal flag for arrays of 2×2 cells (E given, e.g. stratified)."""
    t = two_by_two(a, b, c, d)
    tc = t.corrected(zero_correction)  # type: ignore[arg-type]
    p, p_lo, p_hi = prr(tc)
    r, r_lo, r_hi = ror(tc)
    chi = chi2_yates(t)
    ic, ic_lo, ic_hi = information_component(t.a, expected)
    out = {
        "a": t.a.astype(np.int64), "b": t.b.astype(np.int64), "c": t.c.astype(np.int64),
        "d": t.d.astype(np.int64), "N": t.n.astype(np.int64), "expected": np.asarray(expected, float),
        "prr": p, "prr_lo": p_lo, "prr_hi": p_hi, "ror": r, "ror_lo": r_lo, "ror_hi": r_hi,
        "chi2_yates": chi, "ic": ic, "ic025": ic_lo, "ic975": ic_hi,
    }  # fmt: skip
    if hyper is not None:
        post = posterior(t.a, np.maximum(np.asarray(expected, float), 1e-12), hyper)
        out.update(ebgm=post.ebgm, eb05=post.eb05, eb95=post.eb95)
    else:
        nan = np.full(t.a.shape, np.nan)
        out.update(ebgm=nan, eb05=nan, eb95=nan)
    with np.errstate(invalid="ignore"):
        out["signal_prr"] = (p >= 2) & (chi >= 4) & (t.a >= 3)
        out["signal_ic"] = ic_lo > 0
        out["signal_mgps"] = out["eb05"] >= 2
    return out


class _Query:
    """The population and (report, drug) / (report, event) relations of one analysis."""

    def __init__(
        self, store: Path, options: SignalOptions, threads: int | None, memory: str | None
    ):
        cur = store / "current"
        if not (cur / "reports.parquet").exists():
            raise PsoregError(f"{store}: no analysis tables; run `psoreg signals ingest` first")
        self.store = store
        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads={int(threads)}")
        if memory:
            self.con.execute(f"SET memory_limit={_q(memory)}")
        self.con.execute(f"SET temp_directory={_q(str(store / '.duckdb-tmp'))}")
        self.con.execute("SET preserve_insertion_order=false")
        o = options
        where = []
        if o.period[0]:
            where.append(f"quarter >= {_q(o.period[0])}")
        if o.period[1]:
            where.append(f"quarter <= {_q(o.period[1])}")
        cond = " AND ".join(where) or "true"
        roles = ", ".join(_q(r) for r in ROLES[o.roles])
        strata = " || '|' || ".join(f"coalesce({s}::VARCHAR, '?')" for s in o.stratify) or "''"
        c = self.con
        c.execute(f"""
            CREATE TEMP TABLE rd0 AS SELECT DISTINCT d.rid, d.ingredient AS drug
            FROM read_parquet({_q(str(cur / 'drugs.parquet'))}) d
            SEMI JOIN (SELECT rid FROM read_parquet({_q(str(cur / 'reports.parquet'))}) WHERE {cond}) r
              ON d.rid = r.rid
            WHERE d.role_cod IN ({roles}) AND d.ingredient IS NOT NULL
        """)  # fmt: skip
        c.execute(f"""
            CREATE TEMP TABLE re0 AS SELECT rid, pt_key AS event
            FROM read_parquet({_q(str(cur / 'reactions.parquet'))}) x
            SEMI JOIN (SELECT DISTINCT rid FROM rd0) r ON x.rid = r.rid
        """)  # fmt: skip
        c.execute("""
            CREATE TEMP TABLE rd AS SELECT * FROM rd0 SEMI JOIN (SELECT DISTINCT rid FROM re0) r
              ON rd0.rid = r.rid
        """)  # fmt: skip
        c.execute("CREATE TEMP VIEW re AS SELECT * FROM re0")
        c.execute(f"""
            CREATE TEMP TABLE pop AS SELECT rid, {strata} AS s
            FROM read_parquet({_q(str(cur / 'reports.parquet'))})
            SEMI JOIN (SELECT DISTINCT rid FROM rd) r USING (rid)
        """)  # fmt: skip
        self.population = c.execute("SELECT count(*) FROM pop").fetchone()[0]
        self.options = o
        if self.population == 0:
            self.con.close()
            raise PsoregError(
                f"no report has a drug of roles {o.roles} and a reaction in the period "
                f"{o.period[0] or 'first'}–{o.period[1] or 'last'} quarter"
            )

    def close(self) -> None:
        self.con.close()


def _data_version(store: Path, options: SignalOptions, meddra: Meddra | None) -> str:
    s = read_summary(store)
    q = s["quarters"]
    layouts = sorted(set(s["layouts"].values()))
    m = s["mapping"]
    cov = "n/a" if m["coverage"] is None else f"{100 * m['coverage']:.1f}%"
    med = f"MedDRA {meddra.version}" if meddra else "PT names as reported (no MedDRA hierarchy)"
    return (
        f"{'+'.join(x.upper() for x in layouts)} {q[0]}–{q[-1]} ({len(q)} quarter(s)); "
        f"{s['reports_after']:,} current reports of {s['reports_before']:,} rows "
        f"({s['superseded_versions']:,} superseded versions, {s['deleted_cases_removed']:,} deleted "
        f"cases removed); drug mapping {m['version']} ({cov} of drug rows mapped); {med}; "
        f"built {s['built_at']}"
    )


def _fit_key(store: Path, options: SignalOptions) -> str:
    s = read_summary(store)
    key = json.dumps(
        [s["built_at"], options.roles, options.period, options.stratify, options.all_cells],
        default=str,
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _prior(qry: _Query, options: SignalOptions, counted: bool = False) -> tuple[Hyper, str]:
    """MGPS prior over every PT-level pair of the population (cached in the store)."""
    cache = qry.store / "current" / "cache"
    key = _fit_key(qry.store, options)
    path = cache / f"mgps-{key}.json"
    if path.exists():
        d = json.loads(path.read_text())
        return Hyper(**d), "cached"
    strata = "pop" if options.stratify else None
    table = "_pairs" if counted else count_pairs(qry.con, "rd", "re", strata)
    n, e = (
        qry.con.execute(f"SELECT a::DOUBLE, expected FROM {table} WHERE expected > 0")
        .fetchnumpy()
        .values()
    )
    if options.all_cells:
        cells = qry.con.execute(
            "SELECT (SELECT count(DISTINCT drug) FROM rd) * (SELECT count(DISTINCT event) FROM re)"
        ).fetchone()[0]
        if cells > 20_000_000:
            raise PsoregError(
                f"--all-cells: {cells:,} drug × event cells is too many to fit with zeros; "
                "use the truncated likelihood (default)"
            )
        zeros = qry.con.execute(f"""
            SELECT dm.n::DOUBLE * em.n / (SELECT count(*) FROM pop) AS expected
            FROM (SELECT drug, count(*) n FROM rd GROUP BY ALL) dm
            CROSS JOIN (SELECT event, count(*) n FROM re GROUP BY ALL) em
            ANTI JOIN {table} p ON p.drug = dm.drug AND p.event = em.event
        """).fetchnumpy()["expected"]  # fmt: skip
        n = np.concatenate([n, np.zeros(zeros.size)])
        e = np.concatenate([e, zeros])
        hyper = fit_hyperparameters(n, e, truncate=None)
    else:
        hyper = fit_hyperparameters(n, e, truncate=1)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(hyper)))
    return hyper, "fitted"


def run_signals(
    store: Path,
    drugs: Sequence[str] = (),
    events: Sequence[EventSpec] = (),
    options: SignalOptions | None = None,
    meddra: Meddra | None = None,
    synonyms: Path | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> SignalResult:
    """Measures for the requested drugs × events (every drug / every PT when none given)."""
    options = options or SignalOptions()
    mapper = load_mapper(synonyms)
    qry = _Query(store, options, threads, memory_limit)
    con = qry.con
    notes: list[str] = []
    try:
        known = {r[0] for r in con.execute("SELECT DISTINCT drug FROM rd").fetchall()}
        mapper.add_known(known)
        targets = []
        for name in drugs:
            ingr = mapper.resolve(name)
            if ingr not in known:
                notes.append(f"drug {name!r} ({ingr}): no report in this population")
            targets.append(ingr)
        controls = [mapper.resolve(x) for x in options.controls]
        # events: PT keys and groups as (rid, event) relations
        specs = list(events)
        if meddra is not None:
            con.execute(
                "CREATE TEMP TABLE llt AS SELECT * FROM (VALUES "
                + ",".join(f"({_q(k)}, {_q(v)})" for k, v in meddra.llt_to_pt.items())
                + ") t(llt, pt)"
                if meddra.llt_to_pt
                else "CREATE TEMP TABLE llt (llt VARCHAR, pt VARCHAR)"
            )
            con.execute("""CREATE OR REPLACE TEMP VIEW re AS SELECT DISTINCT rid, coalesce(llt.pt, event) AS event
                           FROM re0 LEFT JOIN llt ON llt.llt = re0.event""")  # fmt: skip
        members = [(sp.name, pt) for sp in specs for pt in sp.pts]
        con.execute("CREATE TEMP TABLE ev (name VARCHAR, pt VARCHAR)")
        if members:
            con.executemany("INSERT INTO ev VALUES (?, ?)", members)
        con.execute("""CREATE TEMP TABLE re_t AS SELECT DISTINCT re.rid, ev.name AS event
                       FROM re JOIN ev ON ev.pt = re.event""")  # fmt: skip
        target_re = "re_t" if specs else "re"
        con.execute("CREATE TEMP TABLE tgt (drug VARCHAR)")
        if targets:
            con.executemany("INSERT INTO tgt VALUES (?)", [(t,) for t in targets])
        target_rd = "(SELECT * FROM rd SEMI JOIN tgt USING (drug))" if targets else "rd"
        hyper = None
        every_pair = not targets and not specs and not options.controls
        if every_pair:
            count_pairs(con, "rd", "re", "pop" if options.stratify else None)
        if options.mgps and not options.controls:
            hyper, how = _prior(qry, options, counted=every_pair)
            notes.append(f"MGPS prior {how} over {hyper.points:,} PT-level pairs")
        elif options.mgps:
            notes.append(
                "MGPS not computed with a control-drug comparator (its prior is database-wide)"
            )
        if every_pair:
            frame = con.execute("""
                SELECT drug, event, a, n_drug - a AS b, n_event - a AS c,
                       n - n_drug - n_event + a AS d, expected, 'PT' AS event_type FROM _pairs
            """).df()  # fmt: skip
        else:
            frame = _target_counts(con, target_rd, target_re, targets, specs, options, controls)
        cols = measures_table(
            frame["a"].to_numpy(float), frame["b"].to_numpy(float),
            frame["c"].to_numpy(float), frame["d"].to_numpy(float),
            frame["expected"].to_numpy(float), hyper, options.zero_correction,
        )  # fmt: skip
        table = pd.DataFrame({"drug": frame["drug"], "event": frame["event"],
                              "event_type": frame["event_type"], **cols})  # fmt: skip
        names = dict(
            con.execute(
                f"SELECT pt_key, pt FROM read_parquet({_q(str(store / 'current' / 'pt_names.parquet'))})"
            ).fetchall()
        )
        if meddra is not None:
            names.update(meddra.pt_names)
        table["event"] = [
            names.get(" ".join(e.lower().split()), e) if t == "PT" else e
            for e, t in zip(table["event"], table["event_type"], strict=True)
        ]
        version = _data_version(store, options, meddra)
        table["signal_rules"] = RULES
        table["data_version"] = f"{version}; {options.describe()}"
        return SignalResult(
            table.sort_values(["drug", "event_type", "event"]).reset_index(drop=True),
            options, version, RULES, hyper, qry.population, notes,
        )  # fmt: skip
    finally:
        qry.close()


def _target_counts(
    con: duckdb.DuckDBPyConnection,
    rd: str,
    re_: str,
    targets: list[str],
    specs: list[EventSpec],
    options: SignalOptions,
    controls: list[str],
) -> pd.DataFrame:
    """a, b, c, d and E of the requested rows (every requested drug × event, zeros kept)."""
    kinds = {sp.name: sp.kind for sp in specs}
    strata = "pop" if options.stratify else None
    if options.controls:
        ctl = ", ".join(_q(c) for c in controls)
        frame = con.execute(f"""
            WITH ctrl AS (SELECT DISTINCT rid FROM rd WHERE drug IN ({ctl})),
                 x AS (SELECT * FROM {rd}),
                 xm AS (SELECT drug, count(*) AS n_x FROM x GROUP BY ALL),
                 ev AS (SELECT DISTINCT event FROM {re_}),
                 grid AS (SELECT drug, event FROM xm CROSS JOIN ev),
                 a AS (SELECT drug, event, count(*) AS a FROM x JOIN {re_} USING (rid) GROUP BY ALL),
                 ce AS (SELECT event, count(*) AS ce FROM {re_} SEMI JOIN ctrl USING (rid) GROUP BY ALL),
                 xce AS (SELECT drug, event, count(*) AS n FROM x SEMI JOIN ctrl USING (rid)
                         JOIN {re_} USING (rid) GROUP BY ALL),
                 xc AS (SELECT drug, count(*) AS n FROM x SEMI JOIN ctrl USING (rid) GROUP BY ALL),
                 nc AS (SELECT count(*) AS n FROM ctrl)
            SELECT g.drug, g.event, coalesce(a.a, 0) AS a, xm.n_x - coalesce(a.a, 0) AS b,
                   coalesce(ce.ce, 0) - coalesce(xce.n, 0) AS c,
                   (nc.n - coalesce(xc.n, 0)) - (coalesce(ce.ce, 0) - coalesce(xce.n, 0)) AS d
            FROM grid g JOIN xm USING (drug) LEFT JOIN a USING (drug, event)
            LEFT JOIN ce USING (event) LEFT JOIN xce USING (drug, event) LEFT JOIN xc USING (drug), nc
        """).df()  # fmt: skip
        n = frame[["a", "b", "c", "d"]].sum(axis=1)
        frame["expected"] = (frame.a + frame.b) * (frame.a + frame.c) / n.where(n > 0)
    else:
        # the full margins come from the whole population, the cells only for the targets
        grid_drugs = "tgt" if targets else "(SELECT DISTINCT drug FROM rd)"
        grid_events = (
            "(SELECT DISTINCT event FROM re_t)" if specs else "(SELECT DISTINCT event FROM re)"
        )
        if specs:
            grid_events = "(SELECT name AS event FROM (SELECT DISTINCT name FROM ev))"
        base = f"""
            WITH dm AS (SELECT drug, count(*) AS n_drug FROM rd SEMI JOIN {grid_drugs} g USING (drug) GROUP BY ALL),
                 em AS (SELECT event, count(*) AS n_event FROM {re_} GROUP BY ALL),
                 t AS (SELECT count(*) AS n FROM pop),
                 grid AS (SELECT g.drug, e.event FROM {grid_drugs} g CROSS JOIN {grid_events} e),
                 a AS (SELECT drug, event, count(*) AS a FROM {rd} JOIN {re_} USING (rid) GROUP BY ALL)
        """  # fmt: skip
        if targets or specs:
            sql = base + """
                SELECT grid.drug, grid.event, coalesce(a.a, 0) AS a,
                       coalesce(dm.n_drug, 0) - coalesce(a.a, 0) AS b,
                       coalesce(em.n_event, 0) - coalesce(a.a, 0) AS c,
                       t.n - coalesce(dm.n_drug, 0) - coalesce(em.n_event, 0) + coalesce(a.a, 0) AS d,
                       coalesce(dm.n_drug, 0)::DOUBLE * coalesce(em.n_event, 0) / t.n AS expected
                FROM grid LEFT JOIN a USING (drug, event) LEFT JOIN dm USING (drug)
                LEFT JOIN em USING (event), t
            """  # fmt: skip
        else:  # every pair with a >= 1
            sql = base + """
                SELECT a.drug, a.event, a.a, dm.n_drug - a.a AS b, em.n_event - a.a AS c,
                       t.n - dm.n_drug - em.n_event + a.a AS d,
                       dm.n_drug::DOUBLE * em.n_event / t.n AS expected
                FROM a JOIN dm USING (drug) JOIN em USING (event), t
            """  # fmt: skip
        frame = con.execute(sql).df()
        if strata is not None and len(frame):
            con.register("_rows", frame[["drug", "event"]])
            strat_e = con.execute(f"""
                WITH dms AS (SELECT drug, s, count(*) AS n FROM {rd} JOIN pop USING (rid) GROUP BY ALL),
                     ems AS (SELECT event, s, count(*) AS n FROM {re_} JOIN pop USING (rid) GROUP BY ALL),
                     ts AS (SELECT s, count(*) AS n FROM pop GROUP BY ALL)
                SELECT r.drug, r.event, sum(dms.n::DOUBLE * ems.n / ts.n) AS expected_s
                FROM _rows r JOIN dms USING (drug) JOIN ems ON ems.event = r.event AND ems.s = dms.s
                JOIN ts ON ts.s = dms.s GROUP BY ALL
            """).df()  # fmt: skip
            frame = frame.merge(strat_e, on=["drug", "event"], how="left")
            frame["expected"] = frame["expected_s"].fillna(0.0)
            frame = frame.drop(columns="expected_s")
    frame["event_type"] = [kinds.get(e, "PT") for e in frame["event"]]
    return frame


def arrow_table(result: SignalResult) -> pa.Table:
    return pa.Table.from_pandas(result.table, preserve_index=False)


def run_report_table(
    path: Path,
    report: str = "id",
    drug: str = "var1",
    event: str = "var2",
    stratum: str | None = None,
    hyper: Hyper | None = None,
    options: SignalOptions | None = None,
) -> SignalResult:
    """Every drug × event pair of a long table of reports (one row per report × drug × event,
    as openEBGM's ``processRaw`` takes it; CSV, gzipped CSV or Parquet).

    N counts the distinct reports of a pair; the margins the distinct reports of each drug and
    event (and ``stratum`` gives openEBGM's stratified E). ``hyper`` skips the fit.
    """
    import hashlib as _hashlib

    options = options or SignalOptions()
    if not path.exists():
        raise PsoregError(f"{path}: no such file")
    con = duckdb.connect()
    reader = (
        f"read_parquet({_q(str(path))})"
        if path.suffix.lower() == ".parquet"
        else f"read_csv({_q(str(path))}, all_varchar=true, header=true)"
    )
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
    for col in (report, drug, event, *([stratum] if stratum else [])):
        if col not in cols:
            raise PsoregError(f"{path.name}: no column {col!r}; columns: {', '.join(cols)}")
    s = f"coalesce({stratum}::VARCHAR, '?')" if stratum else "''"
    con.execute(f"""CREATE TEMP TABLE rows AS SELECT DISTINCT {report}::VARCHAR AS rid,
                    {drug}::VARCHAR AS drug, {event}::VARCHAR AS event, {s} AS s FROM {reader}
                    WHERE {drug} IS NOT NULL AND {event} IS NOT NULL""")  # fmt: skip
    con.execute("CREATE TEMP TABLE rd AS SELECT DISTINCT rid, drug FROM rows")
    con.execute("CREATE TEMP TABLE re AS SELECT DISTINCT rid, event FROM rows")
    con.execute("CREATE TEMP TABLE pop AS SELECT rid, any_value(s) AS s FROM rows GROUP BY rid")
    pairs = "(SELECT DISTINCT rid, drug, event FROM rows)"
    table = count_pairs(con, "rd", "re", "pop" if stratum else None, pairs)
    frame = con.execute(f"""SELECT drug, event, a, n_drug - a AS b, n_event - a AS c,
                            n - n_drug - n_event + a AS d, expected FROM {table}""").df()  # fmt: skip
    population = con.execute("SELECT count(*) FROM pop").fetchone()[0]
    con.close()
    notes = []
    if hyper is None and options.mgps:
        hyper = fit_hyperparameters(frame["a"].to_numpy(float), frame["expected"].to_numpy(float))
        notes.append(f"MGPS prior fitted over {hyper.points:,} pairs (truncated at N >= 1)")
    elif hyper is not None:
        notes.append("MGPS prior given by the user")
    cols_ = measures_table(
        frame["a"].to_numpy(float), frame["b"].to_numpy(float), frame["c"].to_numpy(float),
        frame["d"].to_numpy(float), frame["expected"].to_numpy(float), hyper,
        options.zero_correction,
    )  # fmt: skip
    out = pd.DataFrame({"drug": frame["drug"], "event": frame["event"], "event_type": "PT",
                        **cols_})  # fmt: skip
    digest = _hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    version = (
        f"{path.name} (sha256 {digest}); {population:,} reports; pairs from rows "
        f"({report}, {drug}, {event}); "
        + (f"stratified by {stratum}" if stratum else "unstratified")
    )
    out["signal_rules"] = RULES
    out["data_version"] = version
    return SignalResult(out, options, version, RULES, hyper, population, notes)


def _measures_parallel(
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    expected: np.ndarray,
    hyper: Hyper | None,
    zero_correction: str,
    threads: int | None,
    chunk: int = 1 << 20,
) -> dict[str, np.ndarray]:
    """:func:`measures_table` over chunks of pairs on every core (numpy and scipy.special
    release the GIL); element-wise, so the result is the same as one call."""
    from concurrent.futures import ThreadPoolExecutor

    if len(a) <= chunk:
        return measures_table(a, b, c, d, expected, hyper, zero_correction)
    starts = range(0, len(a), chunk)
    workers = threads or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda i: measures_table(
            a[i:i + chunk], b[i:i + chunk], c[i:i + chunk], d[i:i + chunk],
            expected[i:i + chunk], hyper, zero_correction), starts))  # fmt: skip
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def run_all_pairs(
    store: Path,
    out: Path,
    options: SignalOptions | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> dict[str, Any]:
    """Every drug × PT pair with a ≥ 1, all measures, written to Parquet (for full-database
    runs: strings stay in Arrow, the measures are numpy columns). Returns counts and timings."""
    import time

    import pyarrow.parquet as pq

    options = options or SignalOptions()
    if options.controls:
        raise PsoregError("every pair: a control-drug comparator needs named drugs (--drug)")
    t0 = time.perf_counter()
    qry = _Query(store, options, threads, memory_limit)
    try:
        t_pop = time.perf_counter()
        count_pairs(qry.con, "rd", "re", "pop" if options.stratify else None)
        t_count = time.perf_counter()
        hyper = None
        if options.mgps:
            hyper, _ = _prior(qry, options, counted=True)
        t_fit = time.perf_counter()
        names = _q(str(store / "current" / "pt_names.parquet"))
        arrow = qry.con.sql(
            "SELECT p.drug, coalesce(x.pt, p.event) AS event, p.a, p.n_drug, p.n_event, p.n, "
            f"p.expected FROM _pairs p LEFT JOIN read_parquet({names}) x ON x.pt_key = p.event"
        ).to_arrow_table()
    finally:
        qry.close()
    a = arrow["a"].to_numpy().astype(float)
    nd = arrow["n_drug"].to_numpy().astype(float)
    ne = arrow["n_event"].to_numpy().astype(float)
    n = arrow["n"].to_numpy().astype(float)
    cols = _measures_parallel(a, nd - a, ne - a, n - nd - ne + a, arrow["expected"].to_numpy(),
                              hyper, options.zero_correction, threads)  # fmt: skip
    t_measures = time.perf_counter()
    table = pa.table({"drug": arrow["drug"], "event": arrow["event"], **cols})
    version = f"{_data_version(store, options, None)}; {options.describe()}"
    table = table.replace_schema_metadata({"signal_rules": RULES, "data_version": version})
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out, compression="zstd")
    t_end = time.perf_counter()
    return {
        "pairs": table.num_rows,
        "population": qry.population,
        "hyper": None if hyper is None else hyper.as_dict(),
        "seconds": {
            "population": round(t_pop - t0, 2), "count_pairs": round(t_count - t_pop, 2),
            "mgps_fit": round(t_fit - t_count, 2), "measures": round(t_measures - t_fit, 2),
            "write": round(t_end - t_measures, 2), "total": round(t_end - t0, 2),
        },
        "signals": {k: int(np.sum(cols[k])) for k in ("signal_prr", "signal_ic", "signal_mgps")},
        "rules": RULES,
        "data_version": version,
    }  # fmt: skip


def prime_prior(
    store: Path,
    options: SignalOptions | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> Hyper:
    """Fit and cache the MGPS prior of ``options`` (default: the default analysis), so that the
    first query of a new store (e.g. from the web page) does not wait for the all-pairs count."""
    qry = _Query(store, options or SignalOptions(), threads, memory_limit)
    try:
        return _prior(qry, qry.options)[0]
    finally:
        qry.close()

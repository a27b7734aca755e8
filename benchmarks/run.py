"""psoreg benchmark: outcomes of synthetic registry cohorts on DuckDB (and Spark), against a
straightforward pandas implementation.

    .venv/bin/python benchmarks/run.py                        # 100k and 1M courses (make bench)
    BENCH_SIZES=10000,50000 .venv/bin/python benchmarks/run.py  # smaller, quicker

For each size it generates a cohort (:func:`psoreg.synth.synthesize`, ~15 visits per course)
and measures, each in a fresh subprocess (time, and peak RSS of that process):

* a plain DuckDB scan of the same Parquet columns the engine reads (the machine's limit), and
  one hash aggregation of the visits by course (one of the engine's many passes);
* the DuckDB engine, Parquet to Parquet (:func:`psoreg.scale.run_outcomes_parquet`);
* once, on the largest cohort, the same under a memory limit: one pass that DuckDB spills,
  against the planned batches;
* the polars peer (``benchmarks/polars_baseline.py``: the same four outcomes, vectorised, lazy)
  on every cohort, checked against the engine, and the engine's time as a ratio of it;
* the pandas baseline (``benchmarks/pandas_baseline.py``: groupby-apply per course of PASI75
  week, treatment success, secondary failure and relapse) on the smallest cohort (or the first
  ``BENCH_PANDAS_COURSES`` of its courses), its per-course time extrapolated linearly to the
  larger sizes (and labelled so); its results are checked against the engine's;
* Spark local mode on the 100k cohort (information only; session start-up reported apart);
* **import of abstracted rows** (issue 9): a CSV of ``BENCH_IMPORT_ROWS`` rows (the case
  series' 8 rows repeated, each with its own patient id) read by :func:`psoreg.io.load` - every
  row decoded, parsed and validated, streamed - against a plain ``pandas.read_csv`` of the same
  file (no validation) as the baseline: peak RSS of each (target: the import ≤ 2 GiB).

Environment:

* ``BENCH_SIZES``          course counts, comma-separated (default ``100000,1000000``)
* ``BENCH_REPEAT``         runs of each DuckDB measurement; the fastest is reported (default 2)
* ``BENCH_PANDAS_COURSES`` courses the pandas baseline runs on, at most the smallest cohort
  (default 100000, about 4 minutes; 0 = all courses of the smallest cohort)
* ``BENCH_MEMORY_LIMIT``   limit for the bounded-memory comparison (default ``1GB``; empty: skip)
* ``BENCH_SPARK``          ``0`` to skip Spark (default: run it when pyspark and Java are there)
* ``BENCH_DIR``            where cohorts are written (default: a temporary directory, removed)
* ``BENCH_JSON``           also write the results as JSON to this path
* ``BENCH_IMPORT_ROWS``    rows of the abstracted import section (default 1000000; 0: skip)
* ``BENCH_SECTIONS``       ``engine,import`` (default) or one of them
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 2024
#: The columns of each input table that the engine reads (the plain scan reads the same).
ENGINE_COLUMNS = {
    "courses": [
        "course_id", "patient_id", "drug", "regimen", "stop_week", "stop_reason",
        "followup_week", "baseline_pasi", "baseline_dlqi", "next_treatment",
    ],
    "assessments": ["course_id", "week", "pasi", "dlqi"],
    "milestones": ["course_id", "milestone", "week"],
    "events": ["course_id", "kind", "week", "morphology", "rebound_morphology"],
    "relapses": ["course_id", "weeks_after_stop", "morphology", "pustular", "rebound_morphology"],
}  # fmt: skip


# --------------------------------------------------------------------------------------------
# Tasks, each run in its own process: ``run.py --task NAME JSON-ARGS`` prints one JSON line.
# --------------------------------------------------------------------------------------------


def task_synth(courses: int, out: str) -> dict[str, Any]:
    from psoreg.synth import synthesize

    rows = synthesize(courses, SEED, Path(out))
    return {"rows": rows}


def task_scan(input: str) -> dict[str, Any]:
    """A plain scan: every value of every column the engine reads, decoded and hashed (so that
    nothing is answered from the Parquet statistics)."""
    import duckdb

    con = duckdb.connect()
    for table, columns in ENGINE_COLUMNS.items():
        aggs = ", ".join(f"sum(hash({c}))" for c in columns)
        con.execute(f"SELECT count(*), {aggs} FROM read_parquet('{input}/{table}.parquet')")
        con.fetchall()
    return {}


def task_groupby(input: str) -> dict[str, Any]:
    """One pass of the engine's kind over the visits: a hash aggregate per course."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        "SELECT count(*), sum(n), sum(w) FROM (SELECT course_id, count(*) n, "
        "min(week) FILTER (WHERE pasi <= 2) w, max(pasi) p "
        f"FROM read_parquet('{input}/assessments.parquet') GROUP BY course_id)"
    )
    con.fetchall()
    return {}


def task_engine(
    input: str, out: str, memory_limit: str | None = None, batches: int | None = None
) -> dict[str, Any]:
    import logging

    from psoreg.scale import plan_batches, run_outcomes_parquet

    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logging.getLogger("psoreg.scale").addHandler(Keep())
    logging.getLogger("psoreg.scale").setLevel(logging.INFO)
    import pyarrow.parquet as pq

    visits = pq.ParquetFile(f"{input}/assessments.parquet").metadata.num_rows
    n = run_outcomes_parquet(
        Path(input), Path(out), memory_limit=memory_limit, batches=batches, progress=False
    )
    return {
        "rows": n,
        "batches": batches or plan_batches(visits, memory_limit),
        "log": messages,
    }


def task_pandas(input: str, courses: int, out: str) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from pandas_baseline import pandas_outcomes

    result = pandas_outcomes(Path(input), courses=courses or None)
    result.to_parquet(out)
    return {"rows": len(result)}


def task_polars(input: str, out: str) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from polars_baseline import polars_outcomes

    result = polars_outcomes(Path(input))
    result.to_parquet(out)
    return {"rows": len(result)}


def task_spark(input: str, out: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("psoreg-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.range(1).count()  # the JVM is up
    started = time.perf_counter() - t0
    from psoreg.scale import run_outcomes_parquet

    t1 = time.perf_counter()
    n = run_outcomes_parquet(Path(input), Path(out), engine="spark", progress=False)
    query = time.perf_counter() - t1
    session.stop()
    return {"rows": n, "session_seconds": started, "query_seconds": query}


def task_import(input: str) -> dict[str, Any]:
    """psoreg's reading layer: every row decoded, parsed, validated (streamed)."""
    from psoreg.io import load

    cohort = load(input)
    return {"rows": len(cohort.courses), "milestones": len(cohort.milestones)}


def task_pandas_read(input: str) -> dict[str, Any]:
    """The baseline: a plain pandas read of the same file, every cell as text, no checks."""
    import pandas as pd

    df = pd.read_csv(input, dtype=str, keep_default_na=False)
    return {"rows": len(df)}


def write_abstracted(path: Path, rows: int) -> int:
    """The case series' rows repeated to ``rows`` rows, each with its own patient id."""
    import csv

    src = list(csv.reader((HERE.parent / "examples/ukmmc-ustekinumab-case-series.csv").open()))
    header, body = src[0], src[1:]
    pid = header.index("patient")
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for i in range(rows):
            r = list(body[i % len(body)])
            r[pid] = f"P{i:07d}"
            w.writerow(r)
    return path.stat().st_size


def import_section(work: Path, rows: int) -> dict[str, Any]:
    path = work / f"abstracted-{rows}.csv"
    size = write_abstracted(path, rows)
    base = measure("pandas_read", input=str(path))
    imp = measure("import", input=str(path))
    assert imp["rows"] == rows, imp
    ratio = imp["max_rss_bytes"] / base["max_rss_bytes"]
    met = imp["max_rss_bytes"] <= 2 * 2**30
    print(
        f"import of {rows:,} abstracted rows ({size / 1e6:.0f} MB CSV): psoreg (every row "
        f"validated, streamed) {imp['seconds']:.1f} s, peak RSS {gib(imp['max_rss_bytes'])}; "
        f"plain pandas read_csv (no checks) {base['seconds']:.1f} s, peak RSS "
        f"{gib(base['max_rss_bytes'])}; memory ratio {ratio:.2f}x; "
        f"target peak <= 2 GiB: {'met' if met else 'NOT met'}",
        flush=True,
    )
    path.unlink()
    return {"rows": rows, "bytes": size, "psoreg": imp, "pandas": base, "ratio": ratio}


TASKS = {
    "synth": task_synth,
    "scan": task_scan,
    "groupby": task_groupby,
    "engine": task_engine,
    "pandas": task_pandas,
    "polars": task_polars,
    "spark": task_spark,
    "import": task_import,
    "pandas_read": task_pandas_read,
}


def _run_task(name: str, args: dict[str, Any]) -> None:
    # imports are not what is measured (the parent reports the whole process time as well)
    import duckdb  # noqa: F401
    import pandas  # noqa: F401
    import polars  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import psoreg.scale  # noqa: F401
    import psoreg.synth  # noqa: F401

    t0 = time.perf_counter()
    result = TASKS[name](**args)
    result["seconds"] = time.perf_counter() - t0
    result["max_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(result))


def measure(name: str, **args: Any) -> dict[str, Any]:
    """Run a task in a fresh Python process and return what it reported."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--task", name, json.dumps(args)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"task {name} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - t0
    return result


def best_of(repeat: int, name: str, **args: Any) -> dict[str, Any]:
    runs = [measure(name, **args) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["seconds"])
    best["all_seconds"] = [round(r["seconds"], 2) for r in runs]
    best["max_rss_bytes"] = max(r["max_rss_bytes"] for r in runs)
    return best


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------


def input_bytes(directory: Path) -> tuple[int, int]:
    """Bytes of the engine's input columns: in the Parquet files (compressed) and decoded in
    memory (Arrow)."""
    import pyarrow.parquet as pq

    compressed = decoded = 0
    for table, columns in ENGINE_COLUMNS.items():
        f = pq.ParquetFile(directory / f"{table}.parquet")
        meta = f.metadata
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            for c in range(rg.num_columns):
                if rg.column(c).path_in_schema in columns:
                    compressed += rg.column(c).total_compressed_size
        for g in range(meta.num_row_groups):
            decoded += f.read_row_group(g, columns=columns).nbytes
    return compressed, decoded


def spark_available() -> bool:
    if os.environ.get("BENCH_SPARK", "1") == "0":
        return False
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


def engine_agrees_with_pandas(engine_out: Path, pandas_out: Path) -> dict[str, int]:
    import pandas as pd

    sys.path.insert(0, str(HERE))
    from pandas_baseline import disagreements

    return disagreements(pd.read_parquet(pandas_out), pd.read_parquet(engine_out))


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def machine() -> dict[str, Any]:
    import duckdb
    import ibis
    import pandas
    import pyarrow

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "memory": gib(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "duckdb": duckdb.__version__,
        "ibis": ibis.__version__,
        "pyarrow": pyarrow.__version__,
        "pandas": pandas.__version__,
    }
    try:
        import polars

        info["polars"] = polars.__version__
    except ImportError:
        pass
    try:
        import pyspark

        info["pyspark"] = pyspark.__version__
    except ImportError:
        pass
    return info


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "100000,1000000").split(",") if s]
    repeat = int(os.environ.get("BENCH_REPEAT", "2"))
    pandas_courses = int(os.environ.get("BENCH_PANDAS_COURSES", "100000"))
    limit = os.environ.get("BENCH_MEMORY_LIMIT", "1GB")
    base = os.environ.get("BENCH_DIR")
    work = Path(base) if base else Path(tempfile.mkdtemp(prefix="psoreg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(), "sizes": {}}
    sections = os.environ.get("BENCH_SECTIONS", "engine,import").split(",")
    import_rows = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
    print("machine:", json.dumps(results["machine"]))
    try:
        if "import" in sections and import_rows:
            results["import"] = import_section(work, import_rows)
        if "engine" not in sections:
            sizes = []
        for size in sizes:
            d = work / f"cohort-{size}"
            synth = measure("synth", courses=size, out=str(d))
            comp, uncomp = input_bytes(d)
            scan = best_of(repeat, "scan", input=str(d))
            groupby = best_of(repeat, "groupby", input=str(d))
            out = work / f"outcomes-{size}.parquet"
            eng = best_of(repeat, "engine", input=str(d), out=str(out))
            pol_out = work / f"polars-{size}.parquet"
            pol = best_of(repeat, "polars", input=str(d), out=str(pol_out))
            pol["disagreements"] = engine_agrees_with_pandas(out, pol_out)
            r = {
                "courses": size,
                "visits": synth["rows"]["assessments"],
                "synth": synth,
                "input_bytes_compressed": comp,
                "input_bytes_decoded": uncomp,
                "scan": scan,
                "groupby": groupby,
                "engine": eng,
                "polars": pol,
                "engine_over_polars": eng["seconds"] / pol["seconds"],
            }
            results["sizes"][size] = r
            print(
                f"{size:>9,} courses ({r['visits']:,} visits): synth {synth['seconds']:.1f} s; "
                f"scan {scan['seconds']:.2f} s; one GROUP BY of the visits "
                f"{groupby['seconds']:.2f} s; DuckDB engine {eng['seconds']:.2f} s "
                f"(runs {eng['all_seconds']}; whole process {eng['process_seconds']:.1f} s), "
                f"peak RSS {gib(eng['max_rss_bytes'])}, "
                f"input {comp / 1e6:.0f} MB in Parquet, {uncomp / 1e6:.0f} MB decoded: engine "
                f"{uncomp / eng['seconds'] / 1e6:.0f} MB/s, plain scan "
                f"{uncomp / scan['seconds'] / 1e6:.0f} MB/s",
                flush=True,
            )
            print(
                f"{size:>9,} courses: polars (4 outcomes, vectorised) {pol['seconds']:.2f} s, "
                f"peak RSS {gib(pol['max_rss_bytes'])}; DuckDB engine (45 columns) / polars = "
                f"{r['engine_over_polars']:.2f}x; engine / plain scan = "
                f"{eng['seconds'] / scan['seconds']:.1f}x; courses where polars differs from "
                f"the engine: {pol['disagreements']}",
                flush=True,
            )

        if not sizes:
            return
        smallest, largest = min(sizes), max(sizes)
        # pandas baseline on a sample of the smallest cohort
        n_pd = min(pandas_courses or smallest, smallest)
        pd_out = work / "pandas.parquet"
        pdr = measure(
            "pandas", input=str(work / f"cohort-{smallest}"), courses=n_pd, out=str(pd_out)
        )
        diffs = engine_agrees_with_pandas(work / f"outcomes-{smallest}.parquet", pd_out)
        per_course = pdr["seconds"] / n_pd
        results["pandas"] = {**pdr, "courses": n_pd, "disagreements": diffs}
        print(
            f"pandas baseline: {pdr['seconds']:.1f} s for {n_pd:,} courses "
            f"({per_course * 1e3:.2f} ms per course), peak RSS {gib(pdr['max_rss_bytes'])}; "
            f"courses where it differs from the engine: {diffs}",
            flush=True,
        )
        for size in sizes:
            r = results["sizes"][size]
            est = per_course * size
            label = "measured" if n_pd == size else f"extrapolated from {n_pd:,} courses"
            r["pandas_seconds"] = est
            r["pandas_label"] = label
            r["speedup"] = est / r["engine"]["seconds"]
            print(
                f"{size:>9,} courses: pandas {est:,.0f} s ({label}) / DuckDB "
                f"{r['engine']['seconds']:.2f} s = {r['speedup']:.0f}x",
                flush=True,
            )

        if limit:  # bounded memory on the largest cohort: DuckDB spilling vs batches
            d = work / f"cohort-{largest}"
            spill = measure(
                "engine", input=str(d), out=str(work / "spill.parquet"), memory_limit=limit,
                batches=1,
            )  # fmt: skip
            batched = measure(
                "engine", input=str(d), out=str(work / "batched.parquet"), memory_limit=limit
            )
            results["memory_limit"] = {"limit": limit, "one_pass": spill, "batches": batched}
            print(
                f"{largest:,} courses under memory_limit={limit}: one pass (spilling) "
                f"{spill['seconds']:.2f} s, peak RSS {gib(spill['max_rss_bytes'])}"
                f"{' (ran out of memory, fell back to batches)' if spill['log'] else ''}; "
                f"{batched['batches']} planned batches {batched['seconds']:.2f} s, peak RSS "
                f"{gib(batched['max_rss_bytes'])}",
                flush=True,
            )

        if spark_available():
            size = 100_000 if 100_000 in sizes else smallest
            sp = measure("spark", input=str(work / f"cohort-{size}"), out=str(work / "spark-out"))
            results["spark"] = {**sp, "courses": size}
            print(
                f"Spark local[2] on {size:,} courses: {sp['query_seconds']:.1f} s "
                f"(+ {sp['session_seconds']:.1f} s session start); DuckDB "
                f"{results['sizes'][size]['engine']['seconds']:.2f} s",
                flush=True,
            )
    finally:
        if not base:
            shutil.rmtree(work, ignore_errors=True)
        if os.environ.get("BENCH_JSON"):
            Path(os.environ["BENCH_JSON"]).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--task":
        _run_task(sys.argv[2], json.loads(sys.argv[3]))
    else:
        main()

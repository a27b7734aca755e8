"""psoreg benchmark: disproportionality (``psoreg.signals``), run by ``make bench-signals``.

    .venv/bin/python benchmarks/signals.py                               # everything, 20M reports
    BENCH_SIGNALS_REPORTS=2000000 .venv/bin/python benchmarks/signals.py  # a smaller scale run

1. **MGPS fit on caers** (openEBGM's data, 17,189 pairs), the fastest of 3 fits, beside the
   20.75 s openEBGM's vignette publishes for the same fit (goal: at least 10× faster), and the
   hyperparameters beside openEBGM's.
2. **vigipy side by side** on caers (``pip install -e '.[bench]'``): PRR, ROR, BCPNN (IC) and
   GPS (EBGM) in vigipy 3.5 against psoreg's measures on the *same* 2×2 cells (vigipy counts
   pairs, not reports, so both get vigipy's cells), timed, with the largest differences.
3. **Full scale**: a synthetic FAERS (``psoreg.signals.synth``) of ``BENCH_SIGNALS_REPORTS``
   reports (default 20,000,000) over 2004Q1–2024Q4, then, each in a fresh process (time and peak
   RSS of that process): ingest + de-duplication + mapping (goal: 15 min, 8 GiB), and every
   drug × PT pair with PRR, ROR, χ², IC and EBGM (goal: 5 min).

Environment: ``BENCH_SIGNALS_REPORTS``, ``BENCH_SIGNALS_DIR`` (keep the zips and store there and
reuse the zips; default a temporary folder, removed), ``BENCH_SIGNALS_MEMORY`` (DuckDB memory
limit, default 6GB), ``BENCH_SIGNALS_SCALE=0`` to skip part 3, ``BENCH_JSON`` (write results).
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
CAERS = HERE.parent.parent / "shared" / "data" / "pharmacovigilance" / "caers.csv.gz"
OPENEBGM_SECONDS = 20.75
OPENEBGM_THETA = (3.25596685, 0.39998994, 2.02376139, 1.90614108, 0.06530755)


def _caers_pairs() -> Any:
    from psoreg.signals.analysis import SignalOptions, run_report_table

    return run_report_table(CAERS, options=SignalOptions(mgps=False)).table


def bench_mgps() -> dict[str, Any]:
    from psoreg.signals.mgps import fit_hyperparameters

    t = _caers_pairs()
    n, e = t.a.to_numpy(float), t.expected.to_numpy(float)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        hyper = fit_hyperparameters(n, e)
        times.append(time.perf_counter() - t0)
    rel = [abs(a - b) / b for a, b in zip(hyper.theta, OPENEBGM_THETA, strict=True)]
    return {
        "pairs": len(t), "seconds": min(times), "openebgm_seconds": OPENEBGM_SECONDS,
        "speedup": OPENEBGM_SECONDS / min(times), "theta": hyper.theta,
        "max_rel_diff_vs_openebgm": max(rel),
    }  # fmt: skip


def bench_vigipy() -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    try:
        import vigipy
    except ImportError:
        return {"skipped": "vigipy not installed (pip install -e '.[bench]')"}
    from psoreg.signals.analysis import measures_table
    from psoreg.signals.mgps import Hyper, fit_hyperparameters, posterior

    pairs = _caers_pairs()[["drug", "event", "a"]].rename(
        columns={"drug": "name", "event": "AE", "a": "count"}
    )
    out: dict[str, Any] = {"pairs": len(pairs), "vigipy": vigipy.__version__}
    t0 = time.perf_counter()
    container = vigipy.convert(pairs)
    out["vigipy_convert_s"] = time.perf_counter() - t0
    timings, res = {}, {}
    calls = {
        "prr": lambda: vigipy.prr(container, min_events=1, decision_metric="signals",
                                  continuity_correction=False),
        "ror": lambda: vigipy.ror(container, min_events=1, decision_metric="signals",
                                  continuity_correction=False),
        "bcpnn": lambda: vigipy.bcpnn(container, min_events=1, decision_metric="signals"),
        "gps": lambda: vigipy.gps(container, min_events=1, decision_metric="signals",
                                  minimization_method="L-BFGS-B"),
    }  # fmt: skip
    for name, call in calls.items():
        t0 = time.perf_counter()
        res[name] = call()
        timings[name] = time.perf_counter() - t0
    out["vigipy_s"] = timings
    # the same cells for psoreg: vigipy's pair-count margins
    data = container.data
    n11 = np.asarray(data["events"], float)
    n1j = np.asarray(data["product_aes"], float)
    ni1 = np.asarray(data["count_across_brands"], float)
    n = float(container.N)
    a, b, c = n11, n1j - n11, ni1 - n11
    d = n - a - b - c
    t0 = time.perf_counter()
    hyper = fit_hyperparameters(a, a * 0 + (n1j * ni1 / n))
    cols = measures_table(a, b, c, d, n1j * ni1 / n, hyper)
    out["psoreg_all_measures_s"] = time.perf_counter() - t0
    ours = pd.DataFrame({"name": data["product_name"].to_numpy(), "AE": data["ae_name"].to_numpy(),
                         "prr": cols["prr"], "ror": cols["ror"], "ic": cols["ic"],
                         "ebgm": cols["ebgm"]})  # fmt: skip
    cmp: dict[str, Any] = {}
    for name, col, theirs_col in (("prr", "prr", "PRR"), ("ror", "ror", "ROR")):
        df = res[name].all_signals
        m = ours.merge(df, left_on=["name", "AE"], right_on=["Product", "Adverse Event"])
        ok = np.isfinite(m[col]) & np.isfinite(m[theirs_col])
        cmp[name] = {
            "pairs_compared": int(ok.sum()),
            "max_rel_diff": float(np.max(np.abs(m[col][ok] / m[theirs_col][ok] - 1))),
        }
    g = res["gps"]
    prior = g.params.get("prior_param") if isinstance(g.params, dict) else None
    cmp["gps_prior_vigipy"] = None if prior is None else [float(x) for x in np.ravel(prior)]
    cmp["gps_prior_psoreg"] = list(hyper.theta)
    if prior is not None:
        vp = np.ravel(prior)
        post = posterior(a, n1j * ni1 / n, Hyper(*map(float, vp[:5])))
        df = g.all_signals
        key = "EBGM" if "EBGM" in df.columns else None
        if key:
            m = pd.DataFrame(
                {"name": ours.name, "AE": ours.AE, "ebgm_same_prior": post.ebgm}
            ).merge(df, left_on=["name", "AE"], right_on=["Product", "Adverse Event"])
            cmp["ebgm_same_prior_max_rel_diff"] = float(
                np.max(np.abs(m.ebgm_same_prior / m[key] - 1))
            )
    if prior is not None:
        from psoreg.signals.mgps import negative_log_likelihood

        e_pairs = n1j * ni1 / n
        cmp["gps_neg_log_lik_vigipy_prior"] = negative_log_likelihood(vp[:5], a, e_pairs)
        cmp["gps_neg_log_lik_psoreg_prior"] = negative_log_likelihood(hyper.theta, a, e_pairs)
    df = res["bcpnn"].all_signals
    ours["ic025"] = cols["ic025"]
    m = ours.merge(df, left_on=["name", "AE"], right_on=["Product", "Adverse Event"])
    diff = np.abs(m["ic025"] - m["quantile"])
    cmp["bcpnn_ic025_vs_vigipy_quantile_max_abs_diff"] = float(np.max(diff))
    cmp["bcpnn_ic025_vs_vigipy_quantile_median_abs_diff"] = float(np.median(diff))
    cmp["bcpnn_note"] = (
        "vigipy's BCPNN (Bate 1998 beta-binomial, normal approximation) is not Norén's 2013 "
        "shrinkage IC with gamma limits; the difference is the method, not an error"
    )
    out["comparison"] = cmp
    out["vigipy_total_s"] = out["vigipy_convert_s"] + sum(timings.values())
    out["speedup"] = out["vigipy_total_s"] / out["psoreg_all_measures_s"]
    out["columns"] = {k: list(v.all_signals.columns) for k, v in res.items()}
    return out


# --- full scale, each step in its own process ------------------------------------------------


def task_synth(reports: int, out: str) -> dict[str, Any]:
    from psoreg.signals.synth import synthesize_faers

    return synthesize_faers(Path(out), reports, seed=2024)


def task_ingest(src: str, store: str, memory: str) -> dict[str, Any]:
    from psoreg.signals.build import build_current
    from psoreg.signals.ingest import ingest

    t0 = time.perf_counter()
    rep = ingest(Path(src), Path(store))
    t1 = time.perf_counter()
    summary = build_current(Path(store), memory_limit=memory)
    t2 = time.perf_counter()
    raw = sum(r["demo"] for r in rep.rows.values())
    return {"quarters": len(rep.ingested), "demo_rows": raw, "ingest_s": t1 - t0,
            "build_s": t2 - t1, "summary": summary}  # fmt: skip


def task_pairs(store: str, out: str, memory: str) -> dict[str, Any]:
    from psoreg.signals.analysis import run_all_pairs

    return run_all_pairs(Path(store), Path(out), memory_limit=memory)


def _subprocess(task: str, *args: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--task", task, json.dumps(args)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"task {task} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


def _machine() -> dict[str, Any]:
    import duckdb
    import numpy
    import pyarrow
    import scipy

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(), "memory_gib": round(mem, 1), "python": platform.python_version(),
        "duckdb": duckdb.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
        "pyarrow": pyarrow.__version__, "load_avg": os.getloadavg()[0],
    }  # fmt: skip


def main() -> None:
    results: dict[str, Any] = {"machine": _machine(), "date": time.strftime("%Y-%m-%d %H:%M")}
    print(f"machine: {results['machine']}")
    if CAERS.exists():
        m = bench_mgps()
        results["mgps_caers"] = m
        print(f"\nMGPS fit on caers ({m['pairs']:,} pairs): {m['seconds']:.2f} s vs openEBGM "
              f"{OPENEBGM_SECONDS} s -> {m['speedup']:.0f}x faster (goal >= 10x); θ within "
              f"{100 * m['max_rel_diff_vs_openebgm']:.4f}% of openEBGM's")  # fmt: skip
        try:
            v = bench_vigipy()
        except Exception as exc:  # noqa: BLE001 - a comparison must not stop the scale run
            v = {"skipped": f"vigipy comparison failed: {type(exc).__name__}: {exc}"}
        results["vigipy_caers"] = v
        if "skipped" in v:
            print(f"vigipy: {v['skipped']}")
        else:
            print(f"\nvigipy {v['vigipy']} on caers: convert {v['vigipy_convert_s']:.2f} s, "
                  + ", ".join(f"{k} {s:.2f} s" for k, s in v["vigipy_s"].items())
                  + f" (total {v['vigipy_total_s']:.2f} s); psoreg all measures incl. MGPS fit "
                  f"{v['psoreg_all_measures_s']:.2f} s -> {v['speedup']:.1f}x")  # fmt: skip
            print("  comparison: " + json.dumps(v["comparison"]))
    else:
        print(f"caers not found at {CAERS}; MGPS and vigipy sections skipped")
    if os.environ.get("BENCH_SIGNALS_SCALE", "1") != "0":
        reports = int(os.environ.get("BENCH_SIGNALS_REPORTS", "20000000"))
        memory = os.environ.get("BENCH_SIGNALS_MEMORY", "6GB")
        keep = os.environ.get("BENCH_SIGNALS_DIR")
        base = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="psoreg-bench-signals-"))
        zips, store = base / f"zips-{reports}", base / f"store-{reports}"
        try:
            if not (zips / "synthetic-faers.json").exists():
                s = _subprocess("synth", reports, str(zips))
                print(f"\nsynthetic FAERS: {reports:,} reports in {s['wall_s']:.0f} s, peak RSS "
                      f"{s['peak_rss_gib']:.2f} GiB")  # fmt: skip
                results["synth"] = s
            size = sum(p.stat().st_size for p in zips.glob("*.zip"))
            results["zip_bytes"] = size
            if store.exists():
                shutil.rmtree(store)
            ing = _subprocess("ingest", str(zips), str(store), memory)
            results["ingest"] = ing
            sm = ing["summary"]
            print(f"ingest {ing['quarters']} quarters ({size / 2**30:.2f} GiB of zips, "
                  f"{ing['demo_rows']:,} reports, {sm['drug_rows_raw']:,} drug rows, "
                  f"{sm['reaction_rows_raw']:,} reactions): ingest {ing['ingest_s']:.0f} s + "
                  f"de-duplication and mapping {ing['build_s']:.0f} s = {ing['wall_s']:.0f} s "
                  f"(goal 900 s); peak RSS {ing['peak_rss_gib']:.2f} GiB (goal 8 GiB); "
                  f"{sm['reports_after']:,} current reports, mapping coverage "
                  f"{100 * sm['mapping']['coverage']:.1f}%")  # fmt: skip
            pr = _subprocess("pairs", str(store), str(base / f"pairs-{reports}.parquet"), memory)
            results["pairs"] = pr
            print(f"every drug x PT pair: {pr['pairs']:,} pairs, PRR/ROR/chi2/IC/EBGM in "
                  f"{pr['wall_s']:.0f} s (goal 300 s), peak RSS {pr['peak_rss_gib']:.2f} GiB; "
                  f"steps {pr['seconds']}; signals {pr['signals']}")  # fmt: skip
        finally:
            if not keep:
                shutil.rmtree(base, ignore_errors=True)
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--task":
        args = json.loads(sys.argv[3])
        result = globals()[f"task_{sys.argv[2]}"](*args)
        result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(json.dumps(result, default=str))
    else:
        main()

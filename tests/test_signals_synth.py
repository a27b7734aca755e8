"""Synthetic FAERS: real layouts, exact round trip through ingest, de-duplication, planted signals."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from psoreg.signals.analysis import SignalOptions, run_signals
from psoreg.signals.build import build_current
from psoreg.signals.events import load_groups, resolve_events
from psoreg.signals.ingest import LAYOUTS, ingest
from psoreg.signals.synth import synthesize_faers

PV = Path(__file__).resolve().parents[2] / "shared" / "data" / "pharmacovigilance"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    meta = synthesize_faers(
        out, 12_000, seed=3, first="2012Q3", last="2012Q4", deleted_from="2012Q4"
    )
    return out, meta


def test_layouts_match_the_real_files(synthetic):
    out, _ = synthetic
    with zipfile.ZipFile(out / "faers_ascii_2012q3.zip") as zf:
        names = sorted(zf.namelist())
        assert names[0] == "ASCII/DEMO12Q3.TXT" and all(n.startswith("ASCII/") for n in names)
        demo = zf.read("ASCII/DEMO12Q3.TXT").decode().splitlines()
    assert demo[0] == LAYOUTS["headers"]["aers"]["demo"]
    assert all(line.count("$") == demo[0].count("$") for line in demo[1:])
    assert all(line.endswith("$") for line in demo[1:])  # legacy trailing empty field
    with zipfile.ZipFile(out / "faers_ascii_2012q4.zip") as zf:
        assert "ascii/DRUG12Q4.txt" in zf.namelist() and "Deleted/DELE12Q4.txt" in zf.namelist()
        drug = zf.read("ascii/DRUG12Q4.txt").decode().splitlines()
    assert drug[0] == LAYOUTS["headers"]["faers"]["drug"]
    if (PV / "faers_ascii_2017q2.zip").exists():  # the headers are the real sample's
        with zipfile.ZipFile(PV / "faers_ascii_2017q2.zip") as zf:
            assert zf.read("ascii/DRUG17Q2.txt").decode().splitlines()[0] == drug[0]


def test_deterministic_for_a_seed(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        synthesize_faers(out, 2_000, seed=5, first="2012Q4", last="2012Q4", deleted_from="2012Q4")
    with (
        zipfile.ZipFile(a / "faers_ascii_2012q4.zip") as za,
        zipfile.ZipFile(b / "faers_ascii_2012q4.zip") as zb,
    ):
        assert za.namelist() == zb.namelist()
        for n in za.namelist():
            assert sorted(za.read(n).splitlines()) == sorted(zb.read(n).splitlines()), n


def test_ingest_dedup_and_planted_signal(synthetic, tmp_path):
    out, _ = synthetic
    store = tmp_path / "store"
    report = ingest(out, store)
    assert report.ingested == ["2012Q3", "2012Q4"]
    assert sum(r["demo"] for r in report.rows.values()) == 12_000
    manifest = json.loads((store / "manifest.json").read_text())
    for q in manifest["quarters"].values():
        assert all(t["rows"] == t["raw_lines"] for t in q["tables"].values())
    s = build_current(store)
    assert s["reports_before"] == 12_000
    assert s["superseded_versions"] > 0 and s["deleted_cases_removed"] > 0
    assert s["reports_after"] == s["cases_before"] - s["deleted_cases_removed"]
    assert s["mapping"]["coverage"] > 0.9
    r = run_signals(store, ["adalimumab", "HUMIRA 40 MG"], resolve_events([], ["psoriasis-family"], load_groups()),
                    SignalOptions())  # fmt: skip
    row = r.table.iloc[0]
    assert row.drug == "adalimumab" and row.a >= 3 and row.ror > 2


def test_control_comparator(synthetic, tmp_path):
    import duckdb

    out, _ = synthetic
    store = tmp_path / "store"
    ingest(out, store)
    build_current(store)
    groups = resolve_events([], ["psoriasis-family"], load_groups())
    opts = SignalOptions(controls=("methotrexate", "Enbrel"), mgps=False)
    row = run_signals(store, ["adalimumab"], groups, opts).table.iloc[0]
    con = duckdb.connect()
    cur = store / "current"
    n = con.execute(f"""
        SELECT count(DISTINCT d.rid) FROM '{cur}/drugs.parquet' d
        SEMI JOIN '{cur}/reactions.parquet' r USING (rid)
        WHERE d.role_cod IN ('PS', 'SS') AND d.ingredient IN ('adalimumab', 'methotrexate', 'etanercept')
    """).fetchone()[0]
    assert row.a + row.b + row.c + row.d == n  # the drug's reports and the controls' reports
    whole = run_signals(store, ["adalimumab"], groups, SignalOptions(mgps=False)).table.iloc[0]
    assert row.a == whole.a and row.b == whole.b and row.c < whole.c

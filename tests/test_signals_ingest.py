"""Ingest of the real FAERS 2017Q2 and AERS 2004Q1 samples, de-duplication, drug mapping, drift."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from psoreg.cli import app
from psoreg.signals.analysis import SignalOptions, run_signals
from psoreg.signals.build import build_current
from psoreg.signals.drugs import load_mapper
from psoreg.signals.events import load_groups, resolve_events
from psoreg.signals.ingest import SchemaDrift, ingest

PV = Path(__file__).resolve().parents[2] / "shared" / "data" / "pharmacovigilance"
SAMPLES = ("faers_ascii_2017q2.zip", "aers_ascii_2004q1.zip")
pytestmark = pytest.mark.skipif(
    not (PV / SAMPLES[0]).exists(), reason="shared FAERS samples absent"
)
runner = CliRunner()


def raw_counts(zpath: Path) -> dict[str, int]:
    """Data lines of every table file, counted here from the zip (header excluded)."""
    out = {}
    with zipfile.ZipFile(zpath) as zf:
        for info in zf.infolist():
            base = info.filename.rsplit("/", 1)[-1].lower()
            if base.endswith(".txt"):
                lines = zf.read(info).decode("latin-1").splitlines()
                out[base[:4]] = len(lines) - 1
    return out


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    src = tmp_path_factory.mktemp("zips")
    for name in SAMPLES:
        shutil.copy(PV / name, src / name)
    return src


@pytest.fixture(scope="module")
def store(samples, tmp_path_factory):
    st = tmp_path_factory.mktemp("store") / "faers"
    result = runner.invoke(app, ["signals", "ingest", str(samples), "--faers", str(st)])
    assert result.exit_code == 0, result.output
    return st


def test_row_counts_equal_the_raw_files(store):
    manifest = json.loads((store / "manifest.json").read_text())
    assert sorted(manifest["quarters"]) == ["2004Q1", "2017Q2"]
    for name, quarter in zip(SAMPLES, ("2017Q2", "2004Q1"), strict=True):
        raw = raw_counts(PV / name)
        tables = manifest["quarters"][quarter]["tables"]
        assert {t: v["rows"] for t, v in tables.items()} == raw
        assert all(v["rejected"] == 0 and v["raw_lines"] == v["rows"] for v in tables.values())
        con = duckdb.connect()
        for table, n in raw.items():
            got = con.execute(
                f"SELECT count(*) FROM '{store}/raw/{table}/quarter={quarter}/data.parquet'"
            ).fetchone()[0]
            assert got == n
    # the README's figures
    q17 = manifest["quarters"]["2017Q2"]["tables"]
    assert (q17["demo"]["rows"], q17["drug"]["rows"], q17["reac"]["rows"]) == (100, 328, 286)
    q04 = manifest["quarters"]["2004Q1"]
    assert q04["layout"] == "aers" and (
        q04["tables"]["reac"]["rows"],
        q04["tables"]["drug"]["rows"],
    ) == (416, 386)
    assert manifest["quarters"]["2017Q2"]["layout"] == "faers"


def test_roles_and_legacy_columns(store):
    con = duckdb.connect()
    roles = dict(con.execute(
        f"SELECT role_cod, count(*) FROM '{store}/raw/drug/quarter=2017Q2/data.parquet' GROUP BY 1"
    ).fetchall())  # fmt: skip
    assert roles == {"PS": 100, "SS": 90, "C": 134, "I": 4}
    # legacy AERS: isr -> primaryid, case -> caseid, gndr_cod -> sex, PTs upper case
    row = con.execute(
        f"SELECT primaryid, caseid, sex FROM '{store}/raw/demo/quarter=2004Q1/data.parquet' "
        "WHERE primaryid = '4263742'"
    ).fetchone()
    assert row == ("4263742", "4061110", "F")


def test_deduplication_and_mapping_counts(store):
    s = json.loads((store / "current" / "summary.json").read_text())
    assert (s["reports_before"], s["cases_before"], s["reports_after"]) == (200, 200, 200)
    assert (s["superseded_versions"], s["deleted_cases_removed"]) == (0, 0)
    assert s["drug_rows_raw"] == s["drug_rows_current"] == 328 + 386
    m = s["mapping"]
    # every FAERS row with prod_ai is mapped from it, counted here from the raw file
    with zipfile.ZipFile(PV / SAMPLES[0]) as zf:
        text = zf.read("ascii/DRUG17Q2.txt").decode()
    with_ai = sum(1 for line in text.splitlines()[1:] if line.split("$")[5].strip())
    assert m["rows_by_method"]["prod_ai"] == with_ai
    assert sum(m["rows_by_method"].values()) == 714
    assert m["rows_mapped"] == 714 - m["rows_by_method"]["unmapped"]
    assert m["coverage"] == pytest.approx(m["rows_mapped"] / 714)
    assert 0.5 < m["coverage"] < 1


def test_apremilast_psoriasis_found_by_the_command(store):
    result = runner.invoke(
        app, ["signals", "--faers", str(store), "--drug", "apremilast", "--event", "Psoriasis"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "apremilast" in result.output and "Psoriasis" in result.output
    assert "IC025 > 0" in result.output and "EB05 >= 2" in result.output  # rules named
    r = run_signals(store, ["Otezla"], resolve_events(["psoriasis"], [], load_groups()))
    row = r.table.iloc[0]
    assert (row.drug, row.event, row.a) == ("apremilast", "Psoriasis", 1)
    # the report: primaryid 134736402, OTEZLA as PS
    con = duckdb.connect()
    hit = con.execute(f"""
        SELECT rp.primaryid, d.role_cod, d.drugname FROM '{store}/current/drugs.parquet' d
        JOIN '{store}/current/reactions.parquet' x USING (rid)
        JOIN '{store}/current/reports.parquet' rp USING (rid)
        WHERE x.pt_key = 'psoriasis' AND d.ingredient = 'apremilast' AND d.role_cod = 'PS'
    """).fetchall()  # fmt: skip
    assert hit == [("134736402", "PS", "OTEZLA")]
    assert row.b + row.a == 2  # OTEZLA is PS and SS on the same report: one report
    assert row.N == 200 - 0  # every report has a suspect drug and a reaction


def test_roles_option_changes_the_population(store):
    g = resolve_events(["Psoriasis"], [], load_groups())
    ps = run_signals(store, ["apremilast"], g, SignalOptions(roles="PS", mgps=False)).table.iloc[0]
    allr = run_signals(store, ["apremilast"], g, SignalOptions(roles="all", mgps=False)).table.iloc[
        0
    ]
    assert ps.a == allr.a == 1
    # AERS 2004Q1 PSORIASIS report (isr 4311749, ACCUTANE PS) is c in both
    assert ps.c >= 1 and allr.c >= ps.c


def test_outputs_name_rules_and_data_version(store, tmp_path):
    for suffix in (".csv", ".xlsx", ".html"):
        out = tmp_path / f"table{suffix}"
        result = runner.invoke(app, [
            "signals", "--faers", str(store), "--drug", "apremilast", "--drug", "adalimumab",
            "--drug", "natalizumab", "--group", "psoriasis-family", "--event", "Psoriasis",
            "--out", str(out), "--forest", str(tmp_path / "forest.png"),
        ])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert out.exists() and (tmp_path / "forest.png").stat().st_size > 5000
    import pandas as pd

    csv = pd.read_csv(tmp_path / "table.csv")
    assert set(csv.drug) == {"apremilast", "adalimumab", "natalizumab"}
    assert csv.signal_rules.str.contains("PRR >= 2").all()
    assert csv.data_version.str.contains("2004Q1–2017Q2").all()
    about = pd.read_excel(tmp_path / "table.xlsx", sheet_name="About")
    assert "signal_rules" in set(about["item"])
    html = (tmp_path / "table.html").read_text()
    assert "Signal rules" in html and "Data version" in html and "<svg" in html


def test_period_and_stratification(store):
    g = resolve_events(["Psoriasis"], [], load_groups())
    only17 = run_signals(
        store, ["apremilast"], g, SignalOptions(period=("2017Q1", None), mgps=False)
    )
    assert only17.population == 100 and only17.table.iloc[0].c == 0
    strat = run_signals(store, ["apremilast"], g, SignalOptions(stratify=("sex",), mgps=False))
    assert strat.table.iloc[0].expected > 0 and "stratified by sex" in strat.table.data_version[0]


def test_incremental_ingest_skips_known_quarters(samples, store):
    report = ingest(samples, store)
    assert report.ingested == [] and report.skipped == ["2004Q1", "2017Q2"]


def _zip_with(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


def _sample_members(quarter_suffix: str = "17Q2") -> dict[str, str]:
    with zipfile.ZipFile(PV / SAMPLES[0]) as zf:
        return {i.filename: zf.read(i).decode("latin-1") for i in zf.infolist() if not i.is_dir()}


def test_new_version_and_deleted_case_are_deduplicated(tmp_path):
    src = tmp_path / "zips"
    src.mkdir()
    shutil.copy(PV / SAMPLES[0], src)
    # 2019Q1 (a made-up quarter): version 5 of case 13473640 (the apremilast report), and a
    # deleted-cases file removing case 10979236
    demo = (
        "primaryid$caseid$caseversion$i_f_code$event_dt$mfr_dt$init_fda_dt$fda_dt$rept_cod$auth_num$mfr_num$mfr_sndr$lit_ref$age$age_cod$age_grp$sex$e_sub$wt$wt_cod$rept_dt$to_mfr$occp_cod$reporter_country$occr_country\n"
        "134736405$13473640$5$F$$20190110$20170420$20190115$EXP$$X$Y$$51$YR$$F$Y$$$20190115$$MD$US$US\n"
    )
    drug = ("primaryid$caseid$drug_seq$role_cod$drugname$prod_ai$val_vbm$route$dose_vbm$cum_dose_chr$cum_dose_unit$dechal$rechal$lot_num$exp_dt$nda_num$dose_amt$dose_unit$dose_form$dose_freq\n"
            "134736405$13473640$1$PS$OTEZLA$APREMILAST$1$Oral$$$$$$$$$$$$\n")  # fmt: skip
    reac = "primaryid$caseid$pt$drug_rec_act\n134736405$13473640$Pustular psoriasis$\n"
    _zip_with(src / "faers_ascii_2019q1.zip", {
        "ascii/DEMO19Q1.txt": demo, "ascii/DRUG19Q1.txt": drug, "ascii/REAC19Q1.txt": reac,
        "Deleted/DELE19Q1.txt": "10979236\n",
    })  # fmt: skip
    store = tmp_path / "st"
    ingest(src, store)
    s = build_current(store)
    assert (s["reports_before"], s["cases_before"]) == (101, 100)
    assert s["superseded_versions"] == 1 and s["deleted_cases_removed"] == 1
    assert s["reports_after"] == 99
    r = run_signals(store, ["apremilast"], resolve_events(["Psoriasis", "Pustular psoriasis"], [], load_groups()),
                    SignalOptions(mgps=False))  # fmt: skip
    got = {row.event: row.a for row in r.table.itertuples()}
    assert got == {"Psoriasis": 0, "Pustular psoriasis": 1}  # the current version's reaction


def test_schema_drift_names_file_line_and_column(tmp_path):
    members = _sample_members()
    bad = dict(members)
    bad["ascii/DRUG17Q2.txt"] = members["ascii/DRUG17Q2.txt"].replace(
        "primaryid$caseid$drug_seq", "primaryid$caseid$drug_sequence", 1
    )
    src = tmp_path / "a"
    src.mkdir()
    _zip_with(src / "faers_ascii_2017q2.zip", bad)
    store = tmp_path / "st"
    with pytest.raises(SchemaDrift) as exc:
        ingest(src, store)
    assert (exc.value.line, exc.value.column) == (1, "drug_sequence")
    assert "DRUG17Q2.txt" in exc.value.file
    assert not (store / "raw").exists()  # nothing kept

    # a data line with one field too many: line 5 of REAC
    lines = members["ascii/REAC17Q2.txt"].splitlines(keepends=True)
    lines[4] = lines[4].rstrip("\n") + "$extra\n"
    bad = {**members, "ascii/REAC17Q2.txt": "".join(lines)}
    src2 = tmp_path / "b"
    src2.mkdir()
    _zip_with(src2 / "faers_ascii_2017q2.zip", bad)
    result = runner.invoke(app, ["signals", "ingest", str(src2), "--faers", str(store)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "REAC17Q2.txt, line 5" in text and "expected 4" in text and "found 5" in text
    # a line one field short (line 7 of DRUG): the missing column is named
    drug = members["ascii/DRUG17Q2.txt"].splitlines(keepends=True)
    drug[6] = drug[6].rstrip("\n").rsplit("$", 1)[0] + "\n"
    src3 = tmp_path / "c"
    src3.mkdir()
    _zip_with(src3 / "faers_ascii_2017q2.zip", {**members, "ascii/DRUG17Q2.txt": "".join(drug)})
    with pytest.raises(SchemaDrift) as exc:
        ingest(src3, tmp_path / "st3")
    assert (exc.value.line, exc.value.column) == (7, "dose_freq") and "found 19" in str(exc.value)
    # --on-bad-line skip keeps the rest and counts the refused line
    result = runner.invoke(
        app, ["signals", "ingest", str(src2), "--faers", str(store), "--on-bad-line", "skip"]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((store / "manifest.json").read_text())
    reac = manifest["quarters"]["2017Q2"]["tables"]["reac"]
    assert (reac["raw_lines"], reac["rows"], reac["rejected"]) == (286, 285, 1)
    assert (store / "rejects" / "2017Q2_reac.txt").read_text().startswith("5\t")


def test_missing_table_and_wrong_quarter_refused(tmp_path):
    members = _sample_members()
    src = tmp_path / "a"
    src.mkdir()
    _zip_with(src / "faers_ascii_2017q2.zip", {k: v for k, v in members.items() if "DEMO" not in k})
    with pytest.raises(SchemaDrift, match="no DEMO file"):
        ingest(src, tmp_path / "st")
    src2 = tmp_path / "b"
    src2.mkdir()
    _zip_with(src2 / "faers_ascii_2018q1.zip", members)
    with pytest.raises(SchemaDrift, match="member is quarter 2017Q2, but the zip is 2018Q1"):
        ingest(src2, tmp_path / "st")
    # not a zip, and a zip whose member is damaged: named, nothing kept
    src3 = tmp_path / "c"
    src3.mkdir()
    (src3 / "faers_ascii_2018q1.zip").write_text("garbage")
    with pytest.raises(SchemaDrift, match="faers_ascii_2018q1.zip: not a readable zip"):
        ingest(src3, tmp_path / "st")
    data = bytearray((PV / SAMPLES[0]).read_bytes())
    info = zipfile.ZipFile(PV / SAMPLES[0]).getinfo("ascii/DEMO17Q2.txt")
    data[info.header_offset + 30 + len(info.filename) + len(info.extra) + 20] ^= 0xFF
    src4 = tmp_path / "d"
    src4.mkdir()
    (src4 / SAMPLES[0]).write_bytes(bytes(data))
    with pytest.raises(SchemaDrift, match="faers_ascii_2017q2.zip: corrupt zip"):
        ingest(src4, tmp_path / "st4")
    assert (
        not (tmp_path / "st4" / "raw").exists()
        and not (tmp_path / "st4" / "manifest.json").exists()
    )


def test_drug_name_mapping_rules(tmp_path):
    m = load_mapper()
    assert m.map("HUMIRA", None) == ("adalimumab", "name")
    assert m.map("ADALIMUMAB (HUMIRA)", None)[0] == "adalimumab"
    assert m.map("Humira 40 mg/0.8 ml pen", None)[0] == "adalimumab"
    assert m.map("  otezla ", None)[0] == "apremilast"
    assert m.map("adalimumab-atto", None)[0] == "adalimumab"
    assert m.map("Inflectra", None)[0] == "infliximab"  # biosimilar
    assert m.map("WHATEVER", "APREMILAST") == ("apremilast", "prod_ai")
    assert (
        m.map("X", "ACETAMINOPHEN\\HYDROCODONE BITARTRATE")[0]
        == "acetaminophen + hydrocodone bitartrate"
    )
    assert m.map("METHOTREXATE SODIUM", None)[0] == "methotrexate"
    assert m.map("UNHEARD OF", None) == ("unheard of", "unmapped")
    m.add_known(["METFORMIN"])
    assert m.map("METFORMIN HYDROCHLORIDE", None)[0] == "metformin"  # salt word
    assert m.map("DIMETHYL FUMARATE", None)[0] == "dimethyl fumarate"  # not a salt here
    # a user's synonyms file wins and is part of the mapping version
    user = tmp_path / "syn.csv"
    user.write_text("name,ingredient\nUNHEARD OF,newdrugumab\n")
    m2 = load_mapper(user)
    assert m2.map("UNHEARD OF", None) == ("newdrugumab", "name") and m2.version != m.version
    bad = tmp_path / "bad.csv"
    bad.write_text("drug,ingredient\nx,y\n")
    with pytest.raises(Exception, match="needs columns name,ingredient"):
        load_mapper(bad)
    # learned from FAERS rows with both fields, for legacy rows without prod_ai
    m3 = load_mapper()
    m3.learn([("PAXIL", "PAROXETINE HYDROCHLORIDE", 9), ("PAXIL", None, 3)])
    assert m3.map("PAXIL", None) == ("paroxetine hydrochloride", "name")


def test_event_groups_are_data_and_user_extendable(tmp_path):
    g = load_groups()
    fam = g.groups["psoriasis-family"]
    assert len(fam) == 10 and "palmoplantar pustulosis" in fam
    assert g.groups["psoriasis-pustular"] == ["pustular psoriasis", "palmoplantar pustulosis"]
    user = tmp_path / "groups.csv"
    user.write_text(
        "group,pt,label\npsoriasis-pustular,Generalised pustular psoriasis,\nmine,Rash,My rash\n"
    )
    g2 = load_groups(user)
    assert "generalised pustular psoriasis" in g2.groups["psoriasis-pustular"]
    spec = resolve_events([], ["mine"], g2)[0]
    assert (spec.kind, spec.pts, spec.label) == ("group", ("rash",), "My rash")
    with pytest.raises(Exception, match="unknown group"):
        resolve_events([], ["nope"], g2)


def test_meddra_folder_adds_hierarchy_at_run_time(store, tmp_path):
    # a tiny made-up folder in MedDRA's ASCII layout (psoreg ships none)
    med = tmp_path / "meddra"
    med.mkdir()
    (med / "mdhier.asc").write_text(
        "1$2$3$4$Psoriasis$Psoriatic conditions$Epidermal conditions$Skin disorders$SKIN$$4$Y$\n"
        "5$2$3$4$Pustular psoriasis$Psoriatic conditions$Epidermal conditions$Skin disorders$SKIN$$4$Y$\n"
    )
    (med / "llt.asc").write_text("9$Psoriasis vulgaris$1$$$$$$$$$\n")
    (med / "meddra_release.asc").write_text("27.0$English$\n")
    result = runner.invoke(app, [
        "signals", "--faers", str(store), "--drug", "apremilast", "--event", "HLT:Psoriatic conditions",
        "--meddra", str(med), "--no-mgps",
    ], env={"COLUMNS": "250"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "MedDRA 27.0" in " ".join(result.output.split())
    result = runner.invoke(
        app, ["signals", "--faers", str(store), "--event", "HLT:Psoriatic conditions"]
    )
    assert result.exit_code == 2 and "needs a MedDRA folder" in result.output


def test_store_errors_are_one_line(tmp_path):
    result = runner.invoke(app, ["signals", "--faers", str(tmp_path / "none"), "--drug", "x"])
    assert result.exit_code == 2 and "not an ingested store" in result.output
    result = runner.invoke(
        app, ["signals", "ingest", str(tmp_path), "--faers", str(tmp_path / "s")]
    )
    assert result.exit_code == 2 and "no quarterly .zip files" in result.output


def test_cases_compare_and_draft_with_faers(store, tmp_path):
    result = runner.invoke(
        app, ["cases", "compare", "ozarslan-2022", "--faers", str(store), "--format", "md"]
    )
    assert result.exit_code == 0, result.output
    text = result.output
    # the literature table, then the population view of the case's drug x events
    assert text.index("Lambrianides") < text.index("Population view: FAERS disproportionality")
    assert "| natalizumab | Palmoplantar pustulosis |" in text
    assert (
        "| natalizumab | psoriasis-pustular |" in text
        and "| natalizumab | psoriasis-family |" in text
    )
    assert "EB05 >= 2" in text and "2004Q1–2017Q2" in text
    js = runner.invoke(
        app, ["cases", "compare", "ozarslan-2022", "--faers", str(store), "--format", "json"]
    )
    doc = json.loads(js.output)
    assert (
        doc["faers"]["rows"][0]["drug"] == "natalizumab"
        and "rows" in doc
        and "signal_rules" in doc["faers"]
    )
    draft = runner.invoke(app, ["cases", "draft", "ozarslan-2022", "--faers", str(store)])
    assert draft.exit_code == 0, draft.output
    discussion = draft.output.split("## Discussion", 1)[1].split("## Patient perspective", 1)[0]
    assert "In the FDA Adverse Event Reporting System" in discussion
    assert "0 report(s) named natalizumab with Palmoplantar pustulosis" in discussion
    assert "no disproportionality signal" in discussion
    # without --faers the draft is unchanged
    plain = runner.invoke(app, ["cases", "draft", "ozarslan-2022"])
    assert "Adverse Event Reporting System" not in plain.output


def test_mgps_with_every_cell(store):
    con = duckdb.connect()
    cur = store / "current"
    r = run_signals(store, ["apremilast"], resolve_events(["Psoriasis"], [], load_groups()),
                    SignalOptions(all_cells=True))  # fmt: skip
    drugs, events = con.execute(f"""
        SELECT count(DISTINCT ingredient), (SELECT count(DISTINCT pt_key) FROM '{cur}/reactions.parquet')
        FROM '{cur}/drugs.parquet' WHERE role_cod IN ('PS', 'SS')
    """).fetchone()
    assert r.hyper.truncate is None and r.hyper.points == drugs * events  # zeros included
    assert "all cells" in r.table.data_version[0]
    truncated = run_signals(store, ["apremilast"], resolve_events(["Psoriasis"], [], load_groups()))
    assert truncated.hyper.truncate == 1 and truncated.hyper.points < r.hyper.points


def test_every_pair_to_parquet(store, tmp_path):
    import pyarrow.parquet as pq

    from psoreg.signals.analysis import run_all_pairs

    out = tmp_path / "pairs.parquet"
    info = run_all_pairs(store, out)
    table = pq.read_table(out)
    assert table.num_rows == info["pairs"] > 1000
    meta = table.schema.metadata
    assert b"EB05 >= 2" in meta[b"signal_rules"] and b"2004Q1" in meta[b"data_version"]
    t = table.to_pandas()
    assert (t.a >= 1).all() and (t.a + t.b + t.c + t.d == 200).all()
    row = t[(t.drug == "apremilast") & (t.event == "Psoriasis")].iloc[0]
    one = run_signals(
        store, ["apremilast"], resolve_events(["Psoriasis"], [], load_groups())
    ).table.iloc[0]
    for col in ("a", "b", "c", "d", "prr", "ror", "ic025", "eb05"):
        assert row[col] == pytest.approx(one[col]), col

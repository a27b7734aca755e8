"""The synthetic registry cohort: files, schema, determinism and the shape of the data."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from psoreg.catalogue import all_drugs
from psoreg.cohort import SCHEMAS
from psoreg.model.vocab import StopReason
from psoreg.scale import run_outcomes_parquet
from psoreg.synth import TABLES, arrow_schema, synthesize
from psoreg.synth_cli import synth_command

CLASSES = {d.name: d.drug_class for d in all_drugs()}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("synth")
    rows = synthesize(6000, seed=11, out_dir=out)
    return out, rows


@pytest.fixture(scope="module")
def db(cohort: tuple[Path, dict[str, int]]) -> duckdb.DuckDBPyConnection:
    out, _ = cohort
    con = duckdb.connect()
    for t in TABLES:
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{out / (t + '.parquet')}')")
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def test_one_file_per_table_with_exactly_the_schema_columns(cohort):
    out, rows = cohort
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in SCHEMAS)
    for t in SCHEMAS:
        f = pq.ParquetFile(out / f"{t}.parquet")
        assert f.schema_arrow.names == list(SCHEMAS[t])
        assert f.schema_arrow.equals(arrow_schema(t))
        assert f.metadata.num_rows == rows[t]
    assert rows["courses"] == 6000
    assert rows["milestones"] == 0  # visit-level registry by default


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    # more than one chunk, so chunk seeding and identifier offsets are exercised
    synthesize(40_000, seed=3, out_dir=a)
    synthesize(40_000, seed=3, out_dir=b)
    synthesize(40_000, seed=4, out_dir=c)
    for t in SCHEMAS:
        assert (a / f"{t}.parquet").read_bytes() == (b / f"{t}.parquet").read_bytes(), t
    assert (a / "assessments.parquet").read_bytes() != (c / "assessments.parquet").read_bytes()


def test_identifiers_are_unique_and_linked(db):
    assert one(db, "SELECT count(*) - count(DISTINCT course_id) FROM courses") == 0
    assert one(db, "SELECT count(*) - count(DISTINCT patient_id) FROM patients") == 0
    assert one(db, "SELECT count(*) FROM courses ANTI JOIN patients USING (patient_id)") == 0
    for t in ("assessments", "events", "relapses"):
        assert one(db, f"SELECT count(*) FROM {t} ANTI JOIN courses USING (course_id)") == 0
    # some patients switch biologic: several courses, each (but the last) naming the next drug
    assert 1.2 < one(db, "SELECT count(*) / count(DISTINCT patient_id) FROM courses") < 1.8
    switched = db.execute(
        """SELECT c.next_treatment, n.drug FROM courses c JOIN courses n
           ON n.patient_id = c.patient_id AND n.course_id > c.course_id
           QUALIFY row_number() OVER (PARTITION BY c.course_id ORDER BY n.course_id) = 1"""
    ).fetchall()
    assert switched and all(nxt == drug for nxt, drug in switched)


def test_about_fifteen_irregular_visits_per_course(cohort, db):
    out, _ = cohort
    per_course = one(db, "SELECT count(*) / (SELECT count(*) FROM courses) FROM assessments")
    assert 13 <= per_course <= 17
    # one baseline visit (week ≤ 0) for most courses, within the 4-week look-back for most
    base = db.execute(
        """SELECT count(DISTINCT course_id), max(n) FROM (
             SELECT course_id, count(*) n FROM assessments WHERE week <= 0 GROUP BY 1)"""
    ).fetchone()
    assert base[1] == 1 and 0.85 < base[0] / 6000 < 0.97
    # irregular: scheduled week 12 is seen anywhere from about 10.6 to 13.4 weeks
    jitter = db.execute(
        "SELECT min(week), max(week) FROM assessments WHERE week BETWEEN 10 AND 14"
    ).fetchone()
    assert jitter[0] < 11 and jitter[1] > 13
    # stored by course, each course's visits in week order, never two on one day
    a = pq.read_table(out / "assessments.parquet").to_pandas()
    same_course = a.course_id.eq(a.course_id.shift())
    assert a.course_id.is_monotonic_increasing
    assert (a.week.diff()[same_course] > 0).all()
    # some visits after stopping; PASI on the 0-72 scale with one decimal
    after = one(
        db,
        "SELECT count(*) FROM assessments JOIN courses USING (course_id) WHERE week > stop_week",
    )
    assert after > 0.05 * one(db, "SELECT count(*) FROM assessments")
    assert one(db, "SELECT min(pasi) >= 0 AND max(pasi) <= 72 FROM assessments")
    assert one(db, "SELECT bool_and(abs(pasi * 10 - round(pasi * 10)) < 1e-6) FROM assessments")


def test_every_stop_reason_and_follow_up_after_the_stop(db):
    reasons = dict(db.execute("SELECT stop_reason, count(*) FROM courses GROUP BY 1").fetchall())
    assert {r.value for r in StopReason} <= set(reasons)
    assert reasons[None] > 0.2 * 6000  # ongoing courses
    assert one(db, "SELECT count(*) FROM courses WHERE stop_week > followup_week") == 0
    assert (
        one(db, "SELECT count(*) FROM courses WHERE stop_reason IS NULL AND stop_week IS NOT NULL")
        == 0
    )  # noqa: E501
    # relapse episodes only after a stop, and some with pustules or rebound morphology
    assert one(db, "SELECT count(*) FROM relapses JOIN courses USING (course_id) "
                   "WHERE stop_week IS NULL OR weeks_after_stop <= 0") == 0  # fmt: skip
    assert one(db, "SELECT count(*) FROM relapses WHERE pustular") > 0
    assert one(db, "SELECT count(*) FROM relapses WHERE rebound_morphology") > 0


def test_events_at_plausible_rates(db):
    par = one(db, "SELECT count(DISTINCT course_id) FROM events WHERE kind = 'paradoxical'")
    assert 0.005 < par / 6000 < 0.08
    assert one(db, "SELECT count(*) FROM events WHERE kind = 'adverse'") > 0.1 * 6000
    # a paradoxical event has a morphology, sites and extent; adverse events have none
    assert one(db, "SELECT count(*) FROM events WHERE kind = 'paradoxical' AND "
                   "(morphology IS NULL OR sites IS NULL OR bsa IS NULL)") == 0  # fmt: skip
    assert (
        one(db, "SELECT count(*) FROM events WHERE kind = 'adverse' AND morphology IS NOT NULL")
        == 0
    )  # noqa: E501
    # the drug stops after the event that stopped it
    assert one(db, "SELECT count(*) FROM events e JOIN courses c USING (course_id) "
                   "WHERE c.stop_reason = 'paradoxical event' AND e.kind = 'paradoxical' "
                   "AND e.drug_continued") == 0  # fmt: skip


def test_response_differs_by_drug_class(cohort, tmp_path):
    """Through the engine: IL-17 fastest, IL-23 most durable, TNF most secondary failures."""
    out, _ = cohort
    result = tmp_path / "outcomes.parquet"
    run_outcomes_parquet(out, result, progress=False)
    con = duckdb.connect()
    con.execute("CREATE TABLE classes (drug VARCHAR, cls VARCHAR)")
    con.executemany("INSERT INTO classes VALUES (?, ?)", list(CLASSES.items()))
    by_class = {
        row[0]: row[1:]
        for row in con.execute(
            f"""SELECT cls, median(week_pasi75), avg(treatment_success::INT),
                       avg(secondary_failure::INT), median(weeks_to_relapse)
                FROM read_parquet('{result}') JOIN classes USING (drug) GROUP BY cls"""
        ).fetchall()
    }
    assert {"TNF inhibitor", "IL-12/23 inhibitor", "IL-17 inhibitor", "IL-23 inhibitor"} == set(
        by_class
    )
    tnf, il17, il23 = (
        by_class["TNF inhibitor"],
        by_class["IL-17 inhibitor"],
        by_class["IL-23 inhibitor"],
    )  # noqa: E501
    assert il17[0] < il23[0] and il17[0] < tnf[0]  # weeks to PASI75
    assert il17[1] > tnf[1] and il23[1] > tnf[1]  # treatment success at week 12
    assert tnf[2] > il23[2]  # secondary failure
    assert il23[3] > tnf[3]  # weeks from stop to relapse


def test_abstracted_courses_carry_milestones_instead_of_visits(tmp_path):
    rows = synthesize(2000, seed=5, out_dir=tmp_path, abstracted_share=0.2)
    assert rows["milestones"] > 0
    con = duckdb.connect()
    m = f"read_parquet('{tmp_path / 'milestones.parquet'}')"
    a = f"read_parquet('{tmp_path / 'assessments.parquet'}')"
    names = {r[0] for r in con.execute(f"SELECT DISTINCT milestone FROM {m}").fetchall()}
    assert {"pasi50", "pasi75"} <= names
    assert one(con, f"SELECT count(*) FROM {m} SEMI JOIN {a} USING (course_id)") == 0


def test_invalid_arguments(tmp_path):
    with pytest.raises(ValueError, match="courses"):
        synthesize(-1, 0, tmp_path)
    with pytest.raises(ValueError, match="abstracted_share"):
        synthesize(10, 0, tmp_path, abstracted_share=2)


def test_progress_callback_and_empty_cohort(tmp_path):
    calls: list[tuple[int, int]] = []
    synthesize(70_000, 1, tmp_path / "a", progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (70_000, 70_000) and len(calls) == 3
    rows = synthesize(0, 1, tmp_path / "b")
    assert rows == dict.fromkeys(TABLES, 0)
    assert pq.ParquetFile(tmp_path / "b" / "courses.parquet").schema_arrow.equals(
        arrow_schema("courses")
    )


def test_synth_command(tmp_path):
    app = typer.Typer()
    app.command("synth")(synth_command)
    app.command("other")(lambda: None)  # a group, as in psoreg's CLI
    result = CliRunner().invoke(
        app, ["synth", "--courses", "300", "--seed", "2", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert pq.ParquetFile(tmp_path / "courses.parquet").metadata.num_rows == 300
    assert "300 courses" in result.output

"""REDCap: the dictionary against REDCap's import rules, the calc fields against psoreg's scores,
a flat export refused whole on one bad row, and the lossless round trip of the demo registry."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from psoreg.cases.naranjo import NARANJO_ITEMS, NaranjoAssessment
from psoreg.cli import app
from psoreg.errors import ImportFailed
from psoreg.interop.records import comparable, read_registry, write_registry
from psoreg.interop.redcap import design
from psoreg.interop.redcap.calc import dlqi_expression, naranjo_expression, pasi_expression
from psoreg.interop.redcap.records import export_records, read_records, record_columns
from psoreg.scores import PASI_REGIONS, dlqi, pasi_from_components
from psoreg.store import open_store
from psoreg.store.export import outcomes
from psoreg.store.models import PatientRow
from psoreg.store.seed import seed_visit_cohort
from psoreg.store.service import Actor
from tests.redcap_calc import evaluate, fields_of

runner = CliRunner()
ACTOR = Actor("test", "admin")
FIELD_TYPES = {"text", "notes", "dropdown", "radio", "checkbox", "yesno", "truefalse", "calc",
               "file", "slider", "descriptive", "sql"}  # fmt: skip
VALIDATIONS = {"", "date_ymd", "integer", "number", "email"}
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


# ------------------------------------------------------------------------ the dictionary


@pytest.fixture(scope="module")
def dictionary_files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("redcap") / "dict.csv"
    r = runner.invoke(app, ["redcap", "dictionary", "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_dictionary_has_redcaps_18_columns_in_order(dictionary_files) -> None:
    header, rows = _read(dictionary_files)
    assert header == [
        "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
        "Choices, Calculations, OR Slider Labels", "Field Note",
        "Text Validation Type OR Show Slider Number", "Text Validation Min",
        "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
        "Required Field?", "Custom Alignment", "Question Number (surveys only)",
        "Matrix Group Name", "Matrix Ranking?", "Field Annotation",
    ]  # fmt: skip
    assert rows[0]["Variable / Field Name"] == "record_id"
    assert rows[0]["Form Name"] == "demographics"
    assert list(design.metadata()[0]) == list(design.METADATA_KEYS)


def test_field_and_form_names_follow_redcaps_rules(dictionary_files) -> None:
    _, rows = _read(dictionary_files)
    names = [r["Variable / Field Name"] for r in rows]
    assert len(names) == len(set(names)), "variable names must be unique"
    for r in rows:
        name, form = r["Variable / Field Name"], r["Form Name"]
        assert NAME.match(name) and not name.endswith("_") and "___" not in name, name
        assert len(name) <= 26, name
        assert NAME.match(form), form
        assert r["Field Type"] in FIELD_TYPES, name
        assert r["Text Validation Type OR Show Slider Number"] in VALIDATIONS, name
        assert r["Identifier?"] in ("", "y") and r["Required Field?"] in ("", "y")
        if r["Text Validation Min"]:
            assert float(r["Text Validation Min"]) <= float(r["Text Validation Max"])
    # a form's fields are contiguous, as REDCap requires
    order = [r["Form Name"] for r in rows]
    assert all(order.index(f) + order.count(f) - 1 == max(
        i for i, x in enumerate(order) if x == f) for f in set(order))  # fmt: skip


def test_choices_are_valid_code_label_lists(dictionary_files) -> None:
    _, rows = _read(dictionary_files)
    for r in rows:
        text = r["Choices, Calculations, OR Slider Labels"]
        if r["Field Type"] in ("radio", "dropdown", "checkbox"):
            pairs = [p.split(",", 1) for p in text.split(" | ")]
            codes = [c.strip() for c, _ in pairs]
            assert all(re.match(r"^[A-Za-z0-9_]+$", c) for c in codes), r
            assert len(codes) == len(set(codes)), r
            assert all(label.strip() for _, label in pairs), r
        elif r["Field Type"] != "calc":
            assert text == "", r


def test_calc_and_branching_syntax_and_references(dictionary_files) -> None:
    _, rows = _read(dictionary_files)
    form_of = {r["Variable / Field Name"]: r["Form Name"] for r in rows}
    calcs = 0
    for r in rows:
        name = r["Variable / Field Name"]
        if r["Field Type"] == "calc":
            calcs += 1
            used = fields_of(r["Choices, Calculations, OR Slider Labels"])
            assert used and all(form_of.get(f) == r["Form Name"] for f in used), name
        if r["Branching Logic (Show field only if...)"]:
            used = fields_of(r["Branching Logic (Show field only if...)"])
            assert all(f in form_of for f in used), name
    assert calcs == 3  # PASI, DLQI, Naranjo


def test_events_mapping_and_repeating_forms_are_consistent(dictionary_files) -> None:
    _, rows = _read(dictionary_files)
    forms = {r["Form Name"] for r in rows}
    base = dictionary_files
    _, arms = _read(base.with_name("dict.arms.csv"))
    _, events = _read(base.with_name("dict.events.csv"))
    _, mapping = _read(base.with_name("dict.instrument-event-mapping.csv"))
    _, repeating = _read(base.with_name("dict.repeating-instruments.csv"))
    arm_nums = {a["arm_num"] for a in arms}
    unique = [e["unique_event_name"] for e in events]
    assert len(unique) == len(set(unique)) >= 2  # longitudinal
    for e in events:
        assert e["arm_num"] in arm_nums
        assert e["unique_event_name"] == (
            re.sub(r"[^a-z0-9]+", "_", e["event_name"].lower()) + f"_arm_{e['arm_num']}"
        )
    assert {m["form"] for m in mapping} == forms
    assert all(m["unique_event_name"] in unique for m in mapping)
    designated = {(m["unique_event_name"], m["form"]) for m in mapping}
    assert repeating and all((r["event_name"], r["form_name"]) in designated for r in repeating)
    assert {r["form_name"] for r in repeating} == {"course", "dose", "visit", "adverse_event",
                                                   "relapse"}  # fmt: skip


# ------------------------------------------------------------------- calc fields vs psoreg

GRID = [f"{r}_{s}" for r in PASI_REGIONS for s in ("erythema", "induration", "desquamation")]


def _grid(signs: dict[str, tuple[int, int, int]], areas: dict[str, float]) -> dict:
    rec = {}
    for region in PASI_REGIONS:
        e, i, d = signs[region]
        rec |= {f"{region}_erythema": e, f"{region}_induration": i, f"{region}_desquamation": d}
        rec[f"{region}_area_percent"] = areas[region]
    return rec


WORKED = [
    # tests/test_scores_pasi.py::test_full_worked_example (trunk's area score 4 = 50-<70 %)
    (_grid({"head": (2, 1, 1), "upper_limbs": (3, 2, 2), "trunk": (2, 2, 3),
            "lower_limbs": (3, 3, 2)},
           {"head": 15, "upper_limbs": 35, "trunk": 69.9, "lower_limbs": 75}), 29.4),
    # the maximum, (0.1 + 0.2 + 0.3 + 0.4) x 6 x 12 = 72
    (_grid(dict.fromkeys(PASI_REGIONS, (4, 4, 4)), dict.fromkeys(PASI_REGIONS, 100)), 72.0),
    # head 0.1 x 2 x 3 = 0.6 (exact, not 0.6000000000000001)
    (_grid({**dict.fromkeys(PASI_REGIONS, (0, 0, 0)), "head": (1, 1, 1)},
           {**dict.fromkeys(PASI_REGIONS, 0), "head": 10}), 0.6),
    # signs but no area, area but no signs: 0
    (_grid(dict.fromkeys(PASI_REGIONS, (4, 4, 4)), dict.fromkeys(PASI_REGIONS, 0)), 0.0),
    (_grid(dict.fromkeys(PASI_REGIONS, (0, 0, 0)), dict.fromkeys(PASI_REGIONS, 95)), 0.0),
    # lower limbs 0.4 x 1 x 3 = 1.2 with 5 %; band edges: head 10 % is area 2 (0.1x2x3 = 0.6),
    # upper 9.99 % area 1 (0.2x1x3 = 0.6), trunk 30 % area 3 (0.3x3x6 = 5.4),
    # lower 90 % area 6 (0.4x6x3 = 7.2): 13.8
    (_grid({**dict.fromkeys(PASI_REGIONS, (0, 0, 0)), "lower_limbs": (1, 1, 1)},
           {**dict.fromkeys(PASI_REGIONS, 0), "lower_limbs": 5}), 1.2),
    (_grid({**dict.fromkeys(PASI_REGIONS, (1, 1, 1)), "trunk": (2, 2, 2)},
           {"head": 10, "upper_limbs": 9.99, "trunk": 30, "lower_limbs": 90}), 13.8),
]  # fmt: skip


@pytest.mark.parametrize(("record", "expected"), WORKED)
def test_pasi_calc_gives_psoregs_score_on_worked_examples(record, expected) -> None:
    ours = pasi_from_components(**record).total
    assert ours == pytest.approx(expected, abs=1e-9)
    assert evaluate(pasi_expression(), {k: str(x) for k, x in record.items()}) == ours


def test_pasi_calc_is_empty_until_the_grid_is_complete() -> None:
    record = {k: "1" for k in GRID} | {f"{r}_area_percent": "20" for r in PASI_REGIONS}
    record["trunk_induration"] = ""
    assert evaluate(pasi_expression(), record) == ""


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=12, max_size=12),
    st.lists(
        st.one_of(st.integers(0, 100).map(float), st.floats(0, 100, allow_nan=False)),
        min_size=4,
        max_size=4,
    ),
)
def test_pasi_calc_equals_psoreg_on_random_grids(signs, areas) -> None:
    record = dict(zip(GRID, signs, strict=True))
    record |= {f"{r}_area_percent": a for r, a in zip(PASI_REGIONS, areas, strict=True)}
    ours = round(pasi_from_components(**record).total, 1)
    assert evaluate(pasi_expression(), {k: repr(x) for k, x in record.items()}) == ours


CODES = {"very_much": "3", "yes": "3", "a_lot": "2", "a_little": "1", "not_at_all": "0",
         "not_relevant": "nr", None: ""}  # fmt: skip


@pytest.mark.parametrize(
    "answers",
    [
        # tests/test_scores_dlqi.py::test_worked_example (total 15)
        ["very_much", "a_lot", "a_little", "not_at_all", "not_relevant", "a_lot", "yes",
         "a_little", "not_at_all", "very_much"],
        ["very_much"] * 6 + ["yes"] + ["very_much"] * 3,  # 30
        ["not_at_all"] * 10,  # 0
        ["a_lot"] * 9 + [None],  # one unanswered scores 0: 18
        [None, None] + ["a_lot"] * 8,  # two unanswered: not scored
        [None] * 10,
        ["not_relevant"] * 6 + ["a_lot"] + ["not_relevant"] * 3,  # 2
    ],
)  # fmt: skip
def test_dlqi_calc_follows_the_cardiff_rules_as_psoreg_does(answers) -> None:
    ours = dlqi(answers).total
    record = {f"dlqi_{n}": CODES[a] for n, a in enumerate(answers, start=1)}
    got = evaluate(dlqi_expression(), record)
    assert (got if got == "" else int(got)) == ("" if ours is None else ours)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["yes", "no", "unknown", None]), min_size=10, max_size=10))
def test_naranjo_calc_equals_the_naranjo_score(answers) -> None:
    names = [f"ae_naranjo_{n}" for n in range(1, 11)]
    record = {n: a or "" for n, a in zip(names, answers, strict=True)}
    got = evaluate(naranjo_expression(names), record)
    if all(a is None for a in answers):
        assert got == ""
    else:
        keys = {i.key: a for i, a in zip(NARANJO_ITEMS, answers, strict=True)}
        assert int(got) == NaranjoAssessment(**keys).score


# ---------------------------------------------------------------------- records in and out


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo registry (examples/visit-cohort through the service layer) and its export."""
    folder = tmp_path_factory.mktemp("demo")
    store = open_store(f"sqlite:///{folder / 'registry.sqlite3'}")
    with store.session() as s:
        seed_visit_cohort(s)
    with store.session() as s:
        records = read_registry(s)
        table = outcomes(s).set_index("course_id").sort_index()
    yield store, records, table, export_records(records)
    store.close()


def _fresh(tmp_path: Path):
    return open_store(f"sqlite:///{tmp_path / 'target.sqlite3'}")


def test_the_demo_exercises_every_record_type(demo) -> None:
    _, records, _, _ = demo
    courses = [c for p in records for c in p.courses]
    visits = [v.values for c in courses for v in c.visits]
    events = [e.values for c in courses for e in c.events]
    assert any(c.doses for c in courses) and any(c.relapses for c in courses)
    assert any(v.get("head_erythema") is not None for v in visits)
    assert any(v.get("dlqi_1") is not None for v in visits)
    assert any(v.get("bsa") is not None for v in visits)
    assert any(v.get("pga") is not None for v in visits)
    assert {e["kind"] for e in events} == {"adverse", "paradoxical"}
    assert any(e.get("naranjo_after_drug") for e in events)
    assert any(e.get("who_umc_time_relationship") for e in events)


def test_round_trip_through_redcap_is_lossless(demo, tmp_path) -> None:
    _, records, table, rows = demo
    back = read_records(rows, "records.csv")
    target = _fresh(tmp_path)
    with target.session() as s:
        write_registry(s, ACTOR, back, "records.csv")
    with target.session() as s:
        again = read_registry(s)
        theirs = outcomes(s).set_index("course_id").sort_index()
    target.close()
    assert comparable(again) == comparable(records)
    assert theirs.equals(table), "per-course outcomes differ after the round trip"


def _csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def _labelled(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Some rows as REDCap's label export writes them (event, instrument, choices, checkboxes)."""
    events = {e.unique_name: e.name for e in design.event_list()}
    forms = design.form_labels()
    index = design.field_index()
    out = []
    for r in rows:
        r = dict(r)
        r["redcap_event_name"] = events[r["redcap_event_name"]]
        if r["redcap_repeat_instrument"]:
            r["redcap_repeat_instrument"] = forms[r["redcap_repeat_instrument"]]
        for col, value in r.items():
            name, _, code = col.partition("___")
            f = index.get(name)
            if f is None or not value:
                continue
            if code:
                r[col] = "Checked" if value == "1" else "Unchecked"
            elif f.type == "yesno":
                r[col] = "Yes" if value == "1" else "No"
            elif f.choices:
                r[col] = next((c.label for c in f.choices if c.code == value), value)
        out.append(r)
    return out


def test_a_bad_row_refuses_the_whole_file_naming_row_and_column(demo, tmp_path) -> None:
    _, _, _, rows = demo
    rows = [dict(r) for r in rows]
    visit = next(
        i
        for i, r in enumerate(rows)
        if r["redcap_repeat_instrument"] == "visit" and r["trunk_erythema"]
    )
    rows[visit]["trunk_area_percent"] = "120"  # an area above 100 %: the service layer refuses it
    path = _csv(tmp_path / "records.csv", _labelled(rows[: visit + 1]) + rows[visit + 1 :])
    dict_path = tmp_path / "dict.csv"
    assert runner.invoke(app, ["redcap", "dictionary", "--out", str(dict_path)]).exit_code == 0
    data = tmp_path / "data"
    r = runner.invoke(
        app, ["redcap", "import", str(path), "--dictionary", str(dict_path), "--data", str(data)]
    )
    assert r.exit_code == 2, r.output
    assert f"row {visit + 2}, column 'trunk_area_percent'" in r.output
    assert "nothing was imported" in r.output
    store = open_store(f"sqlite:///{data / 'registry.sqlite3'}")
    with store.session() as s:
        assert s.query(PatientRow).count() == 0
    store.close()
    # the clean file (labels in the first rows, raw codes after) imports whole
    rows[visit]["trunk_area_percent"] = "20"
    path = _csv(tmp_path / "records.csv", _labelled(rows[: visit + 1]) + rows[visit + 1 :])
    r = runner.invoke(
        app, ["redcap", "import", str(path), "--dictionary", str(dict_path), "--data", str(data)]
    )
    assert r.exit_code == 0, r.output
    assert "5 patients, 6 courses, 80 doses, 30 visits, 2 events, 1 relapses" in r.output


def test_structural_errors_are_named(demo) -> None:
    _, _, _, rows = demo
    rows = [dict(r) for r in rows]
    rows[1]["redcap_event_name"] = "week_12_arm_1"  # no such event
    rows[2]["redcap_repeat_instrument"] = "demographics"  # not repeating
    rows[3]["redcap_repeat_instance"] = "0"
    doses = [i for i, r in enumerate(rows) if r["redcap_repeat_instrument"] == "dose"]
    dose, other = doses[-1], doses[-2]
    rows[dose]["dose_course"] = "C99"  # no such course
    rows[other]["ae_kind"] = "paradoxical"  # a field of another form on a dose row
    rows[0]["phenotype___plaque"] = "maybe"
    with pytest.raises(ImportFailed) as info:
        read_records(rows, "records.csv")
    where = {(e.row, e.column) for e in info.value.errors}
    assert {(3, "redcap_event_name"), (4, "redcap_repeat_instrument"),
            (5, "redcap_repeat_instance"), (dose + 2, "dose_course"),
            (other + 2, "ae_kind"), (2, "phenotype___plaque")} <= where  # fmt: skip


def test_an_unmapped_column_with_data_is_refused(demo) -> None:
    _, _, _, rows = demo
    rows = [dict(r) | {"smoker": ""} for r in rows]
    rows[4]["smoker"] = "1"
    with pytest.raises(ImportFailed) as info:
        read_records(rows, "records.csv")
    assert (6, "smoker") in {(e.row, e.column) for e in info.value.errors}


def test_export_columns_are_import_ready(demo) -> None:
    _, _, _, rows = demo
    cols = record_columns()
    assert list(rows[0]) == cols
    assert cols[:4] == ["record_id", "redcap_event_name", "redcap_repeat_instrument",
                        "redcap_repeat_instance"]  # fmt: skip
    assert "pasi_calc" not in cols  # REDCap computes calc fields itself
    assert "phenotype___palmoplantar_pustular" in cols
    assert "name" not in record_columns(identifiers=False)


# ------------------------------------------------------------------------ PyCap's API shapes


class _Server:
    """Stands in for a REDCap server (none runs here): every call is bound to the signature of
    PyCap's own ``redcap.Project`` method first, so a call PyCap would refuse fails here."""

    def __init__(self) -> None:
        self.stored: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        import inspect

        from redcap import Project

        method = getattr(Project, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            bound = inspect.signature(method).bind(self, *args, **kwargs)
            if name.startswith("import_"):
                self.stored[name.removeprefix("import_")] = bound.arguments["to_import"]
                return len(bound.arguments["to_import"])
            return [
                {k: "" if x is None else str(x) for k, x in row.items()}
                for row in self.stored[name.removeprefix("export_")]
            ]

        return call


def test_the_design_and_records_through_pycaps_api(demo, tmp_path) -> None:
    from psoreg.interop.redcap.api import pull_records, push_design, push_records

    _, records, _, _ = demo
    server = _Server()
    push_design(server)
    assert server.stored["metadata"][0]["field_name"] == "record_id"
    assert push_records(server, records) == len(export_records(records))
    back = pull_records(server)
    assert comparable(back_written(back, tmp_path)) == comparable(records)


def back_written(patients, tmp_path):
    target = _fresh(tmp_path)
    with target.session() as s:
        write_registry(s, ACTOR, patients, "api")
    with target.session() as s:
        out = read_registry(s)
    target.close()
    return out

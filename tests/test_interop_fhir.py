"""FHIR R4: every resource of the demo registry's export validated with ``fhir.resources``
(R4B models, R4's structure for these resources), the lossless round trip, bad Bundles refused
whole, pseudonymisation, and ``GET /fhir/Patient/{id}/$everything``."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError
from typer.testing import CliRunner

from psoreg.cli import app
from psoreg.errors import ImportFailed
from psoreg.interop.fhir.export import bundle
from psoreg.interop.fhir.importer import read_bundle
from psoreg.interop.records import comparable, read_registry, write_registry
from psoreg.store import open_store
from psoreg.store.deid import pseudonym
from psoreg.store.export import outcomes
from psoreg.store.models import PatientRow
from psoreg.store.service import Actor
from tests.web_conftest import PASSWORDS, TEST_SECRET

ACTOR = Actor("test", "admin")
runner = CliRunner()


def _resources(b: dict) -> list[dict]:
    return [e["resource"] for e in b["entry"]]


def _by_code(resources: list[dict], code: str) -> list[dict]:
    return [
        r
        for r in resources
        if any(
            c.get("code") == code for c in (r.get("code") or r.get("event") or {}).get("coding", [])
        )
    ]


def _export(store):
    with store.session() as s:
        records = read_registry(s)
        table = outcomes(s).set_index("course_id").sort_index()
    return records, table, bundle(records)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The demo registry on SQLite (seeded once for the module) and its export."""
    from psoreg.store.seed import seed_visit_cohort

    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('fhir') / 'registry.sqlite3'}")
    with store.session() as s:
        seed_visit_cohort(s)
    yield _export(store)
    store.close()


def test_every_resource_validates_with_fhir_resources(exported) -> None:
    _, _, b = exported
    Bundle.model_validate(b)
    kinds = Counter()
    for r in _resources(b):
        get_fhir_model_class(r["resourceType"]).model_validate(r)
        kinds[r["resourceType"]] += 1
    assert set(kinds) == {"Patient", "Condition", "Observation", "MedicationStatement",
                          "MedicationAdministration", "Encounter", "AdverseEvent"}  # fmt: skip
    assert kinds["Patient"] == 5 and kinds["MedicationStatement"] == 6
    assert kinds["MedicationAdministration"] == 35 and kinds["Encounter"] == 30
    assert kinds["AdverseEvent"] == 2


#: required bindings (FHIR R4) of the coded elements psoreg emits: fhir.resources checks types,
#: cardinality, unknown elements and primitive formats, not these value sets
REQUIRED_CODES = {
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected",
                                "cancelled", "entered-in-error", "unknown"},
    ("MedicationStatement", "status"): {"active", "completed", "entered-in-error", "intended",
                                        "stopped", "on-hold", "unknown", "not-taken"},
    ("MedicationAdministration", "status"): {"in-progress", "not-done", "on-hold", "completed",
                                             "entered-in-error", "stopped", "unknown"},
    ("Encounter", "status"): {"planned", "arrived", "triaged", "in-progress", "onleave",
                              "finished", "cancelled", "entered-in-error", "unknown"},
    ("AdverseEvent", "actuality"): {"actual", "potential"},
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
}  # fmt: skip


def test_required_value_sets(exported) -> None:
    _, _, b = exported
    assert b["type"] in {"collection", "searchset", "transaction", "batch", "document"}
    for r in _resources(b):
        for (kind, element), allowed in REQUIRED_CODES.items():
            if r["resourceType"] == kind:
                assert r[element] in allowed, (kind, element, r[element])


@pytest.mark.parametrize(
    "bad",
    [
        {"resourceType": "Observation", "status": "final"},  # code is required
        {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "foo": 1},
        {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
         "effectiveDateTime": "2024-13-01"},
        {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
         "valueInteger": 1, "valueString": "1"},
    ],
)  # fmt: skip
def test_the_validator_bites(bad) -> None:
    with pytest.raises(ValidationError):
        get_fhir_model_class("Observation").model_validate(bad)


def test_codes_and_contents(exported) -> None:
    _, _, b = exported
    res = _resources(b)
    psoriasis = _by_code(res, "9014002")
    assert len(psoriasis) == 5  # SNOMED CT, one per patient
    assert any(
        e["valueCoding"]["code"] == "plaque" for c in psoriasis for e in c.get("extension", [])
    )
    assert _by_code(res, "33339001")  # psoriatic arthritis (refuted when recorded absent)
    assert _by_code(res, "29463-7")  # LOINC body weight
    atc = {
        c["code"]
        for r in res
        if r["resourceType"] == "MedicationStatement"
        for c in r["medicationCodeableConcept"]["coding"]
    }
    assert {"L04AC05", "L04AB04", "L04AC10", "L04AB01"} <= atc
    pasi = [o for o in _by_code(res, "pasi") if o.get("component")]
    assert pasi and len(pasi[0]["component"]) == 16
    # C04's baseline grid: head 0.1x2x5 = 1.0, upper 0.2x2x6 = 2.4, trunk 0.3x3x7 = 6.3,
    # lower 0.4x3x8 = 9.6 -> 19.3
    assert pasi[0]["valueQuantity"]["value"] == 19.3
    dlqi = [o for o in _by_code(res, "dlqi") if o.get("component")]
    assert {o["valueInteger"] for o in dlqi} == {18, 6}
    assert _by_code(res, "bsa") and _by_code(res, "pga")
    para = _by_code(res, "paradoxical")[0]
    methods = [c["method"]["text"] for c in para["suspectEntity"][0]["causality"]]
    assert methods == ["Naranjo", "WHO-UMC"]
    naranjo, who = para["suspectEntity"][0]["causality"]
    # Naranjo: previous reports +1, after the drug +2, no alternative causes +2, objective
    # evidence +1 = 6, probable; WHO-UMC: withdrawal not done -> possible (UMC: "information on
    # withdrawal may be lacking")
    assert naranjo["assessment"]["text"] == "probable (Naranjo score 6)"
    assert who["assessment"]["coding"][0]["code"] == "Possible"
    assert _by_code(res, "relapse")


def test_round_trip_through_fhir_is_lossless(exported, tmp_path) -> None:
    """Export the demo registry, import the Bundle into a fresh registry, compare."""
    records, table, b = exported
    got = read_bundle(json.loads(json.dumps(b)), "bundle.json")
    assert not got.skipped
    target = open_store(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    with target.session() as s:
        write_registry(s, ACTOR, got.patients, "bundle.json")
    with target.session() as s:
        again = read_registry(s)
        theirs = outcomes(s).set_index("course_id").sort_index()
    target.close()
    assert comparable(again) == comparable(records)
    assert theirs.equals(table), "per-course outcomes differ after the round trip"


def _write(path: Path, b: dict) -> Path:
    path.write_text(json.dumps(b), encoding="utf-8")
    return path


def test_a_bad_resource_refuses_the_whole_bundle(exported, tmp_path) -> None:
    _, _, b = exported
    bad = copy.deepcopy(b)
    pasi = next(
        (i, e) for i, e in enumerate(bad["entry"]) if e["resource"].get("component") and
        e["resource"]["code"]["coding"][0]["code"] == "pasi"
    )  # fmt: skip
    pasi[1]["resource"]["component"][0]["valueInteger"] = 5  # PASI sign above 4
    data = tmp_path / "data"
    r = runner.invoke(app, ["fhir", "import", str(_write(tmp_path / "b.json", bad)),
                            "--data", str(data)])  # fmt: skip
    assert r.exit_code == 2, r.output
    assert f"entry[{pasi[0]}] Observation.component" in r.output
    assert "head_erythema" in r.output and "nothing was imported" in r.output
    store = open_store(f"sqlite:///{data / 'registry.sqlite3'}")
    with store.session() as s:
        assert s.query(PatientRow).count() == 0
    store.close()
    # structurally invalid FHIR is refused by fhir.resources, naming the path
    bad = copy.deepcopy(b)
    bad["entry"][0]["resource"]["gender"] = 7
    with pytest.raises(ImportFailed) as info:
        read_bundle(bad, "b.json")
    assert any("entry.0" in (e.column or "") and "gender" in e.column for e in info.value.errors)
    # the clean Bundle, with a resource psoreg has no place for, imports and says what it skipped
    clean = copy.deepcopy(b)
    clean["entry"].append(
        {"fullUrl": "urn:uuid:0c1d4c1e-5c55-4b2a-9a55-1f4d3c2b1a00",
         "resource": {"resourceType": "AllergyIntolerance", "patient": {"reference": "x"}}}
    )  # fmt: skip
    r = runner.invoke(app, ["fhir", "import", str(_write(tmp_path / "b.json", clean)),
                            "--data", str(data)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "5 patients, 6 courses, 35 doses, 30 visits, 2 events, 1 relapses" in r.output
    assert "1 AllergyIntolerance" in r.output


def test_pseudonymised_export_hides_identity_and_shifts_dates(exported) -> None:
    records, _, b = exported
    anon = bundle(records, secret=TEST_SECRET)
    Bundle.model_validate(anon)
    text = json.dumps(anon)
    assert "Demo Patient" not in text and '"P01"' not in text
    patient = _resources(anon)[0]
    assert patient["identifier"][0]["value"] == pseudonym(TEST_SECRET, "P01")
    assert len(patient["birthDate"]) == 4
    start = lambda x: [r for r in _resources(x) if r["resourceType"] == "MedicationStatement"][0]  # noqa: E731
    assert start(anon)["effectivePeriod"]["start"] != start(b)["effectivePeriod"]["start"]


def test_pseudonymised_export_scrubs_free_text(exported) -> None:
    """Free text reaches analysts as in their CSV exports (psoreg.store.deid.scrub)."""
    records, _, _ = exported
    records = copy.deepcopy(records)
    owner = next(p for p in records if any(c.events for c in p.courses))
    name = owner.patient.values["name"]
    owner.patient.values["comorbidities"] = "Hypertension; reviewed, phone 012-345 6789"
    event = next(e for c in owner.courses for e in c.events)
    event.values["description"] = f"{name} (MRN 1234567): pustules since 2024-03-05"
    anon = json.dumps(bundle(records, secret=TEST_SECRET))
    for secret_text in ("012-345 6789", "1234567", name, "2024-03-05"):
        assert secret_text not in anon
    assert "[phone]" in anon and "[id]" in anon and "[name]" in anon and "pustules since" in anon
    plain = json.dumps(bundle(records))  # identified: as recorded
    assert "012-345 6789" in plain and "2024-03-05" in plain


# ----------------------------------------------------------------------------------- web


@pytest.fixture
def client(web_app):
    with TestClient(web_app) as c:
        yield c


def _token(client, role: str) -> dict[str, str]:
    r = client.post("/api/token", json={"username": role, "password": PASSWORDS[role]})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_everything_for_a_clinician(client) -> None:
    r = client.get("/fhir/Patient/P04/$everything", headers=_token(client, "clinician"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    b = r.json()
    Bundle.model_validate(b)
    assert b["type"] == "searchset"
    assert _resources(b)[0]["name"][0]["text"] == "Demo Patient P04"
    assert {x["resourceType"] for x in _resources(b)} >= {"Patient", "MedicationStatement"}
    missing = client.get("/fhir/Patient/P99/$everything", headers=_token(client, "clinician"))
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"
    assert client.get("/fhir/Patient/P04/$everything").status_code == 401


def test_everything_is_pseudonymised_for_analysts(client) -> None:
    headers = _token(client, "analyst")
    assert client.get("/fhir/Patient/P04/$everything", headers=headers).status_code == 404
    alias = pseudonym(TEST_SECRET, "P04")
    r = client.get(f"/fhir/Patient/{alias}/$everything", headers=headers)
    assert r.status_code == 200, r.text
    assert "Demo Patient" not in r.text and '"P04"' not in r.text
    assert _resources(r.json())[0]["identifier"][0]["value"] == alias


def test_an_ehr_bundle_without_psoreg_links() -> None:
    """A hospital's Bundle: no psoreg identifiers or course links, other medications, other
    resources. Doses and visits join the course running on their date; the rest is listed."""
    psoreg_cs = "https://w3id.org/psoreg/fhir/CodeSystem/psoreg"
    pat = {"resourceType": "Patient", "id": "ehr-1", "gender": "female", "birthDate": "1980-02-03",
           "name": [{"family": "Tan", "given": ["Mei"]}]}  # fmt: skip
    subject = {"reference": "Patient/ehr-1"}
    ustekinumab = {"coding": [{"system": "http://www.whocc.no/atc", "code": "L04AC05"}]}
    entries = [
        pat,
        {"resourceType": "MedicationStatement", "id": "ms-1", "status": "active",
         "medicationCodeableConcept": ustekinumab, "subject": subject,
         "effectivePeriod": {"start": "2024-01-08"}},
        {"resourceType": "MedicationStatement", "id": "ms-2", "status": "active",
         "medicationCodeableConcept": {"text": "metformin"}, "subject": subject},
        {"resourceType": "MedicationAdministration", "id": "ma-1", "status": "completed",
         "medicationCodeableConcept": {"text": "Stelara"}, "subject": subject,
         "effectiveDateTime": "2024-02-05T10:00:00+08:00",
         "dosage": {"dose": {"value": 45, "unit": "mg", "system": "http://unitsofmeasure.org",
                             "code": "mg"}}},
        {"resourceType": "Encounter", "id": "enc-1", "status": "finished",
         "class": {"code": "AMB"}, "subject": subject, "period": {"start": "2024-01-08"}},
        {"resourceType": "Encounter", "id": "enc-2", "status": "finished",
         "class": {"code": "AMB"}, "subject": subject, "period": {"start": "2023-05-01"}},
        {"resourceType": "Observation", "id": "obs-1", "status": "final",
         "code": {"coding": [{"system": psoreg_cs, "code": "pasi"}]}, "subject": subject,
         "encounter": {"reference": "Encounter/enc-1"},
         "valueQuantity": {"value": 18.5}},
        {"resourceType": "AllergyIntolerance", "id": "al-1", "patient": subject},
    ]  # fmt: skip
    b = {"resourceType": "Bundle", "type": "collection",
         "entry": [{"fullUrl": f"http://ehr.example/fhir/{r['resourceType']}/{r['id']}",
                    "resource": r} for r in entries]}  # fmt: skip
    got = read_bundle(b, "ehr.json")
    (p,) = got.patients
    assert p.patient.values["patient_id"] == "ehr-1"
    assert p.patient.values["name"] == "Mei Tan" and p.patient.values["sex"] == "F"
    (course,) = p.courses
    assert course.course.values["drug"] == "ustekinumab"
    assert [d.values["dose_mg"] for d in course.doses] == [45]
    assert [v.values for v in course.visits] == [{"date": "2024-01-08", "pasi": 18.5}]
    assert got.skipped == {
        "MedicationStatement metformin": 1,
        "Encounter (no psoreg score)": 1,
        "AllergyIntolerance": 1,
    }

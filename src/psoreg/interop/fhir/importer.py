"""FHIR R4 Bundles into registry records (the inverse of :mod:`.export`).

The Bundle is first validated with the maintained ``fhir.resources`` models (its ``R4B``
package: FHIR 4.3, which for every resource psoreg reads has R4's structure), so a malformed
resource is refused with its entry and path named. psoreg then reads what it holds (see
:mod:`.export` for the resources and codes) into :class:`~psoreg.interop.records.PatientRecords`;
the service layer validates every value when they are written. Resources psoreg has no place
for (an EHR's allergies, say) are counted and reported as skipped, never silently dropped.

A year-only ``birthDate`` (a pseudonymised export) is read as 1 July of that year.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from psoreg.catalogue import all_drugs
from psoreg.errors import ImportFailed, RowError
from psoreg.interop.fhir.mapping import (
    codesystem,
    ext_url,
    extensions,
    has_code,
    id_system,
    psoreg_code,
)
from psoreg.interop.records import CourseRecords, PatientRecords, Rec

SCORES = ("pasi", "bsa", "dlqi", "pga")
SEX = {"male": "M", "female": "F", "other": "other", "unknown": "unknown"}
HELD = {
    "Patient",
    "Condition",
    "Observation",
    "MedicationStatement",
    "MedicationAdministration",
    "Encounter",
    "AdverseEvent",
}


@dataclass
class Read:
    patients: list[PatientRecords]
    skipped: Counter = field(default_factory=Counter)


def validate_bundle(data: Any, source: str) -> None:
    """Refuse a Bundle that is not valid FHIR (entry and path named)."""
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise ImportFailed(source, [RowError(None, "resourceType", "expected a FHIR Bundle")])
    try:
        Bundle.model_validate(data)
    except ValidationError as exc:
        errors = [
            RowError(None, ".".join(str(x) for x in e["loc"]) or "Bundle", str(e["msg"]))
            for e in exc.errors()[:50]
        ]
        raise ImportFailed(source, errors) from None


def _code_value(code: str | None) -> str | None:
    return None if code is None else code.replace("-", " ")


def _ext_values(resource: dict[str, Any], table: str, kind: str) -> dict[str, Any]:
    out = {}
    for fld, (where, vtype) in extensions(table).items():
        if where != kind:
            continue
        for e in resource.get("extension", []):
            if e.get("url") == ext_url(fld):
                out[fld] = e.get(f"value{vtype}")
    return out


def _ext(resource: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [e for e in resource.get("extension", []) if e.get("url") == ext_url(name)]


def _date(value: str | None) -> str | None:
    if not value:
        return None
    return f"{value}-07-01" if len(value) == 4 else value[:10]


class _Reader:
    def __init__(self, data: dict[str, Any], source: str) -> None:
        self.source = source
        self.entries = [(i, e.get("resource") or {}) for i, e in enumerate(data.get("entry", []))]
        self.by_url: dict[str, dict[str, Any]] = {}
        self.where: dict[int, int] = {}  # id(resource) -> entry index
        for i, e in enumerate(data.get("entry", [])):
            r = e.get("resource") or {}
            self.where[id(r)] = i
            if e.get("fullUrl"):
                self.by_url[e["fullUrl"]] = r
            if r.get("id"):
                self.by_url[f"{r.get('resourceType')}/{r['id']}"] = r
        self.errors: list[RowError] = []
        self.skipped: Counter = Counter()

    def path(self, r: dict[str, Any], p: str = "") -> str:
        return f"entry[{self.where.get(id(r), '?')}] {r.get('resourceType')}{'.' + p if p else ''}"

    def error(self, r: dict[str, Any], p: str, message: str) -> None:
        self.errors.append(RowError(None, self.path(r, p), message))

    def resolve(self, ref: dict[str, Any] | None) -> dict[str, Any] | None:
        return self.by_url.get((ref or {}).get("reference", ""))

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [r for _, r in self.entries if r.get("resourceType") == kind]

    def rec(self, r: dict[str, Any], values: dict[str, Any], paths: dict[str, str]) -> Rec:
        return Rec(values, None, {k: self.path(r, p) for k, p in paths.items()}, self.source)


def _drug_name(med: dict[str, Any]) -> str | None:
    """The catalogue's name of a medication concept (by text, display or ATC), or None."""
    from psoreg.catalogue import get_drug

    atc = {c.get("code") for c in med.get("coding", [])}
    by_atc = next((d.name for d in all_drugs() if d.atc in atc), None)
    for name in [med.get("text"), *(c.get("display") for c in med.get("coding", []))]:
        if name:
            try:
                return get_drug(name).name
            except ValueError:
                continue
    return by_atc


def read_bundle(data: dict[str, Any], source: str) -> Read:
    """psoreg's records in a FHIR Bundle; ImportFailed names every problem's entry and path.

    psoreg's own Bundles link doses, visits and events to their course; an EHR's may not, and
    then a dose joins the same patient's course of the same drug running on its date, a visit
    (an Encounter with a PASI, BSA, DLQI or PGA Observation) or an event the course running on
    its date (or the first course, for a visit before any: its baseline), as the visit-level
    import does. Medications that are not in psoreg's catalogue are skipped and listed.
    """
    validate_bundle(data, source)
    rd = _Reader(data, source)
    patients: dict[int, PatientRecords] = {}
    for r in rd.of_type("Patient"):
        patients[id(r)] = PatientRecords(_patient(rd, r))
    courses: dict[int, CourseRecords] = {}
    owner_of: dict[int, PatientRecords] = {}
    for r in rd.of_type("MedicationStatement"):
        owner = rd.resolve(r.get("subject"))
        if owner is None or id(owner) not in patients:
            rd.error(r, "subject", "does not refer to a Patient in this Bundle")
            continue
        med = r.get("medicationCodeableConcept") or {}
        if _drug_name(med) is None:
            rd.skipped[f"MedicationStatement {med.get('text') or 'not a biologic'}"] += 1
            continue
        courses[id(r)] = CourseRecords(_course(rd, r))
        patients[id(owner)].courses.append(courses[id(r)])
        owner_of[id(courses[id(r)])] = patients[id(owner)]

    def course_of(r: dict[str, Any], ref: dict[str, Any] | None, p: str) -> CourseRecords | None:
        target = rd.resolve(ref)
        if target is None or id(target) not in courses:
            rd.error(r, p, "does not refer to a MedicationStatement (course) in this Bundle")
            return None
        return courses[id(target)]

    def running(r: dict[str, Any], when: str | None, drug: str | None = None) -> Any:
        """The subject's course running on ``when`` (of ``drug``), else None."""
        owner = rd.resolve(r.get("subject") or r.get("patient"))
        if owner is None or id(owner) not in patients or not when:
            return None
        own = sorted(
            (c for c in patients[id(owner)].courses if c.course.values.get("start_date")),
            key=lambda c: c.course.values["start_date"],
        )
        if drug is not None:
            own = [c for c in own if c.course.values.get("drug") == drug]
        day = when[:10]
        started = [c for c in own if c.course.values["start_date"] <= day]
        if drug is not None:
            started = [c for c in started if (c.course.values.get("stop_date") or "9999") >= day]
            return started[-1] if started else None
        return started[-1] if started else (own[0] if own else None)

    def linked(r: dict[str, Any], when: str | None, drug: str | None = None) -> Any:
        found = _ext(r, "course")
        if found:
            return course_of(r, found[0].get("valueReference"), "extension")
        return running(r, when, drug)

    for r in rd.of_type("MedicationAdministration"):
        med = r.get("medicationCodeableConcept") or {}
        drug = _drug_name(med)
        c = linked(r, r.get("effectiveDateTime"), drug) if drug else None
        if c is None:
            rd.skipped["MedicationAdministration (no psoreg course on its date)"] += 1
        else:
            c.doses.append(_dose(rd, r))
    scored = {
        id(rd.resolve(o.get("encounter")))
        for o in rd.of_type("Observation")
        if any(has_code(o.get("code"), n) for n in SCORES)
    }
    visits: dict[int, Rec] = {}
    for r in rd.of_type("Encounter"):
        start = (r.get("period") or {}).get("start")
        c = linked(r, start) if _ext(r, "course") or id(r) in scored else None
        if c is None:
            if not _ext(r, "course"):
                rd.skipped["Encounter (no psoreg score)"] += 1
            continue
        visits[id(r)] = rd.rec(r, {"date": _date(start)}, {"date": "period.start"})
        c.visits.append(visits[id(r)])
    for r in rd.of_type("AdverseEvent"):
        suspects = r.get("suspectEntity") or [{}]
        if suspects[0].get("instance"):
            c = course_of(r, suspects[0].get("instance"), "suspectEntity[0].instance")
        else:
            c = running(r, r.get("date"))
            if c is None:
                rd.error(r, "suspectEntity", "no course of this patient was running on its date")
        if c is not None:
            c.events.append(_event(rd, r))
    for r in rd.of_type("Condition"):
        owner = rd.resolve(r.get("subject"))
        if owner is None or id(owner) not in patients:
            rd.error(r, "subject", "does not refer to a Patient in this Bundle")
            continue
        _condition(rd, r, patients[id(owner)].patient)
    for r in rd.of_type("Observation"):
        _observation(rd, r, patients, visits, course_of)
    for _, r in rd.entries:
        if r.get("resourceType") not in HELD:
            rd.skipped[r.get("resourceType")] += 1
    if rd.errors:
        raise ImportFailed(source, rd.errors)
    return Read(list(patients.values()), rd.skipped)


def _patient(rd: _Reader, r: dict[str, Any]) -> Rec:
    ids = {i.get("system"): i.get("value") for i in r.get("identifier", [])}
    pid = (
        ids.get(id_system("patient_id"))
        or ids.get(id_system("pseudonym"))
        or next(iter(ids.values()), None)
        or r.get("id")
    )
    names = r.get("name") or []
    name = None
    if names:
        n = names[0]
        name = n.get("text") or " ".join([*n.get("given", []), n.get("family", "")]).strip()
    values = {
        "patient_id": pid,
        "name": name or None,
        "hospital_number": ids.get(id_system("hospital_number")),
        "birth_date": _date(r.get("birthDate")),
        "sex": SEX.get(r.get("gender") or "unknown", "unknown"),
        **_ext_values(r, "patients", "Patient"),
    }
    paths = {
        "patient_id": "identifier",
        "name": "name[0]",
        "hospital_number": "identifier",
        "birth_date": "birthDate",
        "sex": "gender",
    }
    paths |= {k: "extension" for k in extensions("patients")}
    return rd.rec(r, values, paths)


def _condition(rd: _Reader, r: dict[str, Any], patient: Rec) -> None:
    code = r.get("code")
    pv, cols = patient.values, patient.columns
    if has_code(code, "psoriasis"):
        phen = [_code_value(e["valueCoding"].get("code")) for e in _ext(r, "phenotype")]
        if phen:
            pv["phenotypes"] = ";".join(p for p in phen if p)
            cols["phenotypes"] = rd.path(r, "extension")
        onset = r.get("onsetDateTime")
        if onset:
            pv["onset_year"] = onset[:4]
            cols["onset_year"] = rd.path(r, "onsetDateTime")
        for k, x in _ext_values(r, "patients", "Condition").items():
            pv[k] = x
            cols[k] = rd.path(r, "extension")
    elif has_code(code, "psoriatic_arthritis"):
        status = [c.get("code") for c in (r.get("verificationStatus") or {}).get("coding", [])]
        pv["psoriatic_arthritis"] = "refuted" not in status
    elif has_code(code, "comorbidity") or code:
        text = (code or {}).get("text")
        if text:
            items = [x for x in (pv.get("comorbidities") or "").split(";") if x]
            pv["comorbidities"] = ";".join([*items, text])
        else:
            rd.skipped["Condition without text"] += 1


def _course(rd: _Reader, r: dict[str, Any]) -> Rec:
    ids = {i.get("system"): i.get("value") for i in r.get("identifier", [])}
    drug = _drug_name(r.get("medicationCodeableConcept") or {})
    period = r.get("effectivePeriod") or {}
    reasons = r.get("statusReason") or []
    values = {
        "course_id": ids.get(id_system("course_id")) or r.get("id"),
        "drug": drug,
        "regimen": ((r.get("dosage") or [{}])[0]).get("text"),
        "start_date": _date(period.get("start")),
        "stop_date": _date(period.get("end")),
        "stop_reason": _code_value(psoreg_code(reasons[0])) if reasons else None,
        **_ext_values(r, "courses", "MedicationStatement"),
    }
    paths = {
        "course_id": "identifier",
        "drug": "medicationCodeableConcept",
        "regimen": "dosage[0].text",
        "start_date": "effectivePeriod.start",
        "stop_date": "effectivePeriod.end",
        "stop_reason": "statusReason",
    }
    paths |= {k: "extension" for k in extensions("courses")}
    return rd.rec(r, values, paths)


def _dose(rd: _Reader, r: dict[str, Any]) -> Rec:
    dose = (r.get("dosage") or {}).get("dose") or {}
    if dose and dose.get("code", dose.get("unit")) not in ("mg", None):
        rd.error(r, "dosage.dose", f"expected a dose in mg, got {dose.get('code')}")
    values = {"date": _date(r.get("effectiveDateTime")), "dose_mg": dose.get("value")}
    return rd.rec(r, values, {"date": "effectiveDateTime", "dose_mg": "dosage.dose.value"})


def _event(rd: _Reader, r: dict[str, Any]) -> Rec:
    code = r.get("event")
    kind = "paradoxical" if has_code(code, "paradoxical") else None
    kind = kind or ("adverse" if has_code(code, "adverse") else psoreg_code(code))
    described = _ext(r, "description")
    values: dict[str, Any] = {
        "kind": kind,
        "date": _date(r.get("date")),
        "morphology": ";".join(
            _code_value(e["valueCoding"].get("code")) or "" for e in _ext(r, "morphology")
        )
        or None,
        "description": described[0].get("valueString") if described else (code or {}).get("text"),
        **_ext_values(r, "events", "AdverseEvent"),
    }
    paths = {"kind": "event", "date": "date", "morphology": "extension", "description": "event"}
    paths |= {k: "extension" for k in extensions("events")}
    for j, c in enumerate((r.get("suspectEntity") or [{}])[0].get("causality", [])):
        for name, column in (("naranjo-answers", "naranjo"), ("who-umc-criteria", "who_umc")):
            for e in _ext(c, name):
                for sub in e.get("extension", []):
                    key = f"{column}_{sub.get('url')}"
                    values[key] = sub.get("valueCode")
                    paths[key] = f"suspectEntity[0].causality[{j}].extension"
    return rd.rec(r, values, paths)


def _observation(
    rd: _Reader,
    r: dict[str, Any],
    patients: dict[int, PatientRecords],
    visits: dict[int, Rec],
    course_of: Any,
) -> None:
    code = r.get("code")
    if has_code(code, "body_weight") and not r.get("partOf"):
        owner = rd.resolve(r.get("subject"))
        if owner is None or id(owner) not in patients:
            rd.error(r, "subject", "does not refer to a Patient in this Bundle")
            return
        p = patients[id(owner)].patient
        p.values["weight_kg"] = (r.get("valueQuantity") or {}).get("value")
        p.columns["weight_kg"] = rd.path(r, "valueQuantity.value")
        return
    if has_code(code, "relapse"):
        parts = r.get("partOf") or [None]
        c = course_of(r, parts[0], "partOf[0]")
        if c is None:
            return
        morph = [
            _code_value(psoreg_code(x.get("valueCodeableConcept"))) for x in r.get("component", [])
        ]
        values = {
            "date": _date(r.get("effectiveDateTime")),
            "morphology": ";".join(m for m in morph if m) or None,
            **_ext_values(r, "relapses", "Observation"),
        }
        paths = {"date": "effectiveDateTime", "morphology": "component", "treatment": "extension"}
        c.relapses.append(rd.rec(r, values, paths))
        return
    visit = visits.get(id(rd.resolve(r.get("encounter"))))
    name = next((n for n in SCORES if has_code(code, n)), None)
    if visit is None or name is None:
        rd.skipped[f"Observation {psoreg_code(code) or (code or {}).get('text') or ''}"] += 1
        return
    vv, cols = visit.values, visit.columns
    quantity = (r.get("valueQuantity") or {}).get("value")
    comps = r.get("component") or []
    if name == "pasi":
        for j, comp in enumerate(comps):
            k = psoreg_code(comp.get("code"))
            vv[k] = comp.get("valueInteger", (comp.get("valueQuantity") or {}).get("value"))
            cols[k] = rd.path(r, f"component[{j}] ({k})")
        if not comps:
            vv["pasi"], cols["pasi"] = quantity, rd.path(r, "valueQuantity.value")
    elif name == "dlqi":
        for j, comp in enumerate(comps):
            k = psoreg_code(comp.get("code"))
            vv[k] = psoreg_code(comp.get("valueCodeableConcept"))
            cols[k] = rd.path(r, f"component[{j}] ({k})")
        if not comps:
            vv["dlqi"], cols["dlqi"] = r.get("valueInteger"), rd.path(r, "valueInteger")
    elif name == "bsa":
        vv["bsa"], cols["bsa"] = quantity, rd.path(r, "valueQuantity.value")
    else:
        vv["pga"], cols["pga"] = r.get("valueInteger"), rd.path(r, "valueInteger")


__all__ = ["Read", "codesystem", "read_bundle", "validate_bundle"]

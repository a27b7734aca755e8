"""Registry records as HL7 FHIR R4 resources.

Per patient (all ids are uuid5s, stable across exports; references use ``urn:uuid:`` full URLs):

* **Patient** -- psoreg id (or, pseudonymised for analysts, the pseudonym: no name, hospital
  number or birth date, only the year of birth of the shifted date), name, hospital number,
  gender, birth date; ethnicity and history flags as psoreg extensions.
* **Condition** psoriasis (SNOMED CT 9014002) with the phenotype(s) as psoreg codings and the
  year of onset; psoriatic arthritis (SNOMED CT 33339001), *refuted* when recorded as absent;
  one Condition per comorbidity (text).
* **Observation** body weight (LOINC 29463-7).
* **MedicationStatement** per course (drug as ATC from :mod:`psoreg.catalogue`, period, stop
  reason, regimen as dosage text); **MedicationAdministration** per dose (mg, UCUM).
* **Encounter** per visit, and an **Observation** per score at it: PASI with its 16 components,
  BSA, DLQI with the answers as components, PGA (``partOf`` the course's MedicationStatement).
* **AdverseEvent** per adverse or paradoxical event, the course as suspect entity, with the
  Naranjo and WHO-UMC causality (category, reason and every answer) where recorded.
* **Observation** per relapse (date, morphology, treatment).

No LOINC code for PASI, DLQI, PGA or affected BSA was found in the sources reachable here, so
these use psoreg's CodeSystem (``mapping.json``: ``codesystem``); a site adds a LOINC coding in
``mapping.json`` if it uses one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from psoreg.cases.naranjo import NaranjoAssessment
from psoreg.cases.who_umc import WhoUmcAssessment
from psoreg.catalogue import get_drug
from psoreg.interop.fhir.mapping import (
    concept,
    ext_url,
    extensions,
    id_system,
    mapping,
    psoreg_coding,
    rid,
    system,
)
from psoreg.interop.records import CHILD_TABLES, CourseRecords, PatientRecords, Rec
from psoreg.store import deid
from psoreg.store import validate as v

GENDER = {"M": "male", "F": "female", "other": "other", "unknown": "unknown"}
SIGNS = ("erythema", "induration", "desquamation")


class Shift:
    """Identified (no change) or pseudonymised for analysts (pseudonym, dates shifted)."""

    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret

    def key(self, patient_id: str) -> str:
        return deid.pseudonym(self.secret, patient_id) if self.secret else patient_id

    def date(self, patient_id: str, d: dt.date | None) -> str | None:
        if d is None:
            return None
        return (deid.shift(self.secret, patient_id, d) if self.secret else d).isoformat()


def _ref(kind: str, key: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{rid(kind, key)}"}


def _ext(table: str, values: dict[str, Any], resource: str) -> list[dict[str, Any]]:
    out = []
    for field, (where, vtype) in extensions(table).items():
        value = values.get(field)
        if where == resource and value is not None:
            if vtype == "Date" and isinstance(value, dt.date):
                value = value.isoformat()
            out.append({"url": ext_url(field), f"value{vtype}": value})
    return out


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": system("ucum"), "code": code}


def _morphology_codings(text: str | None) -> list[dict[str, str]]:
    return [psoreg_coding(m.strip(), m.strip()) for m in (text or "").split(";") if m.strip()]


def _drug(name: str) -> dict[str, Any]:
    drug = get_drug(name)
    return {
        "coding": [{"system": system("atc"), "code": drug.atc, "display": drug.name}],
        "text": drug.name,
    }


def _scrubbed(p: PatientRecords, secret: str) -> PatientRecords:
    """The patient's free text as analysts see it in their exports: the columns of
    :data:`psoreg.store.deid.FREE_TEXT` through :func:`psoreg.store.deid.scrub` (dates shifted,
    identifiers and the patient's own name and hospital number masked)."""
    pv = p.patient.values
    pid = pv["patient_id"]
    private = (pv.get("name") or "", pv.get("hospital_number") or "")

    def clean(table: str, rec: Rec) -> Rec:
        values = dict(rec.values)
        for col in deid.FREE_TEXT.get(table, ()):
            if isinstance(values.get(col), str):
                values[col] = deid.scrub(secret, pid, values[col], private)
        return replace(rec, values=values)

    return PatientRecords(
        patient=clean("patients", p.patient),
        courses=[
            CourseRecords(
                course=clean("courses", c.course),
                **{t: [clean(t, r) for r in getattr(c, t)] for t in CHILD_TABLES},
            )
            for c in p.courses
        ],
    )


def patient_resources(p: PatientRecords, shift: Shift | None = None) -> list[dict[str, Any]]:
    """The FHIR resources of one patient (Patient first); free text scrubbed when
    pseudonymised."""
    shift = shift or Shift()
    if shift.secret:
        p = _scrubbed(p, shift.secret)
    pv = p.patient.values
    pid = pv["patient_id"]
    key = shift.key(pid)
    subject = _ref("Patient", key)
    res: list[dict[str, Any]] = []

    patient: dict[str, Any] = {"resourceType": "Patient", "id": rid("Patient", key)}
    if shift.secret:
        patient["identifier"] = [{"system": id_system("pseudonym"), "value": key}]
        birth = shift.date(pid, pv.get("birth_date"))
        if birth:
            patient["birthDate"] = birth[:4]
    else:
        patient["identifier"] = [{"system": id_system("patient_id"), "value": pid}]
        if pv.get("hospital_number"):
            patient["identifier"].append(
                {"system": id_system("hospital_number"), "value": pv["hospital_number"]}
            )
        if pv.get("name"):
            patient["name"] = [{"text": pv["name"]}]
        if pv.get("birth_date"):
            patient["birthDate"] = pv["birth_date"].isoformat()
    patient["gender"] = GENDER.get(pv.get("sex") or "unknown", "unknown")
    if ext := _ext("patients", pv, "Patient"):
        patient["extension"] = ext
    res.append(patient)

    psoriasis: dict[str, Any] = {
        "resourceType": "Condition",
        "id": rid("Condition", f"{key}/psoriasis"),
        "clinicalStatus": _clinical("active"),
        "category": [_category("problem-list-item")],
        "code": concept("psoriasis"),
        "subject": subject,
    }
    phen = _morphology_codings(pv.get("phenotypes"))
    ext = [{"url": ext_url("phenotype"), "valueCoding": c} for c in phen]
    ext += _ext("patients", pv, "Condition")
    if ext:
        psoriasis["extension"] = ext
    if pv.get("onset_year"):
        psoriasis["onsetDateTime"] = str(pv["onset_year"])
    res.append(psoriasis)
    if pv.get("psoriatic_arthritis") is not None:
        res.append(
            {
                "resourceType": "Condition",
                "id": rid("Condition", f"{key}/psa"),
                "verificationStatus": _verification(
                    "confirmed" if pv["psoriatic_arthritis"] else "refuted"
                ),
                "category": [_category("problem-list-item")],
                "code": concept("psoriatic_arthritis"),
                "subject": subject,
            }
        )
    for i, item in enumerate(x.strip() for x in (pv.get("comorbidities") or "").split(";")):
        if item:
            res.append(
                {
                    "resourceType": "Condition",
                    "id": rid("Condition", f"{key}/comorbidity/{i}"),
                    "category": [_category("problem-list-item")],
                    "code": {**concept("comorbidity"), "text": item},
                    "subject": subject,
                }
            )
    if pv.get("weight_kg") is not None:
        res.append(
            {
                "resourceType": "Observation",
                "id": rid("Observation", f"{key}/weight"),
                "status": "final",
                "category": [_obs_category("vital-signs")],
                "code": concept("body_weight"),
                "subject": subject,
                "valueQuantity": _quantity(pv["weight_kg"], "kg", "kg"),
            }
        )
    for c in p.courses:
        res.extend(_course_resources(c, key, pid, subject, shift))
    return res


def _course_resources(c: Any, key: str, pid: str, subject: dict, shift: Shift) -> list[dict]:
    cv = c.course.values
    cid = cv["course_id"]
    ckey = f"{key}/{cid}"
    course_ref = _ref("MedicationStatement", ckey)
    course_ext = {"url": ext_url("course"), "valueReference": course_ref}
    medication = _drug(cv["drug"])
    ms: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": rid("MedicationStatement", ckey),
        "identifier": [{"system": id_system("course_id"), "value": cid}],
        "status": "stopped" if cv.get("stop_date") else "active",
        "medicationCodeableConcept": medication,
        "subject": subject,
        "effectivePeriod": {"start": shift.date(pid, cv["start_date"])},
    }
    if cv.get("stop_date"):
        ms["effectivePeriod"]["end"] = shift.date(pid, cv["stop_date"])
    if cv.get("stop_reason"):
        ms["statusReason"] = [
            {"coding": [psoreg_coding(cv["stop_reason"], cv["stop_reason"])],
             "text": cv["stop_reason"]}
        ]  # fmt: skip
    if cv.get("regimen"):
        ms["dosage"] = [{"text": cv["regimen"]}]
    values = {**cv, "followup_date": cv.get("followup_date")}
    if values["followup_date"] is not None:
        values["followup_date"] = dt.date.fromisoformat(shift.date(pid, cv["followup_date"]))
    if ext := _ext("courses", values, "MedicationStatement"):
        ms["extension"] = ext
    res = [ms]
    for i, d in enumerate(c.doses):
        dv = d.values
        res.append(
            {
                "resourceType": "MedicationAdministration",
                "id": rid("MedicationAdministration", f"{ckey}/{i}"),
                "extension": [course_ext],
                "status": "completed",
                "medicationCodeableConcept": medication,
                "subject": subject,
                "effectiveDateTime": shift.date(pid, dv["date"]),
                "dosage": {"dose": _quantity(dv["dose_mg"], "mg", "mg")},
            }
        )
    for i, visit in enumerate(c.visits):
        res.extend(_visit_resources(visit, f"{ckey}/visit/{i}", pid, subject, course_ref, shift))
    for i, e in enumerate(c.events):
        res.append(_adverse_event(e, f"{ckey}/event/{i}", pid, subject, course_ref, shift))
    for i, r in enumerate(c.relapses):
        rv = r.values
        obs: dict[str, Any] = {
            "resourceType": "Observation",
            "id": rid("Observation", f"{ckey}/relapse/{i}"),
            "status": "final",
            "partOf": [course_ref],
            "code": concept("relapse"),
            "subject": subject,
            "effectiveDateTime": shift.date(pid, rv["date"]),
            "valueBoolean": True,
        }
        comps = [
            {"code": concept("relapse", "morphology"), "valueCodeableConcept": {"coding": [m]}}
            for m in _morphology_codings(rv.get("morphology"))
        ]
        if comps:
            obs["component"] = comps
        if ext := _ext("relapses", rv, "Observation"):
            obs["extension"] = ext
        res.append(obs)
    return res


def _visit_resources(
    visit: Rec, vkey: str, pid: str, subject: dict, course_ref: dict, shift: Shift
) -> list[dict[str, Any]]:
    vv = visit.values
    when = shift.date(pid, vv["date"])
    enc_ref = _ref("Encounter", vkey)
    res: list[dict[str, Any]] = [
        {
            "resourceType": "Encounter",
            "id": rid("Encounter", vkey),
            "extension": [{"url": ext_url("course"), "valueReference": course_ref}],
            "status": "finished",
            "class": {"system": system("act_code"), "code": "AMB", "display": "ambulatory"},
            "subject": subject,
            "period": {"start": when, "end": when},
        }
    ]

    def obs(name: str, category: str, **value: Any) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "id": rid("Observation", f"{vkey}/{name}"),
            "status": "final",
            "partOf": [course_ref],
            "category": [_obs_category(category)],
            "code": concept(name),
            "subject": subject,
            "encounter": enc_ref,
            "effectiveDateTime": when,
            **value,
        }

    grid = {k: vv.get(k) for k in v.PASI_FIELDS}
    if any(x is not None for x in grid.values()):
        from psoreg.scores import pasi_from_components

        total = round(pasi_from_components(**grid).total, 1)
        o = obs("pasi", "exam", valueQuantity=_quantity(total, "score", "{score}"))
        comps = []
        for k, x in grid.items():
            if x is None:
                continue
            code = {"coding": [psoreg_coding(k, k.replace("_", " "))]}
            if k.endswith("area_percent"):
                comps.append({"code": code, "valueQuantity": _quantity(x, "%", "%")})
            else:
                comps.append({"code": code, "valueInteger": int(x)})
        o["component"] = comps
        res.append(o)
    elif vv.get("pasi") is not None:
        res.append(obs("pasi", "exam", valueQuantity=_quantity(vv["pasi"], "score", "{score}")))
    if vv.get("bsa") is not None:
        res.append(obs("bsa", "exam", valueQuantity=_quantity(vv["bsa"], "%", "%")))
    answers = {k: vv.get(k) for k in v.DLQI_FIELDS}
    if any(a is not None for a in answers.values()):
        from psoreg.scores import dlqi

        o = obs("dlqi", "survey", valueInteger=dlqi(list(answers.values())).total)
        o["component"] = [
            {
                "code": {"coding": [psoreg_coding(k, f"DLQI item {k.removeprefix('dlqi_')}")]},
                "valueCodeableConcept": {"coding": [psoreg_coding(a, a.replace("_", " "))]},
            }
            for k, a in answers.items()
            if a is not None
        ]
        res.append(o)
    elif vv.get("dlqi") is not None:
        res.append(obs("dlqi", "survey", valueInteger=vv["dlqi"]))
    if vv.get("pga") is not None:
        res.append(obs("pga", "exam", valueInteger=vv["pga"]))
    return res


def _answers(values: dict[str, Any], column: str) -> dict[str, str]:
    prefix = f"{column}_"
    return {k.removeprefix(prefix): x for k, x in values.items() if k.startswith(prefix) and x}


def _adverse_event(
    e: Rec, ekey: str, pid: str, subject: dict, course_ref: dict, shift: Shift
) -> dict[str, Any]:
    ev = e.values
    kind = ev["kind"]
    ae: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "id": rid("AdverseEvent", ekey),
        "actuality": "actual",
        "event": concept(kind, ev.get("description")),
        "subject": subject,
        "date": shift.date(pid, ev["date"]),
    }
    ext = [{"url": ext_url("morphology"), "valueCoding": c}
           for c in _morphology_codings(ev.get("morphology"))]  # fmt: skip
    ext += _ext("events", ev, "AdverseEvent")
    if ev.get("description"):
        ext.append({"url": ext_url("description"), "valueString": ev["description"]})
    if ext:
        ae["extension"] = ext
    causality = []
    naranjo = _answers(ev, "naranjo")
    if naranjo:
        a = NaranjoAssessment(**naranjo)
        causality.append(
            {
                "extension": [_answer_ext("naranjo-answers", naranjo)],
                "assessment": {
                    "coding": [psoreg_coding(f"naranjo-{a.category.value}", a.category.value)],
                    "text": f"{a.category.value} (Naranjo score {a.score})",
                },
                "productRelatedness": a.reason,
                "method": {
                    "coding": [
                        {"system": system("causality_method"), "code": "ProbabilityScale"},
                        psoreg_coding("naranjo", mapping()["displays"]["naranjo"]),
                    ],
                    "text": "Naranjo",
                },
            }
        )
    who = _answers(ev, "who_umc")
    if who:
        w = WhoUmcAssessment(**who)
        code = mapping()["who_umc_assessment"][w.category.value]
        causality.append(
            {
                "extension": [_answer_ext("who-umc-criteria", who)],
                "assessment": {
                    "coding": [
                        {"system": system("causality_assessment"), "code": code},
                        psoreg_coding(f"who-umc-{code.lower()}", w.category.value),
                    ],
                    "text": w.category.value,
                },
                "productRelatedness": w.reason,
                "method": {
                    "coding": [
                        {"system": system("causality_method"), "code": "Checklist"},
                        psoreg_coding("who_umc", mapping()["displays"]["who_umc"]),
                    ],
                    "text": "WHO-UMC",
                },
            }
        )
    suspect: dict[str, Any] = {"instance": course_ref}
    if causality:
        suspect["causality"] = causality
    ae["suspectEntity"] = [suspect]
    return ae


def _answer_ext(name: str, answers: dict[str, str]) -> dict[str, Any]:
    return {
        "url": ext_url(name),
        "extension": [{"url": k, "valueCode": a} for k, a in answers.items()],
    }


def _clinical(code: str) -> dict[str, Any]:
    return {
        "coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": code}
        ]
    }


def _verification(code: str) -> dict[str, Any]:
    return {"coding": [{"system": system("condition_verification"), "code": code}]}


def _category(code: str) -> dict[str, Any]:
    return {"coding": [{"system": system("condition_category"), "code": code}]}


def _obs_category(code: str) -> dict[str, Any]:
    return {"coding": [{"system": system("observation_category"), "code": code}]}


def bundle(
    patients: Sequence[PatientRecords],
    secret: str | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> dict[str, Any]:
    """A collection Bundle of every patient's resources (pseudonymised with ``secret``)."""
    shift = Shift(secret)
    stamp = (now or (lambda: dt.datetime.now(dt.UTC)))().replace(microsecond=0)
    entries = []
    for p in patients:
        for r in patient_resources(p, shift):
            entries.append({"fullUrl": f"urn:uuid:{r['id']}", "resource": r})
    return {
        "resourceType": "Bundle",
        "meta": {"tag": [psoreg_coding("deidentified" if secret else "identified")]},
        "type": "collection",
        "timestamp": stamp.isoformat().replace("+00:00", "Z"),
        "entry": entries,
    }

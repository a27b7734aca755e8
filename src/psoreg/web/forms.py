"""The fields each form shows (the server validates them with the domain model)."""

from __future__ import annotations

from dataclasses import dataclass

from psoreg.catalogue import all_drugs
from psoreg.model.vocab import EventKind, Sex, StopReason


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text | number | date | select | yesno | textarea
    choices: tuple[str, ...] = ()
    step: str = "any"


PATIENT = (
    FormField("patient_id", "Registry id"),
    FormField("name", "Name"),
    FormField("hospital_number", "Hospital number"),
    FormField("birth_date", "Date of birth", "date"),
    FormField("sex", "Sex", "select", tuple(s.value for s in Sex)),
    FormField("ethnicity", "Ethnicity"),
    FormField("weight_kg", "Weight (kg)", "number"),
    FormField("phenotypes", "Psoriasis type(s), ';'-separated"),
    FormField("onset_year", "Year of onset", "number", step="1"),
    FormField("psoriatic_arthritis", "Psoriatic arthritis", "yesno"),
    FormField("comorbidities", "Comorbidities, ';'-separated"),
    FormField("biologic_naive", "Biologic-naive", "yesno"),
    FormField("prior_phototherapy", "Prior phototherapy", "yesno"),
    FormField("prior_systemics", "Prior systemics, ';'-separated"),
)
COURSE = (
    FormField("course_id", "Course id (blank: automatic)"),
    FormField("drug", "Drug", "select", tuple(d.name for d in all_drugs())),
    FormField("regimen", "Regimen"),
    FormField("start_date", "First dose", "date"),
    FormField("followup_date", "Last follow-up", "date"),
    FormField("baseline_pasi", "Baseline PASI (blank: from the visit at the first dose)", "number"),
    FormField("baseline_dlqi", "Baseline DLQI", "number", step="1"),
    FormField("next_treatment", "Next treatment"),
)
STOP = (
    FormField("stop_date", "Stop date", "date"),
    FormField("stop_reason", "Reason", "select", tuple(r.value for r in StopReason)),
    FormField("next_treatment", "Next treatment"),
)
DOSE = (FormField("date", "Date", "date"), FormField("dose_mg", "Dose (mg)", "number"))
EVENT = (
    FormField("kind", "Kind", "select", tuple(k.value for k in EventKind)),
    FormField("date", "Onset date", "date"),
    FormField("morphology", "Morphology, ';'-separated (paradoxical)"),
    FormField("sites", "Sites"),
    FormField("bsa", "BSA %", "number"),
    FormField("management", "Management"),
    FormField("drug_continued", "Drug continued", "yesno"),
    FormField("description", "Description", "textarea"),
)
RELAPSE = (
    FormField("date", "Date", "date"),
    FormField("morphology", "Morphology, ';'-separated"),
    FormField("treatment", "Treatment"),
)
FORMS: dict[str, tuple[FormField, ...]] = {
    "patients": PATIENT,
    "courses": COURSE,
    "doses": DOSE,
    "events": EVENT,
    "relapses": RELAPSE,
}
TITLES = {
    "patients": "patient",
    "courses": "course",
    "doses": "dose",
    "visits": "visit",
    "events": "adverse or paradoxical event",
    "relapses": "relapse",
}

DLQI_QUESTIONS = (
    "How itchy, sore, painful or stinging has your skin been?",
    "How embarrassed or self-conscious have you been because of your skin?",
    "How much has your skin interfered with going shopping or looking after your home?",
    "How much has your skin influenced the clothes you wear?",
    "How much has your skin affected any social or leisure activities?",
    "How much has your skin made it difficult for you to do any sport?",
    "Has your skin prevented you from working or studying? (if no: how much a problem?)",
    "How much has your skin created problems with your partner, close friends or relatives?",
    "How much has your skin caused any sexual difficulties?",
    "How much of a problem has the treatment for your skin been?",
)
DLQI_CHOICES = ("very_much", "a_lot", "a_little", "not_at_all", "not_relevant")
DLQI_ITEM7_CHOICES = ("yes", "a_lot", "a_little", "not_at_all", "not_relevant")
REGION_LABELS = {
    "head": "Head & neck",
    "upper_limbs": "Upper limbs",
    "trunk": "Trunk",
    "lower_limbs": "Lower limbs",
}

_VISIT_LABELS = {
    "date": "Visit date",
    "pasi": "PASI total",
    "bsa": "BSA %",
    "pga": "sPGA",
    "dlqi": "DLQI total",
}


def label_of(table: str, name: str) -> str:
    """The label a form shows for a field (the conflict diff uses the same words)."""
    for f in (*FORMS.get(table, ()), *(STOP if table == "courses" else ())):
        if f.name == name:
            return f.label
    if table == "visits":
        if name in _VISIT_LABELS:
            return _VISIT_LABELS[name]
        if name.startswith("dlqi_"):
            return f"DLQI question {name.removeprefix('dlqi_')}"
        for region, label in REGION_LABELS.items():
            if name.startswith(region + "_"):
                part = name.removeprefix(region + "_").replace("_percent", " %").replace("_", " ")
                return f"{label}: {part}"
    return name

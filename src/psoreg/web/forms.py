"""The fields each form shows (the server validates them with the domain model)."""

from __future__ import annotations

import re
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
CONSENT = (
    FormField("consent_date", "Date consent was given", "date"),
    FormField("consent_version", "Information sheet / consent form version"),
    FormField(
        "consent_scope",
        "What the consent covers",
        "select",
        ("research", "registry"),
    ),
    FormField(
        "consent_withdrawn_date",
        "Date consent was withdrawn (left out of analyses and exports from then)",
        "date",
    ),
)
#: the site of a patient (the choices are the user's sites, filled in per request)
SITE = FormField("site", "Site", "select")
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
    "dose_mg": "Dose given at this visit (mg)",
    "date": "Visit date",
    "pasi": "PASI total",
    "bsa": "BSA %",
    "pga": "sPGA",
    "dlqi": "DLQI total",
}


_OTHER_LABELS = {
    "record": "This record",
    "reason": "Reason",
    "version": "Version",
    "site": "Site",
    "course": "Course",
    "birth_year": "Year of birth",
    "followup_date": "Last follow-up",
    "text": "Text",
    "field": "Field",
    "assigned_to": "Assigned to",
}


def label_of(table: str, name: str) -> str:
    """The label a form shows for a field (the conflict diff and every error message use the
    same words)."""
    extra = (*STOP, *COURSE) if table == "courses" else ()
    extra += CONSENT if table == "patients" else ()
    for f in (*FORMS.get(table, ()), *extra):
        if f.name == name:
            return f.label.split(" (")[0].split(", ';'")[0]
    if table == "visits":
        if name in _VISIT_LABELS:
            return _VISIT_LABELS[name]
        if name.startswith("dlqi_"):
            return f"DLQI question {name.removeprefix('dlqi_')}"
        for region, label in REGION_LABELS.items():
            if name.startswith(region + "_"):
                part = name.removeprefix(region + "_").replace("_percent", " %").replace("_", " ")
                return f"{label}: {part}"
    return _OTHER_LABELS.get(name, name.replace("_", " ").capitalize())


_NAME = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def human(table: str, message: str) -> str:
    """``message`` with the internal field names it quotes (``start_date``) in the form's
    words ("First dose")."""
    return _NAME.sub(lambda m: _known(table, m.group(0)), message)


def _known(table: str, name: str) -> str:
    label = label_of(table, name)
    return label if label != name.replace("_", " ").capitalize() else name


def human_errors(table: str, errors: dict[str, str]) -> list[tuple[str, str, str]]:
    """Every problem as ``(field, label, message)``, in the form's words, all at once."""
    return [(k, label_of(table, k), human(table, v)) for k, v in errors.items()]

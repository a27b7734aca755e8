"""The fields each form shows (the server validates them with the domain model)."""

from __future__ import annotations

from dataclasses import dataclass

from psoreg.catalogue import all_drugs
from psoreg.i18n import N_
from psoreg.model.vocab import VOCAB_LABELS, EventKind, Sex, StopReason


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text | number | date | select | yesno | textarea
    choices: tuple[str, ...] = ()
    step: str = "any"


PATIENT = (
    FormField("patient_id", N_("Registry id")),
    FormField("name", N_("Name")),
    FormField("hospital_number", N_("Hospital number")),
    FormField("birth_date", N_("Date of birth"), "date"),
    FormField("sex", N_("Sex"), "select", tuple(s.value for s in Sex)),
    FormField("ethnicity", N_("Ethnicity")),
    FormField("weight_kg", N_("Weight (kg)"), "number"),
    FormField("phenotypes", N_("Psoriasis type(s), ';'-separated")),
    FormField("onset_year", N_("Year of onset"), "number", step="1"),
    FormField("psoriatic_arthritis", N_("Psoriatic arthritis"), "yesno"),
    FormField("comorbidities", N_("Comorbidities, ';'-separated")),
    FormField("biologic_naive", N_("Biologic-naive"), "yesno"),
    FormField("prior_phototherapy", N_("Prior phototherapy"), "yesno"),
    FormField("prior_systemics", N_("Prior systemics, ';'-separated")),
)
COURSE = (
    FormField("course_id", N_("Course id (blank: automatic)")),
    FormField("drug", N_("Drug"), "select", tuple(d.name for d in all_drugs())),
    FormField("regimen", N_("Regimen")),
    FormField("start_date", N_("First dose"), "date"),
    FormField("followup_date", N_("Last follow-up"), "date"),
    FormField(
        "baseline_pasi", N_("Baseline PASI (blank: from the visit at the first dose)"), "number"
    ),
    FormField("baseline_dlqi", N_("Baseline DLQI"), "number", step="1"),
    FormField("next_treatment", N_("Next treatment")),
)
STOP = (
    FormField("stop_date", N_("Stop date"), "date"),
    FormField("stop_reason", N_("Reason"), "select", tuple(r.value for r in StopReason)),
    FormField("next_treatment", N_("Next treatment")),
)
DOSE = (FormField("date", N_("Date"), "date"), FormField("dose_mg", N_("Dose (mg)"), "number"))
EVENT = (
    FormField("kind", N_("Kind"), "select", tuple(k.value for k in EventKind)),
    FormField("date", N_("Onset date"), "date"),
    FormField("morphology", N_("Morphology, ';'-separated (paradoxical)")),
    FormField("sites", N_("Sites")),
    FormField("bsa", N_("BSA %"), "number"),
    FormField("management", N_("Management")),
    FormField("drug_continued", N_("Drug continued"), "yesno"),
    FormField("description", N_("Description"), "textarea"),
)
RELAPSE = (
    FormField("date", N_("Date"), "date"),
    FormField("morphology", N_("Morphology, ';'-separated")),
    FormField("treatment", N_("Treatment")),
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

#: The page titles the forms show (translated in the templates, ``{{ _(title) }}``).
PAGE_TITLES = (
    N_("New patient"), N_("New course"), N_("New dose"), N_("New visit"),
    N_("New adverse or paradoxical event"), N_("New relapse"),
    N_("Edit patient"), N_("Edit course"), N_("Edit dose"), N_("Edit visit"),
    N_("Edit adverse or paradoxical event"), N_("Edit relapse"), N_("Stop course"),
)  # fmt: skip
#: How the choices of a select read (the submitted value stays the code).
CHOICE_LABELS = VOCAB_LABELS
#: PASI's signs as the grid heads them.
SIGN_LABELS = {
    "erythema": N_("Erythema"), "induration": N_("Induration"),
    "desquamation": N_("Desquamation"),
}  # fmt: skip

#: The DLQI's items in its own (copyright, validated) English wording: shown as published, not
#: translated here - a Malay DLQI must be the validated translation, licensed from its authors.
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
    "head": N_("Head & neck"),
    "upper_limbs": N_("Upper limbs"),
    "trunk": N_("Trunk"),
    "lower_limbs": N_("Lower limbs"),
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

"""The fields each form shows (the server validates them with the domain model)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from psoreg.catalogue import all_drugs
from psoreg.i18n import N_, _
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
CONSENT = (
    FormField("consent_date", N_("Date consent was given"), "date"),
    FormField("consent_version", N_("Information sheet / consent form version")),
    FormField(
        "consent_scope",
        N_("What the consent covers"),
        "select",
        ("research", "registry"),
    ),
    FormField(
        "consent_withdrawn_date",
        N_("Date consent was withdrawn (left out of analyses and exports from then)"),
        "date",
    ),
)
#: the site of a patient (the choices are the user's sites, filled in per request)
SITE = FormField("site", N_("Site"), "select")
FORMS: dict[str, tuple[FormField, ...]] = {
    "patients": PATIENT,
    "courses": COURSE,
    "doses": DOSE,
    "events": EVENT,
    "relapses": RELAPSE,
}
#: What one record of each table is called (translated where shown, ``{{ what|tr }}``).
TITLES = {
    "patients": N_("patient"),
    "courses": N_("course"),
    "doses": N_("dose"),
    "visits": N_("visit"),
    "events": N_("adverse or paradoxical event"),
    "relapses": N_("relapse"),
}
#: Records of each table counted ("3 visits"; translated where shown).
PLURALS = {
    "patients": N_("patients"),
    "courses": N_("courses"),
    "doses": N_("doses"),
    "visits": N_("visits"),
    "events": N_("events"),
    "relapses": N_("relapses"),
}

#: The page titles the forms show (translated in the templates, ``{{ _(title) }}``).
PAGE_TITLES = (
    N_("New patient"), N_("New course"), N_("New dose"), N_("New visit"),
    N_("New adverse or paradoxical event"), N_("New relapse"),
    N_("Edit patient"), N_("Edit course"), N_("Edit dose"), N_("Edit visit"),
    N_("Edit adverse or paradoxical event"), N_("Edit relapse"), N_("Stop course"),
    N_("Change the stop"), N_("Consent"),
)  # fmt: skip
#: The roles of accounts and at sites, as shown (``{{ role|tr }}``).
ROLES = (N_("admin"), N_("clinician"), N_("analyst"))
#: How the choices of a select read (the submitted value stays the code).
CHOICE_LABELS = {
    **VOCAB_LABELS,
    "research": N_("registry and research"),
    "registry": N_("registry only, no research use"),
}
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
    "dose_mg": N_("Dose given at this visit (mg)"),
    "date": N_("Visit date"),
    "pasi": N_("PASI total"),
    "bsa": N_("BSA %"),
    "pga": "sPGA",
    "dlqi": N_("DLQI total"),
}


_OTHER_LABELS = {
    "record": N_("This record"),
    "reason": N_("Reason"),
    "version": N_("Version"),
    "site": N_("Site"),
    "course": N_("Course"),
    "birth_year": N_("Year of birth"),
    "followup_date": N_("Last follow-up"),
    "text": N_("Text"),
    "field": N_("Field"),
    "assigned_to": N_("Assigned to"),
    "status": N_("Status"),
    "code": N_("Code"),
    "name": N_("Name"),
    "sites": N_("Site memberships"),
    "username": N_("User"),
}


def label_of(table: str, name: str) -> str:
    """The label a form shows for a field (the conflict diff and every error message use the
    same words), in the current language."""
    return _(_label_of(table, name))


def _label_of(table: str, name: str) -> str:
    extra = (*STOP, *COURSE) if table == "courses" else ()
    extra += CONSENT if table == "patients" else ()
    for f in (*FORMS.get(table, ()), *extra):
        if f.name == name:
            return _(f.label).split(" (")[0].split(", ';'")[0]
    if table == "visits":
        if name in _VISIT_LABELS:
            return _VISIT_LABELS[name]
        if name.startswith("dlqi_"):
            return _("DLQI question {n}").format(n=name.removeprefix("dlqi_"))
        for region, label in REGION_LABELS.items():
            if name.startswith(region + "_"):
                part = name.removeprefix(region + "_")
                shown = _(SIGN_LABELS[part]).lower() if part in SIGN_LABELS else _("area %")
                return f"{_(label)}: {shown}"
    return _OTHER_LABELS.get(name, name.replace("_", " ").capitalize())


_NAME = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def human(table: str, message: str) -> str:
    """``message`` with the internal field names it quotes (``start_date``) in the form's
    words ("First dose")."""
    return _NAME.sub(lambda m: _known(table, m.group(0)), message)


def _known(table: str, name: str) -> str:
    label = _label_of(table, name)
    return _(label) if label != name.replace("_", " ").capitalize() else name


def human_errors(table: str, errors: dict[str, str]) -> list[tuple[str, str, str]]:
    """Every problem as ``(field, label, message)``, in the form's words, all at once."""
    return [(k, label_of(table, k), human(table, v)) for k, v in errors.items()]

"""Controlled vocabularies of the domain model.

Sources: stop reasons follow the issue's list (inefficacy, secondary failure, adverse event,
paradoxical event, remission, cost/access, patient choice, other); morphologies follow the
anti-TNF paradoxical-psoriasis literature summarised in ``clinical-facts.md`` §5 (plaque,
palmoplantar pustular, scalp, guttate, inverse) plus the phenotypes of the case series
(generalised pustular, erythrodermic, nail).
"""

from __future__ import annotations

from enum import StrEnum

from psoreg.i18n import N_


class Sex(StrEnum):
    male = "M"
    female = "F"
    other = "other"
    unknown = "unknown"


SEX_ALIASES = {
    "m": Sex.male,
    "male": Sex.male,
    "man": Sex.male,
    "f": Sex.female,
    "female": Sex.female,
    "woman": Sex.female,
    "other": Sex.other,
    "unknown": Sex.unknown,
    "u": Sex.unknown,
}


class StopReason(StrEnum):
    inefficacy = "inefficacy"
    secondary_failure = "secondary failure"
    adverse_event = "adverse event"
    paradoxical_event = "paradoxical event"
    remission = "remission"
    cost_or_access = "cost or access"
    patient_choice = "patient choice"
    other = "other"


#: Stop reasons that count as treatment failure (for the "failure" drug-survival definition).
FAILURE_STOP_REASONS = frozenset(
    {
        StopReason.inefficacy,
        StopReason.secondary_failure,
        StopReason.adverse_event,
        StopReason.paradoxical_event,
    }
)


class Morphology(StrEnum):
    plaque = "plaque"
    pustular = "pustular"
    localised_pustular = "localised pustular"
    palmoplantar_pustular = "palmoplantar pustular"
    generalised_pustular = "generalised pustular"
    guttate = "guttate"
    inverse = "inverse"
    scalp = "scalp"
    erythrodermic = "erythrodermic"
    nail = "nail"


#: Morphologies that make a post-stop flare a *rebound* under the NPF/EMEA definitions
#: ("new generalized pustular, erythrodermic or more inflammatory psoriasis"; Papp 2006 Table 1).
REBOUND_MORPHOLOGIES = frozenset({Morphology.generalised_pustular, Morphology.erythrodermic})

#: Morphologies with pustules (for "relapse with pustules", case series Results).
PUSTULAR_MORPHOLOGIES = frozenset(
    {
        Morphology.pustular,
        Morphology.localised_pustular,
        Morphology.palmoplantar_pustular,
        Morphology.generalised_pustular,
    }
)

MORPHOLOGY_ALIASES = {
    "ps": Morphology.plaque,
    "chronic plaque": Morphology.plaque,
    "pustules": Morphology.pustular,
    "gpp": Morphology.generalised_pustular,
    "generalized pustular": Morphology.generalised_pustular,
    "ppp": Morphology.palmoplantar_pustular,
    "palmoplantar pustulosis": Morphology.palmoplantar_pustular,
    "palmo-plantar pustular": Morphology.palmoplantar_pustular,
    "localized pustular": Morphology.localised_pustular,
}


class EventKind(StrEnum):
    adverse = "adverse"
    paradoxical = "paradoxical"


class Role(StrEnum):
    """Where a therapy sits in the patient's history."""

    phototherapy = "phototherapy"
    systemic = "systemic"
    biologic = "biologic"


def parse_morphology(text: str) -> Morphology:
    """Map free text (case-insensitive, aliases such as GPP) to a :class:`Morphology`."""
    key = text.strip().lower()
    if key in MORPHOLOGY_ALIASES:
        return MORPHOLOGY_ALIASES[key]
    try:
        return Morphology(key)
    except ValueError:
        allowed = ", ".join(m.value for m in Morphology)
        raise ValueError(f"unknown morphology {text!r}; expected one of: {allowed}") from None


def parse_sex(text: str) -> Sex:
    key = text.strip().lower()
    if key in SEX_ALIASES:
        return SEX_ALIASES[key]
    raise ValueError(f"unknown sex {text!r}; expected M, F, other or unknown")


#: How the codes of Sex, StopReason and EventKind read to a person (translated where shown,
#: ``_(VOCAB_LABELS[code])``); the stored value stays the code.
VOCAB_LABELS = {
    "M": N_("male"), "F": N_("female"), "other": N_("other"), "unknown": N_("unknown"),
    "inefficacy": N_("inefficacy"), "secondary failure": N_("secondary failure"),
    "adverse event": N_("adverse event"), "paradoxical event": N_("paradoxical event"),
    "remission": N_("remission"), "cost or access": N_("cost or access"),
    "patient choice": N_("patient choice"), "adverse": N_("adverse"),
    "paradoxical": N_("paradoxical"),
}  # fmt: skip


def label(code: object) -> str:
    """A vocabulary code as a person reads it, in the current language (other text as is)."""
    from psoreg.i18n import gettext

    text = str(code)
    return gettext(VOCAB_LABELS[text]) if text in VOCAB_LABELS else text

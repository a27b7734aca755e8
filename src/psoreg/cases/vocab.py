"""Controlled vocabularies of a drug-induced / paradoxical psoriasis case record.

Sources:

* event types follow the definition of paradoxical psoriasis in Maronese et al., *JID*
  2024;144:2364 (clinical-facts §5): new-onset psoriasis in a patient treated for another
  disease, or worsening, or a change of phenotype, of pre-existing psoriasis;
* indications extend the catalogue's vocabulary (:data:`psoreg.catalogue.INDICATIONS`) with
  British spellings and common abbreviations;
* outcomes use the terms of ICH E2B adverse-reaction reports (recovered/resolved, recovering,
  not recovered, recovered with sequelae, fatal, unknown), shortened;
* dechallenge/rechallenge results are the usual pharmacovigilance terms (positive = the
  reaction abated on withdrawal / recurred on re-exposure).

Morphology and sex reuse :mod:`psoreg.model.vocab`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TypeVar

from psoreg.catalogue import INDICATIONS
from psoreg.errors import InvalidValue

__all__ = [
    "ChallengeResult",
    "EventType",
    "INDICATION_ALIASES",
    "ManagementKind",
    "Origin",
    "Outcome",
    "Route",
    "parse_choice",
    "parse_indication",
]

E = TypeVar("E", bound=StrEnum)


class Origin(StrEnum):
    """Where a case record comes from."""

    registry = "registry"  # a paradoxical event entered on a course in psoreg
    clinic = "clinic"  # a stand-alone case entered by a clinician (patient treated elsewhere)
    literature = "literature"  # a published case


class EventType(StrEnum):
    """New-onset psoriasis, worsening, or a change of phenotype (Maronese 2024).

    ``exacerbation`` is pre-existing psoriasis that worsened *or* changed phenotype when the
    source does not say which (Navarro & Daudén, *Actas* 2014, contrast "de novo" with
    "exacerbation"; clinical-facts §5).
    """

    new_onset = "new-onset"
    worsening = "worsening"
    phenotype_change = "phenotype change"
    exacerbation = "exacerbation"
    unknown = "unknown"


class Route(StrEnum):
    subcutaneous = "SC"
    intravenous = "IV"
    oral = "oral"
    intramuscular = "IM"
    topical = "topical"
    other = "other"


class ManagementKind(StrEnum):
    """What was done for the event: topical, systemic, phototherapy, a biologic switch."""

    topical = "topical"
    systemic = "systemic"
    phototherapy = "phototherapy"
    switch = "switch"  # the suspect biologic replaced by another biologic
    other = "other"


class ChallengeResult(StrEnum):
    """Result of a dechallenge (stopping) or rechallenge (re-exposure)."""

    positive = "positive"  # dechallenge: improved on stopping; rechallenge: recurred
    negative = "negative"  # dechallenge: no improvement; rechallenge: did not recur
    not_done = "not done"
    unknown = "unknown"


class Outcome(StrEnum):
    """Outcome of the event (ICH E2B terms, shortened)."""

    resolved = "resolved"
    improved = "improved"
    not_resolved = "not resolved"
    resolved_with_sequelae = "resolved with sequelae"
    fatal = "fatal"
    unknown = "unknown"


#: Lower-case spellings and abbreviations -> catalogue indication.
INDICATION_ALIASES: dict[str, str] = {
    "ps": "psoriasis",
    "pso": "psoriasis",
    "plaque psoriasis": "psoriasis",
    "chronic plaque psoriasis": "psoriasis",
    "gpp": "generalized pustular psoriasis",
    "generalised pustular psoriasis": "generalized pustular psoriasis",
    "psa": "psoriatic arthritis",
    "ra": "rheumatoid arthritis",
    "as": "ankylosing spondylitis",
    "axial spondyloarthritis": "ankylosing spondylitis",
    "cd": "Crohn's disease",
    "crohn's": "Crohn's disease",
    "crohns disease": "Crohn's disease",
    "crohn disease": "Crohn's disease",
    "crohn's disease": "Crohn's disease",
    "uc": "ulcerative colitis",
    "ms": "multiple sclerosis",
    "rrms": "multiple sclerosis",
    "relapsing-remitting multiple sclerosis": "multiple sclerosis",
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower().replace("’", "'"))


def parse_indication(value: object) -> str:
    """The catalogue's spelling of an indication (case-insensitive; aliases such as MS, PsA).

    Raises :class:`~psoreg.errors.InvalidValue` naming the field ``indication``.
    """
    allowed = "one of: " + ", ".join(INDICATIONS) + " (or MS, PsA, RA, CD, UC, AS)"
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("indication", value, allowed)
    key = _norm(value)
    if key in INDICATION_ALIASES:
        return INDICATION_ALIASES[key]
    for name in INDICATIONS:
        if name.lower() == key:
            return name
    raise InvalidValue("indication", value, allowed)


def _key(text: str) -> str:
    return _norm(text).replace("_", " ").replace("-", " ")


def parse_choice(enum: type[E], field: str, value: object) -> E:
    """Map text (case-insensitive; ``_``, ``-`` and spaces alike) to a member of ``enum``.

    Raises :class:`~psoreg.errors.InvalidValue` naming ``field`` and listing the members.
    """
    if isinstance(value, enum):
        return value
    allowed = "one of: " + ", ".join(m.value for m in enum)
    if isinstance(value, str):
        key = _key(value)
        for member in enum:
            if key in {_key(member.value), _key(member.name)}:
                return member
    raise InvalidValue(field, value, allowed)

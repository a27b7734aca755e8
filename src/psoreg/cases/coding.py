"""One rule for a paradoxical event's type, applied alike to registry, clinic and literature.

``maronese_2024`` (default; Maronese et al., *JID* 2024;144:2364, clinical-facts §5): *new-onset*
without pre-existing psoriasis; with it, *worsening* when every morphology of the event was
already part of the patient's psoriasis, *phenotype change* when the event brings a morphology
the patient had not had (e.g. pustules on chronic plaque psoriasis). ``navarro_2014`` (Navarro &
Daudén, *Actas* 2014): *new-onset* ("de novo") vs *exacerbation* (worsening and phenotype change
together). Options: :class:`psoreg.outcomes.options.CaseCoding`.
"""

from __future__ import annotations

from psoreg.cases.vocab import EventType
from psoreg.model.vocab import Morphology

__all__ = ["code_event_type"]


def code_event_type(
    event: tuple[Morphology, ...] | list[Morphology],
    history: tuple[Morphology, ...] | list[Morphology],
    had_psoriasis: bool | None = True,
    coding: str = "maronese_2024",
) -> EventType:
    """The event type of an eruption ``event`` in a patient whose psoriasis was ``history``."""
    if had_psoriasis is False:
        return EventType.new_onset
    if not event or not history:
        return EventType.unknown
    kind = EventType.worsening if set(event) <= set(history) else EventType.phenotype_change
    return EventType.exacerbation if coding == "navarro_2014" else kind

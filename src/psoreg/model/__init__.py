"""Validated domain records (pydantic) and their vocabularies."""

from psoreg.model.records import (
    Assessment,
    Course,
    DoseAdministration,
    Event,
    Patient,
    PriorTherapy,
    RelapseEpisode,
)
from psoreg.model.vocab import EventKind, Morphology, Sex, StopReason

__all__ = [
    "Assessment",
    "Course",
    "DoseAdministration",
    "Event",
    "EventKind",
    "Morphology",
    "Patient",
    "PriorTherapy",
    "RelapseEpisode",
    "Sex",
    "StopReason",
]

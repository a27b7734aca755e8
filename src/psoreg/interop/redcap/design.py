"""psoreg's case report forms as a REDCap project: data dictionary, events, repeating forms.

The fields are reference data in ``psoreg/data/redcap/fields.csv`` (one line per REDCap field:
its form, type, label, validation and the psoreg field it holds, ``table.field``), the events in
``events.csv`` and the form labels in ``forms.csv``. Choices written ``@name`` come from psoreg's
own vocabularies (:data:`VOCABULARIES`: the drug catalogue, stop reasons, morphologies, DLQI,
Naranjo and WHO-UMC answers), so a drug added to the catalogue appears in REDCap without an edit
here. Calculated fields (``calc:pasi`` …) get their expressions from :mod:`.calc`.

Shapes are PyCap's: :func:`metadata` is what ``Project.export_metadata()`` returns (and
``import_metadata`` takes), :func:`events`, :func:`instrument_event_mappings` and
:func:`repeating_instruments` those of ``export_events``, ``export_instrument_event_mappings``
and ``export_repeating_instruments_events``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from psoreg.cases.naranjo import NARANJO_ITEMS, Answer
from psoreg.cases.vocab import ChallengeResult
from psoreg.cases.who_umc import (
    WHO_UMC_QUESTIONS,
    AlternativeExplanation,
    Information,
    TimeRelationship,
)
from psoreg.catalogue import all_drugs
from psoreg.interop.redcap import calc
from psoreg.model.vocab import EventKind, Morphology, StopReason
from psoreg.store.validate import CONSENT_SCOPES

DATA = Path(__file__).resolve().parents[2] / "data" / "redcap"

#: The 18 columns of a REDCap data dictionary, in REDCap's order: the API's keys ...
METADATA_KEYS = (
    "field_name",
    "form_name",
    "section_header",
    "field_type",
    "field_label",
    "select_choices_or_calculations",
    "field_note",
    "text_validation_type_or_show_slider_number",
    "text_validation_min",
    "text_validation_max",
    "identifier",
    "branching_logic",
    "required_field",
    "custom_alignment",
    "question_number",
    "matrix_group_name",
    "matrix_ranking",
    "field_annotation",
)
#: ... and the headers of the CSV file REDCap's Dictionary page downloads and uploads.
DICTIONARY_HEADERS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
#: The columns REDCap puts first in every flat record export.
RECORD_KEYS = (
    "record_id",
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
)


@dataclass(frozen=True)
class Choice:
    code: str  # REDCap's raw value
    label: str  # what REDCap shows (and exports with rawOrLabel=label)
    value: Any  # psoreg's value


def _code(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower())


def _enum(enum: Any, labels: dict[str, str] | None = None) -> tuple[Choice, ...]:
    labels = labels or {}
    return tuple(
        Choice(_code(m.value), labels.get(m.value, m.value[:1].upper() + m.value[1:]), m.value)
        for m in enum
    )


_DLQI = (("3", "very_much", "Very much"), ("2", "a_lot", "A lot"), ("1", "a_little", "A little"),
         ("0", "not_at_all", "Not at all"), ("nr", "not_relevant", "Not relevant"))  # fmt: skip
_DLQI7 = (("3", "yes", "Yes (prevented work or study)"),
          ("2", "a_lot", "No, but a lot of a problem"), ("1", "a_little", "No, but a little"),
          ("0", "not_at_all", "No, not at all"),
          ("nr", "not_relevant", "Not relevant"))  # fmt: skip
_SIGN = ("none", "slight", "moderate", "severe", "very severe")


@cache
def vocabularies() -> dict[str, tuple[Choice, ...]]:
    """``@name`` -> the choices it stands for (psoreg's vocabularies)."""
    return {
        "sex": (Choice("M", "Male", "M"), Choice("F", "Female", "F"),
                Choice("other", "Other", "other"), Choice("unknown", "Unknown", "unknown")),
        "morphology": _enum(Morphology),
        "drug": tuple(Choice(_code(d.name), d.name, d.name) for d in all_drugs()),
        "stop_reason": _enum(StopReason),
        "consent_scope": tuple(Choice(k, label, k) for k, label in CONSENT_SCOPES.items()),
        "event_kind": _enum(EventKind, {"adverse": "Adverse event",
                                        "paradoxical": "Paradoxical event"}),
        "sign": tuple(Choice(str(n), f"{n} {w}", n) for n, w in enumerate(_SIGN)),
        "dlqi": tuple(Choice(c, lab, v) for c, v, lab in _DLQI),
        "dlqi7": tuple(Choice(c, lab, v) for c, v, lab in _DLQI7),
        "naranjo": _enum(Answer, {"unknown": "Don't know"}),
        "who_umc_information": _enum(Information),
        "who_umc_time_relationship": _enum(TimeRelationship),
        "who_umc_alternative_explanation": _enum(AlternativeExplanation),
        "who_umc_withdrawal": _enum(ChallengeResult),
        "who_umc_definitive": _enum(Answer, {"unknown": "Don't know"}),
        "who_umc_rechallenge": _enum(ChallengeResult),
    }  # fmt: skip


@dataclass(frozen=True)
class Field:
    """One REDCap field and the psoreg field it holds."""

    name: str
    form: str
    type: str
    label: str
    choices: tuple[Choice, ...]
    calculation: str
    note: str
    validation: str
    min: str
    max: str
    identifier: bool
    branching: str
    required: bool
    psoreg: str  # "table.field", "table.course" (the course it belongs to) or "calc:name"

    @property
    def table(self) -> str | None:
        return None if self.psoreg.startswith("calc:") else self.psoreg.split(".", 1)[0]

    @property
    def target(self) -> str:
        return self.psoreg.split(".", 1)[-1]

    def export_columns(self) -> list[str]:
        """Its columns in a flat record export (a checkbox has one per choice)."""
        if self.type == "checkbox":
            return [f"{self.name}___{c.code}" for c in self.choices]
        return [self.name]


def _data(name: str) -> list[dict[str, str]]:
    text = (DATA / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _default_label(psoreg: str) -> str:
    name = psoreg.split(".", 1)[-1]
    for item in NARANJO_ITEMS:
        if name == f"naranjo_{item.key}":
            return f"Naranjo {item.number}. {item.question}"
    for key, (question, _) in WHO_UMC_QUESTIONS.items():
        if name == f"who_umc_{key}":
            return f"WHO-UMC: {question}"
    return name


@cache
def fields() -> tuple[Field, ...]:
    """The project's fields in dictionary order (``fields.csv``)."""
    out = []
    naranjo = [r["field_name"] for r in _data("fields.csv") if "naranjo_" in r["psoreg"]]
    for r in _data("fields.csv"):
        choices: tuple[Choice, ...] = ()
        if r["choices"].startswith("@"):
            choices = vocabularies()[r["choices"][1:]]
        expression = ""
        if r["psoreg"].startswith("calc:"):
            kind = r["psoreg"].removeprefix("calc:")
            expression = {
                "pasi": calc.pasi_expression,
                "dlqi": calc.dlqi_expression,
                "naranjo": lambda: calc.naranjo_expression(naranjo),
            }[kind]()
        out.append(
            Field(
                name=r["field_name"],
                form=r["form_name"],
                type=r["field_type"],
                label=r["field_label"] or _default_label(r["psoreg"]),
                choices=choices,
                calculation=expression,
                note=r["field_note"],
                validation=r["validation"],
                min=r["min"],
                max=r["max"],
                identifier=r["identifier"] == "y",
                branching=r["branching_logic"],
                required=r["required"] == "y",
                psoreg=r["psoreg"],
            )
        )
    return tuple(out)


def field_index() -> dict[str, Field]:
    return {f.name: f for f in fields()}


def form_labels() -> dict[str, str]:
    return {r["form_name"]: r["form_label"] for r in _data("forms.csv")}


@dataclass(frozen=True)
class Event:
    unique_name: str
    name: str
    arm: int
    arm_name: str
    forms: tuple[str, ...]
    repeating: tuple[str, ...]


@cache
def event_list() -> tuple[Event, ...]:
    return tuple(
        Event(
            unique_name=r["unique_event_name"],
            name=r["event_name"],
            arm=int(r["arm_num"]),
            arm_name=r["arm_name"],
            forms=tuple(x for x in r["forms"].split(";") if x),
            repeating=tuple(x for x in r["repeating_forms"].split(";") if x),
        )
        for r in _data("events.csv")
    )


def form_event() -> dict[str, Event]:
    """The event each form is designated to (psoreg designates each form to one event)."""
    return {form: e for e in event_list() for form in e.forms}


def _choices_text(f: Field) -> str:
    if f.type == "calc":
        return f.calculation
    return " | ".join(f"{c.code}, {c.label}" for c in f.choices)


def metadata() -> list[dict[str, str]]:
    """The data dictionary as PyCap's ``export_metadata()`` rows (18 keys, REDCap's order)."""
    rows = []
    for f in fields():
        values = [
            f.name,
            f.form,
            "",
            f.type,
            f.label,
            _choices_text(f),
            f.note,
            f.validation,
            f.min,
            f.max,
            "y" if f.identifier else "",
            f.branching,
            "y" if f.required else "",
            "",
            "",
            "",
            "",
            "@READONLY" if f.type == "calc" else "",
        ]
        rows.append(dict(zip(METADATA_KEYS, values, strict=True)))
    return rows


def arms() -> list[dict[str, Any]]:
    seen: dict[int, str] = {}
    for e in event_list():
        seen.setdefault(e.arm, e.arm_name)
    return [{"arm_num": n, "name": name} for n, name in seen.items()]


def events() -> list[dict[str, Any]]:
    """PyCap's ``export_events()`` rows."""
    return [
        {
            "event_name": e.name,
            "arm_num": e.arm,
            "unique_event_name": e.unique_name,
            "custom_event_label": "",
            "day_offset": i,
            "offset_min": 0,
            "offset_max": 0,
        }
        for i, e in enumerate(event_list())
    ]


def instrument_event_mappings() -> list[dict[str, Any]]:
    """PyCap's ``export_instrument_event_mappings()`` rows."""
    return [
        {"arm_num": e.arm, "unique_event_name": e.unique_name, "form": form}
        for e in event_list()
        for form in e.forms
    ]


def repeating_instruments() -> list[dict[str, str]]:
    """PyCap's ``export_repeating_instruments_events()`` rows."""
    labels = form_labels()
    return [
        {"event_name": e.unique_name, "form_name": form, "custom_form_label": labels[form]}
        for e in event_list()
        for form in e.repeating
    ]

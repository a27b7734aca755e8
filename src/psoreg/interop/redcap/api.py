"""The same design and records through a REDCap server's API, with PyCap's ``redcap.Project``.

psoreg does not depend on PyCap; pass any object with PyCap's methods (``Project(url, token)``
after ``pip install pycap``)::

    from redcap import Project
    project = Project("https://redcap.example.org/api/", token)
    push_design(project)                         # arms, events, dictionary, forms to events
    push_records(project, patients)              # psoreg -> REDCap
    patients = pull_records(project)             # REDCap -> psoreg (then write_registry)

The calls and shapes are those of PyCap 2.x (``tests/test_interop_redcap.py`` binds them to
PyCap's own signatures).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psoreg.interop.records import PatientRecords
from psoreg.interop.redcap import design
from psoreg.interop.redcap.records import export_records, read_dictionary, read_records


def push_design(project: Any) -> None:
    """Create psoreg's longitudinal design in an empty (development-status) project."""
    project.import_arms(design.arms())
    project.import_events(design.events())
    project.import_metadata(design.metadata())
    project.import_instrument_event_mappings(design.instrument_event_mappings())
    project.import_repeating_instruments_events(design.repeating_instruments())


def push_records(project: Any, patients: Sequence[PatientRecords], identifiers: bool = True) -> Any:
    """Send the registry's records (raw codes); returns REDCap's count."""
    rows = export_records(patients, identifiers=identifiers)
    return project.import_records(rows, overwrite="normal", return_content="count")


def pull_records(project: Any, source: str = "REDCap API") -> list[PatientRecords]:
    """The project's flat records as psoreg records (ImportFailed names row and column)."""
    rows = project.export_records(format_type="json", raw_or_label="raw", record_type="flat")
    return read_records(rows, source, read_dictionary(project.export_metadata(), source))

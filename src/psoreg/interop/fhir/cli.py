"""``psoreg fhir``: the registry as FHIR R4 Bundles, and Bundles into the registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from psoreg.errors import ImportFailed, RowError
from psoreg.interop.cli_common import DataOpt, DbOpt, cli_actor, err, fail, open_registry, out

fhir_app = typer.Typer(
    no_args_is_help=True,
    help="HL7 FHIR R4: patients as Bundles (Patient, Condition, MedicationStatement, "
    "MedicationAdministration, Encounter, Observation, AdverseEvent) and back.",
)


@fhir_app.command()
def export(
    out_path: Annotated[Path, typer.Option("--out", help="The Bundle (JSON) to write.")],
    patient: Annotated[
        list[str] | None, typer.Option("--patient", help="Only this patient id (repeatable).")
    ] = None,
    pseudonymise: Annotated[
        bool,
        typer.Option(
            "--pseudonymise",
            help="As analysts see it: pseudonym for the id, no name or hospital number, dates "
            "shifted per patient (keyed by the data folder's secret.key).",
        ),
    ] = False,
    db: DbOpt = None,
    data: DataOpt = None,
) -> None:
    """Write a collection Bundle of the registry (or of the patients named)."""
    from sqlalchemy import select

    from psoreg.interop.fhir.export import bundle
    from psoreg.interop.records import read_registry
    from psoreg.store.models import PatientRow

    secret = None
    if pseudonymise:
        from psoreg.store.db import locate, site_secret

        secret = site_secret(locate(db, data)[1])
    store = open_registry(db, data)
    try:
        with store.session() as s:
            pks = None
            if patient:
                rows = s.execute(
                    select(PatientRow.patient_id, PatientRow.id).where(
                        PatientRow.patient_id.in_(patient)
                    )
                ).all()
                missing = sorted(set(patient) - {r[0] for r in rows})
                if missing:
                    err.print(f"[red]no patient {', '.join(missing)} in the registry[/]")
                    raise typer.Exit(2)
                pks = [r[1] for r in rows]
            result = bundle(read_registry(s, pks), secret=secret)
    finally:
        store.close()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    kinds: dict[str, int] = {}
    for e in result["entry"]:
        kinds[e["resource"]["resourceType"]] = kinds.get(e["resource"]["resourceType"], 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    out.print(f"Wrote a Bundle of {len(result['entry'])} resources to {out_path}: {summary}")


@fhir_app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="FHIR Bundle(s), JSON.")],
    db: DbOpt = None,
    data: DataOpt = None,
) -> None:
    """Import Bundles: every resource validated; nothing kept unless all of them are right."""
    from psoreg.interop.fhir.importer import read_bundle
    from psoreg.interop.records import write_registry
    from psoreg.io.source import ReadOptions, read_json

    try:
        patients, skipped = [], {}
        for path in files:
            try:  # psoreg's reading layer: encoding detected, nesting depth bounded
                data_json, _ = read_json(path, str(path), ReadOptions())
            except OSError as exc:
                raise ImportFailed(str(path), [RowError(None, None, f"not JSON: {exc}")]) from None
            got = read_bundle(data_json, str(path))
            patients.extend(got.patients)
            for k, n in got.skipped.items():
                skipped[k] = skipped.get(k, 0) + n
        store = open_registry(db, data)
        try:
            with store.session() as s:
                names = ", ".join(p.name for p in files)
                written = write_registry(s, cli_actor(), patients, names, f"FHIR import {names}")
        finally:
            store.close()
    except ImportFailed as exc:
        raise fail(exc) from None
    out.print(f"Imported {written}")
    if skipped:
        listed = ", ".join(f"{n} {k}" for k, n in sorted(skipped.items()))
        out.print(f"Skipped (psoreg has no place for them): {listed}")

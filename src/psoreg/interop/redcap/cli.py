"""``psoreg redcap``: the registry's forms as a REDCap project, and records both ways."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer

from psoreg.errors import ImportFailed
from psoreg.interop.cli_common import DataOpt, DbOpt, cli_actor, fail, open_registry, out

redcap_app = typer.Typer(
    no_args_is_help=True,
    help="REDCap: data dictionary, longitudinal design, flat records in and out (files; "
    "the same shapes as PyCap's API calls).",
)


def write_csv(path: Path, header: list[str], rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header, lineterminator="\n", extrasaction="raise")
        w.writeheader()
        w.writerows(rows)


def _rows(path: Path) -> list[dict[str, Any]]:
    """A CSV/XLSX file's rows (psoreg's reading layer: encoding, type by content, ragged rows
    and bad quotes refused), or ImportFailed saying why not."""
    from psoreg.errors import RowError
    from psoreg.io.source import open_table

    if not path.is_file():
        raise ImportFailed(str(path), [RowError(None, None, "no such file")])
    sheet = open_table(path)
    rows = [{c: rec.get(c, "") for c in sheet.columns} for _, rec in sheet.rows()]
    if sheet.errors:
        raise ImportFailed(str(path), sheet.errors)
    return rows


def sibling(path: Path, suffix: str) -> Path:
    return path.with_name(f"{path.stem}.{suffix}.csv")


@redcap_app.command()
def dictionary(
    out_path: Annotated[Path, typer.Option("--out", help="The data dictionary CSV to write.")],
) -> None:
    """Write the data dictionary (18 columns, REDCap's order) and, beside it, the events,
    instrument-event mapping and repeating instruments to upload in Project Setup."""
    from psoreg.interop.redcap import design

    meta = design.metadata()
    rows = [dict(zip(design.DICTIONARY_HEADERS, m.values(), strict=True)) for m in meta]
    write_csv(out_path, list(design.DICTIONARY_HEADERS), rows)
    files = {
        "arms": design.arms(),
        "events": design.events(),
        "instrument-event-mapping": design.instrument_event_mappings(),
        "repeating-instruments": design.repeating_instruments(),
    }
    for suffix, data in files.items():
        write_csv(sibling(out_path, suffix), list(data[0]), data)
    forms = len({m["form_name"] for m in meta})
    out.print(f"Wrote {len(meta)} fields on {forms} instruments to {out_path}")
    for suffix in files:
        out.print(f"  and {sibling(out_path, suffix)}")


@redcap_app.command()
def export(
    out_path: Annotated[Path, typer.Option("--out", help="The records CSV to write.")],
    db: DbOpt = None,
    data: DataOpt = None,
    identifiers: Annotated[
        bool,
        typer.Option(
            "--identifiers/--no-identifiers",
            help="Include the fields marked Identifier (name, hospital number, birth date).",
        ),
    ] = True,
) -> None:
    """Write the registry as REDCap import-ready flat records (raw codes) for the dictionary."""
    from psoreg.interop.records import read_registry
    from psoreg.interop.redcap.records import export_records, record_columns

    store = open_registry(db, data)
    try:
        with store.session() as s:
            rows = export_records(read_registry(s), identifiers=identifiers)
    finally:
        store.close()
    write_csv(out_path, record_columns(identifiers), rows)
    records = len({r["record_id"] for r in rows})
    out.print(f"Wrote {records} record(s) in {len(rows)} row(s) to {out_path}")


@redcap_app.command("import")
def import_(
    records: Annotated[Path, typer.Argument(help="A REDCap flat export (CSV, raw or labels).")],
    dictionary_path: Annotated[
        Path | None,
        typer.Option(
            "--dictionary", help="The project's data dictionary (its labels decode a label export)."
        ),  # fmt: skip
    ] = None,
    db: DbOpt = None,
    data: DataOpt = None,
) -> None:
    """Import a REDCap flat export: every row validated, nothing kept unless all is right."""
    from psoreg.interop.records import write_registry
    from psoreg.interop.redcap.records import read_dictionary, read_records

    try:
        site = None
        if dictionary_path is not None:
            site = read_dictionary(_rows(dictionary_path), str(dictionary_path))
        rows = _rows(records)
        patients = read_records(rows, str(records), site)
        store = open_registry(db, data)
        try:
            with store.session() as s:
                written = write_registry(
                    s, cli_actor(), patients, str(records), f"REDCap import {records.name}"
                )
        finally:
            store.close()
    except ImportFailed as exc:
        raise fail(exc) from None
    out.print(f"Imported {written} from {records}")

"""psoreg's command line (Typer + Rich).

Errors in input files are printed as a list naming row, column and what was expected, and the
command exits with status 2; nothing is half-imported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from psoreg.errors import ImportFailed, InvalidValue

app = typer.Typer(
    name="psoreg",
    help="Follow patients on biologic therapy for psoriasis: outcomes, summaries, reports.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)
out = Console()
err = Console(stderr=True)

PathArg = Annotated[
    Path,
    typer.Argument(
        help="Abstracted file (CSV/XLSX, one row per course) or visit-level data (a folder of "
        "CSVs or an XLSX workbook with patients/courses/assessments sheets)."
    ),
]
DrugOpt = Annotated[
    str | None, typer.Option("--drug", help="Drug for an abstracted file without a drug column.")
]
PrimaryWeek = Annotated[
    float, typer.Option(help="Primary assessment week for treatment success (case series: 12).")
]
ByDrug = Annotated[
    bool,
    typer.Option("--by-drug-week", help="Use each drug's response-assessment week (MIMS)."),
]
Window = Annotated[float, typer.Option(help="Visit window, ± weeks around the primary week.")]
RelapseDef = Annotated[
    str,
    typer.Option(
        help="Headline relapse definition: loss_of_pasi50 (case series) or half_of_best (NPF/EMEA)."
    ),
]
ReboundDef = Annotated[str, typer.Option(help="Rebound window: npf (3 months) or ema (2 months).")]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding of CSV files (default: detected: UTF-8/16 or cp1252), e.g. cp1250.",
    ),
]
DecimalComma = Annotated[
    bool,
    typer.Option("--decimal-comma", help="Read '21,4' as 21.4 (files that use a decimal comma)."),
]
Confirm = Annotated[
    bool,
    typer.Option(
        "--confirm-secondary-failure",
        help="Require a second on-therapy visit to confirm loss of PASI50.",
    ),
]


def _options(
    primary_week: float,
    by_drug_week: bool,
    window: float,
    relapse_definition: str,
    rebound_definition: str,
    confirm_secondary_failure: bool,
) -> Any:
    """The outcome definitions chosen on the command line (shared by every command)."""
    from pydantic import ValidationError

    from psoreg.outcomes import OutcomeOptions

    try:
        return OutcomeOptions(
            primary_week=primary_week,
            primary_week_by_drug=by_drug_week,
            window_before=window,
            window_after=window,
            relapse_definition=relapse_definition,
            rebound_definition=rebound_definition,
            secondary_failure_confirmation=confirm_secondary_failure,
        )
    except ValidationError as exc:
        for e in exc.errors():
            field = str(e["loc"][0])
            flag = {"window_before": "window", "window_after": "window"}.get(field, field)
            err.print(f"[red]--{flag.replace('_', '-')}: {e['msg']}[/red]")
        raise typer.Exit(2) from None


def _load(
    path: Path, drug: str | None, encoding: str | None = None, decimal_comma: bool = False
) -> Any:
    from psoreg.io import ReadOptions, load

    try:
        cohort = load(path, drug=drug, options=ReadOptions(encoding, decimal_comma))
    except ImportFailed as exc:
        head = f"{exc.path}: {exc.count} problem(s); nothing was imported"
        err.print(head, style="red bold", markup=False, highlight=False, soft_wrap=True)
        for line in exc.lines():  # one line per problem, never wrapped
            err.print(f"  • {line}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except InvalidValue as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    for note in cohort.source_notes:
        err.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    return cohort


@app.callback()
def main() -> None:
    """psoreg command line."""


def _register_subcommands() -> None:
    from psoreg.cases.cli import cases_app
    from psoreg.interop.fhir.cli import fhir_app
    from psoreg.interop.redcap.cli import redcap_app
    from psoreg.signals.cli import signals_app
    from psoreg.synth import synth_command

    app.command("synth")(synth_command)

    app.add_typer(cases_app, name="cases", help="Drug-induced and paradoxical psoriasis cases.")
    app.add_typer(redcap_app, name="redcap", help="REDCap projects: dictionary, records both ways.")
    app.add_typer(fhir_app, name="fhir", help="HL7 FHIR R4 Bundles out and in.")
    app.add_typer(signals_app, name="signals", help="Disproportionality on FAERS reports.")


_register_subcommands()


@app.command()
def summarize(
    path: PathArg,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
    quantile: Annotated[
        str, typer.Option(help="Quantile method: type6 (SPSS, default), type7 (R), type2 (SAS).")
    ] = "type6",
    drug: DrugOpt = None,
    primary_week: PrimaryWeek = 12,
    by_drug_week: ByDrug = False,
    window: Window = 2,
    relapse_definition: RelapseDef = "loss_of_pasi50",
    rebound_definition: ReboundDef = "npf",
    confirm_secondary_failure: Confirm = False,
    encoding: EncodingOpt = None,
    decimal_comma: DecimalComma = False,
) -> None:
    """Print the case-series summary: counts, medians (IQR), response, failure, relapse."""
    from psoreg.analysis.stats import QUANTILE_METHODS
    from psoreg.analysis.summary import summarize as build
    from psoreg.outcomes import compute_outcomes

    if format not in {"text", "json"}:
        err.print(f"[red]--format: got {format!r}; expected text or json[/red]")
        raise typer.Exit(2)
    if quantile not in QUANTILE_METHODS:
        err.print(
            f"[red]--quantile: got {quantile!r}; expected one of "
            f"{', '.join(QUANTILE_METHODS)}[/red]"
        )
        raise typer.Exit(2)
    opts = _options(
        primary_week,
        by_drug_week,
        window,
        relapse_definition,
        rebound_definition,
        confirm_secondary_failure,
    )
    cohort = _load(path, drug, encoding, decimal_comma)
    summary = build(cohort, compute_outcomes(cohort, opts), quantile=quantile)  # type: ignore[arg-type]
    if format == "json":
        doc = {"input": str(path), "reading": cohort.source_notes, **summary.as_dict()}
        typer.echo(json.dumps(doc, indent=2, default=str))
        return
    table = Table(title=f"Case-series summary: {path.name}", show_lines=False)
    table.add_column("Figure")
    table.add_column("Value", justify="right")
    table.add_column("Denominator / method", style="dim")
    for f in summary.figures:
        table.add_row(f.label, f.text, f.note)
    out.print(table)
    for w in summary.warnings:
        out.print(f"[yellow]note:[/yellow] {w}")
    out.print(
        "[dim]Definitions: "
        + "; ".join(f"{o['option']}={o['value']}" for o in summary.provenance["options"])
        + "[/dim]"
    )


@app.command()
def outcomes(
    path: PathArg,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write to .csv, .xlsx, .parquet or .json (default: "
            "print CSV). A <out>.definitions.json file records the definitions used.",
        ),
    ] = None,
    drug: DrugOpt = None,
    primary_week: PrimaryWeek = 12,
    by_drug_week: ByDrug = False,
    window: Window = 2,
    relapse_definition: RelapseDef = "loss_of_pasi50",
    rebound_definition: ReboundDef = "npf",
    confirm_secondary_failure: Confirm = False,
    engine: Annotated[
        str,
        typer.Option(help="For a folder of Parquet tables: duckdb (default) or spark."),
    ] = "duckdb",
    memory_limit: Annotated[
        str | None,
        typer.Option(help="For Parquet input: DuckDB memory limit, e.g. 4GB (runs in batches)."),
    ] = None,
    threads: Annotated[int | None, typer.Option(help="For Parquet input: DuckDB threads.")] = None,
    encoding: EncodingOpt = None,
    decimal_comma: DecimalComma = False,
) -> None:
    """Write the per-course outcomes table, one row per course.

    A folder holding ``courses.parquet`` (e.g. from ``psoreg synth``) is read lazily and the
    result streamed to Parquet, so cohorts larger than memory complete (``--engine spark`` runs
    the same definitions on Spark).
    """
    from psoreg.outcomes import compute_outcomes

    opts = _options(
        primary_week,
        by_drug_week,
        window,
        relapse_definition,
        rebound_definition,
        confirm_secondary_failure,
    )
    if path.is_dir() and (path / "courses.parquet").exists():
        _outcomes_parquet(path, out_file, opts, engine, memory_limit, threads)
        return
    cohort = _load(path, drug, encoding, decimal_comma)
    result = compute_outcomes(cohort, opts)
    if out_file is None:
        from psoreg.io.spreadsheet import frame_csv

        typer.echo(frame_csv(result.table), nl=False)
        return
    _write_table(result.table, out_file)
    prov = out_file.with_name(out_file.name + ".definitions.json")
    doc = {"input": str(path), "reading": cohort.source_notes, **result.provenance()}
    prov.write_text(json.dumps(doc, indent=2, default=str))
    out.print(f"Wrote {len(result.table)} course(s) to {out_file} (definitions: {prov})")


def _outcomes_parquet(
    path: Path,
    out_file: Path | None,
    opts: Any,
    engine: str,
    memory_limit: str | None,
    threads: int | None,
) -> None:
    from psoreg.scale import ScaleError, run_outcomes_parquet

    if engine not in {"duckdb", "spark"}:
        err.print(f"[red]--engine: got {engine!r}; expected duckdb or spark[/red]")
        raise typer.Exit(2)
    if out_file is None or (engine == "duckdb" and out_file.suffix.lower() != ".parquet"):
        err.print("[red]--out: Parquet input needs a .parquet output file[/red]")
        raise typer.Exit(2)
    try:
        n = run_outcomes_parquet(
            path,
            out_file,
            engine=engine,
            options=opts,
            memory_limit=memory_limit,
            threads=threads,
        )
    except (ScaleError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    from psoreg.outcomes.run import OutcomeResult

    prov = out_file.with_name(out_file.name + ".definitions.json")
    provenance = OutcomeResult(table=pd.DataFrame(), options=opts).provenance()
    prov.write_text(
        json.dumps({"input": str(path), "engine": engine, **provenance}, indent=2, default=str)
    )
    out.print(f"Wrote {n} course(s) to {out_file} with {engine} (definitions: {prov})")


@app.command()
def doses(
    path: PathArg,
    tolerance: Annotated[
        float, typer.Option(help="Weeks a dose may be early or late and still be on time.")
    ] = 2.0,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the deviations to .csv/.xlsx.")
    ] = None,
    encoding: EncodingOpt = None,
    decimal_comma: DecimalComma = False,
) -> None:
    """Check recorded doses against each drug's label schedule: missed, extra, different."""
    from psoreg.doses import dose_report

    cohort = _load(path, None, encoding, decimal_comma)
    if cohort.doses.empty:
        out.print(
            "No doses recorded (visit-level data: a 'doses' table with course, week or "
            "date, dose_mg)."
        )
        return
    report = dose_report(cohort, tolerance_weeks=tolerance)
    if out_file is not None:
        _write_table(report, out_file)
        out.print(f"Wrote {len(report)} deviation(s) to {out_file}")
        return
    n = cohort.doses.course_id.nunique()
    if report.empty:
        out.print(f"{n} course(s) with doses: every dose on schedule (±{tolerance:g} weeks).")
        return
    table = Table(title=f"Dose deviations ({n} course(s) with doses, ±{tolerance:g} weeks)")
    for col in ("course", "drug", "deviation"):
        table.add_column(col)
    for r in report.itertuples():
        table.add_row(r.course_id, r.drug, r.message)
    out.print(table)


@app.command()
def schedule(
    drug: Annotated[str, typer.Argument(help="Biologic, generic or brand name.")],
    until: Annotated[float, typer.Option(help="Last week to list.")] = 52,
    weight: Annotated[
        float | None, typer.Option(help="Weight in kg, for weight-based doses.")
    ] = None,
) -> None:
    """List a drug's label dose schedule (week 0 = first dose)."""
    from psoreg.catalogue import expected_doses, get_drug

    try:
        d = get_drug(drug)
        doses_ = expected_doses(d, until, weight)
    except InvalidValue as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    table = Table(title=d.name, caption=f"{d.drug_class}, {d.target}, ATC {d.atc}")
    table.add_column("week", justify="right")
    table.add_column("dose", justify="right")
    for x in doses_:
        table.add_row(f"{x.week:g}", f"{x.dose:g} {x.unit}")
    out.print(table)
    if d.regimen.notes:
        out.print(f"[dim]{d.regimen.notes}[/dim]")


def _write_table(df: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in {".csv", ".xlsx"}:
        from psoreg.io.spreadsheet import write_frame  # formulas neutralised (OWASP)

        write_frame(df, path)
    elif suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif suffix == ".json":
        path.write_text(df.to_json(orient="records", indent=2))
    else:
        err.print(
            f"[red]--out: got {path.name!r}; expected a .csv, .xlsx, .parquet or .json file[/red]"
        )
        raise typer.Exit(2)


@app.command()
def report(
    path: PathArg,
    out_file: Annotated[
        Path, typer.Option("--out", "-o", help="Report file: .html, .docx, .md or .tex.")
    ],
    tables_dir: Annotated[
        Path | None, typer.Option("--tables-dir", help="Also write each table as CSV here.")
    ] = None,
    group_by: Annotated[
        str | None, typer.Option("--group-by", help="Compare groups: drug or biologic_naive.")
    ] = None,
    suppress_below: Annotated[
        int | None,
        typer.Option("--suppress-below", help="Show counts under K (and their %) as '<K'."),
    ] = None,
    include_identifiers: Annotated[
        bool,
        typer.Option(
            "--include-identifiers", help="Show the data's patient/course ids (default: 1..n)."
        ),
    ] = False,
    quantile: Annotated[
        str, typer.Option(help="Quantile method: type6 (SPSS, default), type7 (R), type2 (SAS).")
    ] = "type6",
    title: Annotated[str, typer.Option(help="Report title.")] = "Case series report",
    drug: DrugOpt = None,
    primary_week: PrimaryWeek = 12,
    by_drug_week: ByDrug = False,
    window: Window = 2,
    relapse_definition: RelapseDef = "loss_of_pasi50",
    rebound_definition: ReboundDef = "npf",
    confirm_secondary_failure: Confirm = False,
    encoding: EncodingOpt = None,
    decimal_comma: DecimalComma = False,
) -> None:
    """Write the case-series report (tables, results paragraph, figures, appendix)."""
    from psoreg.errors import PsoregError
    from psoreg.reports import FORMATS, build_report, write_report, write_tables_csv

    if out_file.suffix.lower() not in FORMATS:
        err.print(
            f"[red]--out: got {out_file.name!r}; expected a file ending {', '.join(FORMATS)}[/red]"
        )
        raise typer.Exit(2)
    opts = _options(
        primary_week,
        by_drug_week,
        window,
        relapse_definition,
        rebound_definition,
        confirm_secondary_failure,
    )
    cohort = _load(path, drug, encoding, decimal_comma)
    try:
        rep = build_report(
            cohort,
            opts,
            quantile,
            suppress_below,
            include_identifiers,  # type: ignore[arg-type]
            group_by=group_by,
            source=path,
            title=title,
        )
        written = write_report(rep, out_file)
        if tables_dir is not None:
            written += write_tables_csv(rep, tables_dir)
        rep.close()
    except (PsoregError, ValueError, OSError) as exc:
        err.print(f"[red]{exc}[/red]", markup=True, highlight=False)
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - one line for the user, never a traceback
        err.print(f"[red]report failed: {type(exc).__name__}: {exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    out.print(
        f"Wrote {out_file}" + (f" and {len(written) - 1} more file(s)" if len(written) > 1 else "")
    )


@app.command()
def serve(
    db: Annotated[
        str | None,
        typer.Option(
            help="Database URL, e.g. postgresql+psycopg://user@host/psoreg "
            "(default: SQLite in the data folder)."
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Data folder (default $PSOREG_DATA_DIR or ~/.local/share/psoreg)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Seed demo data and accounts into an empty database.")
    ] = True,
) -> None:
    """Run the registry web application (see docs/web.md)."""
    import uvicorn

    from psoreg.web.run import build

    started = build(db, data, demo)
    out.print(f"psoreg registry at [bold]http://{host}:{port}/[/bold]  (database: {started.url})")
    if started.seeded:
        out.print(f"Seeded {started.seeded} demo patients from examples/visit-cohort.")
    for name, pw, role in started.demo_users:
        out.print(f"Log in as [bold]{name}[/bold] / {pw}  ({role})")
    if not started.demo_users:
        out.print("Log in with your account.")
    uvicorn.run(started.app, host=host, port=port, log_level="warning")

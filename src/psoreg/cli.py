"""psoreg's command line (Typer + Rich).

Errors in input files are printed as a list naming row, column and what was expected, and the
command exits with status 2; nothing is half-imported.
"""

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from psoreg.cli_lazy import defer_rich_markdown, lazy_group_class
from psoreg.errors import ImportFailed, InvalidValue
from psoreg.i18n import _

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

defer_rich_markdown()  # typer's help formatter without markdown-it (psoreg.cli_lazy)

#: The command groups: name -> (module, its Typer app, help). Each is imported only when a
#: command line names it; ``psoreg --help`` lists them from the name and help given here
#: (psoreg.cli_lazy). A new group is one line here (an ``app.add_typer`` works too, but is
#: imported by every command).
LAZY_GROUPS: dict[str, tuple[str, str, str]] = {
    "cases": ("psoreg.cases.cli", "cases_app", "Drug-induced and paradoxical psoriasis cases."),
    "users": ("psoreg.accounts.cli", "users_app", "Accounts: add, deactivate, reset, role, list."),
    "audit": ("psoreg.accounts.cli", "audit_app", "The audit trail: verify its hash chain."),
    "sites": ("psoreg.accounts.sites_cli", "sites_app", "Sites and users' roles at them."),
    "redcap": (
        "psoreg.interop.redcap.cli",
        "redcap_app",
        "REDCap projects: dictionary, records both ways.",
    ),
    "fhir": ("psoreg.interop.fhir.cli", "fhir_app", "HL7 FHIR R4 Bundles out and in."),
    "signals": ("psoreg.signals.cli", "signals_app", "Disproportionality on FAERS reports."),
}


#: True while :func:`run` (the ``psoreg`` console script) runs the app: the process ends when
#: the command returns (tests invoke the app in-process instead).
_AS_PROGRAM = [False]

app = typer.Typer(
    name="psoreg",
    help="Follow patients on biologic therapy for psoriasis: outcomes, summaries, reports.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
    cls=lazy_group_class(LAZY_GROUPS),
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
DefinitionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--definition",
        help="Any other outcome option as NAME=VALUE, e.g. rebound_window_unit=calendar_months, "
        "half_of_best_loss=at_least_half, minimal_response_definition=pasi50_dlqi "
        "(all: docs/definitions.md).",
    ),
]
KmMedian = Annotated[
    str,
    typer.Option(
        help="Kaplan–Meier median: smallest (smallest t with S(t) ≤ 0.5) or midpoint (R)."
    ),
]
KmCi = Annotated[
    str, typer.Option(help="Kaplan–Meier CI band: log-log (Stata, default), log (R) or plain.")
]
PublishedOpt = Annotated[
    Path | None,
    typer.Option(
        "--published",
        help="A published-figures JSON to compare with (default: <input>.published.json "
        "beside the input, if present).",
    ),
]


def _options(
    primary_week: float,
    by_drug_week: bool,
    window: float,
    relapse_definition: str,
    rebound_definition: str,
    confirm_secondary_failure: bool,
    definitions: list[str] | None = None,
) -> Any:
    """The outcome definitions chosen on the command line (shared by every command)."""
    from pydantic import ValidationError

    from psoreg.outcomes import OutcomeOptions

    extra: dict[str, str] = {}
    for item in definitions or []:
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in OutcomeOptions.model_fields:
            known = ", ".join(OutcomeOptions.model_fields)
            err.print(f"--definition: got {item!r}; expected NAME=VALUE with NAME one of {known}")
            raise typer.Exit(2)
        extra[name.strip()] = value.strip()
    try:
        return OutcomeOptions(
            **{
                "primary_week": primary_week,
                "primary_week_by_drug": by_drug_week,
                "window_before": window,
                "window_after": window,
                "relapse_definition": relapse_definition,
                "rebound_definition": rebound_definition,
                "secondary_failure_confirmation": confirm_secondary_failure,
                **extra,
            }
        )
    except ValidationError as exc:
        for e in exc.errors():
            field = str(e["loc"][0])
            flag = {"window_before": "window", "window_after": "window"}.get(field, field)
            name = f"--definition {field}" if field in extra else f"--{flag.replace('_', '-')}"
            err.print(f"[red]{name}: {e['msg']}[/red]")
        raise typer.Exit(2) from None


def _check_km(km_median: str, km_ci: str) -> None:
    from psoreg.analysis.survival import CI_METHODS, MEDIAN_CONVENTIONS

    if km_median not in MEDIAN_CONVENTIONS:
        err.print(f"--km-median: got {km_median!r}; expected smallest or midpoint")
        raise typer.Exit(2)
    if km_ci not in CI_METHODS:
        err.print(f"--km-ci: got {km_ci!r}; expected one of {', '.join(CI_METHODS)}")
        raise typer.Exit(2)


def _compare_published(summary: Any, path: Path, published: Path | None) -> str | None:
    """Attach comparisons with a published-figures file (given, or found beside the input)."""
    from psoreg.analysis.published import compare, load_published, published_file_for

    chosen = published or published_file_for(path)
    if chosen is None:
        return None
    try:
        data = load_published(chosen)
    except InvalidValue as exc:
        err.print(f"--published: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    summary.comparisons = compare(summary, data)
    return f"{chosen.name}: {data.get('source', '')}".rstrip(": ")


def _load(
    path: Path, drug: str | None, encoding: str | None = None, decimal_comma: bool = False
) -> Any:
    from psoreg.io import ReadOptions, load

    try:
        cohort = load(path, drug=drug, options=ReadOptions(encoding, decimal_comma))
    except ImportFailed as exc:
        head = _("{path}: {n} problem(s); nothing was imported").format(path=exc.path, n=exc.count)
        err.print(head, style="red bold", markup=False, highlight=False, soft_wrap=True)
        for line in exc.lines():  # one line per problem, never wrapped
            err.print(f"  • {line}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except InvalidValue as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    for note in cohort.source_notes:
        err.print(_("note") + f": {note}", markup=False, highlight=False, soft_wrap=True)
    return cohort


@app.callback()
def main(
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            envvar="PSOREG_LANG",
            help="Language of messages and reports: en or ms (Bahasa Malaysia).",
        ),
    ] = None,
) -> None:
    """psoreg command line."""
    from psoreg.i18n import DEFAULT, check_language, set_language

    try:  # every run sets it, so a run in-process never inherits the one before
        set_language(check_language(lang) if lang else DEFAULT)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None


def _register_synth() -> None:
    from psoreg.synth_cli import synth_command

    app.command("synth")(synth_command)


_register_synth()  # first in the help, as before


Command = TypeVar("Command", bound=Callable[..., Any])


def _collector_paused(command: Command) -> Command:
    """Run a one-shot command with Python's cycle collector paused
    (:func:`psoreg.collector.cycle_collector_paused`): the command imports pandas, DuckDB and
    scipy and builds short-lived tables, and the collector would walk the growing heap about
    200 times meanwhile (0.13-0.19 s; a whole run leaves about 1,000 objects of cyclic
    garbage). Run as the program (:func:`run`), the command ends by freezing what it made
    (``gc.freeze``): the collector, enabled again, would otherwise pass once over the command's
    170,000 young objects (70-90 ms) before the process ends. Run in-process (tests), the
    collector simply runs again.
    The signature (and so the options and the help) is the command's own."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        import gc

        from psoreg.collector import cycle_collector_paused

        with cycle_collector_paused():
            try:
                return command(*args, **kwargs)
            finally:
                if _AS_PROGRAM[0]:
                    gc.freeze()

    return run  # type: ignore[return-value]


def _print_summary(summary: Any, title: str) -> None:
    table = Table(title=title, show_lines=False)
    table.add_column(_("Figure"))
    table.add_column(_("Value"), justify="right")
    table.add_column(_("Denominator / method"), style="dim")
    for f in summary.figures:
        table.add_row(f.label, f.text, f.note)
    out.print(table)
    note = _("note")
    for w in summary.warnings:
        out.print(f"[yellow]{note}:[/yellow] {w}")


@app.command()
@_collector_paused
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
    definition: DefinitionOpt = None,
    km_median: KmMedian = "smallest",
    km_ci: KmCi = "log-log",
    published: PublishedOpt = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="site: one summary per site (the patients' site column)."),
    ] = None,
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
        definition,
    )
    _check_km(km_median, km_ci)
    if by not in (None, "site"):
        err.print(f"[red]--by: got {by!r}; expected site[/red]")
        raise typer.Exit(2)
    cohort = _load(path, drug, encoding, decimal_comma)
    if by == "site":
        from psoreg.cohort import split_by_site

        parts = split_by_site(cohort)
        docs = {}
        for code, part in parts.items():
            s = build(part, compute_outcomes(part, opts), quantile=quantile, km_median=km_median,
                      km_ci=km_ci)  # type: ignore[arg-type]  # fmt: skip
            docs[code] = s.as_dict()
            if format == "text":
                _print_summary(s, _("Site {code}: {name}").format(code=code, name=path.name))
        if format == "json":
            doc = {"input": str(path), "by": "site", "sites": docs}
            typer.echo(json.dumps(doc, indent=2, default=str))
        return
    summary = build(
        cohort, compute_outcomes(cohort, opts), quantile=quantile, km_median=km_median, km_ci=km_ci
    )  # type: ignore[arg-type]
    source = _compare_published(summary, path, published)
    if format == "json":
        doc = {"input": str(path), "reading": cohort.source_notes, **summary.as_dict()}
        typer.echo(json.dumps(doc, indent=2, default=str))
        return
    _print_summary(summary, _("Case-series summary: {name}").format(name=path.name))
    if summary.comparisons:
        compared = _("Compared with the paper")
        out.print(f"[bold]{compared}[/bold] ({source}):", highlight=False)
        for c in summary.comparisons:
            mark = {True: _("same"), False: _("DIFFERS"), None: "—"}[c.agrees]
            out.print(f"  [{mark}] {c.line()}", markup=False, highlight=False)
            if c.note:
                out.print("      " + _("note") + f": {c.note}", markup=False, highlight=False)
    out.print(
        "[dim]"
        + _("Definitions")
        + ": "
        + "; ".join(f"{o['option']}={o['value']}" for o in summary.provenance["options"])
        + "[/dim]"
    )


@app.command()
@_collector_paused
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
    out.print(
        _("Wrote {n} course(s) to {path} (definitions: {definitions})").format(
            n=len(result.table), path=out_file, definitions=prov
        )
    )


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
    import pandas as pd

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
            _(
                "No doses recorded (visit-level data: a 'doses' table with course, week or "
                "date, dose_mg)."
            )
        )
        return
    report = dose_report(cohort, tolerance_weeks=tolerance)
    if out_file is not None:
        _write_table(report, out_file)
        out.print(_("Wrote {n} deviation(s) to {path}").format(n=len(report), path=out_file))
        return
    n = cohort.doses.course_id.nunique()
    if report.empty:
        out.print(
            _("{n} course(s) with doses: every dose on schedule (±{weeks} weeks).").format(
                n=n, weeks=f"{tolerance:g}"
            )
        )
        return
    table = Table(
        title=_("Dose deviations ({n} course(s) with doses, ±{weeks} weeks)").format(
            n=n, weeks=f"{tolerance:g}"
        )
    )
    for col in (_("course"), _("drug"), _("deviation")):
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
    table.add_column(_("week"), justify="right")
    table.add_column(_("dose"), justify="right")
    for x in doses_:
        table.add_row(f"{x.week:g}", f"{x.dose:g} {x.unit}")
    out.print(table)
    if d.regimen.notes:
        out.print(f"[dim]{d.regimen.notes}[/dim]")


def _write_table(df: "pd.DataFrame", path: Path) -> None:
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
@_collector_paused
def report(
    path: PathArg,
    out_file: Annotated[
        Path, typer.Option("--out", "-o", help="Report file: .html, .docx, .md, .tex or .pdf.")
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
    title: Annotated[
        str | None, typer.Option(help="Report title (default: 'Case series report').")
    ] = None,
    drug: DrugOpt = None,
    primary_week: PrimaryWeek = 12,
    by_drug_week: ByDrug = False,
    window: Window = 2,
    relapse_definition: RelapseDef = "loss_of_pasi50",
    rebound_definition: ReboundDef = "npf",
    confirm_secondary_failure: Confirm = False,
    encoding: EncodingOpt = None,
    decimal_comma: DecimalComma = False,
    definition: DefinitionOpt = None,
    km_median: KmMedian = "smallest",
    km_ci: KmCi = "log-log",
    published: PublishedOpt = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Report language: en, ms (Bahasa Malaysia) or both (English report with the "
            "results as an Abstrak/Abstract pair). Default: the psoreg --lang.",
        ),
    ] = None,
) -> None:
    """Write the case-series report (tables, results paragraph, figures, appendix)."""
    from psoreg.analysis.published import published_file_for
    from psoreg.errors import PsoregError
    from psoreg.i18n import get_language
    from psoreg.reports import FORMATS, build_report, write_report, write_tables_csv

    if out_file.suffix.lower() not in FORMATS:
        err.print(
            f"[red]--out: got {out_file.name!r}; expected a file ending {', '.join(FORMATS)}[/red]"
        )
        raise typer.Exit(2)
    report_lang = lang or get_language()
    if report_lang not in {"en", "ms", "both"}:
        err.print(f"[red]--lang: got {report_lang!r}; expected en, ms or both[/red]")
        raise typer.Exit(2)
    opts = _options(
        primary_week,
        by_drug_week,
        window,
        relapse_definition,
        rebound_definition,
        confirm_secondary_failure,
        definition,
    )
    _check_km(km_median, km_ci)
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
            km_median=km_median,  # type: ignore[arg-type]
            km_ci=km_ci,  # type: ignore[arg-type]
            published=published or published_file_for(path),
            lang=report_lang,
        )
        written = write_report(rep, out_file)
        if tables_dir is not None:
            written += write_tables_csv(rep, tables_dir)
        if not _AS_PROGRAM[0]:  # as the program, the process ends with the command
            rep.close()
    except (PsoregError, ValueError, OSError) as exc:
        err.print(f"[red]{exc}[/red]", markup=True, highlight=False)
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - one line for the user, never a traceback
        failed = _("report failed")
        err.print(f"[red]{failed}: {type(exc).__name__}: {exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    more = len(written) - 1
    out.print(
        _("Wrote {path} and {n} more file(s)").format(path=out_file, n=more)
        if more
        else _("Wrote {path}").format(path=out_file)
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
        typer.Option(
            help="Data folder holding secret.key (and the SQLite database) "
            "(default $PSOREG_DATA_DIR or ~/.local/share/psoreg)."
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo/--no-demo",
            help="Into an empty database, load the demo patients and create demo accounts "
            "with random passwords (printed once). Never on a real site.",
        ),
    ] = False,
    https: Annotated[
        bool,
        typer.Option(
            "--https",
            help="Users reach the site over HTTPS (here with --ssl-certfile, or through a TLS "
            "proxy): Secure cookies and HSTS on every response.",
        ),
    ] = False,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="Comma-separated addresses or networks of reverse proxies whose "
            "X-Forwarded-For/-Proto are believed (default: none; never '*' on an open network)."
        ),
    ] = "",
    ssl_certfile: Annotated[
        Path | None, typer.Option(help="Serve HTTPS with this certificate.")
    ] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="The certificate's private key.")] = None,
    session_hours: Annotated[
        float, typer.Option(help="A login lasts at most this long (hours).")
    ] = 12,
    idle_minutes: Annotated[
        float, typer.Option(help="A login ends after this long without use (minutes).")
    ] = 30,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, help="Worker processes (default: the number of CPU cores; 1 = in-process)."
        ),
    ] = None,
) -> None:
    """Run the registry web application (see docs/web.md)."""
    from psoreg.accounts.sessions import Settings
    from psoreg.web.app import WebSettings
    from psoreg.web.run import build, run_server

    proxies = tuple(x.strip() for x in forwarded_allow_ips.split(",") if x.strip())
    settings = WebSettings(
        https=https or ssl_certfile is not None,
        forwarded_allow_ips=proxies,
        sessions=Settings(hours=session_hours, idle_minutes=idle_minutes),
    )
    from sqlalchemy.exc import SQLAlchemyError

    try:
        started = build(db, data, demo, settings)
    except (SQLAlchemyError, RuntimeError) as exc:
        from psoreg.store.db import locate, masked

        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        err.print(f"[red]cannot open {masked(locate(db, data)[0])}: {first}[/red]", highlight=False)
        raise typer.Exit(2) from None
    scheme = "https" if ssl_certfile else "http"
    out.print(
        f"psoreg registry at [bold]{scheme}://{host}:{port}/[/bold]  (database: {started.url})",
        highlight=False,
    )
    if started.seeded:
        out.print(f"Seeded {started.seeded} demo patients from examples/visit-cohort.")
    if started.demo_users:
        out.print("Demo accounts (passwords shown this once; reset with psoreg users reset):")
        for name, pw, role in started.demo_users:
            out.print(f"  [bold]{name}[/bold] / {pw}  ({role})", highlight=False)
    elif not started.has_users:
        where = f"--db '{started.url}'" if db else f"--data {started.folder}"
        out.print(
            "No accounts yet: create the first administrator with\n"
            f"  psoreg users add NAME --role admin {where}",
            highlight=False,
        )
    elif demo:
        out.print(
            "Demo accounts exist already (their passwords were shown when they were created); "
            f"psoreg users reset admin --data {started.folder} sets a new one."
        )
    ssl = (
        {"ssl_certfile": str(ssl_certfile), "ssl_keyfile": str(ssl_keyfile)} if ssl_certfile else {}
    )
    if started.refreshed:
        out.print(f"Recomputed the stored outcomes of {started.refreshed} patient(s).")
    run_server(started, host, port, workers, settings, **ssl)


def run() -> None:
    """The ``psoreg`` console script: :data:`app`, then exit without the final collections.

    At exit the interpreter runs the cyclic garbage collector over every live object while it
    tears the modules down: 0.2-0.3 s after ``summarize`` (pandas, DuckDB loaded), 15 ms after
    ``--help`` on this machine. ``gc.freeze()`` once the command has finished moves the live
    objects out of the collector's reach, so they are freed by reference counting alone. Nothing
    psoreg writes depends on a collection at exit: every output file is closed by the command,
    and registered exit handlers (logging, temporary files) still run. One-shot commands
    (``summarize``) run with the collector paused and freeze when they return
    (:func:`_collector_paused`).
    """
    import gc

    _AS_PROGRAM[0] = True
    try:
        app()
    finally:
        _AS_PROGRAM[0] = False
        gc.freeze()

"""``psoreg signals``: disproportionality analysis of spontaneous reports (FAERS).

    psoreg signals ingest ZIPS/ --faers STORE        # quarterly zips -> Parquet store
    psoreg signals --faers STORE --drug apremilast --event Psoriasis
    psoreg signals --faers STORE --drug adalimumab --drug infliximab --group psoriasis-family \\
        --out table.html --forest forest.png
    psoreg signals report caers.csv.gz               # any long table of reports (openEBGM)
    psoreg signals synth --reports 1000000 --out zips/

Errors are one line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from psoreg.errors import PsoregError

__all__ = ["signals_app", "STORE_ENV"]

#: Environment variable with the default store folder.
STORE_ENV = "PSOREG_FAERS_STORE"

signals_app = typer.Typer(
    name="signals",
    help="Disproportionality (PRR, ROR, χ², IC, MGPS) on FAERS spontaneous reports.",
    invoke_without_command=True,
    no_args_is_help=False,
    pretty_exceptions_show_locals=False,
)
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def _clean(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (PsoregError, ValueError, OSError) as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _default_store() -> Path:
    return Path(os.environ.get(STORE_ENV, "faers-store"))


StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--faers", help=f"The ingested store folder (default ${STORE_ENV} or ./faers-store)."
    ),
]
SynonymsOpt = Annotated[
    Path | None,
    typer.Option("--synonyms", help="Your drug synonyms CSV (name,ingredient), added to psoreg's."),
]
ThreadsOpt = Annotated[int | None, typer.Option(help="DuckDB threads (default: all cores).")]
MemoryOpt = Annotated[
    str | None,
    typer.Option("--memory-limit", help="DuckDB memory limit, e.g. 6GB (spills beyond)."),
]


def _print_result(result: Any, limit: int = 50) -> None:
    from psoreg.signals.report import display_rows

    t = result.table
    if out.width < 150:  # a narrow terminal: one block per row instead of a wide table
        for r in display_rows(t.head(limit)):
            out.print(
                f"[bold]{r[0]} × {r[1]}[/bold] ({r[2]}): a {r[3]}, b {r[4]}, c {r[5]}, d {r[6]}, "
                f"E {r[7]}\n  PRR {r[8]}, χ² {r[9]}; ROR {r[10]}; IC {r[11]}; EBGM {r[12]}; "
                f"signals: {r[13]}",
                highlight=False,
            )
        _print_about(result, len(t), limit)
        return
    table = Table(title="Disproportionality", show_lines=False)
    for h in ("Drug", "Event", "a", "b", "c", "d", "E", "PRR (95% CI)", "χ²", "ROR (95% CI)",
              "IC (IC025–IC975)", "EBGM (EB05–EB95)", "Signals"):  # fmt: skip
        table.add_column(h, justify="left" if h in ("Drug", "Event", "Signals") else "right")
    rows = display_rows(t.head(limit))
    for r in rows:
        table.add_row(*[c for i, c in enumerate(r) if i != 2])
    out.print(table)
    _print_about(result, len(t), limit)


def _print_about(result: Any, rows: int, limit: int) -> None:
    if rows > limit:
        out.print(f"[dim]… {rows - limit:,} more row(s); use --out FILE for all[/dim]")
    about = result.about()
    out.print(f"[bold]Signal rules:[/bold] {about['signal_rules']}", highlight=False)
    out.print(f"[bold]Data:[/bold] {about['data_version']}", highlight=False)
    out.print(f"[bold]Options:[/bold] {about['options']}", highlight=False)
    for n in about["notes"]:
        out.print(f"[yellow]note:[/yellow] {n}", highlight=False)


@signals_app.callback()
@_clean
def analyse(
    ctx: typer.Context,
    faers: StoreOpt = None,
    drug: Annotated[
        list[str] | None, typer.Option("--drug", help="Drug (generic, brand, salt); repeatable.")
    ] = None,
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            help="MedDRA PT as reported, e.g. Psoriasis; repeatable. With "
            "--meddra also HLT:/HLGT:/SOC:<name>.",
        ),
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            help="Named event group, e.g. psoriasis-family, psoriasis-pustular; repeatable.",
        ),
    ] = None,
    roles: Annotated[str, typer.Option(help="Suspect roles counted: PS, PS+SS or all.")] = "PS+SS",
    period: Annotated[
        str | None,
        typer.Option(help="Quarters, inclusive: 2009Q1:2020Q4 (either end may be empty)."),
    ] = None,
    control: Annotated[
        list[str] | None,
        typer.Option(
            "--control",
            help="Comparator drug (repeatable): compare with reports of "
            "these drugs instead of the whole database (Kip 2013).",
        ),
    ] = None,
    stratify: Annotated[
        list[str] | None, typer.Option(help="Stratify E by sex, age_band and/or year; repeatable.")
    ] = None,
    no_mgps: Annotated[bool, typer.Option("--no-mgps", help="Skip MGPS (EBGM).")] = False,
    all_cells: Annotated[
        bool,
        typer.Option("--all-cells", help="Fit MGPS on every cell, zeros included (small data)."),
    ] = False,
    zero_correction: Annotated[
        str, typer.Option(help="Zero cells: none (NA) or haldane (+0.5 to all four cells).")
    ] = "none",
    groups_file: Annotated[
        Path | None, typer.Option("--groups", help="Your event groups CSV (group,pt,label).")
    ] = None,
    meddra: Annotated[
        Path | None, typer.Option(help="A MedDRA ASCII release folder (yours; not shipped).")
    ] = None,
    synonyms: SynonymsOpt = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the table: .csv, .xlsx or .html.")
    ] = None,
    forest: Annotated[
        Path | None, typer.Option(help="Write a forest plot of ROR and IC (.png, .svg, .pdf).")
    ] = None,
    threads: ThreadsOpt = None,
    memory_limit: MemoryOpt = None,
) -> None:
    """Disproportionality of drugs × events on an ingested FAERS store.

    Without --drug every drug is analysed; without --event/--group every PT.
    """
    if ctx.invoked_subcommand is not None:
        return
    from psoreg.signals.analysis import SignalOptions, run_signals
    from psoreg.signals.events import load_groups, load_meddra, resolve_events

    store = faers or _default_store()
    if not (store / "manifest.json").exists():
        raise PsoregError(
            f"{store}: not an ingested store; run `psoreg signals ingest ZIPS --faers {store}` "
            "(see `psoreg signals --help`)"
        )
    lo, hi = (None, None)
    if period:
        if ":" not in period:
            raise PsoregError(f"--period: got {period!r}; expected FIRST:LAST, e.g. 2009Q1:2020Q4")
        a, b = period.split(":", 1)
        lo, hi = (a.strip().upper() or None), (b.strip().upper() or None)
    options = SignalOptions(
        roles=roles,  # type: ignore[arg-type]
        period=(lo, hi),
        controls=tuple(control or ()),
        stratify=tuple(stratify or ()),
        mgps=not no_mgps,
        all_cells=all_cells,
        zero_correction=zero_correction,  # type: ignore[arg-type]
    )
    med = load_meddra(meddra) if meddra else None
    specs = resolve_events(list(event or []), list(group or []), load_groups(groups_file), med)
    with err.status("Counting reports…"):
        result = run_signals(store, list(drug or []), specs, options, med, synonyms, threads,
                             memory_limit)  # fmt: skip
    if out_file is not None:
        from psoreg.signals.report import write_signal_table

        write_signal_table(result, out_file)
        out.print(f"Wrote {len(result.table):,} row(s) to {out_file}")
    if forest is not None:
        _write_forest(result, forest)
    if out_file is None or len(result.table) <= 50:
        _print_result(result)


def _write_forest(result: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    from psoreg.signals.report import forest_plot

    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise PsoregError(f"--forest: got {path.name!r}; expected .png, .svg or .pdf")
    fig = forest_plot(result)
    if fig is None:
        raise PsoregError("--forest: the table is empty")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    out.print(f"Wrote forest plot {path}")


def _bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
        TimeRemainingColumn(), console=err, transient=False,
    )  # fmt: skip


@signals_app.command("ingest")
@_clean
def ingest_cmd(
    source: Annotated[
        Path, typer.Argument(help="A folder of quarterly FAERS/AERS zips, or one zip.")
    ],
    faers: StoreOpt = None,
    force: Annotated[bool, typer.Option(help="Ingest every quarter again.")] = False,
    on_bad_line: Annotated[
        str,
        typer.Option(
            help="error (default: stop, name file, line, column) or skip (keep "
            "the rest; refused lines go to STORE/rejects/)."
        ),
    ] = "error",
    encoding: Annotated[str, typer.Option(help="Text encoding of the files.")] = "latin-1",
    synonyms: SynonymsOpt = None,
    threads: ThreadsOpt = None,
    memory_limit: MemoryOpt = None,
    prior: Annotated[
        bool, typer.Option(help="Fit and cache the default analysis's MGPS prior afterwards.")
    ] = True,
) -> None:
    """Ingest new quarters into the store, then de-duplicate cases and map drug names."""
    from psoreg.signals.build import build_current
    from psoreg.signals.ingest import ingest

    store = faers or _default_store()
    with _bar() as bar:
        task = bar.add_task("Ingesting", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=f"Ingesting {label}")

        report = ingest(source, store, force=force, on_bad_line=on_bad_line,  # type: ignore[arg-type]
                        encoding=encoding, threads=threads, progress=progress)  # fmt: skip
    out.print(
        f"Ingested {len(report.ingested)} quarter(s) in {report.seconds:.1f} s"
        + (f"; {len(report.skipped)} already in the store (skipped)" if report.skipped else "")
    )
    for q, rows in report.rows.items():
        text = ", ".join(f"{t.upper()} {n:,}" for t, n in rows.items())
        out.print(f"  {q}: {text}", highlight=False)
    for q, rej in report.rejected.items():
        if rej:
            out.print(f"  [yellow]{q}: refused lines {rej} (see {store}/rejects/)[/yellow]")
    if not report.ingested and (store / "current" / "summary.json").exists() and synonyms is None:
        out.print("Nothing new; analysis tables unchanged.")
        return
    with err.status("De-duplicating cases and mapping drug names…"):
        summary = build_current(store, synonyms, memory_limit, threads)
    _print_summary(summary)
    if prior:
        _prime(store, threads, memory_limit)


def _prime(store: Path, threads: int | None, memory_limit: str | None) -> None:
    from psoreg.signals.analysis import prime_prior

    with err.status("Fitting the MGPS prior of the default analysis (cached)…"):
        h = prime_prior(store, threads=threads, memory_limit=memory_limit)
    out.print(
        f"MGPS prior (roles PS+SS, whole period, unstratified) over {h.points:,} pairs: "
        f"α1 {h.alpha1:.4g}, β1 {h.beta1:.4g}, α2 {h.alpha2:.4g}, β2 {h.beta2:.4g}, P {h.p:.4g}",
        highlight=False,
    )


def _print_summary(s: dict[str, Any]) -> None:
    m = s["mapping"]
    out.print(
        f"De-duplication: {s['reports_before']:,} report rows ({s['cases_before']:,} cases) -> "
        f"{s['reports_after']:,} current reports; {s['superseded_versions']:,} superseded "
        f"versions dropped, {s['deleted_cases_removed']:,} deleted cases removed "
        f"({s['deleted_case_ids']:,} case ids listed as deleted)",
        highlight=False,
    )
    by = ", ".join(f"{k} {v:,}" for k, v in sorted(m["rows_by_method"].items()))
    cov = "n/a" if m["coverage"] is None else f"{100 * m['coverage']:.1f}%"
    out.print(
        f"Drug names: {m['distinct_names']:,} distinct; {cov} of {s['drug_rows_current']:,} drug "
        f"rows mapped to an ingredient ({by}); mapping {m['version']}",
        highlight=False,
    )


@signals_app.command("map")
@_clean
def map_cmd(
    faers: StoreOpt = None,
    synonyms: SynonymsOpt = None,
    threads: ThreadsOpt = None,
    memory_limit: MemoryOpt = None,
) -> None:
    """Rebuild the analysis tables (after extending the synonyms file)."""
    from psoreg.signals.build import build_current

    store = faers or _default_store()
    with err.status("De-duplicating cases and mapping drug names…"):
        summary = build_current(store, synonyms, memory_limit, threads)
    _print_summary(summary)
    _prime(store, threads, memory_limit)


@signals_app.command("status")
@_clean
def status_cmd(faers: StoreOpt = None) -> None:
    """Show what a store holds: quarters, rows, de-duplication and mapping counts."""
    from psoreg.signals.build import read_summary

    store = faers or _default_store()
    s = read_summary(store)
    out.print(f"{store}: quarters {s['quarters'][0]}–{s['quarters'][-1]} ({len(s['quarters'])})")
    _print_summary(s)


@signals_app.command("report")
@_clean
def report_cmd(
    path: Annotated[
        Path, typer.Argument(help="CSV/CSV.GZ/Parquet, one row per report × drug × event.")
    ],
    id_col: Annotated[str, typer.Option("--id", help="Report id column.")] = "id",
    drug_col: Annotated[str, typer.Option("--drug-col", help="Drug column.")] = "var1",
    event_col: Annotated[str, typer.Option("--event-col", help="Event column.")] = "var2",
    stratum: Annotated[str | None, typer.Option(help="Stratum column (e.g. strat1).")] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write .csv, .xlsx or .html.")
    ] = None,
    top: Annotated[int, typer.Option(help="Rows to print, by EB05.")] = 10,
) -> None:
    """Every pair of a long table of reports (openEBGM's processRaw input, e.g. caers)."""
    from psoreg.signals.analysis import run_report_table

    result = run_report_table(path, id_col, drug_col, event_col, stratum)
    result.table = result.table.sort_values("eb05", ascending=False).reset_index(drop=True)
    if out_file is not None:
        from psoreg.signals.report import write_signal_table

        write_signal_table(result, out_file, forest=False)
        out.print(f"Wrote {len(result.table):,} row(s) to {out_file}")
    h = result.hyper
    if h is not None:
        out.print(
            f"MGPS hyperparameters (ML, truncated at N >= 1): α1 {h.alpha1:.8f}, β1 {h.beta1:.8f}, "
            f"α2 {h.alpha2:.8f}, β2 {h.beta2:.8f}, P {h.p:.8f}", highlight=False,
        )  # fmt: skip
    _print_result(result, limit=top)


@signals_app.command("synth")
@_clean
def synth_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the quarterly zips.")],
    reports: Annotated[int, typer.Option(help="Reports in all (DEMO rows).")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    first: Annotated[str, typer.Option(help="First quarter.")] = "2004Q1",
    last: Annotated[str, typer.Option(help="Last quarter.")] = "2024Q4",
    threads: ThreadsOpt = None,
) -> None:
    """Write synthetic FAERS quarterly zips in the real ASCII layouts (for benchmarks, demos)."""
    from psoreg.signals.synth import synthesize_faers

    if reports < 1:
        raise PsoregError(f"--reports: got {reports}; expected a positive number")
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} reports"),
        console=err,
    ) as bar:
        task = bar.add_task("Generating", total=reports)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, description=f"Generating {label}")

        meta = synthesize_faers(out_dir, reports, seed, first.upper(), last.upper(),
                                threads=threads, progress=progress)  # fmt: skip
    out.print(f"Wrote {meta['quarters']} quarterly zips, {reports:,} reports, to {out_dir} "
              f"in {meta['seconds']} s")  # fmt: skip

"""``psoreg cases``: the case library, comparison with the literature, case-report drafts.

``cases_app`` is a Typer sub-app; psoreg's main CLI registers it as ``psoreg cases``. Every
command reads the starter library shipped with psoreg plus the user library (``--library FILE``,
default ``$PSOREG_CASE_LIBRARY`` or ``cases.json`` in psoreg's user config folder). Errors are
printed as one line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from psoreg.errors import ImportFailed, PsoregError

if TYPE_CHECKING:  # pragma: no cover
    from psoreg.cases.record import CaseRecord

# The case modules (pydantic models, the catalogue, pandas) are imported by the commands that
# use them, so that ``psoreg --help`` stays fast.

__all__ = ["cases_app"]

cases_app = typer.Typer(
    name="cases",
    help="Drug-induced and paradoxical psoriasis cases: library, comparison, report drafts.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

F = TypeVar("F", bound=Callable[..., Any])

LibraryOpt = Annotated[
    Path | None,
    typer.Option(
        "--library",
        help="User case library (.json or .csv), added to the starter library. Default: "
        "$PSOREG_CASE_LIBRARY or cases.json in psoreg's config folder.",
    ),
]
NoStarterOpt = Annotated[
    bool, typer.Option("--no-starter", help="Leave out the starter library shipped with psoreg.")
]
DrugOpt = Annotated[str | None, typer.Option("--drug", help="Match this drug (generic or brand).")]
ClassOpt = Annotated[
    str | None, typer.Option("--class", help="Match this drug class, e.g. 'IL-17 inhibitor'.")
]
MorphOpt = Annotated[
    str | None, typer.Option("--morphology", help="Match this morphology, e.g. pustular.")
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write to this file, not stdout.")]
FaersOpt = Annotated[
    Path | None,
    typer.Option(
        "--faers",
        help="An ingested FAERS store (psoreg signals ingest): add the case's "
        "drug x event disproportionality.",
    ),
]


def _population(case: CaseRecord, store: Path) -> Any:
    """The case's drugs x event on the FAERS store (psoreg.signals)."""
    from psoreg.signals.casecompare import case_population

    return case_population(
        [d.drug for d in case.suspect_drugs],
        [m.value for m in case.morphology],
        bool(case.event_psoriatic_arthritis),
        store,
    )


def _message(exc: BaseException) -> str:
    from pydantic import ValidationError

    from psoreg.cases.validation import one_line

    if isinstance(exc, ImportFailed):
        return f"{exc.path}: " + "; ".join(str(e) for e in exc.errors)
    if isinstance(exc, ValidationError):
        return one_line(exc)
    if isinstance(exc, OSError):
        return f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
    return str(exc)


def _clean_errors(func: F) -> F:
    """Print psoreg/validation/file errors as one line on stderr and exit with code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pydantic import ValidationError

        try:
            return func(*args, **kwargs)
        except ImportFailed as exc:  # one line per problem, each naming row and column
            typer.echo(f"error: {exc.path}: {exc.count} problem(s); nothing was imported", err=True)
            for line in exc.lines():
                typer.echo(f"  - {' '.join(line.split())}", err=True)
            raise typer.Exit(code=2) from None
        except (PsoregError, ValidationError, ValueError, OSError) as exc:
            typer.echo(f"error: {' '.join(_message(exc).split())}", err=True)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def _library(path: Path | None, no_starter: bool = False) -> list[CaseRecord]:
    from psoreg.cases.library import default_library_path, load_library

    return load_library(path or default_library_path(), include_starter=not no_starter)


def _resolve_case(case: str, library: list[CaseRecord]) -> CaseRecord:
    """CASE is a case id in the library, or a .json/.csv file holding exactly one case."""
    from psoreg.cases.files import read_cases
    from psoreg.cases.library import find_case

    path = Path(case)
    if path.suffix.lower() in {".json", ".csv"}:
        if not path.exists():
            raise PsoregError(f"{case}: no such file")
        cases = read_cases(path)
        if len(cases) != 1:
            raise PsoregError(f"{case}: holds {len(cases)} cases; expected exactly one")
        return cases[0]
    return find_case(library, case)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}")


def _check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        raise PsoregError(f"--format: got {fmt!r}; expected one of: {', '.join(allowed)}")


@cases_app.command("compare")
@_clean_errors
def compare_cmd(
    case: Annotated[
        str, typer.Argument(help="A case id in the library, or a .json/.csv file holding one case.")
    ],  # fmt: skip
    drug: DrugOpt = None,
    drug_class: ClassOpt = None,
    morphology: MorphOpt = None,
    library: LibraryOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="text, csv, md, html or json.")] = "text",
    out: OutOpt = None,
    faers: FaersOpt = None,
) -> None:
    """Put CASE beside the published cases with the same drug, class or morphology."""
    from psoreg.cases.compare import compare as compare_case
    from psoreg.cases.render import FORMATS, render_comparison

    _check_format(fmt, FORMATS)
    cases = _library(library)
    target = _resolve_case(case, cases)
    comparison = compare_case(target, cases, drug, drug_class, morphology)
    text = render_comparison(comparison, fmt)
    if faers is not None:
        from psoreg.signals.casecompare import render_population

        block = render_population(_population(target, faers), fmt)
        if fmt == "json":
            doc = json.loads(text)
            doc.update(json.loads(block))
            text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
        elif fmt == "html":
            text = text.replace("</body>", block + "</body>")
        elif fmt == "csv":
            text = text + "\n" + block
        else:
            text = text + block
    _emit(text, out)


_LIST_COLUMNS = ["case_id", "study", "drugs", "age_sex", "time_to_onset", "morphology", "origin"]


def _list_row(c: CaseRecord) -> dict[str, str]:
    from psoreg.cases.onset import format_onset

    age = "?" if c.age_years is None else f"{c.age_years:g}"
    sex = "?" if c.sex.value == "unknown" else c.sex.value
    onset = (
        format_onset(c.time_to_onset_days, c.time_to_onset_unit, c.time_to_onset_approximate)
        if c.time_to_onset_days is not None
        else (c.time_to_onset_text or "unknown")
    )
    morph = [m.value for m in c.morphology] + (["PsA"] if c.event_psoriatic_arthritis else [])
    return {
        "case_id": c.case_id,
        "study": c.label,
        "drugs": "; ".join(c.drug_names),
        "age_sex": f"{age}/{sex}",
        "time_to_onset": onset,
        "morphology": "; ".join(morph) or "unknown",
        "origin": c.origin.value,
    }


@cases_app.command("list")
@_clean_errors
def list_cmd(
    drug: DrugOpt = None,
    drug_class: ClassOpt = None,
    morphology: MorphOpt = None,
    library: LibraryOpt = None,
    no_starter: NoStarterOpt = False,
    fmt: Annotated[str, typer.Option("--format", help="text, csv or json.")] = "text",
) -> None:
    """List the cases of the library (optionally only one drug, class or morphology)."""
    from psoreg.cases.compare import criterion, matching_cases
    from psoreg.cases.render import text_table

    _check_format(fmt, ("text", "csv", "json"))
    cases = _library(library, no_starter)
    if cases and any(v is not None for v in (drug, drug_class, morphology)):
        crit = criterion(cases[0], drug, drug_class, morphology)
        cases = matching_cases(cases, crit)
    rows = [_list_row(c) for c in cases]
    if fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        from psoreg.io.spreadsheet import dict_csv_text  # formulas neutralised (OWASP)

        typer.echo(dict_csv_text(_LIST_COLUMNS, rows), nl=False)
    else:
        widths = [26, 30, 14, 7, 16, 26, 10]
        table = text_table(_LIST_COLUMNS, [[r[k] for k in _LIST_COLUMNS] for r in rows], widths)
        typer.echo(f"{table}\n\n{len(rows)} case(s)")


@cases_app.command("import")
@_clean_errors
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A .json or .csv file of cases.")],
    library: LibraryOpt = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace user cases with the same case id.")
    ] = False,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Text encoding of FILE (default: detected)."),
    ] = None,
) -> None:
    """Validate FILE and add its cases to the user library (nothing is added on any error)."""
    from psoreg.cases.files import read_cases
    from psoreg.cases.library import add_cases, default_library_path
    from psoreg.io.source import ReadOptions

    if not file.exists():
        raise PsoregError(f"{file}: no such file")
    new = read_cases(file, ReadOptions(encoding=encoding))
    target = library or default_library_path()
    user = add_cases(new, target, replace=replace, source=str(file))
    typer.echo(f"imported {len(new)} case(s) into {target} ({len(user)} user case(s) in all)")


@cases_app.command("export")
@_clean_errors
def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="Write to this .json or .csv file.")],
    library: LibraryOpt = None,
    no_starter: NoStarterOpt = False,
) -> None:
    """Write the library (starter + user cases) to a .json or .csv file; every field is kept."""
    from psoreg.cases.files import write_cases

    cases = _library(library, no_starter)
    write_cases(cases, out)
    typer.echo(f"exported {len(cases)} case(s) to {out}")


@cases_app.command("draft")
@_clean_errors
def draft_cmd(
    case: Annotated[
        str, typer.Argument(help="A case id in the library, or a .json/.csv file holding one case.")
    ],  # fmt: skip
    library: LibraryOpt = None,
    out: OutOpt = None,
    faers: FaersOpt = None,
) -> None:
    """Write a Markdown case-report draft of CASE under the CARE checklist headings."""
    from psoreg.cases.draft import draft_case_report

    cases = _library(library)
    target = _resolve_case(case, cases)
    extra = [_population(target, faers).sentence()] if faers is not None else []
    _emit(draft_case_report(target, cases, extra_discussion=extra), out)

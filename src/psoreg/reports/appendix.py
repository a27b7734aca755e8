"""The reproducibility appendix: every option and definition behind the numbers, the quantile
method, the software versions and the input's SHA-256 checksum.

Options and definitions come from :meth:`psoreg.outcomes.OutcomeResult.provenance` (each option
with its value and cited source). The checksum of a file is SHA-256 of its bytes; of a folder, of
its files in sorted order of their relative paths (POSIX separators), each contributing its path
encoded as UTF-8, a NUL byte, its bytes and a NUL byte – so renaming or moving a file changes it.
"""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata
from pathlib import Path

from psoreg.analysis.stats import QUANTILE_METHODS
from psoreg.i18n import _
from psoreg.outcomes import OutcomeResult
from psoreg.reports.model import Cell, ReportTable, Row

PACKAGES = ("numpy", "pandas", "scipy", "ibis-framework", "duckdb", "matplotlib", "lifelines")


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files in sorted order (see the module docstring)."""
    h = hashlib.sha256()
    if path.is_dir():
        files = sorted(
            (p for p in path.rglob("*") if p.is_file()),
            key=lambda p: p.relative_to(path).as_posix(),
        )
        for f in files:
            h.update(f.relative_to(path).as_posix().encode("utf-8") + b"\0")
            h.update(f.read_bytes() + b"\0")
    else:
        h.update(path.read_bytes())
    return h.hexdigest()


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return _("not installed")


def _rows(pairs: list[tuple[str, str]]) -> list[Row]:
    return [Row(f"r{i}", {"item": Cell(a), "value": Cell(b)}) for i, (a, b) in enumerate(pairs, 1)]


def appendix_tables(
    result: OutcomeResult,
    quantile: str,
    source: Path | None,
    kind: str,
    suppress_below: int | None,
    include_identifiers: bool,
    group_by: str | None,
) -> list[ReportTable]:
    """Appendix A (run), B (options with definitions and sources) and C (outcome definitions)."""
    prov = result.provenance()
    run: list[tuple[str, str]] = [(_("Software"), str(prov["software"]))]
    run += [(pkg, _version(pkg)) for pkg in PACKAGES]
    run.append(("Python", platform.python_version()))
    if source is not None:
        what = _("Input folder") if source.is_dir() else _("Input file")
        run.append((what, source.name))
        run.append((_("Input SHA-256"), sha256_of(source)))
    run.append((_("Data kind"), kind))
    run.append((_("Quantile method"), f"{quantile}: {QUANTILE_METHODS[quantile][1]}"))
    run.append((_("Grouping"), group_by or _("none")))
    run.append(
        (
            _("Small-count suppression"),
            _("counts under {k}").format(k=suppress_below) if suppress_below else _("off"),
        )
    )
    run.append(
        (
            _("Identifiers"),
            _("the data's own patient and course ids")
            if include_identifiers
            else _("patients numbered 1..n in the order of the patients table"),
        )
    )
    options = ReportTable(
        "appendix_options",
        _("Appendix B. Outcome options (value and source)"),
        [
            ("option", _("Option")),
            ("value", _("Value")),
            ("definition", _("Definition and source")),
        ],
        [
            Row(
                str(o["option"]),
                {
                    "option": Cell(str(o["option"])),
                    "value": Cell(str(o["value"])),
                    "definition": Cell(str(o["definition"])),
                },
            )
            for o in prov["options"]
        ],
    )
    definitions = ReportTable(
        "appendix_definitions",
        _("Appendix C. Outcome definitions"),
        [("name", _("Outcome")), ("definition", _("Definition and source"))],
        [Row(k, {"name": Cell(k), "definition": Cell(v)}) for k, v in prov["definitions"].items()],
    )
    return [
        ReportTable(
            "appendix_run",
            _("Appendix A. Software, input and settings"),
            [("item", _("Item")), ("value", _("Value"))],
            _rows(run),
            [
                _(
                    "SHA-256 of a folder: its files in sorted order of relative path, each as "
                    "path, NUL, bytes, NUL."
                )
            ],
        ),
        options,
        definitions,
    ]

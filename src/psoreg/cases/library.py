"""The literature library: published cases as data, plus the cases a clinic adds.

The *starter library* ships with psoreg (``psoreg/data/literature_cases.json``), transcribed from
two papers:

* the UKMMC ustekinumab case series - its Table 3 (six published ustekinumab paradoxical cases
  and the clinic's own patient 6) and the Discussion sentences on those cases;
* Ozarslan et al. 2022 (DOI 10.5826/dpc.1202a88) - its natalizumab case and the three earlier
  natalizumab cases its Discussion summarises from Lambrianides et al. 2018
  (DOI 10.1159/000492891).

Every case records its citation, DOI where known, the table/section it came from
(``source_location``), the source text verbatim (``source_text``) and transcription notes
(conflicts between table and text, and how they were resolved).

A *user library* is a ``.json`` or ``.csv`` case file; :func:`load_library` returns the starter
cases followed by the user's. Case ids are unique across both.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from psoreg.cases.files import read_cases, write_cases
from psoreg.cases.json_format import cases_from_json
from psoreg.cases.record import CaseRecord
from psoreg.errors import ImportFailed, InvalidValue, RowError

__all__ = [
    "LIBRARY_ENV",
    "STARTER_LIBRARY",
    "add_cases",
    "default_library_path",
    "find_case",
    "load_library",
    "starter_library",
]

#: The shipped library file inside the package.
STARTER_LIBRARY = "literature_cases.json"
#: Environment variable naming the user library file.
LIBRARY_ENV = "PSOREG_CASE_LIBRARY"


def starter_library() -> list[CaseRecord]:
    """The published cases shipped with psoreg (11 cases; see the module docstring)."""
    ref = resources.files("psoreg").joinpath("data", STARTER_LIBRARY)
    return cases_from_json(ref.read_text(encoding="utf-8"), f"psoreg/data/{STARTER_LIBRARY}")


def default_library_path() -> Path:
    """``$PSOREG_CASE_LIBRARY`` if set, else ``cases.json`` in psoreg's user config folder."""
    env = os.environ.get(LIBRARY_ENV)
    if env:
        return Path(env)
    import typer  # typer knows each platform's per-user application folder

    return Path(typer.get_app_dir("psoreg")) / "cases.json"


def load_library(path: Path | str | None = None, include_starter: bool = True) -> list[CaseRecord]:
    """Starter cases (unless ``include_starter`` is false) followed by the cases in ``path``.

    A ``path`` that does not exist contributes nothing. Raises :class:`ImportFailed` if the user
    file is invalid or reuses a starter case id.
    """
    cases = starter_library() if include_starter else []
    if path is not None and Path(path).exists():
        user = read_cases(path)
        _check_unique(cases, user, str(path))
        cases = [*cases, *user]
    return cases


def _check_unique(existing: Iterable[CaseRecord], new: Iterable[CaseRecord], source: str) -> None:
    ids = {c.case_id for c in existing}
    clashes = [c.case_id for c in new if c.case_id in ids]
    if clashes:
        raise ImportFailed(
            source,
            [RowError(None, "case_id", f"{cid!r} is already in the library") for cid in clashes],
        )


def add_cases(
    new: list[CaseRecord], path: Path | str, replace: bool = False, source: str = "<import>"
) -> list[CaseRecord]:
    """Add ``new`` cases to the user library at ``path`` (created if missing) and save it.

    A case id already in the starter library is refused; one already in the user library is
    refused unless ``replace`` is true, in which case it is replaced. Returns the user cases.
    """
    path = Path(path)
    _check_unique(starter_library(), new, source)
    user = read_cases(path) if path.exists() else []
    if not replace:
        _check_unique(user, new, source)
    new_ids = {c.case_id for c in new}
    merged = [c for c in user if c.case_id not in new_ids] + list(new)
    write_cases(merged, path)
    return merged


def find_case(cases: Iterable[CaseRecord], case_id: str) -> CaseRecord:
    """The case with ``case_id`` (exact, then case-insensitive); :class:`InvalidValue` if none."""
    cases = list(cases)
    for case in cases:
        if case.case_id == case_id:
            return case
    for case in cases:
        if case.case_id.lower() == case_id.strip().lower():
            return case
    known = ", ".join(c.case_id for c in cases[:20]) + (" ..." if len(cases) > 20 else "")
    raise InvalidValue("case", case_id, f"a case id in the library ({known}) or a case file")

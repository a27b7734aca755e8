"""Turning pydantic validation errors into ``field: message`` lines a clinician can act on."""

from __future__ import annotations

import re

from pydantic import ValidationError

__all__ = ["field_errors", "one_line"]

_FIELD_PREFIX = re.compile(r"^([A-Za-z_][\w.\[\]]*): (.*)$", re.S)


def field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """``[(field, message), ...]`` for every problem pydantic found.

    The field is the dotted location (``suspect_drugs.0.drug``, ``extent.bsa_percent``); checks
    across fields (raised as ``"field: message"``) are attributed to the field they name.
    """
    errors = exc.errors()
    paths = [".".join(str(p) for p in err["loc"]) for err in errors]
    out: list[tuple[str, str]] = []
    for err, path in zip(errors, paths, strict=True):
        if err.get("type") == "too_short" and any(p.startswith(path + ".") for p in paths):
            continue  # a list emptied by its own item errors: the item errors say it all
        msg = str(err["msg"]).removeprefix("Value error, ")
        m = _FIELD_PREFIX.match(msg)
        if m:
            named, rest = m[1], m[2]
            if not path or named.startswith(path + "."):
                path, msg = named, rest
            elif named.split(".")[-1] == path.split(".")[-1] or path.endswith(named):
                msg = rest
        if err.get("type", "").startswith(("greater", "less", "too_", "string_")):
            msg = f"{msg} (got {err.get('input')!r})"
        out.append((path or "case", msg))
    return out


def one_line(exc: ValidationError, prefix: str = "") -> str:
    """All problems of ``exc`` on one line: ``"prefix: age_years: ...; sex: ..."``."""
    text = "; ".join(f"{f}: {m}" for f, m in field_errors(exc))
    return f"{prefix}: {text}" if prefix else text

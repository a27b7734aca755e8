"""Comparing psoreg's figures with the figures a publication prints.

A *published-figures file* (JSON) lists what the paper says, figure by figure, keyed by the
summary's figure keys (:func:`psoreg.analysis.summary.summarize`)::

    {"source": "UKMMC ustekinumab case series",
     "figures": [
       {"key": "pasi90_by_week16", "published": "6 (75%)", "k": 6, "n": 8,
        "quote": "6 (75%) attained PASI 90 by then",
        "note": "Table 2 gives PASI90 by week 16 for 5 patients ..."}]}

``k``/``n`` (counts), ``percent`` (a percentage the paper rounds), ``value`` (a median) say what
to compare; ``published`` is the paper's text as printed; ``note`` explains a disagreement (or a
caveat, such as an unstated denominator); ``abstract`` is the figure as the paper's abstract prints
it where that differs from its Results (the Abstrak/Abstract pair of a report notes it). psoreg
prints each figure beside the paper's and says
in a note wherever they differ; it never bends its numbers to the paper's.

``published_file_for(path)`` finds ``<input>.published.json`` beside an input file or folder.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from psoreg.analysis.stats import Count, MedianIQR, fmt
from psoreg.analysis.survival import MedianCI
from psoreg.errors import InvalidValue


@dataclass(frozen=True)
class Comparison:
    """One figure: psoreg's value and the paper's, whether they agree, and why not."""

    key: str
    label: str
    psoreg: str
    published: str
    agrees: bool | None  # None: nothing comparable (e.g. psoreg has no such figure)
    note: str = ""
    #: the figure as the paper's abstract prints it, where that differs from its Results
    abstract: str = ""

    def line(self) -> str:
        """'PASI90 by week 16: 5/8 (paper: 6 (75%))'."""
        return f"{self.label}: {self.psoreg} (paper: {self.published})"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def published_file_for(path: Path) -> Path | None:
    """``<input>.published.json`` next to ``path`` (a file or a folder), if it exists."""
    p = Path(path)
    candidate = p.with_name(f"{p.stem if p.is_file() else p.name}.published.json")
    return candidate if candidate.is_file() else None


def load_published(path: Path) -> dict[str, Any]:
    """Read and check a published-figures file; errors name the field."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidValue("published", str(path), f"a readable JSON file ({exc})") from None
    figs = data.get("figures") if isinstance(data, dict) else None
    if not isinstance(figs, list):
        raise InvalidValue("published.figures", figs, "a list of {key, published, ...} objects")
    for i, f in enumerate(figs):
        if not isinstance(f, dict) or not isinstance(f.get("key"), str):
            raise InvalidValue(f"published.figures[{i}].key", f, "a figure key (text)")
        if not isinstance(f.get("published"), str):
            raise InvalidValue(f"published.figures[{i}].published", f.get("published"), "text")
    return data


def _psoreg_text(fig: Any) -> str:  # noqa: ANN401 - a summary Figure
    c = fig.stat
    if isinstance(c, Count):
        return fig.words() if fig.population else f"{c.k}/{c.n}"
    return fig.text


def _agrees(fig: Any, spec: dict[str, Any]) -> bool | None:  # noqa: ANN401
    s = fig.stat
    if isinstance(s, Count):
        if "k" in spec:
            return s.k == spec["k"] and ("n" not in spec or s.n == spec["n"])
        if "percent" in spec and s.percent is not None:
            return abs(s.percent - float(spec["percent"])) < 0.5
        return None
    if isinstance(s, MedianIQR | MedianCI) and "value" in spec:
        med = s.median
        return med is not None and fmt(med) == fmt(float(spec["value"]))
    if isinstance(s, int) and "value" in spec:
        return s == spec["value"]
    if "r" in spec and getattr(s, "r", None) is not None:
        return fmt(s.r, 2) == fmt(float(spec["r"]), 2)
    return None


def compare(summary: Any, published: dict[str, Any]) -> list[Comparison]:  # noqa: ANN401
    """Each published figure beside psoreg's, with a note wherever they differ."""
    out = []
    for spec in published["figures"]:
        key = spec["key"]
        try:
            fig = summary[key]
        except KeyError:
            out.append(
                Comparison(
                    key,
                    spec.get("label", key),
                    "—",
                    spec["published"],
                    None,
                    spec.get("note", "psoreg has no such figure"),
                )  # fmt: skip
            )
            continue
        agrees = _agrees(fig, spec)
        note = spec.get("note", "")
        if agrees is False and not note:
            note = f"psoreg gives {fig.text}; the paper prints {spec['published']}."
        out.append(
            Comparison(
                key,
                spec.get("label", fig.label),
                _psoreg_text(fig),
                spec["published"],
                agrees,
                note,
                str(spec.get("abstract", "")),
            )  # fmt: skip
        )
    return out

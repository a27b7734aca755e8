"""Figures as SVG text, PNG or PDF bytes, reproducibly (no creation date in the file)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from matplotlib.figure import Figure

from psoreg.reports.figures.style import DPI, RC


def _save(fig: Figure, fmt: str, **kw: object) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    meta = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}.get(fmt, {})
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format=fmt, metadata=meta, bbox_inches="tight", **kw)  # type: ignore[arg-type]
    return buf.getvalue()


def svg_text(fig: Figure) -> str:
    """The figure as an inline ``<svg>`` element (XML prolog and DOCTYPE removed)."""
    svg = _save(fig, "svg").decode("utf-8")
    return re.sub(r"^.*?(<svg\b)", r"\1", svg, count=1, flags=re.S)


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as a PNG at ``dpi`` (300 by default, the journals' minimum for figures)."""
    return _save(fig, "png", dpi=dpi)


def write_figure(fig: Figure, path: Path) -> Path:
    """Write ``fig`` to ``path`` in the format its suffix names (.svg, .pdf or .png)."""
    fmt = path.suffix.lstrip(".").lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_save(fig, fmt, dpi=DPI))
    return path

"""Figures as SVG text, PNG or PDF bytes, reproducibly (no creation date in the file).

Saving is most of the time a report takes (matplotlib lays out and measures every text), so
:func:`render_figures` saves a report's figures with two savings, none of which changes a
byte of the output (``tests/test_report_figure_files.py`` compares every figure and format with
a plain ``Figure.savefig``):

- **One layout pass instead of a dry draw.** With a layout engine and ``bbox_inches="tight"``,
  ``savefig`` draws the whole figure once without output (the constrained layout runs at the
  start of that draw), measures the tight box, then draws for real. The artists' dry draw
  only serves the layout, so :func:`_layout_only_dry_draw` answers it with the layout alone.
- **Each text measured once per figure.** ``savefig`` makes three SVG renderers (layout, dry
  pass, output) and matplotlib's text-size cache belongs to one renderer, so every label was
  measured with FreeType three times. While a figure is saved as SVG, the sizes are kept for
  the whole call (:func:`_svg_text_sizes`): an SVG text size depends only on the string, the
  font properties and the rcParams, which are fixed for the call.

Drawing in forked worker processes was tried and removed: the command already runs DuckDB's
and the BLAS threads when it saves its figures, and a fork taken beside threads crashed the
child (segmentation faults inside the test suite).
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from psoreg.reports.figures.style import DPI, RC
from psoreg.reports.model import ReportFigure

#: Figures, or a report's figures (with their captions).
Figures = Sequence[Figure | ReportFigure]

#: Formats whose files are written without a date or id that would change between runs.
_METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}


def _save(fig: Figure | ReportFigure, fmt: str, **kw: object) -> bytes:
    import matplotlib

    if isinstance(fig, ReportFigure):
        fig = fig.figure
    buf = io.BytesIO()
    meta = _METADATA.get(fmt, {})
    with (
        matplotlib.rc_context(RC),
        _layout_only_dry_draw(fig),
        _svg_text_sizes() if fmt == "svg" else contextlib.nullcontext(),
    ):
        fig.savefig(buf, format=fmt, metadata=meta, bbox_inches="tight", **kw)  # type: ignore[arg-type]
    return buf.getvalue()


@contextlib.contextmanager
def _layout_only_dry_draw(fig: Figure) -> Iterator[None]:
    """Within ``savefig``, answer the first (dry) draw with the layout alone.

    ``savefig`` draws twice when a layout engine is set: first with drawing disabled, which runs
    the layout engine and then walks every artist, then for real with the engine switched off.
    The walk computes nothing the tight box or the real draw reuse (each computes its own), so
    the first call here runs only the engine, as ``Figure.draw`` does at its start.
    """
    calls = 0

    def draw(renderer: Any) -> None:
        nonlocal calls
        calls += 1
        engine = fig.get_layout_engine()
        if calls == 1 and engine is not None:
            if fig.axes:
                with contextlib.suppress(ValueError):  # as Figure.draw does
                    engine.execute(fig)
            fig.stale = False
            return
        Figure.draw(fig, renderer)

    fig.draw = draw  # type: ignore[method-assign]
    try:
        yield
    finally:
        del fig.draw


_sizes = threading.local()
_sizes_installed = False


@contextlib.contextmanager
def _svg_text_sizes() -> Iterator[None]:
    """Keep the SVG renderers' text sizes for the duration of one ``savefig`` (this thread)."""
    global _sizes_installed
    if not _sizes_installed:
        from matplotlib.backends.backend_svg import RendererSVG

        measure = RendererSVG.get_text_width_height_descent

        def remembered(self: Any, s: str, prop: Any, ismath: Any) -> Any:
            memo = getattr(_sizes, "memo", None)
            if memo is None:  # outside psoreg's figure saving: matplotlib as is
                return measure(self, s, prop, ismath)
            key = (s, prop.copy(), ismath)  # FontProperties hashes its (mutable) state: copy
            if key not in memo:
                memo[key] = measure(self, s, prop, ismath)
            return memo[key]

        RendererSVG.get_text_width_height_descent = remembered  # type: ignore[method-assign]
        _sizes_installed = True
    outer = getattr(_sizes, "memo", None)
    _sizes.memo = {}
    try:
        yield
    finally:
        _sizes.memo = outer


def render_figures(figures: Figures, fmt: str, dpi: int = DPI) -> list[bytes]:
    """Each figure saved as ``fmt`` (svg, png or pdf), in order."""
    kw = {} if fmt == "svg" else {"dpi": dpi}
    return [_save(f, fmt, **kw) for f in figures]


def _inline(svg: bytes) -> str:
    """An SVG file as an inline ``<svg>`` element (XML prolog and DOCTYPE removed)."""
    return re.sub(r"^.*?(<svg\b)", r"\1", svg.decode("utf-8"), count=1, flags=re.S)


def svg_texts(figures: Figures) -> list[str]:
    """The figures as inline ``<svg>`` elements."""
    return [_inline(b) for b in render_figures(figures, "svg")]


def svg_text(fig: Figure) -> str:
    """The figure as an inline ``<svg>`` element (XML prolog and DOCTYPE removed)."""
    return _inline(_save(fig, "svg"))


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as a PNG at ``dpi`` (300 by default, the journals' minimum for figures)."""
    return _save(fig, "png", dpi=dpi)


def write_figure(fig: Figure, path: Path) -> Path:
    """Write ``fig`` to ``path`` in the format its suffix names (.svg, .pdf or .png)."""
    return write_figures([fig], [path])[0]


def write_figures(figures: Figures, paths: Sequence[Path]) -> list[Path]:
    """Write each figure to its path, in the format the suffix names (.svg, .pdf or .png).

    The paths share one suffix (the figures of one document).
    """
    fmts = {p.suffix.lstrip(".").lower() for p in paths}
    if len(fmts) > 1:
        raise ValueError(f"write_figures: one format at a time, got {sorted(fmts)}")
    out = []
    data = render_figures(figures, fmts.pop()) if paths else []
    for path, b in zip(paths, data, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b)
        out.append(path)
    return out

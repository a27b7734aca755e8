"""Figures as SVG text, PNG or PDF bytes, reproducibly (no creation date in the file).

Saving is most of the time a report takes (matplotlib lays out and measures every text), so
:func:`render_figures` saves a report's figures with four savings, none of which changes a
byte of the output (``tests/test_report_figure_files.py`` compares every figure and format with
a plain ``Figure.savefig``):

- **One layout pass instead of a dry draw.** With a layout engine and ``bbox_inches="tight"``,
  ``savefig`` draws the whole figure once without output (the constrained layout runs at the
  start of that draw), measures the tight box, then draws for real. The artists' dry draw
  only serves the layout, so :func:`_layout_only_dry_draw` answers it with the layout alone.
- **Each text measured once per report.** ``savefig`` makes three renderers (layout, dry
  pass, output) and matplotlib's text-size cache belongs to one renderer, so every label was
  measured with FreeType three times, and again in the next figure. While a report's figures
  are saved, the sizes are kept (:func:`_remembering`): a text's size depends only on the
  renderer's kind and resolution, the string, the font properties and the rcParams, which
  are the same for every save of one :func:`render_figures` call.
- **Each text laid out once per report.** The constrained layout, the tight box and the draw
  ask every tick label for its extent again and again (about 2,000 layouts for 400 texts in
  a report): psoreg keeps ``Text._get_layout``'s answer for the call, keyed by
  everything it reads (string, font, alignment, rotation, line spacing, resolution, the
  renderer's kind). The position is not among them: callers add it to the answer.
- **Ticks placed once per axis and layout.** Each axis recomputed its tick positions and
  labels on every extent asked (450 times for 24 axes; 366 of them with the same view limits,
  axes box and resolution as the axis's previous placement). While a figure is saved, an
  axis whose ticker last placed this axis's ticks with the same view limits, box and
  resolution keeps them (:func:`_remembered_ticks`): the locator and formatter are the same
  objects in the same state, so the placement would set each tick to what it holds.

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
        _remembering(fmt),
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


_memo = threading.local()  # .sizes, .layouts, .ticks: dicts while psoreg saves a figure, else None
#: The renderer each format is saved (and laid out) with: module, class.
_RENDERERS = {
    "svg": ("matplotlib.backends.backend_svg", "RendererSVG"),
    "png": ("matplotlib.backends.backend_agg", "RendererAgg"),
    "pdf": ("matplotlib.backends.backend_pdf", "RendererPdf"),
}
_installed: set[str] = set()


def _install(fmt: str) -> None:
    """Wrap matplotlib's text layout, and the text measurement of ``fmt``'s renderer, once: the
    wrappers remember answers only while :func:`_remembering` is active in this thread, and are
    matplotlib's own otherwise."""
    if "layout" not in _installed:
        from matplotlib.text import Text

        Text._get_layout = _remembered_layout(Text._get_layout)  # type: ignore[method-assign]
        _installed.add("layout")
    if "ticks" not in _installed:
        from matplotlib.axis import Axis

        Axis._update_ticks = _remembered_ticks(Axis._update_ticks)  # type: ignore[method-assign]
        _installed.add("ticks")
    if fmt in _RENDERERS and fmt not in _installed:
        import importlib

        module, name = _RENDERERS[fmt]
        cls = getattr(importlib.import_module(module), name)
        cls.get_text_width_height_descent = _remembered_size(cls.get_text_width_height_descent)
        _installed.add(fmt)


def _remembered_size(measure: Any) -> Any:  # noqa: ANN401
    def remembered(self: Any, s: str, prop: Any, ismath: Any) -> Any:  # noqa: ANN401
        memo = getattr(_memo, "sizes", None)
        if memo is None:  # outside psoreg's figure saving: matplotlib as is
            return measure(self, s, prop, ismath)
        # FontProperties hashes its (mutable) state: copy. Agg measures at its own dpi.
        key = (type(self), getattr(self, "dpi", None), s, prop.copy(), ismath)
        if key not in memo:
            memo[key] = measure(self, s, prop, ismath)
        return memo[key]

    return remembered


def _remembered_layout(layout: Any) -> Any:  # noqa: ANN401
    def remembered(self: Any, renderer: Any) -> Any:  # noqa: ANN401
        memo = getattr(_memo, "layouts", None)
        if memo is None or self.get_wrap():  # wrapping depends on the position: as is
            return layout(self, renderer)
        key = (
            type(self),
            type(renderer),
            getattr(renderer, "dpi", None),
            self.get_figure(root=True).dpi,
            self.get_text(),
            self._fontproperties.copy(),
            self.get_usetex(),
            self.get_parse_math(),
            self._linespacing,
            self._multialignment,
            self.get_rotation(),
            self.get_rotation_mode(),
            self._horizontalalignment,
            self._verticalalignment,
        )
        if key not in memo:  # the answer is only read by its callers (matplotlib 3.11)
            memo[key] = layout(self, renderer)
        return memo[key]

    return remembered


def _remembered_ticks(update: Any) -> Any:  # noqa: ANN401
    """``Axis._update_ticks`` that skips a placement repeating the previous one of its ticker.

    The ticker (locator and formatter; axes that share an axis share it) remembers which axis
    it last placed, at which view limits, axes box and figure resolution, and the ticks it
    returned. The tick positions, the labels, and the formatter's state (offset, order of
    magnitude) are functions of those alone; ticks are only created or re-placed by this call.
    """

    def remembered(self: Any) -> Any:  # noqa: ANN401
        memo = getattr(_memo, "ticks", None)
        if memo is None:
            return update(self)
        key = (
            id(self),
            tuple(self.get_view_interval()),
            self.axes.bbox.bounds,
            self.get_figure(root=True).dpi,
        )
        ticker = (id(self.major), id(self.minor))
        last = memo.get(ticker)
        if last is not None and last[0] == key:
            return list(last[1])
        ticks = update(self)
        memo[ticker] = (key, list(ticks))
        return ticks

    return remembered


@contextlib.contextmanager
def _remembering(fmt: str) -> Iterator[None]:
    """Within one ``savefig`` as ``fmt`` (this thread), keep the texts' sizes and layouts (for
    every figure of one :func:`render_figures` call: the same format and rcParams) and the
    axes' tick placements (for this figure)."""
    _install(fmt)
    names = ("sizes", "layouts", "ticks")
    outer = [getattr(_memo, n, None) for n in names]
    shared = getattr(_memo, "shared", None)
    _memo.sizes, _memo.layouts = shared if shared is not None else ({}, {})
    _memo.ticks = {}
    try:
        yield
    finally:
        for n, v in zip(names, outer, strict=True):
            setattr(_memo, n, v)


@contextlib.contextmanager
def _texts_shared() -> Iterator[None]:
    """The saves inside share their text sizes and layouts (one format, one rcParams)."""
    outer = getattr(_memo, "shared", None)
    _memo.shared = ({}, {})
    try:
        yield
    finally:
        _memo.shared = outer


def render_figures(figures: Figures, fmt: str, dpi: int = DPI) -> list[bytes]:
    """Each figure saved as ``fmt`` (svg, png or pdf), in order."""
    kw = {} if fmt == "svg" else {"dpi": dpi}
    with _texts_shared():
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

"""Saving a report's figures: the same bytes as matplotlib's own ``savefig``, with less work.

``figure_files`` answers savefig's dry draw with the layout alone, measures and lays out each
text once per report, places each axis's ticks once per layout; none of that may change a byte
of a file. These tests compare with a plain ``Figure.savefig`` and count the work done (no timing).
"""

from __future__ import annotations

import io
from collections import Counter

import matplotlib
import pytest
from matplotlib.figure import Figure
from matplotlib.textpath import TextToPath

from psoreg.io import load
from psoreg.outcomes import compute_outcomes
from psoreg.reports import figure_files as ff
from psoreg.reports.figures import km_figure, swimmer_figure, trajectories_figure
from psoreg.reports.figures.style import DPI, RC
from psoreg.reports.identifiers import make_labels
from tests.conftest import CASE_SERIES, VISIT_COHORT


@pytest.fixture(scope="module")
def inputs():  # noqa: ANN201
    out = {}
    for name, path in (("case_series", CASE_SERIES), ("visit_cohort", VISIT_COHORT)):
        cohort = load(path)
        o = compute_outcomes(cohort).table
        out[name] = cohort, o, make_labels(cohort, o, include_identifiers=False)
    return out


def _figures(inputs, name: str = "case_series") -> list[Figure]:  # noqa: ANN001
    """New figures (never saved before) of the kinds a report holds, grouped KM included."""
    cohort, o, labels = inputs[name]
    groups = {str(d): o.drug == d for d in sorted(o.drug.dropna().unique())}
    return [
        swimmer_figure(o, labels),
        trajectories_figure(cohort, o, labels),
        km_figure(o, "pasi75"),
        km_figure(o, "drug_survival", groups),
        km_figure(o, "pasi90", None, 3),
    ]


def _plain(fig: Figure, fmt: str) -> bytes:
    """The figure saved by matplotlib alone, with the settings psoreg saves with."""
    buf = io.BytesIO()
    meta = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}.get(fmt, {})
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format=fmt, metadata=meta, bbox_inches="tight", dpi=DPI)
    return buf.getvalue()


@pytest.mark.parametrize("name", ["case_series", "visit_cohort"])
def test_svg_same_bytes_as_savefig(inputs, name: str) -> None:  # noqa: ANN001
    plain = [_plain(f, "svg") for f in _figures(inputs, name)]
    assert ff.render_figures(_figures(inputs, name), "svg") == plain


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_png_and_pdf_same_bytes_as_savefig(inputs, fmt: str) -> None:  # noqa: ANN001
    plain = [_plain(f, fmt) for f in _figures(inputs, "visit_cohort")[2:4]]
    assert ff.render_figures(_figures(inputs, "visit_cohort")[2:4], fmt) == plain


def test_png_of_every_kind_same_bytes_as_savefig(inputs) -> None:  # noqa: ANN001
    """Word's figures: sizes and layouts shared by the figures of one call, Agg's own dpi."""
    plain = [_plain(f, "png") for f in _figures(inputs)]
    assert ff.render_figures(_figures(inputs), "png") == plain


def test_ticks_placed_once_per_layout_and_texts_laid_out_once(inputs, monkeypatch) -> None:  # noqa: ANN001
    from matplotlib import text as mtext
    from matplotlib.axis import Axis

    placed: Counter = Counter()
    real_locs = Axis.get_majorticklocs

    def counting_locs(self):  # noqa: ANN001, ANN202 - called by each placement of the ticks
        placed[id(self)] += 1
        return real_locs(self)

    monkeypatch.setattr(Axis, "get_majorticklocs", counting_locs)
    laid_out: list[tuple] = []
    real_metrics = mtext._get_text_metrics_with_cache

    def counting_metrics(renderer, text, prop, ismath, dpi):  # noqa: ANN001, ANN202
        laid_out.append((type(renderer), text, prop.copy(), ismath, dpi))
        return real_metrics(renderer, text, prop, ismath, dpi)

    monkeypatch.setattr(mtext, "_get_text_metrics_with_cache", counting_metrics)
    ff.render_figures(_figures(inputs)[1:3], "svg")
    ours_placed, ours_laid_out = sum(placed.values()), len(laid_out)
    placed.clear()
    laid_out.clear()
    for fig in _figures(inputs)[1:3]:
        _plain(fig, "svg")
    assert ours_placed * 3 < sum(placed.values())  # matplotlib alone: about 5 times as many
    assert ours_laid_out * 3 < len(laid_out)
    assert len(set(laid_out)) < len(laid_out)  # the counters see matplotlib's repeated work


def test_each_figure_drawn_once_and_each_text_measured_once(inputs, monkeypatch) -> None:  # noqa: ANN001
    draws = Counter()
    real_draw = Figure.draw

    def counting_draw(self, renderer):  # noqa: ANN001, ANN202
        draws[id(self)] += 1
        return real_draw(self, renderer)

    monkeypatch.setattr(Figure, "draw", counting_draw)
    measured: list[tuple] = []
    real_measure = TextToPath.get_text_width_height_descent

    def counting_measure(self, s, prop, ismath):  # noqa: ANN001, ANN202
        measured.append((s, prop.copy(), ismath))
        return real_measure(self, s, prop, ismath)

    monkeypatch.setattr(TextToPath, "get_text_width_height_descent", counting_measure)
    fig = _figures(inputs)[1]  # the PASI trajectories: two axes, many tick labels
    ff.render_figures([fig], "svg")
    assert draws[id(fig)] == 1  # savefig alone draws it twice (a dry pass, then the output)
    assert measured and len(measured) == len(set(measured))  # alone: each text three times

    draws.clear()
    measured.clear()
    _plain(_figures(inputs)[1], "svg")  # the counters see matplotlib's own work
    assert max(draws.values()) == 2
    assert len(measured) > len(set(measured))


def test_outside_a_psoreg_save_svg_text_is_measured_as_matplotlib_does(inputs, monkeypatch) -> None:  # noqa: ANN001
    ff.render_figures(_figures(inputs)[:1], "svg")  # installs the per-save memo
    calls = []
    real_measure = TextToPath.get_text_width_height_descent
    monkeypatch.setattr(
        TextToPath,
        "get_text_width_height_descent",
        lambda self, *a: calls.append(a) or real_measure(self, *a),
    )
    fig = Figure()
    fig.text(0.5, 0.5, "psoreg")
    fig.savefig(io.BytesIO(), format="svg")
    fig.savefig(io.BytesIO(), format="svg")
    assert sum(1 for a in calls if a[0] == "psoreg") >= 2  # nothing remembered between saves


def test_write_figures_one_format_at_a_time(inputs, tmp_path) -> None:  # noqa: ANN001
    figs = _figures(inputs)[2:4]
    with pytest.raises(ValueError, match="one format at a time"):
        ff.write_figures(figs, [tmp_path / "a.svg", tmp_path / "b.pdf"])
    paths = ff.write_figures(figs, [tmp_path / "a.svg", tmp_path / "b.svg"])
    assert [p.read_bytes() for p in paths] == [_plain(f, "svg") for f in _figures(inputs)[2:4]]

"""Shared figure style: Okabe–Ito colour-blind-safe palette, journal sizes, count labels.

Palette: Okabe M, Ito K. Color Universal Design (2008), https://jfly.uni-koeln.de/color/ –
distinguishable with the common colour-vision deficiencies. Its yellow (#F0E442) is left out: on
white it is nearly invisible and prints as the palest grey. Every series also has its own line
style and marker (:data:`SERIES_STYLES`), so a figure printed in greyscale keeps its series
apart. PDF output embeds TrueType fonts (``pdf.fonttype`` 42, never Type 3) and raster output
is 300 dpi.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from dataclasses import dataclass  # noqa: E402

from matplotlib.figure import Figure  # noqa: E402

OKABE_ITO = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#000000",  # black
]
GREY = "#777777"

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "psoreg",
    "svg.fonttype": "none",
    "pdf.fonttype": 42,  # TrueType, not Type 3 (journals refuse Type 3)
    "ps.fonttype": 42,
    "savefig.dpi": 300,
}

#: Raster resolution of PNG figures (Word, screenshots), dots per inch.
DPI = 300


@dataclass(frozen=True)
class SeriesStyle:
    """How one series is drawn: colour, and a line style and marker that survive greyscale."""

    colour: str
    linestyle: object
    marker: str


#: One style per series, in order: colour, dash pattern and marker all differ, so neighbouring
#: series differ in at least two ways without colour.
SERIES_STYLES: list[SeriesStyle] = [
    SeriesStyle(OKABE_ITO[0], "-", "o"),
    SeriesStyle(OKABE_ITO[5], (0, (5, 2)), "s"),
    SeriesStyle(OKABE_ITO[6], (0, (1, 1.5)), "^"),
    SeriesStyle(OKABE_ITO[2], (0, (6, 2, 1, 2)), "D"),
    SeriesStyle(OKABE_ITO[3], (0, (3, 1.5, 1, 1.5, 1, 1.5)), "v"),
    SeriesStyle(OKABE_ITO[1], (0, (8, 3)), "P"),
    SeriesStyle(OKABE_ITO[4], (0, (2, 2)), "X"),
    SeriesStyle(OKABE_ITO[0], (0, (4, 1, 1, 1, 1, 1)), "*"),
    SeriesStyle(OKABE_ITO[5], (0, (1, 3)), "h"),
    SeriesStyle(OKABE_ITO[6], (0, (7, 1.5, 2, 1.5)), "<"),
]

#: Bar hatching per group (swimmer plot by drug), so bars differ without colour too.
HATCHES = ["", "////", "....", "xxxx", "\\\\", "++++", "oo", "----"]

#: Double-column journal width, inches (about 174 mm).
WIDTH = 6.85


def new_figure(height: float, width: float = WIDTH) -> Figure:
    """A figure not attached to pyplot's state (no GUI, nothing leaks between reports)."""
    matplotlib.rcParams.update(RC)
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def colours(keys: list[str]) -> dict[str, str]:
    """A stable Okabe–Ito colour per key (in the order given)."""
    return {k: OKABE_ITO[i % len(OKABE_ITO)] for i, k in enumerate(keys)}


def count_label(k: int, suppress_below: int | None) -> str:
    """A count for a figure label, '<K' when under the suppression threshold."""
    if suppress_below and suppress_below > 1 and k < suppress_below:
        return f"<{suppress_below}"
    return str(k)

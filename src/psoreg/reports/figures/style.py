"""Shared figure style: Okabe–Ito colour-blind-safe palette, journal sizes, count labels.

Palette: Okabe M, Ito K. Color Universal Design (2008), https://jfly.uni-koeln.de/color/ –
distinguishable with the common colour-vision deficiencies; markers also differ in shape, so
nothing relies on colour alone.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

OKABE_ITO = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
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
}

#: Double-column journal width, inches (about 174 mm).
WIDTH = 6.85


def new_figure(height: float, width: float = WIDTH) -> Figure:
    """A figure not attached to pyplot's state (no GUI, nothing leaks between reports)."""
    matplotlib.rcParams.update(RC)
    return Figure(figsize=(width, height), dpi=150, layout="constrained")


def colours(keys: list[str]) -> dict[str, str]:
    """A stable Okabe–Ito colour per key (in the order given)."""
    return {k: OKABE_ITO[i % len(OKABE_ITO)] for i, k in enumerate(keys)}


def count_label(k: int, suppress_below: int | None) -> str:
    """A count for a figure label, '<K' when under the suppression threshold."""
    if suppress_below and suppress_below > 1 and k < suppress_below:
        return f"<{suppress_below}"
    return str(k)

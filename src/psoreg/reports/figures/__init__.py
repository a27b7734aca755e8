"""Journal figures (matplotlib, Agg backend): swimmer plot, PASI trajectories, Kaplan–Meier.

Each function returns a ``matplotlib.figure.Figure`` so tests (and a web page) can inspect
what is drawn; artists carry ``gid``/labels naming what they show.
"""

from psoreg.reports.figures.km import KM_ENDPOINTS, km_figure
from psoreg.reports.figures.swimmer import swimmer_figure
from psoreg.reports.figures.trajectories import trajectories_figure

__all__ = ["KM_ENDPOINTS", "km_figure", "swimmer_figure", "trajectories_figure"]

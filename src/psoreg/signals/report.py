"""Signal tables (CSV, XLSX, HTML) and the forest plot of ROR and IC across drugs.

Every output names the signal rules and the data version beside the numbers: CSV and XLSX as
the ``signal_rules`` and ``data_version`` columns of every row (XLSX also on an "About" sheet),
HTML in a header block above the table.

The forest plot draws, per drug, the ROR (log scale, filled squares) and the IC (open circles)
with their 95 % intervals in two panels; a drug meeting a rule is labelled in bold with a
marker ``*``. Markers differ in shape and fill, so the figure reads in greyscale.
"""

from __future__ import annotations

import html
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from psoreg.errors import PsoregError
from psoreg.signals.analysis import SignalResult

__all__ = ["FORMATS", "forest_plot", "write_signal_table", "html_table", "fmt_ci"]

FORMATS = (".csv", ".xlsx", ".html")

_SHOW = [
    ("drug", "Drug"), ("event", "Event"), ("event_type", "Type"), ("a", "a"), ("b", "b"),
    ("c", "c"), ("d", "d"), ("expected", "E"), ("prr", "PRR (95% CI)"),
    ("chi2_yates", "χ² Yates"), ("ror", "ROR (95% CI)"), ("ic", "IC (IC025–IC975)"),
    ("ebgm", "EBGM (EB05–EB95)"), ("signals", "Signals"),
]  # fmt: skip


def _num(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    if math.isinf(x):
        return "∞"
    return f"{x:.{digits}f}"


def fmt_ci(point: float, lo: float, hi: float, digits: int = 2) -> str:
    """``1.23 (0.45–6.78)``; NA where undefined."""
    return f"{_num(point, digits)} ({_num(lo, digits)}–{_num(hi, digits)})"


def _signals(row: pd.Series) -> str:
    names = [n for n, k in (("PRR", "signal_prr"), ("IC", "signal_ic"), ("MGPS", "signal_mgps"))
             if bool(row[k])]  # fmt: skip
    return ", ".join(names) or "none"


def display_rows(table: pd.DataFrame) -> list[list[str]]:
    out = []
    for _, r in table.iterrows():
        out.append([
            str(r.drug), str(r.event), str(r.event_type), f"{r.a:,}", f"{r.b:,}", f"{r.c:,}",
            f"{r.d:,}", _num(r.expected, 3), fmt_ci(r.prr, r.prr_lo, r.prr_hi),
            _num(r.chi2_yates), fmt_ci(r.ror, r.ror_lo, r.ror_hi), fmt_ci(r.ic, r.ic025, r.ic975),
            fmt_ci(r.ebgm, r.eb05, r.eb95), _signals(r),
        ])  # fmt: skip
    return out


def html_table(result: SignalResult, forest_svg: str | None = None, title: str = "") -> str:
    """A self-contained HTML page: rules and data version, the table, the forest plot."""
    e = html.escape
    about = result.about()
    head = "".join(f"<th>{e(h)}</th>" for _, h in _SHOW)
    rows = display_rows(result.table)
    signal = ' class="signal"'
    body = "\n".join(
        f"<tr{signal if r[-1] != 'none' else ''}>"
        + "".join(f"<td>{e(c)}</td>" for c in r)
        + "</tr>"
        for r in rows
    )
    notes = "".join(f"<li>{e(n)}</li>" for n in about["notes"])
    hyper = about["mgps_hyperparameters"]
    hyper_text = (
        "α1 {alpha1:.6g}, β1 {beta1:.6g}, α2 {alpha2:.6g}, β2 {beta2:.6g}, P {p:.6g}".format(
            **hyper
        )
        if hyper
        else "not fitted"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title or "psoreg signal table")}</title>
<style>body{{font-family:sans-serif;margin:1.5em}}
table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #999;padding:3px 6px;text-align:right}}
td:nth-child(-n+3),th{{text-align:left}}
tr.signal td{{font-weight:bold}}.about{{background:#f4f4f4;padding:.6em 1em;font-size:13px}}</style>
</head><body>
<h1>{e(title or "Disproportionality: signal table")}</h1>
<div class="about">
<p><b>Signal rules:</b> {e(about["signal_rules"])}</p>
<p><b>Data version:</b> {e(about["data_version"])}</p>
<p><b>Options:</b> {e(about["options"])}; population {about["population_reports"]:,} reports</p>
<p><b>MGPS prior:</b> {e(hyper_text)}</p>
<ul>{notes}</ul>
</div>
<table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table>
<p>a = reports with drug and event; b = drug, other events; c = event, other drugs; d = neither;
E = expected a. Bold rows meet at least one rule. NA: undefined (a zero cell).</p>
{forest_svg or ""}
</body></html>
"""


def write_signal_table(result: SignalResult, path: Path, forest: bool = True) -> Path:
    """Write the table as .csv, .xlsx or .html (by suffix)."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise PsoregError(f"--out: got {path.name!r}; expected a file ending {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    table = result.table
    if suffix == ".csv":
        table.to_csv(path, index=False)
    elif suffix == ".xlsx":
        about = result.about()
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            table.to_excel(xl, sheet_name="signals", index=False)
            rows = [(k, str(v)) for k, v in about.items() if k != "notes"]
            rows += [("note", n) for n in about["notes"]]
            pd.DataFrame(rows, columns=["item", "value"]).to_excel(
                xl, sheet_name="About", index=False
            )
    else:
        svg = None
        if forest and table["drug"].nunique() > 1:
            buf = io.StringIO()
            fig = forest_plot(result)
            if fig is not None:
                fig.savefig(buf, format="svg", bbox_inches="tight")
                import matplotlib.pyplot as plt

                plt.close(fig)
                svg = buf.getvalue()
                svg = svg[svg.find("<svg") :]
        path.write_text(html_table(result, svg), encoding="utf-8")
    return path


def forest_plot(result: SignalResult, event: str | None = None):  # noqa: ANN201 - a Figure
    """ROR and IC with 95 % intervals, one row per drug, for one event (default: the first
    group of the table, else its first event). Returns a matplotlib Figure or None."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = result.table
    if t.empty:
        return None
    if event is None:
        groups = t[t.event_type != "PT"]
        event = str((groups if not groups.empty else t).event.iloc[0])
    rows = t[t.event == event].sort_values("ror", ascending=True, na_position="first")
    if rows.empty:
        raise PsoregError(f"forest plot: no rows for event {event!r}")
    n = len(rows)
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(9, 1.2 + 0.42 * n), sharey=True, gridspec_kw={"wspace": 0.08}
    )
    y = np.arange(n)
    finite = rows[["ror_lo", "ror_hi"]].replace([np.inf, -np.inf], np.nan).stack()
    finite = finite[finite > 0]
    lo_lim = max(min(finite.min() if len(finite) else 0.1, 0.5) / 1.5, 1e-3)
    hi_lim = max(finite.max() if len(finite) else 10, 2) * 1.5
    for i, r in enumerate(rows.itertuples()):
        if np.isfinite(r.ror_lo) and np.isfinite(r.ror_hi):
            ax1.plot([r.ror_lo, r.ror_hi], [i, i], color="black", lw=1.4)
        if np.isfinite(r.ror) and r.ror > 0:
            ax1.plot(r.ror, i, marker="s", color="black", ms=7, ls="none")
        else:
            ax1.text(lo_lim * 1.1, i, "ROR NA" if not np.isfinite(r.ror) else "ROR 0",
                     va="center", fontsize=8, color="0.3")  # fmt: skip
        ax2.plot([r.ic025, r.ic975], [i, i], color="0.35", lw=1.4, ls="--")
        ax2.plot(r.ic, i, marker="o", mfc="white", mec="black", mew=1.4, ms=7, ls="none")
    ax1.set_xscale("log")
    ax1.set_xlim(lo_lim, hi_lim)
    ax1.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax1.axvline(1, color="0.5", lw=0.8)
    ax2.axvline(0, color="0.5", lw=0.8)
    ax1.set_xlabel("ROR (95% CI), log scale  ■")
    ax2.set_xlabel("IC (IC025–IC975)  ○")
    labels = []
    for r in rows.itertuples():
        flag = r.signal_prr or r.signal_ic or r.signal_mgps
        labels.append(f"{r.drug} (a={r.a:,})" + (" *" if flag else ""))
    ax1.set_yticks(y, labels)
    for tick, r in zip(ax1.get_yticklabels(), rows.itertuples(), strict=True):
        if r.signal_prr or r.signal_ic or r.signal_mgps:
            tick.set_fontweight("bold")
    ax1.set_ylim(-0.7, n - 0.3)
    fig.suptitle(f"{event}: disproportionality by drug", fontsize=11)
    height = fig.get_figheight()
    fig.subplots_adjust(bottom=min(0.6, 1.1 / height), top=1 - min(0.3, 0.45 / height))
    fig.text(
        0.01, 0.01,
        "* meets a signal rule. " + result.rules + "\nData: " + result.data_version,
        fontsize=6.5, wrap=True, va="bottom",
    )  # fmt: skip
    return fig

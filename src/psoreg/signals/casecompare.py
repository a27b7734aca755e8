"""A recorded case beside the spontaneous reports: its drug × event disproportionality.

``psoreg cases compare CASE --faers STORE`` and ``psoreg cases draft CASE --faers STORE`` use
this. The case's suspect drugs are crossed with the PT that names its morphology
(``psoreg/data/signals/morphology_pts.csv``), the pustular group when the eruption is pustular,
and the curated psoriasis family. Nothing here knows about the case library: it takes the
drug names and morphologies, and returns rows and one discussion sentence.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from psoreg.signals.analysis import SignalOptions, SignalResult, run_signals
from psoreg.signals.events import EventSpec, load_groups, resolve_events
from psoreg.signals.report import fmt_ci

__all__ = ["PopulationView", "case_population", "morphology_pts", "render_population"]


def morphology_pts() -> dict[str, str]:
    text = resources.files("psoreg.data").joinpath("signals/morphology_pts.csv").read_text()
    rows = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return {r["morphology"]: r["pt"] for r in csv.DictReader(io.StringIO("\n".join(rows)))}


@dataclass
class PopulationView:
    result: SignalResult
    drugs: tuple[str, ...]
    events: tuple[str, ...]

    def rows(self) -> list[dict[str, object]]:
        out = []
        for r in self.result.table.itertuples():
            flags = [n for n, f in (("PRR", r.signal_prr), ("IC", r.signal_ic),
                                    ("MGPS", r.signal_mgps)) if f]  # fmt: skip
            out.append({
                "drug": r.drug, "event": r.event, "event_type": r.event_type, "reports": int(r.a),
                "expected": round(float(r.expected), 3),
                "ror": fmt_ci(r.ror, r.ror_lo, r.ror_hi), "prr": fmt_ci(r.prr, r.prr_lo, r.prr_hi),
                "ic": fmt_ci(r.ic, r.ic025, r.ic975), "ebgm": fmt_ci(r.ebgm, r.eb05, r.eb95),
                "signals": ", ".join(flags) or "none",
            })  # fmt: skip
        return out

    def sentence(self) -> str:
        """One sentence for the CARE draft's discussion (the first drug, its specific PT)."""
        t = self.result.table
        first = t[(t.drug == self.drugs[0]) & (t.event_type == "PT")]
        fam = t[(t.drug == self.drugs[0]) & (t.event == "psoriasis-family")]
        parts = []
        for label, rows in (("", first), ("the psoriasis family of PTs", fam)):
            if rows.empty:
                continue
            r = rows.iloc[0]
            flags = [n for n, f in (("PRR", r.signal_prr), ("IC", r.signal_ic),
                                    ("MGPS", r.signal_mgps)) if f]  # fmt: skip
            verdict = (f"a disproportionality signal by {', '.join(flags)}" if flags
                       else "no disproportionality signal")  # fmt: skip
            parts.append(
                f"{int(r.a):,} report(s) named {r.drug} with {label or r.event} "
                f"(expected {r.expected:.1f}; ROR {fmt_ci(r.ror, r.ror_lo, r.ror_hi)}, "
                f"IC025 {r.ic025:.2f}, EB05 {r.eb05:.2f}): {verdict}"
            )
        if not parts:
            return ""
        return (
            "In the FDA Adverse Event Reporting System ("
            + self.result.data_version.split("; built")[0]
            + "; suspect roles "
            + self.result.options.roles
            + "), "
            + "; ".join(parts)
            + f". Signal rules: {self.result.rules}. Spontaneous reports cannot show causation "
            "or incidence; disproportionality only flags an association worth study."
        )


def case_population(
    drugs: Sequence[str],
    morphologies: Sequence[str],
    psoriatic_arthritis: bool,
    store: Path,
    options: SignalOptions | None = None,
) -> PopulationView:
    """Disproportionality of the case's drugs × its event PTs and groups on ``store``."""
    pts = morphology_pts()
    wanted = [pts[m] for m in morphologies if m in pts]
    if psoriatic_arthritis:
        wanted.append(pts["psoriatic arthritis"])
    if not wanted:
        wanted = ["Psoriasis"]
    wanted = list(dict.fromkeys(wanted))
    groups = ["psoriasis-family"]
    if any("pustul" in m for m in morphologies):
        groups.insert(0, "psoriasis-pustular")
    specs: list[EventSpec] = resolve_events(wanted, groups, load_groups())
    result = run_signals(store, list(drugs), specs, options or SignalOptions())
    return PopulationView(result, tuple(result.table.drug.unique()), tuple(wanted + groups))


def render_population(view: PopulationView, fmt: str) -> str:
    """The population block in the comparison's format (appended after the literature)."""
    rows = view.rows()
    cols = ["drug", "event", "reports", "expected", "ror", "ic", "ebgm", "signals"]
    heads = ["Drug", "Event", "Reports (a)", "Expected", "ROR (95% CI)", "IC (IC025–IC975)",
             "EBGM (EB05–EB95)", "Signals"]  # fmt: skip
    about = view.result.about()
    if fmt == "json":
        return json.dumps({"faers": {"rows": rows, **about}}, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([*cols, "signal_rules", "data_version"])
        for r in rows:
            w.writerow([*(r[c] for c in cols), about["signal_rules"], about["data_version"]])
        return buf.getvalue()
    if fmt == "md":
        lines = ["", "### Population view: FAERS disproportionality", "",
                 "| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]  # fmt: skip
        lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
        lines += [
            "",
            f"- **Signal rules:** {about['signal_rules']}",
            f"- **Data version:** {about['data_version']}",
            "",
            view.sentence(),
            "",
        ]
        return "\n".join(lines)
    if fmt == "html":
        import html as h

        e = h.escape
        body = "".join("<tr>" + "".join(f"<td>{e(str(r[c]))}</td>" for c in cols) + "</tr>"
                       for r in rows)  # fmt: skip
        return (
            "<h3>Population view: FAERS disproportionality</h3><table><thead><tr>"
            + "".join(f"<th>{e(x)}</th>" for x in heads)
            + f"</tr></thead><tbody>{body}</tbody></table>"
            + f"<p><b>Signal rules:</b> {e(about['signal_rules'])}</p>"
            + f"<p><b>Data version:</b> {e(about['data_version'])}</p><p>{e(view.sentence())}</p>\n"
        )
    from psoreg.cases.render import text_table

    table = text_table(heads, [[str(r[c]) for c in cols] for r in rows],
                       [14, 24, 8, 8, 22, 22, 22, 14])  # fmt: skip
    return (
        "\nPopulation view: FAERS disproportionality\n\n" + table + "\n\n"
        f"  Signal rules: {about['signal_rules']}\n  Data version: {about['data_version']}\n\n"
        f"{view.sentence()}\n"
    )

"""Events: single MedDRA Preferred Terms, or named groups of them.

psoreg ships no MedDRA hierarchy (it is licensed). It ships only a curated list of PT *names*
(``psoreg/data/signals/event_groups.csv``): the psoriasis family of the pharmacovigilance
README, with the pustular forms as a group of their own. A user adds groups with a CSV file of
the same columns (``group,pt,label``).

A licensed user may point ``meddra=DIR`` at a MedDRA ASCII release (``mdhier.asc``, optionally
``llt.asc`` and ``meddra_release.asc``). Then an event may also be named ``HLT:<name>``,
``HLGT:<name>`` or ``SOC:<name>`` (all PTs below it), Lowest Level Terms in the reports count
as their PT, and the MedDRA version is recorded in every output. Matching ignores case.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from psoreg.errors import PsoregError

__all__ = ["EventGroups", "EventSpec", "Meddra", "load_groups", "load_meddra", "resolve_events"]


def key(pt: str) -> str:
    """The matching key of a PT: lower case, single spaces."""
    return " ".join(pt.lower().split())


@dataclass(frozen=True)
class EventSpec:
    """One event of a query: a PT, a curated/user group, or a MedDRA level's PTs."""

    name: str
    kind: str  # "PT", "group", "HLT", "HLGT", "SOC"
    pts: tuple[str, ...]  # matching keys
    label: str = ""


@dataclass
class EventGroups:
    groups: dict[str, list[str]] = field(default_factory=dict)  # group -> PT keys
    labels: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def add_csv(self, text: str, where: str) -> None:
        rows = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        reader = csv.DictReader(io.StringIO("\n".join(rows)))
        if reader.fieldnames is None or not {"group", "pt"} <= set(reader.fieldnames):
            raise PsoregError(f"{where}: needs columns group,pt (optional: label)")
        for i, row in enumerate(reader, start=2):
            g, pt = (row.get("group") or "").strip().lower(), (row.get("pt") or "").strip()
            if not g or not pt:
                raise PsoregError(f"{where}: row {i}: group and pt must both be given")
            members = self.groups.setdefault(g, [])
            if key(pt) not in members:
                members.append(key(pt))
            if (row.get("label") or "").strip():
                self.labels[g] = row["label"].strip()
        self.sources.append(where)


def load_groups(user_file: Path | None = None) -> EventGroups:
    groups = EventGroups()
    text = resources.files("psoreg.data").joinpath("signals/event_groups.csv").read_text()
    groups.add_csv(text, "psoreg/data/signals/event_groups.csv")
    if user_file is not None:
        if not user_file.exists():
            raise PsoregError(f"{user_file}: event groups file not found")
        groups.add_csv(user_file.read_text(encoding="utf-8"), str(user_file))
    return groups


@dataclass
class Meddra:
    """A user-supplied MedDRA release (never shipped): PT names, LLT -> PT, levels -> PTs."""

    version: str
    folder: str
    pt_names: dict[str, str]  # key -> official PT name
    llt_to_pt: dict[str, str]  # LLT key -> PT key
    levels: dict[str, dict[str, set[str]]]  # "HLT"/"HLGT"/"SOC" -> name key -> PT keys


def load_meddra(folder: Path) -> Meddra:
    """Read ``mdhier.asc`` (and ``llt.asc``, ``meddra_release.asc`` when present)."""
    files = {p.name.lower(): p for p in folder.iterdir()} if folder.is_dir() else {}
    hier = files.get("mdhier.asc")
    if hier is None:
        raise PsoregError(f"{folder}: not a MedDRA ASCII release (no mdhier.asc)")
    pt_names: dict[str, str] = {}
    levels: dict[str, dict[str, set[str]]] = {"HLT": {}, "HLGT": {}, "SOC": {}}
    pt_codes: dict[str, str] = {}
    for i, line in enumerate(hier.read_text(encoding="latin-1").splitlines(), start=1):
        f = line.split("$")
        if len(f) < 8:
            raise PsoregError(f"{hier}: line {i}: expected at least 8 '$'-separated fields")
        pt_code, pt, hlt, hlgt, soc = f[0], f[4], f[5], f[6], f[7]
        k = key(pt)
        pt_names[k] = pt
        pt_codes[pt_code] = k
        for level, name in (("HLT", hlt), ("HLGT", hlgt), ("SOC", soc)):
            levels[level].setdefault(key(name), set()).add(k)
    llt_to_pt: dict[str, str] = {}
    llt = files.get("llt.asc")
    if llt is not None:
        for line in llt.read_text(encoding="latin-1").splitlines():
            f = line.split("$")
            if len(f) >= 3 and f[2] in pt_codes:
                llt_to_pt[key(f[1])] = pt_codes[f[2]]
    version = "unknown"
    rel = files.get("meddra_release.asc")
    if rel is not None:
        first = rel.read_text(encoding="latin-1").split("$")
        version = first[0].strip() or version
    return Meddra(version, str(folder), pt_names, llt_to_pt, levels)


def resolve_events(
    events: list[str],
    group_names: list[str],
    groups: EventGroups,
    meddra: Meddra | None = None,
) -> list[EventSpec]:
    """The events of a query, each with its PT keys. Unknown group or level names raise."""
    out: list[EventSpec] = []
    for e in events:
        level, _, name = e.partition(":")
        if name and level.upper() in ("HLT", "HLGT", "SOC"):
            if meddra is None:
                raise PsoregError(
                    f"--event {e!r}: {level.upper()} needs a MedDRA folder (--meddra)"
                )
            pts = meddra.levels[level.upper()].get(key(name))
            if not pts:
                raise PsoregError(f"--event {e!r}: no {level.upper()} of that name in MedDRA")
            out.append(EventSpec(name, level.upper(), tuple(sorted(pts))))
            continue
        k = key(e)
        if meddra is not None:
            k = meddra.llt_to_pt.get(k, k)
            display = meddra.pt_names.get(k, e)
        else:
            display = e
        out.append(EventSpec(display, "PT", (k,)))
    for g in group_names:
        gk = g.strip().lower()
        if gk not in groups.groups:
            raise PsoregError(
                f"--group {g!r}: unknown group; known: {', '.join(sorted(groups.groups))}"
            )
        out.append(EventSpec(gk, "group", tuple(groups.groups[gk]), groups.labels.get(gk, "")))
    return out

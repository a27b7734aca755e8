"""REDCap calculated fields for the scores psoreg computes, in REDCap's own calc syntax.

Each expression is generated from psoreg's calculators, so REDCap and psoreg cannot disagree:

* **PASI** (Feldman & Krueger 2005; :mod:`psoreg.scores.pasi`): the region weights in tenths
  (head 1, upper limbs 2, trunk 3, lower limbs 4), the area score from the area percentage by
  the half-open bands of :func:`psoreg.scores.area_score` (0 only for exactly 0 %), summed in
  integers and divided by 10 once, as psoreg does, then ``round(…, 1)``. Empty until all 16
  grid fields hold numbers.
* **DLQI** (Finlay & Khan 1994, Cardiff rules; :mod:`psoreg.scores.dlqi`): answers are coded
  3/2/1/0 and ``nr`` (not relevant, scores 0); one unanswered item scores 0, two or more leave
  the total empty. Item 7's "yes" is coded 3. A calc field cannot reject a malformed answer;
  psoreg's import does.
* **Naranjo** (Naranjo 1981; :mod:`psoreg.cases.naranjo`): the points of each answer summed;
  empty when no item is answered.
"""

from __future__ import annotations

from psoreg.cases.naranjo import NARANJO_ITEMS
from psoreg.scores import PASI_REGIONS, PASI_WEIGHTS, area_score

SIGNS = ("erythema", "induration", "desquamation")


def _area_edges() -> list[tuple[int, int]]:
    """(lowest whole percent, area score) of scores 2..6, read off psoreg's own area_score."""
    edges: dict[int, int] = {}
    for pct in range(1, 101):
        edges.setdefault(area_score(pct), pct)
    return [(edges[s], s) for s in sorted(edges) if s >= 2]


def area_expression(field: str) -> str:
    """Area score 0-6 of ``[field]`` (percent), nested ``if`` over psoreg's bands."""
    expr = "1"
    for edge, score in _area_edges():
        expr = f"if([{field}]<{edge}, {expr}, {score})"
    return f"if([{field}]=0, 0, {expr})"


def pasi_expression() -> str:
    fields = [f"{r}_{s}" for r in PASI_REGIONS for s in (*SIGNS, "area_percent")]
    guard = " and ".join(f"isnumber([{f}])" for f in fields)
    terms = []
    for region in PASI_REGIONS:
        tenths = round(PASI_WEIGHTS[region] * 10)
        signs = "+".join(f"[{region}_{s}]" for s in SIGNS)
        terms.append(f"{tenths}*({area_expression(f'{region}_area_percent')})*({signs})")
    return f"if({guard}, round(({' + '.join(terms)})/10, 1), '')"


def dlqi_expression(prefix: str = "dlqi_") -> str:
    items = [f"{prefix}{n}" for n in range(1, 11)]
    missing = " + ".join(f"if([{f}]='', 1, 0)" for f in items)
    total = " + ".join(f"if(isnumber([{f}]), [{f}], 0)" for f in items)
    return f"if(({missing})>=2, '', {total})"


def naranjo_expression(fields: list[str]) -> str:
    """Naranjo score of the radio fields ``fields`` (items 1-10 in order, coded yes/no/unknown)."""
    if len(fields) != len(NARANJO_ITEMS):
        raise ValueError(f"expected {len(NARANJO_ITEMS)} Naranjo fields, got {len(fields)}")
    blank = " + ".join(f"if([{f}]='', 1, 0)" for f in fields)
    points = " + ".join(
        f"if([{f}]='yes', {i.yes}, if([{f}]='no', {i.no}, {i.unknown}))"
        for f, i in zip(fields, NARANJO_ITEMS, strict=True)
    )
    return f"if(({blank})={len(fields)}, '', {points})"

"""The analyst's disproportionality page: ``/signals`` runs ``psoreg signals`` on an ingested
FAERS store (``$PSOREG_FAERS_STORE``, else ``./faers-store``; ``app.state.faers_store`` wins).

The store holds public FAERS data only, so every logged-in role may use it; queries are GET
requests (nothing changes), and the same query downloads as CSV or Excel.
"""

from __future__ import annotations

import base64
import io
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from psoreg.errors import PsoregError
from psoreg.store.service import Actor
from psoreg.web.app import current_actor, render

router = APIRouter()
ActorDep = Annotated[Actor, Depends(current_actor)]


def _store(request: Request) -> Path:
    from psoreg.signals.cli import STORE_ENV

    given = getattr(request.app.state, "faers_store", None)
    return Path(given or os.environ.get(STORE_ENV, "faers-store"))


def _split(text: str) -> list[str]:
    return [x.strip() for x in text.replace(";", ",").split(",") if x.strip()]


def _run(request: Request, q: dict[str, Any]) -> Any:
    from psoreg.signals.analysis import SignalOptions, run_signals
    from psoreg.signals.events import load_groups, resolve_events

    options = SignalOptions(
        roles=q["roles"],
        period=(q["period_from"].strip().upper() or None, q["period_to"].strip().upper() or None),
        controls=tuple(_split(q["controls"])),
        stratify=tuple(q["stratify"]),
        mgps=not q["no_mgps"],
        zero_correction=q["zero_correction"],
    )
    specs = resolve_events(_split(q["events"]), list(q["groups"]), load_groups())
    return run_signals(_store(request), _split(q["drugs"]), specs, options)


def _query(
    drugs: str = "",
    events: str = "",
    groups: Annotated[list[str] | None, Query()] = None,
    roles: str = "PS+SS",
    period_from: str = "",
    period_to: str = "",
    controls: str = "",
    stratify: Annotated[list[str] | None, Query()] = None,
    zero_correction: str = "none",
    no_mgps: bool = False,
) -> dict[str, Any]:
    return {
        "drugs": drugs, "events": events, "groups": groups or [], "roles": roles,
        "period_from": period_from, "period_to": period_to, "controls": controls,
        "stratify": stratify or [], "zero_correction": zero_correction, "no_mgps": no_mgps,
    }  # fmt: skip


QueryDep = Annotated[dict[str, Any], Depends(_query)]


@router.get("/signals", response_class=HTMLResponse)
def signals_page(request: Request, actor: ActorDep, q: QueryDep) -> Response:
    from psoreg.signals.analysis import ROLES, STRATA
    from psoreg.signals.build import read_summary
    from psoreg.signals.events import load_groups
    from psoreg.signals.report import display_rows, forest_plot

    store = _store(request)
    summary = error = result = svg = None
    try:
        summary = read_summary(store)
    except PsoregError as exc:
        error = str(exc)
    ran = bool(q["drugs"] or q["events"] or q["groups"])
    if summary is not None and ran:
        if not q["drugs"]:
            error = "Name at least one drug (generic or brand), e.g. adalimumab."
        elif not (q["events"] or q["groups"]):
            error = "Name an event (a MedDRA PT such as Psoriasis) or tick a group."
        else:
            try:
                result = _run(request, q)
                if result.table["drug"].nunique() > 1:
                    fig = forest_plot(result)
                    if fig is not None:
                        import matplotlib.pyplot as plt

                        buf = io.StringIO()
                        fig.savefig(buf, format="svg", bbox_inches="tight")
                        plt.close(fig)
                        # an <img> data URI: the page's CSP forbids inline styles, which an
                        # inline matplotlib SVG needs (it rendered black)
                        svg = base64.b64encode(buf.getvalue().encode()).decode()
            except PsoregError as exc:
                error = str(exc)
    rows = display_rows(result.table) if result is not None else []
    query_string = str(request.url.query)
    return render(
        request, "signals.html", actor=actor, q=q, store=str(store), summary=summary,
        error=error, result=result, rows=rows, svg=svg, roles=list(ROLES), strata=STRATA,
        groups=load_groups(), query_string=query_string,
    )  # fmt: skip


@router.get("/signals/export.{fmt}")
def signals_export(request: Request, fmt: str, actor: ActorDep, q: QueryDep) -> Response:
    from psoreg.signals.report import write_signal_table

    if fmt not in ("csv", "xlsx"):
        return Response("format must be csv or xlsx", status_code=404)
    try:
        result = _run(request, q)
    except PsoregError as exc:
        return Response(str(exc), status_code=400, media_type="text/plain")
    with tempfile.TemporaryDirectory() as tmp:
        path = write_signal_table(result, Path(tmp) / f"signals.{fmt}")
        data = path.read_bytes()
    media = "text/csv" if fmt == "csv" else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="signals.{fmt}"'},
    )

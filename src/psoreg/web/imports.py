"""Import of a spreadsheet through the web (``/import``) and the API (``POST /api/import``).

The upload is checked at once (:func:`psoreg.interop.sheets.import_files`, rolled back): every
problem is listed by file, row and column and nothing is kept; or it is kept as a batch
(``import_batches``) and its preview shows what it would add, with one button to import it.
The commit runs the same import again and keeps all of it or nothing; it is audited as one
batch (action ``import``), each record created with the batch named as its reason.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from psoreg.i18n import N_, _
from psoreg.interop.sheets import ImportResult, import_files
from psoreg.store import service, sites
from psoreg.store.errors import NotFound
from psoreg.store.models import ImportBatch, utcnow
from psoreg.store.service import Actor
from psoreg.web.api import scoped
from psoreg.web.app import current_actor, render, store_of
from psoreg.web.security import check_csrf

#: batch statuses as shown (``{{ status|tr }}``)
STATUS_LABELS = (N_("previewed"), N_("committed"), N_("refused"))

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["import"])
ActorDep = Annotated[Actor, Depends(current_actor)]


def _writable_sites(request: Request, actor: Actor) -> list[str]:
    with store_of(request).reader() as s:
        codes = [x.code for x in sites.all_sites(s, active_only=True)]
    allowed = actor.sites_with("records.write")
    return [c for c in codes if allowed is None or c in allowed]


async def _files(request: Request) -> tuple[list[tuple[str, bytes]], dict[str, str]]:
    form = await request.form()
    files, fields = [], {}
    for key, value in form.multi_items():
        if hasattr(value, "read"):
            data = await value.read()
            if data or value.filename:
                files.append((value.filename or "upload", data))
        else:
            fields[key] = str(value)
    return files, fields


def _pack(files: list[tuple[str, bytes]]) -> tuple[list[dict[str, Any]], bytes]:
    return [{"name": n, "size": len(b)} for n, b in files], b"".join(b for _, b in files)


def _unpack(names: list[dict[str, Any]], data: bytes) -> list[tuple[str, bytes]]:
    out, at = [], 0
    for item in names:
        out.append((item["name"], data[at : at + item["size"]]))
        at += item["size"]
    return out


def _page(
    request: Request, actor: Actor, result: ImportResult | None = None,
    batch: int | None = None, status: int = 200, site: str = "",
) -> Response:  # fmt: skip
    return render(
        request,
        "import.html",
        status,
        result=result,
        batch=batch,
        sites=_writable_sites(request, actor),
        site=site,
    )


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, actor: ActorDep) -> Response:
    service.require_write(actor)
    return _page(request, actor)


@router.post("/import", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def upload(request: Request, actor: ActorDep) -> Response:
    """Check the upload (nothing kept); when it is right, keep it for the commit."""
    service.require_write(actor)
    files, fields = await _files(request)
    site = fields.get("site") or None
    result = import_files(store_of(request), actor, files, commit=False, site=site)
    if not result.ok:
        return _page(request, actor, result, status=422, site=site or "")
    names, data = _pack(files)
    choices = _writable_sites(request, actor)
    with store_of(request).session() as s:
        batch = ImportBatch(
            username=actor.username,
            site=site or (choices[0] if choices else sites.DEFAULT_SITE),
            filename=result.filename[:300],
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            status="previewed",
            names=names,
            data=data,
            counts=result.counts,
        )
        s.add(batch)
        s.flush()
        batch_id = batch.id
    return _page(request, actor, result, batch=batch_id, site=site or "")


def _batch(s: Any, actor: Actor, batch_id: int) -> ImportBatch:
    b = s.get(ImportBatch, batch_id)
    if b is None or b.username != actor.username or b.status != "previewed":
        raise NotFound(_("no import {id} waiting for you").format(id=batch_id))
    return b


@router.post("/import/{batch_id}/commit", dependencies=[Depends(check_csrf)])
def commit(request: Request, batch_id: int, actor: ActorDep) -> Response:
    """Import the previewed batch: all of it, or nothing (the problems are listed)."""
    service.require_write(actor)
    store = store_of(request)
    with store.reader() as s:
        b = _batch(s, actor, batch_id)
        files, site = _unpack(b.names or [], b.data or b""), b.site
        chosen = site if len(_writable_sites(request, actor)) > 1 else None
    result = import_files(store, actor, files, commit=True, site=chosen)
    with store.session() as s:
        b = _batch(s, actor, batch_id)
        b.status = "committed" if result.committed else "refused"
        b.counts = result.counts
        b.committed_at = utcnow() if result.committed else None
        b.data = None  # the file is not kept once imported (or refused)
    if not result.committed:
        return _page(request, actor, result, status=422)
    return RedirectResponse(f"/import/{batch_id}", status_code=303)


@router.get("/import/{batch_id}", response_class=HTMLResponse)
def done(request: Request, batch_id: int, actor: ActorDep) -> Response:
    with store_of(request).reader() as s:
        b = s.scalar(
            select(ImportBatch).where(
                ImportBatch.id == batch_id, ImportBatch.username == actor.username
            )
        )
        if b is None:
            raise NotFound(_("no import {id}").format(id=batch_id))
        info = {"filename": b.filename, "status": b.status, "counts": b.counts or {}}
    return render(request, "import_done.html", batch_id=batch_id, info=info)


@api_router.post("/import")
async def api_import(
    request: Request,
    actor: Annotated[Actor, Depends(scoped("write"))],
    commit: bool = False,
    site: str = "",
) -> Any:
    """Upload a workbook (or the tables' CSV files) as multipart ``files``: checked, and with
    ``commit=true`` imported, all or nothing. 200 with the counts; 422 with every problem
    (file, row, column, message) and nothing kept."""
    files, _meta = await _files(request)
    result = import_files(store_of(request), actor, files, commit=commit, site=site or None)
    body = {
        "file": result.filename,
        "committed": result.committed,
        "counts": result.counts,
        "problems": result.problems,
    }
    return JSONResponse(body, status_code=200 if result.ok else 422)


__all__ = ["api_router", "router"]

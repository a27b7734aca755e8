"""The pages a clinic runs the registry with, beside the records themselves.

* ``/restart/{course}``: undo a course's stop (with a reason).
* ``/consent/{patient}``: record, renew or withdraw consent.
* ``/admin/deleted``: deleted records of the administrator's sites, each restorable.
* ``/worklist``: ongoing courses with a dose or visit due or overdue.
* ``/queries``: data queries (raise on any field of any record, assign, answer, close, reopen).
* ``/admin/sites``: sites and users' roles at them.

Every form is CSRF-protected; every change goes through the service layer (validated,
site-checked, audited).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from psoreg.i18n import N_, _
from psoreg.store import queries, schedule, service, sites
from psoreg.store.errors import Conflict, FieldError, Forbidden
from psoreg.store.models import User
from psoreg.store.service import Actor
from psoreg.web import forms
from psoreg.web.admin import require_admin
from psoreg.web.app import current_actor, form_fields, render, secret_of, see_other, store_of
from psoreg.web.present import Lens, record_summary
from psoreg.web.security import check_csrf

router = APIRouter(include_in_schema=False)
ActorDep = Annotated[Actor, Depends(current_actor)]
AdminDep = Annotated[Actor, Depends(require_admin)]
Csrf = [Depends(check_csrf)]


def _reason(data: dict[str, str]) -> str | None:
    return (data.pop("reason", "") or "").strip() or None


# --- undo a stop --------------------------------------------------------------------------------


@router.get("/restart/{pk}", response_class=HTMLResponse)
def restart_form(request: Request, pk: int, actor: ActorDep) -> Response:
    with store_of(request).reader() as s:
        c = service.get(s, "courses", pk, actor)
        service.require_write(actor, c.patient.site)
        ctx = {"summary": record_summary("courses", c), "version": c.version}
        ctx["back"] = f"/patients/{c.patient_pk}"
        ctx["stopped_date"], ctx["stopped_reason"] = c.stop_date, c.stop_reason
    return render(request, "restart.html", pk=pk, error=None, **ctx)


@router.post("/restart/{pk}", dependencies=Csrf)
async def restart(request: Request, pk: int, actor: ActorDep) -> Response:
    data = await form_fields(request)
    try:
        with store_of(request).session() as s:
            c = service.get(s, "courses", pk, actor)
            back = f"/patients/{c.patient_pk}"
            service.restart_course(s, actor, pk, data.get("version"), _reason(data))
    except FieldError as exc:
        msg = "; ".join(f"{lbl}: {m}" for _k, lbl, m in forms.human_errors("courses", exc.errors))
        return render(request, "error.html", 422, title=N_("Stop not undone"), message=msg)
    except (Conflict, StaleDataError):
        return render(
            request, "error.html", 409, title=N_("Stop not undone"),
            message=_("The course was changed by someone else meanwhile: reload it and try "
                      "again."),
        )  # fmt: skip
    return see_other(back)


# --- consent ------------------------------------------------------------------------------------


def _consent_page(
    request: Request, pk: int, values: dict[str, str], version: Any, back: str,
    errors: dict[str, str] | None = None, reason: str | None = None, status: int = 200,
) -> Response:  # fmt: skip
    problems = forms.human_errors("patients", errors or {})
    return render(
        request,
        "form.html",
        status,
        table="patients",
        action=f"/consent/{pk}",
        values=values,
        title=N_("Consent"),
        back=back,
        fields=forms.CONSENT,
        errors={k: m for k, _, m in problems},
        problems=problems,
        conflict=None,
        version=version,
        reason=reason or "",
        diff=[],
    )


@router.get("/consent/{pk}", response_class=HTMLResponse)
def consent_form(request: Request, pk: int, actor: ActorDep) -> Response:
    with store_of(request).reader() as s:
        p = service.get(s, "patients", pk, actor)
        service.require_write(actor, p.site)
        values = {f.name: _plain(getattr(p, f.name)) for f in forms.CONSENT}
        version = p.version
    return _consent_page(request, pk, values, version, f"/patients/{pk}")


def _plain(v: Any) -> str:
    return "" if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v)


@router.post("/consent/{pk}", response_class=HTMLResponse, dependencies=Csrf)
async def consent(request: Request, pk: int, actor: ActorDep) -> Response:
    data = await form_fields(request)
    version, reason = data.pop("version", None), _reason(data)
    values = {f.name: data.get(f.name, "") for f in forms.CONSENT}
    try:
        with store_of(request).session() as s:
            service.record_consent(s, actor, pk, values, version, reason)
    except FieldError as exc:
        return _consent_page(
            request, pk, values, version, f"/patients/{pk}", exc.errors, reason, 422
        )
    return see_other(f"/patients/{pk}")


# --- deleted records: restore -----------------------------------------------------------------


@router.get("/admin/deleted", response_class=HTMLResponse)
def deleted(request: Request, actor: AdminDep) -> Response:
    with store_of(request).reader() as s:
        rows = service.deleted_records(s, actor)
    for r in rows:
        r["what"] = forms.TITLES[r["table"]]
        v = r["values"]
        r["summary"] = v.get("patient_id") or v.get("course_id") or f"{v.get('date')}"
        if r.get("hidden_by") in forms.TITLES:
            r["hidden_by"] = forms.TITLES[r["hidden_by"]]
    return render(request, "deleted.html", rows=rows, error=None)


@router.post("/restore/{table}/{pk}", dependencies=Csrf)
async def restore(request: Request, table: str, pk: int, actor: AdminDep) -> Response:
    data = await form_fields(request)
    try:
        with store_of(request).session() as s:
            row = service.restore(s, actor, table, pk, _reason(data))
            target = f"/patients/{service.patient_pk_of(table, row)}"
    except FieldError as exc:
        msg = "; ".join(f"{lbl}: {m}" for _k, lbl, m in forms.human_errors(table, exc.errors))
        return render(request, "error.html", 422, title=N_("Not restored"), message=msg)
    return see_other(target)


# --- worklist -----------------------------------------------------------------------------------


@router.get("/worklist", response_class=HTMLResponse)
def worklist(request: Request, actor: ActorDep) -> Response:
    with store_of(request).reader() as s:
        items = schedule.worklist(s, actor.site_codes)
        rows = []
        for w in items:
            lens = Lens.of(actor, secret_of(request), w.patient)
            idx = [c.id for c in w.patient.courses].index(w.course.id)
            sc = w.schedule
            rows.append(
                {
                    "patient_pk": w.patient_pk,
                    "patient": lens.pid(),
                    "site": w.patient.site,
                    "course": lens.course_id(w.course, idx),
                    "drug": w.course.drug,
                    "next_dose": lens.date(sc.next_dose),
                    "dose_status": sc.dose_status,
                    "next_visit": lens.date(sc.next_visit),
                    "visit_status": sc.visit_status,
                    "status": sc.status,
                }
            )
    return render(request, "worklist.html", rows=rows)


# --- data queries -------------------------------------------------------------------------------


def _query_fields(table: str) -> list[tuple[str, str]]:
    names = ["record", *service.FIELDS[table]]
    return [(n, forms.label_of(table, n)) for n in names]


@router.get("/queries", response_class=HTMLResponse)
def query_list(request: Request, actor: ActorDep, status: str = "unresolved") -> Response:
    with store_of(request).reader() as s:
        rows = queries.listing(s, actor, status=status or None)
    return render(request, "queries.html", rows=rows, status=status)


@router.get("/queries/new/{table}/{pk}", response_class=HTMLResponse)
def new_query_form(request: Request, table: str, pk: int, actor: ActorDep) -> Response:
    return _new_query_page(request, actor, table, pk, {})


def _new_query_page(
    request: Request, actor: Actor, table: str, pk: int, values: dict[str, str],
    errors: dict[str, str] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    with store_of(request).reader() as s:
        row = service.get(s, table, pk, actor)
        site = service.site_of(table, row)
        if not actor.can_at(site, "queries.raise"):
            raise Forbidden(_("{user} may not raise data queries").format(user=actor.username))
        summary = record_summary(table, row)
        patient_pk = service.patient_pk_of(table, row)
        people = queries.assignable(s, site)
    problems = forms.human_errors(table, errors or {})
    return render(
        request,
        "query_new.html",
        status,
        table=table,
        pk=pk,
        summary=summary,
        fields=_query_fields(table),
        people=people,
        values=values,
        problems=problems,
        back=f"/patients/{patient_pk}",
    )


@router.post("/queries/new/{table}/{pk}", response_class=HTMLResponse, dependencies=Csrf)
async def new_query(request: Request, table: str, pk: int, actor: ActorDep) -> Response:
    data = await form_fields(request)
    try:
        with store_of(request).session() as s:
            q = queries.raise_query(
                s, actor, table, pk, data.get("field", ""), data.get("text"),
                data.get("assigned_to") or None,
            )  # fmt: skip
            qid = q.id
    except FieldError as exc:
        return _new_query_page(request, actor, table, pk, data, exc.errors, 422)
    return see_other(f"/queries/{qid}")


@router.get("/queries/{qid}", response_class=HTMLResponse)
def query_page(request: Request, qid: int, actor: ActorDep) -> Response:
    return _query_page(request, actor, qid)


def _query_page(
    request: Request, actor: Actor, qid: int, error: str | None = None, status: int = 200
) -> Response:
    with store_of(request).reader() as s:
        q = queries.get(s, actor, qid)
        messages = [(m.at, m.username, m.action, m.text) for m in q.messages]
        view = {
            "id": q.id,
            "site": q.site,
            "table": q.table_name,
            "record_pk": q.record_pk,
            "field": forms.label_of(q.table_name, q.field),
            "status": q.status,
            "raised_by": q.raised_by,
            "assigned_to": q.assigned_to,
            "patient_pk": q.patient_pk,
        }
        people = queries.assignable(s, q.site)
        may_answer = actor.can_at(q.site, "records.write")
        may_close = queries._may_close(actor, q)
    return render(
        request,
        "query.html",
        status,
        q=view,
        messages=messages,
        people=people,
        may_answer=may_answer,
        may_close=may_close,
        error=error,
    )


@router.post("/queries/{qid}/{action}", response_class=HTMLResponse, dependencies=Csrf)
async def query_action(request: Request, qid: int, action: str, actor: ActorDep) -> Response:
    data = await form_fields(request)
    steps = {
        "answer": lambda s: queries.answer(s, actor, qid, data.get("text")),
        "close": lambda s: queries.close(s, actor, qid, data.get("text")),
        "reopen": lambda s: queries.reopen(s, actor, qid, data.get("text")),
        "assign": lambda s: queries.assign(s, actor, qid, data.get("assigned_to") or None),
    }
    if action not in steps:
        raise service.NotFound(_("no query action {action}").format(action=action))
    try:
        with store_of(request).session() as s:
            steps[action](s)
    except FieldError as exc:
        msg = "; ".join(f"{forms.label_of('', k)}: {m}" for k, m in exc.errors.items())
        return _query_page(request, actor, qid, msg, 422)
    return see_other(f"/queries/{qid}")


# --- sites --------------------------------------------------------------------------------------


def _sites_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    with store_of(request).reader() as s:
        # plain values: the reader's rollback expires ORM rows before the page is rendered
        listed = [{"code": x.code, "name": x.name, "active": x.active} for x in sites.all_sites(s)]
        counts = sites.patients_per_site(s)
        people = [
            {
                "username": u.username,
                "role": u.role,
                "all_sites": bool(u.all_sites),
                "sites": ", ".join(f"{m.site}:{m.role}" for m in u.sites),
            }
            for u in s.scalars(select(User).order_by(User.username))
        ]
    return render(
        request, "sites.html", status, sites=listed, counts=counts, people=people, error=error
    )


@router.get("/admin/sites", response_class=HTMLResponse)
def sites_page(request: Request, _actor: AdminDep) -> Response:
    return _sites_page(request)


@router.post("/admin/sites", response_class=HTMLResponse, dependencies=Csrf)
async def add_site(request: Request, actor: AdminDep) -> Response:
    data = await form_fields(request)
    try:
        with store_of(request).session() as s:
            sites.add_site(s, data.get("code"), data.get("name"), actor.username, actor.address)
    except FieldError as exc:
        msg = "; ".join(f"{forms.label_of('', k)}: {m}" for k, m in exc.errors.items())
        return _sites_page(request, msg, 422)
    return see_other("/admin/sites")


@router.post("/admin/sites/members", response_class=HTMLResponse, dependencies=Csrf)
async def set_members(request: Request, actor: AdminDep) -> Response:
    data = await form_fields(request)
    try:
        with store_of(request).session() as s:
            user = s.scalar(select(User).where(User.username == data.get("username", "")))
            if user is None:
                raise FieldError({"username": _("no such user")})
            items = [x for x in data.get("sites", "").replace(";", ",").split(",") if x.strip()]
            members = sites.parse_memberships(items, user.role)
            sites.set_memberships(
                s, user.username, members, actor.username,
                all_sites=data.get("all_sites") == "yes", address=actor.address,
            )  # fmt: skip
    except FieldError as exc:
        msg = "; ".join(f"{forms.label_of('', k)}: {m}" for k, m in exc.errors.items())
        return _sites_page(request, msg, 422)
    return see_other("/admin/sites")


__all__ = ["router"]

"""Server-rendered pages: login, patients, the patient timeline, forms (with the conflict
diff), dashboard, exports. Account and administration pages are in :mod:`psoreg.web.admin`."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from psoreg.accounts import sessions, users
from psoreg.i18n import N_, _
from psoreg.store import queries, service, sites
from psoreg.store.errors import Conflict, FieldError
from psoreg.store.inclusion import reason_excluded
from psoreg.store.models import PatientRow
from psoreg.store.outcome_table import (
    dashboard_table,
    patient_outcomes,
    stored_patient_outcomes,
    version_of,
)
from psoreg.store.patient_record import load_record
from psoreg.store.service import Actor
from psoreg.store.validate import DLQI_FIELDS, PASI_FIELDS, REGIONS, SIGNS, pasi_total
from psoreg.web import exports, forms
from psoreg.web.app import (
    current_actor,
    current_actor_async,
    render,
    secret_of,
    see_other,
    store_of,
)
from psoreg.web.charts import timeline_svg
from psoreg.web.language import page_language
from psoreg.web.patient_list import Filters
from psoreg.web.patient_list import patient_page as list_page
from psoreg.web.present import (
    OUTCOME_FLAGS,
    Lens,
    course_view,
    patient_summary,
    record_summary,
)
from psoreg.web.record_rows import row_actions, visit_rows
from psoreg.web.security import check_csrf, client_address

router = APIRouter(include_in_schema=False)  # pages: the API docs list the JSON API


ActorDep = Annotated[Actor, Depends(current_actor)]
AsyncActorDep = Annotated[Actor, Depends(current_actor_async)]
CHILDREN = ("doses", "visits", "events", "relapses")


# --- login -----------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return render(request, "login.html", error=None)


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def login(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    store, address = store_of(request), client_address(request)
    result = users.login(store, username, password, address=address, channel="html")
    if result.blocked:
        minutes = result.retry_after // 60 + 1
        msg = (
            _("Too many failed attempts: try again in {n} minutes.")
            if minutes > 1
            else _("Too many failed attempts: try again in 1 minute.")
        ).format(n=minutes)
        page = render(request, "login.html", 429, error=msg)
        page.headers["Retry-After"] = str(result.retry_after)
        return page
    if not result.ok:
        return render(request, "login.html", 401, error=_("Wrong user name or password."))
    with store.session() as s:
        user = s.get(users.User, result.user_id)
        stored = user.language
        sid = sessions.start(
            s,
            user,
            address=address,
            user_agent=request.headers.get("user-agent"),
            settings=request.app.state.settings.sessions,
        )
    # a new cookie: new session id and new CSRF token (no session fixation)
    chosen = request.session.get("lang")
    request.session.clear()
    request.session["sid"] = sid
    if stored or chosen:  # the user's stored language, else the one chosen before login
        request.session["lang"] = stored or chosen
    return see_other("/patients")


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    sid = request.session.get("sid")
    if sid:
        with store_of(request).session() as s:
            sessions.end(s, sid)
    request.session.clear()
    return see_other("/login")


@router.get("/")
def home() -> Response:
    return see_other("/patients")


# --- patients ----------------------------------------------------------------------------------


@router.get("/patients", response_class=HTMLResponse)
def patient_list(
    request: Request,
    actor: ActorDep,
    q: str = "",
    drug: str = "",
    status: str = "",
    flag: str = "",
    page: int = 1,
) -> Response:
    filters = Filters(q=q, drug=drug, status=status, flag=flag)
    with store_of(request).reader() as s:
        shown = list_page(s, actor, secret_of(request), filters, page)
    ctx = {"rows": shown.rows, "q": q, "drug": drug, "status": status, "flag": flag}
    drugs = [d for d in forms.COURSE[1].choices]
    query = urlencode({k: v for k, v in vars(filters).items() if v})
    return render(
        request, "patients.html", flags=OUTCOME_FLAGS, drugs=drugs, pager=shown, query=query, **ctx
    )


@router.get("/patients/{pk}", response_class=HTMLResponse)
async def patient_page(request: Request, pk: int, actor: AsyncActorDep) -> Response:
    """The patient's record: a few milliseconds of Core reads and rendering, run on the event
    loop (a thread-pool hop for the page and another for the user cost more than the page,
    and threads only take turns at the GIL). A patient whose outcomes are not stored (consent
    withdrawn, or not yet refreshed) has them computed by the engine, in the thread pool."""
    from starlette.concurrency import run_in_threadpool

    ctx = _patient_context(request, pk, actor, compute=False)
    if ctx is None:
        ctx = await run_in_threadpool(_patient_context, request, pk, actor, compute=True)
    return render(request, "patient.html", **ctx)


def _patient_context(
    request: Request, pk: int, actor: Actor, *, compute: bool
) -> dict[str, Any] | None:
    """What patient.html shows of patient ``pk`` (None: an outcome must be computed and
    ``compute`` is false)."""
    store = store_of(request)
    with store.prepared_reader() as reader:  # Core reads: the page only shows the record
        p = load_record(reader, pk, actor.site_codes)
        if p is None:
            raise service.NotFound(f"no patient {pk}")
        course_pks = [c.id for c in p.courses]
        version = version_of(store.options)
        records = stored_patient_outcomes(reader, version, pk, course_pks)
    if records is None:
        if not compute:
            return None
        with store.reader() as s:
            records = patient_outcomes(s, pk, course_pks)
    table = {r["course_id"]: r for r in records}
    lens = Lens.of(actor, secret_of(request), p)
    patient = patient_summary(p, lens)
    courses = [course_view(c, i, lens, table.get(c.course_id, {})) for i, c in enumerate(p.courses)]
    open_queries = []
    if p.has_unresolved_queries:
        with store.reader() as s:
            open_queries = queries.listing(s, actor, status="unresolved", patient_pk=pk)
    excluded = reason_excluded(p)
    site_name = p.site_name
    can_write = actor.can_at(p.site, "records.write")
    queried = {(q.table, q.record_pk) for q in open_queries}
    lang = page_language(request)
    actions = row_actions(lang, can_write, queried)
    for c in courses:
        c["visit_rows"] = visit_rows(c["visits"], lang, actions)
        for table in ("doses", "events", "relapses"):
            for r in c[table]:
                r["actions"] = actions(table, r["pk"])
    return {
        "patient": patient,
        "courses": courses,
        "svg": timeline_svg(courses),
        "flags": OUTCOME_FLAGS,
        "queries": open_queries,
        "queried": queried,
        "excluded": excluded,
        "site_name": site_name,
        "can_write": can_write,
    }


# --- forms -------------------------------------------------------------------------------------


def _as_form(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def _row_form(table: str, row: Any) -> dict[str, str]:
    values = {k: _as_form(v) for k, v in service.row_values(table, row).items()}
    if table == "visits":
        for k, val in (row.pasi_components or {}).items():
            values[k] = _as_form(val)
        for k, val in zip(DLQI_FIELDS, row.dlqi_answers or [], strict=False):
            values[k] = _as_form(val)
    return values


def _patient_pk_of(table: str, row: Any) -> int:
    if table == "patients":
        return row.id
    if table == "courses":
        return row.patient_pk
    return row.course.patient_pk


def _form_page(
    request: Request,
    table: str,
    action: str,
    values: dict[str, str],
    *,
    title: str,
    back: str,
    fields: tuple[forms.FormField, ...] | None = None,
    errors: dict[str, str] | None = None,
    conflict: Conflict | None = None,
    version: int | str | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
    reason: str | None = None,
) -> Response:
    template = "visit_form.html" if table == "visits" else "form.html"
    extra = {"reason": reason or "", "diff": [], **(extra or {})}
    problems = forms.human_errors(table, errors or {})
    errors = {k: msg for k, _, msg in problems}
    return render(
        request,
        template,
        status,
        table=table,
        action=action,
        values=values,
        title=title,
        back=back,
        fields=fields or forms.FORMS.get(table, ()),
        errors=errors or {},
        conflict=conflict,
        version=version,
        regions=REGIONS,
        region_labels=forms.REGION_LABELS,
        signs=SIGNS,
        dlqi_questions=forms.DLQI_QUESTIONS,
        dlqi_choices=forms.DLQI_CHOICES,
        dlqi_item7=forms.DLQI_ITEM7_CHOICES,
        problems=problems,
        label_of=lambda name: forms.label_of(table, name),
        **extra,
    )


async def _posted(request: Request) -> tuple[dict[str, str], str | None, str | None]:
    """The form's fields, the version it was read at, and the reason for the change."""
    form = await request.form()
    data = {k: str(v) for k, v in form.items() if k not in {"csrf_token", "version", "reason"}}
    version = form.get("version")
    reason = str(form.get("reason") or "").strip() or None
    return data, str(version) if version else None, reason


def _course_extra(request: Request, course_pk: int | None) -> dict[str, Any]:
    """The course's expected schedule and deviations, shown on the dose form."""
    if course_pk is None:
        return {}
    with store_of(request).session() as s:
        actor = current_actor(request)
        c = service.get(s, "courses", course_pk, actor)
        p = c.patient
        lens = Lens.of(current_actor(request), secret_of(request), p)
        idx = [x.id for x in p.courses].index(c.id)
        view = course_view(c, idx, lens, {})
    return {"course": view}


def _patient_fields(request: Request, actor: Actor) -> tuple[forms.FormField, ...]:
    """The patient form; with a site choice when the user may write at more than one site."""
    from dataclasses import replace

    with store_of(request).reader() as s:
        codes = [x.code for x in sites.all_sites(s, active_only=True)]
    writable = actor.sites_with("records.write")
    choices = tuple(c for c in codes if writable is None or c in writable)
    if len(choices) <= 1:
        return forms.PATIENT
    return (*forms.PATIENT[:1], replace(forms.SITE, choices=choices), *forms.PATIENT[1:])


@router.get("/patients-new", response_class=HTMLResponse)
def new_patient_form(request: Request, actor: ActorDep) -> Response:
    service.require_write(actor)
    return _form_page(
        request,
        "patients",
        "/patients-new",
        {},
        title="New patient",
        back="/patients",
        fields=_patient_fields(request, actor),
    )


@router.post("/patients-new", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def new_patient(request: Request, actor: ActorDep) -> Response:
    data, _, reason = await _posted(request)
    try:
        with store_of(request).session() as s:
            row = service.create(s, actor, "patients", data, reason=reason)
            pk = row.id
    except FieldError as exc:
        return _form_page(
            request,
            "patients",
            "/patients-new",
            data,
            title="New patient",
            back="/patients",
            fields=_patient_fields(request, actor),
            errors=exc.errors,
            status=422,
            reason=reason,
        )
    return see_other(f"/patients/{pk}")


def _parent_info(request: Request, table: str, parent_pk: int) -> tuple[str, int]:
    """(what the form is under, the patient pk) for a new record's form."""
    with store_of(request).session() as s:
        actor = current_actor(request)
        if table == "courses":
            p = service.get(s, "patients", parent_pk, actor)
            service.require_write(actor, p.site)
            return "patient", p.id
        c = service.get(s, "courses", parent_pk, actor)
        service.require_write(actor, c.patient.site)
        return "course", c.patient_pk


@router.get("/new/{table}/{parent_pk}", response_class=HTMLResponse)
def new_child_form(request: Request, table: str, parent_pk: int, actor: ActorDep) -> Response:
    service.require_write(actor)
    _check_child_table(table)
    _, patient_pk = _parent_info(request, table, parent_pk)
    extra = _course_extra(request, parent_pk if table != "courses" else None)
    return _form_page(
        request,
        table,
        f"/new/{table}/{parent_pk}",
        {},
        title=f"New {forms.TITLES[table]}",
        back=f"/patients/{patient_pk}",
        extra=extra,
    )


def _check_child_table(table: str) -> None:
    if table not in (*CHILDREN, "courses"):
        raise service.NotFound(f"no such record type {table}")


@router.post(
    "/new/{table}/{parent_pk}", response_class=HTMLResponse, dependencies=[Depends(check_csrf)]
)
async def new_child(request: Request, table: str, parent_pk: int, actor: ActorDep) -> Response:
    _check_child_table(table)
    data, _, reason = await _posted(request)
    _, patient_pk = _parent_info(request, table, parent_pk)
    try:
        with store_of(request).session() as s:
            if table == "visits":
                _visit_with_dose(s, actor, data, parent_pk, reason)
            else:
                service.create(s, actor, table, data, parent_pk=parent_pk, reason=reason)
    except FieldError as exc:
        extra = _course_extra(request, parent_pk if table != "courses" else None)
        return _form_page(
            request,
            table,
            f"/new/{table}/{parent_pk}",
            data,
            title=f"New {forms.TITLES[table]}",
            back=f"/patients/{patient_pk}",
            errors=exc.errors,
            status=422,
            extra=extra,
            reason=reason,
        )
    return see_other(f"/patients/{patient_pk}")


@router.get("/edit/{table}/{pk}", response_class=HTMLResponse)
def edit_form(request: Request, table: str, pk: int, actor: ActorDep) -> Response:
    service.require_write(actor)
    with store_of(request).session() as s:
        row = service.get(s, table, pk, actor)
        service.require_write(actor, service.site_of(table, row))
        values, version, patient_pk = _row_form(table, row), row.version, _patient_pk_of(table, row)
    return _form_page(
        request,
        table,
        f"/edit/{table}/{pk}",
        values,
        title=f"Edit {forms.TITLES[table]}",
        back=f"/patients/{patient_pk}",
        version=version,
        fields=_patient_fields(request, actor) if table == "patients" else None,
    )


@router.post("/edit/{table}/{pk}", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def edit(request: Request, table: str, pk: int, actor: ActorDep) -> Response:
    data, version, reason = await _posted(request)
    fields = _patient_fields(request, actor) if table == "patients" else None
    action = f"/edit/{table}/{pk}"
    return _save_edit(request, actor, table, pk, data, version, reason, action, fields=fields)


def _save_edit(
    request: Request,
    actor: Actor,
    table: str,
    pk: int,
    data: dict[str, str],
    version: str | None,
    reason: str | None,
    action: str,
    fields: tuple[forms.FormField, ...] | None = None,
    title: str | None = None,
) -> Response:
    title = title or f"Edit {forms.TITLES[table]}"
    try:
        with store_of(request).session() as s:
            row = service.get(s, table, pk, actor)
            patient_pk = _patient_pk_of(table, row)
            if table == "courses" and fields is forms.STOP:
                service.stop_course(
                    s,
                    actor,
                    pk,
                    data.get("stop_date"),
                    data.get("stop_reason"),
                    version,
                    reason,
                    next_treatment=data.get("next_treatment"),
                )
            elif table == "visits":
                _visit_with_dose(s, actor, data, row.course_pk, reason, pk, version)
            else:
                service.update(s, actor, table, pk, data, version, reason)
    except FieldError as exc:
        return _form_page(
            request,
            table,
            action,
            data,
            title=title,
            back=f"/patients/{patient_pk}",
            fields=fields,
            errors=exc.errors,
            version=version,
            status=422,
            reason=reason,
        )
    except (Conflict, StaleDataError) as exc:
        return _conflict_page(
            request, table, pk, data, reason, action, title, fields, patient_pk, exc
        )
    return see_other(f"/patients/{patient_pk}")


def _conflict_page(
    request: Request,
    table: str,
    pk: int,
    data: dict[str, str],
    reason: str | None,
    action: str,
    title: str,
    fields: tuple[forms.FormField, ...] | None,
    patient_pk: int,
    exc: Exception,
) -> Response:
    """Someone saved the record since it was read: the form now holds the saved values and the
    current version, and a diff lists, field by field, the user's values (not saved), the saved
    ones, and who changed them when. The user re-applies what they still want (retyping it or
    "Use mine"); pressing Save again unchanged saves nothing of the stale form."""
    with store_of(request).session() as s:
        row = service.get(s, table, pk, current_actor(request))
        conflict = (
            exc
            if isinstance(exc, Conflict)
            else Conflict(table, pk, service.row_values(table, row), row.version)
        )
        theirs = _row_form(table, row)
    shown = [f.name for f in (fields or forms.FORMS.get(table, ()))]
    if table == "visits":
        shown = ["date", *PASI_FIELDS, "pasi", "bsa", "pga", *DLQI_FIELDS, "dlqi"]
    by = conflict.changed_by()
    diff = []
    for name in shown:
        yours, saved = data.get(name, ""), theirs.get(name, "")
        group = (
            "pasi_components"
            if name in PASI_FIELDS
            else "dlqi_answers"
            if name in DLQI_FIELDS
            else name
        )
        who = by.get(name) or by.get(group)
        if yours != saved or who:
            diff.append(
                {
                    "field": name,
                    "label": forms.label_of(table, name),
                    "yours": yours,
                    "theirs": saved,
                    "who": who[0] if who else None,
                    "when": who[1] if who else None,
                    "why": who[4] if who else None,
                    "differs": yours != saved,
                }
            )
    return _form_page(
        request,
        table,
        action,
        theirs,
        title=title,
        back=f"/patients/{patient_pk}",
        fields=fields,
        conflict=conflict,
        version=conflict.current_version,
        status=409,
        extra={"diff": diff},
        reason=reason,
    )


@router.get("/stop/{pk}", response_class=HTMLResponse)
def stop_form(request: Request, pk: int, actor: ActorDep) -> Response:
    service.require_write(actor)
    with store_of(request).session() as s:
        c = service.get(s, "courses", pk, actor)
        service.require_write(actor, c.patient.site)
        version, patient_pk = c.version, c.patient_pk
        values = {
            k: _as_form(getattr(c, k)) for k in ("stop_date", "stop_reason", "next_treatment")
        }
    return _form_page(
        request,
        "courses",
        f"/stop/{pk}",
        values,
        title="Change the stop" if values["stop_date"] else "Stop course",
        back=f"/patients/{patient_pk}",
        fields=forms.STOP,
        version=version,
    )


@router.post("/stop/{pk}", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def stop(request: Request, pk: int, actor: ActorDep) -> Response:
    data, version, reason = await _posted(request)
    return _save_edit(
        request,
        actor,
        "courses",
        pk,
        data,
        version,
        reason,
        f"/stop/{pk}",
        fields=forms.STOP,
        title="Stop course",
    )


def _visit_with_dose(
    s: Any,
    actor: Actor,
    data: dict[str, str],
    course_pk: int,
    reason: str | None,
    pk: int | None = None,
    version: str | None = None,
) -> None:
    """Save a visit and, when the form gives one, the dose given that day: one transaction,
    every problem of both reported at once."""
    dose_mg = (data.pop("dose_mg", "") or "").strip()
    errors: dict[str, str] = {}
    measured = any(str(v).strip() for k, v in data.items() if k != "date")
    try:
        if pk is None and dose_mg and not measured:
            pass  # only the dose given that day: no empty visit
        elif pk is None:
            service.create(s, actor, "visits", data, parent_pk=course_pk, reason=reason)
        else:
            service.update(s, actor, "visits", pk, data, version, reason)
    except FieldError as exc:
        errors.update(exc.errors)
    if dose_mg:
        try:
            dose = {"date": data.get("date"), "dose_mg": dose_mg}
            service.create(s, actor, "doses", dose, parent_pk=course_pk, reason=reason)
        except FieldError as exc:
            for k, msg in exc.errors.items():
                errors.setdefault("dose_mg" if k != "date" else "date", msg)
    if errors:
        data["dose_mg"] = dose_mg
        raise FieldError(errors)


def _deletable(table: str) -> None:
    if table not in service.CLINICAL_TABLES:
        raise service.NotFound(f"no such record type {table}")


@router.get("/delete/{table}/{pk}", response_class=HTMLResponse)
def delete_form(request: Request, table: str, pk: int, actor: ActorDep) -> Response:
    """Delete a record: what it is, what goes with it, and the reason (required)."""
    _deletable(table)
    with store_of(request).reader() as s:
        row = service.get(s, table, pk, actor)
        service.require_write(actor, service.site_of(table, row))
        summary = record_summary(table, row)
        under = service.count_under(s, table, row)
        version, patient_pk = row.version, _patient_pk_of(table, row)
    return render(
        request,
        "delete.html",
        table=table,
        pk=pk,
        what=forms.TITLES[table],
        summary=summary,
        under=under,
        version=version,
        back=f"/patients/{patient_pk}",
        error=None,
    )


@router.post("/delete/{table}/{pk}", dependencies=[Depends(check_csrf)])
async def delete(request: Request, table: str, pk: int, actor: ActorDep) -> Response:
    _, version, reason = await _posted(request)
    _deletable(table)
    try:
        with store_of(request).session() as s:
            row = service.get(s, table, pk, actor)
            patient_pk = None if table == "patients" else _patient_pk_of(table, row)
            back = f"/patients/{_patient_pk_of(table, row)}"
            summary = record_summary(table, row)
            service.delete(s, actor, table, pk, version, reason)
    except (Conflict, StaleDataError):
        message = _(
            "This record was changed by someone else since you opened it, so it was not "
            "deleted. Reload it, check their change, and delete again if you still mean to."
        )
        return render(request, "error.html", 409, title=N_("Not deleted"), message=message)
    except FieldError as exc:
        return render(
            request,
            "delete.html",
            422,
            table=table,
            pk=pk,
            what=forms.TITLES[table],
            summary=summary,
            under={},
            version=version,
            back=back,
            error=forms.human_errors(table, exc.errors),
        )
    return see_other(f"/patients/{patient_pk}" if patient_pk else "/patients")


@router.get("/pasi-score", response_class=HTMLResponse)
def pasi_score(request: Request, _actor: ActorDep) -> Response:
    """The PASI of the grid as typed (htmx): the total, or the first field still wrong."""
    params = request.query_params
    values: dict[str, Any] = {}
    missing = []
    for f in PASI_FIELDS:
        raw = (params.get(f) or "").strip()
        if not raw:
            missing.append(f)
            continue
        try:
            values[f] = float(raw)
        except ValueError:
            label = escape(_(forms.label_of("visits", f)))
            wrong = escape(_("not a number"))
            return HTMLResponse(f'<span class="error" data-field="{f}">{label}: {wrong}</span>')
    if len(missing) == len(PASI_FIELDS):
        empty = escape(_("PASI: fill in the grid"))
        return HTMLResponse(f'<span class="muted">{empty}</span>')
    for f in missing:
        values[f] = 0
    try:
        total = pasi_total(values)
    except FieldError as exc:
        field, msg = next(iter(exc.errors.items()))
        label = escape(_(forms.label_of("visits", field)))
        return HTMLResponse(f'<span class="error" data-field="{field}">{label}: {msg}</span>')
    note = (
        " (" + escape(_("{n} blank, counted as 0").format(n=len(missing))) + ")" if missing else ""
    )
    return HTMLResponse(f'<strong id="pasi-total">PASI {total:.1f}</strong>{note}')


# --- dashboard, exports ---------------------------------------------------------------------


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, actor: ActorDep) -> Response:
    """Cohort figures and charts of the user's sites, with what they leave out and why."""
    from psoreg.collector import cycle_collector_paused
    from psoreg.store import schedule
    from psoreg.store.inclusion import analysed, exclusions
    from psoreg.web import dashboard_charts as dc

    codes = actor.site_codes
    with cycle_collector_paused(), store_of(request).reader() as s:
        table = dashboard_table(s, codes)
        q = select(PatientRow.site, func.count()).where(analysed()).group_by(PatientRow.site)
        if codes is not None:
            q = q.where(PatientRow.site.in_(sorted(codes)))
        per_site = dict(s.execute(q).all())
        excluded = exclusions(s, codes)
        open_queries = queries.unresolved_by_site(s, actor)
        overdue = schedule.overdue_by_site(s, codes)
    stats = exports.dashboard_stats(table, sum(per_site.values()))
    charts = {
        "response": dc.response_by_drug(stats["by_drug"]),
        "survival": dc.drug_survival(table) if not table.empty else "",
        "sites": dc.hbars(
            [(k, v, str(v)) for k, v in sorted(per_site.items())], _("Patients by site")
        ),
        "queries": dc.hbars(
            [(k, v, str(v)) for k, v in sorted(open_queries.items())], _("Open queries by site")
        ),
        "overdue": dc.hbars(
            [(k, v, str(v)) for k, v in sorted(overdue.items())], _("Overdue courses by site")
        ),
    }
    return render(
        request,
        "dashboard.html",
        stats=stats,
        charts=charts,
        excluded=excluded,
        open_queries=sum(open_queries.values()),
        overdue=sum(overdue.values()),
    )


@router.get("/exports", response_class=HTMLResponse)
def exports_page(request: Request, actor: ActorDep) -> Response:
    """The downloads, and what every one of them leaves out (consent, deletion)."""
    return render(request, "exports.html", excluded=exports.excluded_of(request, actor))


@router.get("/export/{name}")
def export(request: Request, name: str, actor: ActorDep) -> Response:
    return exports.export_response(request, actor, name)


__all__ = ["router"]

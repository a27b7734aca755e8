"""JSON API (OpenAPI at ``/docs``): the same validated, audited operations as the pages.

Authenticate with ``POST /api/token`` (user name and password) and send the token as
``Authorization: Bearer <token>``. Invalid input answers 422 with ``{"errors": {field: msg}}``;
a stale ``version`` answers 409 with the record as now saved; analysts get 403 on writes and
de-identified data on reads.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm.exc import StaleDataError

from psoreg.store import service
from psoreg.store.errors import Conflict, FieldError, NotFound
from psoreg.store.models import User
from psoreg.store.service import Actor
from psoreg.web.exports import raw_tables
from psoreg.web.present import clean
from psoreg.web.users import authenticate

router = APIRouter(prefix="/api", tags=["api"])
bearer = HTTPBearer(auto_error=False)
TABLES = ("patients", "courses", "doses", "visits", "events", "relapses")


class Login(BaseModel):
    username: str
    password: str


class Change(BaseModel):
    """Fields to change, the version read, and an optional reason for the audit trail."""

    version: int
    data: dict[str, Any] = {}
    reason: str | None = None


class NewRecord(BaseModel):
    data: dict[str, Any]
    reason: str | None = None


def api_actor(
    request: Request, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    """The user named by the bearer token (401 without a valid one)."""
    from fastapi import HTTPException

    uid = request.app.state.tokens.user_id(cred.credentials) if cred else None
    if uid is None:
        raise HTTPException(401, "a valid bearer token is required (POST /api/token)")
    with request.app.state.store.session() as s:
        user = s.get(User, uid)
        if user is None or not user.active:
            raise HTTPException(401, "unknown or inactive user")
        return Actor(user.username, user.role)


ApiActor = Annotated[Actor, Depends(api_actor)]


def _run(request: Request, fn: Any) -> Any:
    try:
        with request.app.state.store.session() as s:
            return fn(s)
    except FieldError as exc:
        return JSONResponse({"errors": exc.errors}, status_code=422)
    except Conflict as exc:
        body = {"detail": str(exc), "current": exc.current, "version": exc.current_version}
        return JSONResponse(_jsonable(body), status_code=409)
    except StaleDataError:
        return JSONResponse({"detail": "changed by someone else; read it again"}, 409)


def _jsonable(x: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(x)


def _record(table: str, row: Any) -> dict[str, Any]:
    return _jsonable({"id": row.id, "version": row.version, **service.row_values(table, row)})


@router.post("/token")
def token(request: Request, body: Login) -> Any:
    """A bearer token for the user (rate-limited like the login page)."""
    limiter = request.app.state.limiter
    key = f"api:{request.client.host if request.client else '-'}:{body.username.lower()}"
    if limiter.blocked_for(key):
        return JSONResponse({"detail": "too many failed attempts"}, status_code=429)
    with request.app.state.store.session() as s:
        user = authenticate(s, body.username, body.password)
        if user is None:
            limiter.failed(key)
            return JSONResponse({"detail": "wrong user name or password"}, status_code=401)
        limiter.succeeded(key)
        return {"token": request.app.state.tokens.issue(user.id), "role": user.role}


@router.get("/export/{table}")
def export_table(request: Request, table: str, actor: ApiActor) -> Any:
    """A table as the user may see it (analysts: de-identified), or ``outcomes``."""
    frames = raw_tables(request, actor, with_outcomes=table == "outcomes")
    if table not in frames:
        raise NotFound(f"no table {table}")
    return [
        {k: clean(v) for k, v in r.items()} for r in _jsonable(frames[table].to_dict("records"))
    ]


@router.get("/{table}/{pk}")
def read(request: Request, table: str, pk: int, actor: ApiActor) -> Any:
    """One record (identified users only; analysts use the de-identified exports)."""
    service.require_write(actor)
    _table(table)
    return _run(request, lambda s: _record(table, service.get(s, table, pk)))


@router.post("/patients", status_code=201)
def create_patient(request: Request, body: NewRecord, actor: ApiActor) -> Any:
    return _run(
        request,
        lambda s: _record(
            "patients", service.create(s, actor, "patients", body.data, reason=body.reason)
        ),
    )


@router.post("/{parent}/{parent_pk}/{table}", status_code=201)
def create_child(
    request: Request, parent: str, parent_pk: int, table: str, body: NewRecord, actor: ApiActor
) -> Any:
    """A course under a patient, or a dose, visit, event or relapse under a course."""
    ok = (parent == "patients" and table == "courses") or (
        parent == "courses" and table in ("doses", "visits", "events", "relapses")
    )
    if not ok:
        raise NotFound(f"cannot add {table} under {parent}")
    return _run(
        request,
        lambda s: _record(
            table, service.create(s, actor, table, body.data, parent_pk, reason=body.reason)
        ),
    )


@router.patch("/{table}/{pk}")
def change(request: Request, table: str, pk: int, body: Change, actor: ApiActor) -> Any:
    _table(table)
    return _run(
        request,
        lambda s: _record(
            table, service.update(s, actor, table, pk, body.data, body.version, body.reason)
        ),
    )


@router.delete("/{table}/{pk}")
def remove(
    request: Request, table: str, pk: int, version: int, actor: ApiActor, reason: str = ""
) -> Any:
    _table(table)

    def go(s: Any) -> dict[str, Any]:
        service.delete(s, actor, table, pk, version, reason or None)
        return {"deleted": pk}

    return _run(request, go)


def _table(table: str) -> None:
    if table not in TABLES:
        raise NotFound(f"no table {table}")

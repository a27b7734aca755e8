"""JSON API (OpenAPI at ``/docs`` for logged-in users): the same validated, audited operations
as the pages.

Authenticate with ``POST /api/token`` (user name and password; optional ``scopes``,
``expires_in_hours`` and ``name``) and send the token as ``Authorization: Bearer <token>``;
``DELETE /api/token`` revokes the token sent. Tokens are held in the database: scoped
(``read``, ``write``, ``export``; an analyst's at most read and export), expiring (12 hours by
default, 90 days at most) and revocable (by the user at ``/account``, by an administrator at
``/admin/sessions``, and all at once by a password change, a reset, a role change or a
deactivation). Failed logins count with the login page's in one limiter. Invalid input answers
422 with ``{"errors": {field: msg}}``; a stale ``version`` answers 409 with the record as now
saved and who changed which field since; analysts get 403 on writes and de-identified data on
reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy.orm.exc import StaleDataError

from psoreg.accounts import sessions, users
from psoreg.store import service
from psoreg.store.errors import Conflict, FieldError, Forbidden, NotFound
from psoreg.store.models import User
from psoreg.store.service import Actor
from psoreg.store.sites import actor_sites
from psoreg.web.exports import TABLES as EXPORTS
from psoreg.web.exports import audit_export, excluded_of, raw_tables
from psoreg.web.present import clean
from psoreg.web.security import client_address

router = APIRouter(prefix="/api", tags=["api"])
bearer = HTTPBearer(auto_error=False)
TABLES = ("patients", "courses", "doses", "visits", "events", "relapses")


class Login(BaseModel):
    """User name and password; optionally the token's scopes, lifetime and name."""

    username: str = Field(max_length=200)
    password: str = Field(max_length=1024)
    scopes: list[str] | None = Field(
        default=None, description="read, write, export (default: all the role allows)"
    )
    expires_in_hours: float = Field(
        default=sessions.DEFAULT_TOKEN_HOURS,
        description=f"1 to {sessions.MAX_TOKEN_DAYS * 24} hours",
    )
    name: str | None = Field(default=None, max_length=100)


class Change(BaseModel):
    """Fields to change, the version read, and an optional reason for the audit trail."""

    version: int
    data: dict[str, Any] = {}
    reason: str | None = None


class NewRecord(BaseModel):
    data: dict[str, Any]
    reason: str | None = None


@dataclass(frozen=True)
class Principal:
    actor: Actor
    scopes: frozenset[str]
    token_id: int


def api_principal(
    request: Request, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The user and scopes of the bearer token (401 without a valid one)."""
    with request.app.state.store.session() as s:
        found = sessions.token_user(s, cred.credentials) if cred else None
        if found is None:
            raise HTTPException(
                401,
                "a valid bearer token is required (POST /api/token); it may have expired "
                "or been revoked",
                headers={"WWW-Authenticate": "Bearer"},
            )
        user, row = found
        allowed = set(sessions.ROLE_SCOPES.get(user.role, ()))
        return Principal(
            Actor(user.username, user.role, client_address(request), actor_sites(s, user)),
            frozenset(set(row.scopes.split()) & allowed),
            row.id,
        )


def api_actor(
    request: Request, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    """The bearer token's user, if the token may read records (for routes outside /api, such
    as the FHIR export)."""
    p = api_principal(request, cred)
    if "read" not in p.scopes:
        raise Forbidden("this token lacks the 'read' scope")
    return p.actor


def scoped(scope: str) -> Any:
    """A dependency: the actor, if the token carries ``scope``."""

    def check(p: Annotated[Principal, Depends(api_principal)]) -> Actor:
        if scope not in p.scopes:
            raise Forbidden(f"this token lacks the {scope!r} scope")
        return p.actor

    return check


Reader = Annotated[Actor, Depends(scoped("read"))]
Writer = Annotated[Actor, Depends(scoped("write"))]
Exporter = Annotated[Actor, Depends(scoped("export"))]


def _run(request: Request, fn: Any) -> Any:
    try:
        return request.app.state.store.write(fn)
    except FieldError as exc:
        return JSONResponse({"errors": exc.errors}, status_code=422)
    except Conflict as exc:
        body = {
            "detail": str(exc),
            "current": exc.current,
            "version": exc.current_version,
            "read_version": exc.read_version,
            "changes": [
                {
                    "field": e.field,
                    "by": e.username,
                    "at": e.at,
                    "old": e.old_value,
                    "new": e.new_value,
                    "version": e.record_version,
                }
                for e in exc.changes
            ],
        }
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
    """A bearer token for the user (limited together with the login page; audited)."""
    store, address = request.app.state.store, client_address(request)
    result = users.login(store, body.username, body.password, address=address, channel="api")
    if result.blocked:
        return JSONResponse(
            {"detail": "too many failed attempts", "retry_after": result.retry_after},
            status_code=429,
            headers={"Retry-After": str(result.retry_after)},
        )
    if not result.ok:
        return JSONResponse({"detail": "wrong user name or password"}, status_code=401)
    try:
        with store.session() as s:
            user = s.get(User, result.user_id)
            scopes = sessions.parse_scopes(user.role, body.scopes)
            tok, row = sessions.issue(
                s,
                user,
                scopes=scopes,
                hours=body.expires_in_hours,
                name=body.name,
                address=address,
            )
            expires = row.expires_at
    except FieldError as exc:
        return JSONResponse({"errors": exc.errors}, status_code=422)
    return {
        "token": tok,
        "role": result.role,
        "scopes": list(scopes),
        "expires_at": _jsonable(expires),
    }


@router.delete("/token")
def revoke(request: Request, principal: Annotated[Principal, Depends(api_principal)]) -> Any:
    """Revoke the token sent with this request."""
    with request.app.state.store.session() as s:
        sessions.revoke_token(
            s, principal.token_id, by=principal.actor.username, address=principal.actor.address
        )
    return {"revoked": True}


@router.get("/export/{table}")
def export_table(request: Request, table: str, actor: Exporter) -> Any:
    """A table as the user may see it (analysts: de-identified), or ``outcomes``."""
    if table not in EXPORTS:
        raise NotFound(f"no table {table}")
    frames = raw_tables(request, actor, {table})
    audit_export(request, actor, f"api:{table}", len(frames[table]))
    rows = [
        {k: clean(v) for k, v in r.items()} for r in _jsonable(frames[table].to_dict("records"))
    ]
    excluded = excluded_of(request, actor).header()
    return JSONResponse(rows, headers={"X-Psoreg-Excluded": excluded})


@router.get("/{table}/{pk}")
def read(request: Request, table: str, pk: int, actor: Reader) -> Any:
    """One record (identified users only; analysts use the de-identified exports)."""
    if not actor.identified:
        raise Forbidden("analysts read de-identified data through /api/export")
    _table(table)
    return _run(request, lambda s: _record(table, service.get(s, table, pk, actor)))


@router.post("/patients", status_code=201)
def create_patient(request: Request, body: NewRecord, actor: Writer) -> Any:
    return _run(
        request,
        lambda s: _record(
            "patients", service.create(s, actor, "patients", body.data, reason=body.reason)
        ),
    )


@router.post("/{parent}/{parent_pk}/{table}", status_code=201)
def create_child(
    request: Request, parent: str, parent_pk: int, table: str, body: NewRecord, actor: Writer
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
def change(request: Request, table: str, pk: int, body: Change, actor: Writer) -> Any:
    _table(table)
    return _run(
        request,
        lambda s: _record(
            table, service.update(s, actor, table, pk, body.data, body.version, body.reason)
        ),
    )


@router.delete("/{table}/{pk}")
def remove(
    request: Request, table: str, pk: int, version: int, actor: Writer, reason: str = ""
) -> Any:
    _table(table)

    def go(s: Any) -> dict[str, Any]:
        service.delete(s, actor, table, pk, version, reason or None)
        return {"deleted": pk}

    return _run(request, go)


@router.post("/{table}/{pk}/restore")
def restore(request: Request, table: str, pk: int, actor: Writer, reason: str = "") -> Any:
    """Restore a deleted record (administrators; a reason is required)."""
    _table(table)
    return _run(
        request, lambda s: _record(table, service.restore(s, actor, table, pk, reason or None))
    )


def _table(table: str) -> None:
    if table not in TABLES:
        raise NotFound(f"no table {table}")

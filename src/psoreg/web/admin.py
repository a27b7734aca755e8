"""Account and administration pages.

* ``/account`` (everyone): change one's password, see and end one's sessions, create and revoke
  one's API tokens (a new token is shown once).
* ``/admin/users`` (administrators): add a user, change a role, deactivate or reactivate,
  reset a password (a random one, shown once) - the same operations as ``psoreg users``.
* ``/admin/sessions``: every open session and API token, each revocable.
* ``/admin/audit``: the audit trail, newest first, and a check of its hash chain.

Every form is CSRF-protected and every change audited (:mod:`psoreg.accounts.users`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from psoreg.accounts import sessions, users
from psoreg.accounts.passwords import MIN_LENGTH
from psoreg.i18n import _
from psoreg.store import audit
from psoreg.store.errors import FieldError, Forbidden, NotFound
from psoreg.store.models import ApiToken, AuthSession, User
from psoreg.store.service import ROLES, Actor
from psoreg.web.app import current_actor, form_fields, render, see_other, store_of
from psoreg.web.security import check_csrf, client_address

router = APIRouter(include_in_schema=False)  # pages: the API docs list the JSON API


def require_admin(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    if not actor.is_admin:
        raise Forbidden("only administrators may see this page")
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
AdminDep = Annotated[Actor, Depends(require_admin)]
Csrf = [Depends(check_csrf)]


# --- the user's own account ------------------------------------------------------------------


def _account(
    request: Request,
    status: int = 200,
    *,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    new_token: str | None = None,
) -> Response:
    actor = current_actor(request)
    uid, sid = request.state.user_id, request.state.session_id
    with store_of(request).session() as s:
        own_sessions = [_session_view(x, sid) for x in sessions.active(s, uid)]
        own_tokens = [_token_view(t) for t in sessions.tokens(s, uid)]
    return render(
        request,
        "account.html",
        status,
        actor=actor,
        sessions=own_sessions,
        tokens=own_tokens,
        errors=errors or {},
        message=message,
        new_token=new_token,
        scopes=sessions.ROLE_SCOPES.get(actor.role, ()),
        min_length=MIN_LENGTH,
        max_days=sessions.MAX_TOKEN_DAYS,
    )


def _session_view(x: AuthSession, current: int | None = None) -> dict[str, Any]:
    return {
        "id": x.id,
        "user": x.user.username,
        "created": x.created_at,
        "last_seen": x.last_seen_at,
        "expires": x.expires_at,
        "address": x.address or "",
        "agent": (x.user_agent or "")[:80],
        "current": x.id == current,
    }


def _token_view(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.id,
        "user": t.user.username,
        "name": t.name or "",
        "scopes": t.scopes,
        "created": t.created_at,
        "expires": t.expires_at,
        "last_used": t.last_used_at,
    }


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, _actor: ActorDep) -> Response:
    return _account(request)


@router.post("/account/password", response_class=HTMLResponse, dependencies=Csrf)
async def change_password(request: Request, actor: ActorDep) -> Response:
    form = await form_fields(request)
    if form.get("password", "") != form.get("password2", ""):
        return _account(request, 422, errors={"password2": "the two new passwords differ"})
    try:
        with store_of(request).session() as s:
            users.change_password(
                s,
                request.state.user_id,
                form.get("current_password", ""),
                form.get("password", ""),
                keep_session=request.state.session_id,
                address=actor.address,
            )
    except FieldError as exc:
        return _account(request, 422, errors=exc.errors)
    msg = _("Password changed. Your other sessions and all your API tokens have been ended.")
    return _account(request, message=msg)


@router.post("/account/sessions/{sid}/revoke", dependencies=Csrf)
def revoke_own_session(request: Request, sid: int, actor: ActorDep) -> Response:
    with store_of(request).session() as s:
        row = s.get(AuthSession, sid)
        if row is None or row.user_id != request.state.user_id:
            raise NotFound("no such session of yours")
        sessions.revoke_session(s, sid, by=actor.username, address=actor.address)
    if sid == request.state.session_id:
        request.session.clear()
        return see_other("/login")
    return see_other("/account")


@router.post("/account/tokens", response_class=HTMLResponse, dependencies=Csrf)
async def create_token(request: Request, actor: ActorDep) -> Response:
    form = await request.form()
    scopes = [str(x) for x in form.getlist("scopes")]
    try:
        hours = float(str(form.get("days") or "1")) * 24
    except ValueError:
        return _account(request, 422, errors={"days": "expected a number of days"})
    try:
        with store_of(request).session() as s:
            user = s.get(User, request.state.user_id)
            token, _ = sessions.issue(
                s,
                user,
                scopes=sessions.parse_scopes(actor.role, scopes or None),
                hours=hours,
                name=str(form.get("name") or ""),
                address=actor.address,
            )
    except FieldError as exc:
        errors = {("days" if k == "expires_in_hours" else k): v for k, v in exc.errors.items()}
        return _account(request, 422, errors=errors)
    return _account(request, new_token=token)


@router.post("/account/tokens/{tid}/revoke", dependencies=Csrf)
def revoke_own_token(request: Request, tid: int, actor: ActorDep) -> Response:
    with store_of(request).session() as s:
        row = s.get(ApiToken, tid)
        if row is None or row.user_id != request.state.user_id:
            raise NotFound("no such token of yours")
        sessions.revoke_token(s, tid, by=actor.username, address=actor.address)
    return see_other("/account")


# --- users -----------------------------------------------------------------------------------


def _users(
    request: Request,
    status: int = 200,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    message: str | None = None,
    shown_password: tuple[str, str] | None = None,
) -> Response:
    with store_of(request).session() as s:
        open_sessions: dict[int, int] = {}
        for x in sessions.active(s):
            open_sessions[x.user_id] = open_sessions.get(x.user_id, 0) + 1
        rows = [
            {
                "username": u.username,
                "role": u.role,
                "active": u.active,
                "created": u.created_at,
                "last_login": u.last_login_at,
                "sessions": open_sessions.get(u.id, 0),
            }
            for u in s.scalars(select(User).order_by(User.username))
        ]
    return render(
        request,
        "users.html",
        status,
        users=rows,
        roles=ROLES,
        errors=errors or {},
        values=values or {},
        message=message,
        shown_password=shown_password,
        min_length=MIN_LENGTH,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, _actor: AdminDep) -> Response:
    return _users(request)


@router.post("/admin/users", response_class=HTMLResponse, dependencies=Csrf)
async def add_user(request: Request, actor: AdminDep) -> Response:
    form = await form_fields(request)
    values = {k: form.get(k, "") for k in ("username", "role")}
    given = form.get("password", "")
    password = given or users.passwords.generate()
    try:
        with store_of(request).session() as s:
            user = users.add_user(
                s, values["username"], password, values["role"], actor.username, actor.address
            )
            name = user.username
    except FieldError as exc:
        return _users(request, 422, errors=exc.errors, values=values)
    shown = None if given else (name, password)
    return _users(
        request,
        message=_("Added {user} ({role}).").format(user=name, role=values["role"]),
        shown_password=shown,
    )


def _user_action(request: Request, actor: Actor, username: str, fn: Any, done: str) -> Response:
    try:
        with store_of(request).session() as s:
            result = fn(s)
    except FieldError as exc:
        return _users(request, 422, errors=exc.errors)
    if isinstance(result, str):  # a reset: the new password, shown once
        return _users(request, message=done, shown_password=(users.normalise(username), result))
    return _users(request, message=done)


@router.post("/admin/users/{username}/role", response_class=HTMLResponse, dependencies=Csrf)
async def change_role(request: Request, username: str, actor: AdminDep) -> Response:
    role = (await form_fields(request)).get("role", "")
    return _user_action(
        request,
        actor,
        username,
        lambda s: users.set_role(s, username, role, actor.username, actor.address),
        _("{user} is now {role}; their sessions were ended.").format(user=username, role=role),
    )


@router.post("/admin/users/{username}/deactivate", response_class=HTMLResponse, dependencies=Csrf)
def deactivate(request: Request, username: str, actor: AdminDep) -> Response:
    if users.normalise(username) == actor.username:
        return _users(request, 422, errors={"username": _("you cannot deactivate yourself")})
    return _user_action(
        request,
        actor,
        username,
        lambda s: users.set_active(s, username, False, actor.username, actor.address),
        _("{user} deactivated; their sessions and API tokens were revoked.").format(user=username),
    )


@router.post("/admin/users/{username}/activate", response_class=HTMLResponse, dependencies=Csrf)
def activate(request: Request, username: str, actor: AdminDep) -> Response:
    return _user_action(
        request,
        actor,
        username,
        lambda s: users.set_active(s, username, True, actor.username, actor.address),
        _("{user} reactivated.").format(user=username),
    )


@router.post("/admin/users/{username}/reset", response_class=HTMLResponse, dependencies=Csrf)
def reset(request: Request, username: str, actor: AdminDep) -> Response:
    return _user_action(
        request,
        actor,
        username,
        lambda s: users.reset_password(s, username, actor.username, address=actor.address),
        _("Password of {user} reset; their sessions and API tokens were revoked.").format(
            user=username
        ),
    )


# --- sessions and tokens ---------------------------------------------------------------------


@router.get("/admin/sessions", response_class=HTMLResponse)
def sessions_page(request: Request, _actor: AdminDep) -> Response:
    current_actor(request)
    with store_of(request).session() as s:
        open_sessions = [_session_view(x, request.state.session_id) for x in sessions.active(s)]
        open_tokens = [_token_view(t) for t in sessions.tokens(s)]
    return render(request, "sessions.html", sessions=open_sessions, tokens=open_tokens)


@router.post("/admin/sessions/{sid}/revoke", dependencies=Csrf)
def revoke_session(request: Request, sid: int, actor: AdminDep) -> Response:
    with store_of(request).session() as s:
        sessions.revoke_session(s, sid, by=actor.username, address=actor.address)
    return see_other("/admin/sessions")


@router.post("/admin/tokens/{tid}/revoke", dependencies=Csrf)
def revoke_token(request: Request, tid: int, actor: AdminDep) -> Response:
    with store_of(request).session() as s:
        sessions.revoke_token(s, tid, by=actor.username, address=actor.address)
    return see_other("/admin/sessions")


# --- audit -----------------------------------------------------------------------------------


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, _actor: AdminDep) -> Response:
    return _audit(request)


def _audit(request: Request, verification: Any = None) -> Response:
    with store_of(request).session() as s:
        rows = audit.entries(s, limit=500)
    return render(request, "audit.html", rows=rows, verification=verification)


@router.post("/admin/audit/verify", response_class=HTMLResponse, dependencies=Csrf)
def verify_audit(request: Request, _actor: AdminDep) -> Response:
    """Recompute the hash chain now (as ``psoreg audit verify`` does)."""
    store = store_of(request)
    with store.engine.connect() as conn:
        result = audit.verify(conn, request.app.state.secret)
    return _audit(request, result)


__all__ = ["router", "client_address"]

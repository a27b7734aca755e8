"""The FastAPI application: middleware, error pages and the routers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from psoreg.store.db import Store
from psoreg.store.errors import Forbidden, NotFound
from psoreg.store.models import User
from psoreg.store.service import Actor
from psoreg.web.security import CsrfError, LoginLimiter, Tokens, csrf_token

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))


class NotLoggedIn(Exception):
    """The page needs a logged-in user."""


def store_of(request: Request) -> Store:
    return request.app.state.store


def secret_of(request: Request) -> str:
    return request.app.state.secret


def current_actor(request: Request) -> Actor:
    """The logged-in user of this browser session (or :class:`NotLoggedIn`)."""
    uid = request.session.get("uid")
    if uid is None:
        raise NotLoggedIn()
    with store_of(request).session() as s:
        user = s.get(User, uid)
        if user is None or not user.active:
            request.session.clear()
            raise NotLoggedIn()
        return Actor(user.username, user.role)


def render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    uid = request.session.get("uid")
    actor = None
    if uid is not None:
        try:
            actor = current_actor(request)
        except NotLoggedIn:
            actor = None
    ctx.setdefault("actor", actor)
    return templates.TemplateResponse(
        request, name, {"csrf": csrf_token(request), **ctx}, status_code=status_code
    )


def create_app(store: Store, secret: str, *, secure_cookies: bool = False) -> FastAPI:
    """The registry application on ``store``; ``secret`` signs sessions and API tokens and keys
    the analysts' pseudonyms and date shifts (keep it with the data)."""
    from psoreg.web import api, fhir, pages, signals

    app = FastAPI(
        title="psoreg registry",
        description="Registry of patients on biologic therapy for psoriasis. The JSON API "
        "under /api takes a bearer token from POST /api/token.",
        version="0.1.0",
    )
    app.state.store = store
    app.state.secret = secret
    app.state.limiter = LoginLimiter()
    app.state.tokens = Tokens(secret)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="psoreg_session",
        same_site="lax",
        https_only=secure_cookies,
        max_age=12 * 3600,
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(fhir.router)
    app.include_router(signals.router)

    @app.exception_handler(NotLoggedIn)
    async def _login(request: Request, _exc: NotLoggedIn) -> Any:
        if request.headers.get("hx-request"):
            return HTMLResponse("", status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Any:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=403)
        return render(request, "error.html", 403, title="Not allowed", message=str(exc))

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError) -> Any:
        return render(request, "error.html", 403, title="Form refused", message=str(exc))

    @app.exception_handler(NotFound)
    async def _missing(request: Request, exc: NotFound) -> Any:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return render(request, "error.html", 404, title="Not found", message=str(exc))

    return app

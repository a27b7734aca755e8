"""The FastAPI application: middleware, error pages and the routers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.middleware.sessions import SessionMiddleware

from psoreg.store.db import Store, is_retryable
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
    """The logged-in user of this browser session (or :class:`NotLoggedIn`); looked up once
    per request."""
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    uid = request.session.get("uid")
    if uid is None:
        raise NotLoggedIn()
    with store_of(request).read_engine.connect() as c:  # one row: no ORM session needed
        user = c.execute(
            select(User.username, User.role, User.active).where(User.id == uid)
        ).first()
    if user is None or not user.active:
        request.session.clear()
        raise NotLoggedIn()
    actor = Actor(user.username, user.role)
    request.state.actor = actor
    return actor


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
    from psoreg.web import api, fhir, pages

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

    def _refused(request: Request, status: int, title: str, message: str) -> Any:
        headers = {"Retry-After": "2"} if status == 503 else None
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, status_code=status, headers=headers)
        page = render(request, "error.html", status, title=title, message=message)
        if headers:
            page.headers.update(headers)
        return page

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, _exc: StaleDataError) -> Any:
        return _refused(
            request, 409, "Changed meanwhile",
            "Someone else changed or deleted this record at the same moment. Nothing of yours "
            "was saved: reload the page and try again.",
        )  # fmt: skip

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, _exc: IntegrityError) -> Any:
        return _refused(
            request, 409, "Conflicting change",
            "This change conflicts with one saved at the same moment (for example the same id "
            "chosen twice). Nothing was saved: reload the page and try again.",
        )  # fmt: skip

    @app.exception_handler(DBAPIError)
    async def _busy(request: Request, exc: DBAPIError) -> Any:
        if not is_retryable(exc):
            raise exc
        return _refused(
            request, 503, "Busy",
            "The registry is busy saving other changes. Nothing was saved: try again in a moment.",
        )  # fmt: skip

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Liveness, without the database: the framework's own floor for load tests."""
        return {"status": "ok"}

    return app

"""The FastAPI application: middleware, the logged-in user, error pages and the routers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from psoreg import i18n
from psoreg.accounts import sessions
from psoreg.i18n import N_, _
from psoreg.store.db import Store, is_retryable
from psoreg.store.errors import Forbidden, NotFound
from psoreg.store.service import Actor
from psoreg.web.record_rows import translated
from psoreg.web.security import (
    CsrfError,
    SecurityHeaders,
    SessionCookie,
    client_address,
    csrf_token,
)

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
# the templates are part of the installed package: compiled once per process, never stat()ed
# again on each request to see whether they changed
templates.env.auto_reload = False


def _week(value: Any) -> str:
    """A week as shown: one decimal at most (12, 5.4), never 5.428571428571429."""
    if value is None:
        return "—"
    x = round(float(value), 1)
    return str(int(x)) if x == int(x) else f"{x:.1f}"


templates.env.filters["week"] = _week
# translations: {{ _("...") }} and {% trans %} in the templates, in the request's language
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=i18n.gettext, ngettext=i18n.ngettext, pgettext=i18n.pgettext, newstyle=True
)


def _template_gettext(message: str, /, **variables: Any) -> Markup:
    """``{{ _("...") }}``: jinja2.ext.i18n's newstyle gettext (escaped, ``%(name)s`` filled
    from ``variables``), with the translation looked up once per language and message (a
    patient page calls it about 150 times). Every template is HTML, rendered with autoescape
    (jinja2's gettext then returns ``Markup(translation) % variables``), so it needs no
    context: Jinja copies the template's context for each call of a context function inside
    a loop, which cost more than the translation."""
    if variables or not message:
        return Markup(i18n.gettext(message)) % variables
    return translated(i18n.get_language(), message)


templates.env.globals["_"] = _template_gettext


def _globals() -> None:
    from psoreg.web import forms

    templates.env.globals.update(
        choice_labels=forms.CHOICE_LABELS,
        sign_labels=forms.SIGN_LABELS,
        record_names=forms.TITLES,
        record_plurals=forms.PLURALS,
    )
    # a message held in a variable (a label from Python): translated, never %-formatted
    templates.env.filters["tr"] = i18n.gettext
    templates.env.filters["ldate"] = _local_date


def _local_date(value: Any) -> str:
    """A date as the page's language writes it ('8 Jan 2024'); anything else as it is."""
    import datetime as dt

    from psoreg.i18n.formats import date

    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return date(value) if isinstance(value, dt.date) else ("" if value is None else str(value))


_globals()


@dataclass(frozen=True)
class WebSettings:
    """How the site is served (``psoreg serve`` options)."""

    #: the site is reached over HTTPS (Secure cookies and HSTS on every response)
    https: bool = False
    #: proxies whose X-Forwarded-For/-Proto are believed (addresses or networks)
    forwarded_allow_ips: tuple[str, ...] = ()
    sessions: sessions.Settings = field(default_factory=sessions.Settings)


class NotLoggedIn(Exception):
    """The page needs a logged-in user."""


def store_of(request: Request) -> Store:
    return request.app.state.store


def secret_of(request: Request) -> str:
    return request.app.state.secret


def see_other(url: str) -> RedirectResponse:
    """A 303 redirect: after a form post, the browser GETs ``url``."""
    return RedirectResponse(url, status_code=303)


async def form_fields(request: Request) -> dict[str, str]:
    """A posted form's fields as text, without the CSRF token."""
    form = await request.form()
    return {k: str(v) for k, v in form.items() if k != "csrf_token"}


def current_actor(request: Request) -> Actor:
    """The logged-in user of this browser session (or :class:`NotLoggedIn`).

    The cookie's session id must name a session in the database that is not revoked, expired
    or idle, of an active user.
    """
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    found, must_write, member_of = _peek(request)
    if must_write:
        found = _touched(request, found)
    return _logged_in(request, found, member_of)


async def current_actor_async(request: Request) -> Actor:
    """:func:`current_actor` for ``async`` pages: the read (one indexed query, a few hundred
    microseconds) runs on the event loop; only touching or ending the session (a write, which
    may wait for the write lock) goes to the thread pool."""
    from starlette.concurrency import run_in_threadpool

    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    found, must_write, member_of = _peek(request)
    if must_write:
        found = await run_in_threadpool(_touched, request, found)
    return _logged_in(request, found, member_of)


def _peek(request: Request) -> tuple[Any, bool, Any]:
    sid = request.session.get("sid")
    if not sid:
        raise NotLoggedIn()
    store, settings = store_of(request), request.app.state.settings.sessions
    # one indexed read of the session, its user and the user's sites (no ORM, no write lock);
    # a write only when the session is to be touched (at most once a minute) or ended for
    # being idle
    with store.prepared_reader(snapshot=False) as reader:
        found, must_write = sessions.peek(reader, sid, settings)
    return found, must_write, found.sites if found is not None else None


def _touched(request: Request, found: Any) -> Any:
    """Touch (or end, when idle) the session in a writing transaction; None if it is over."""
    settings = request.app.state.settings.sessions
    with store_of(request).session() as s:
        if sessions.current(s, request.session.get("sid"), settings) is None:
            return None
    return found


def _logged_in(request: Request, found: Any, member_of: Any) -> Actor:
    if found is None:
        request.session.clear()
        raise NotLoggedIn()
    actor = Actor(found.username, found.role, client_address(request), member_of)
    request.state.actor = actor
    request.state.session_id = found.session_id
    request.state.user_id = found.user_id
    request.state.language = found.language
    return actor


def optional_actor(request: Request) -> Actor | None:
    try:
        return current_actor(request)
    except NotLoggedIn:
        return None


def render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    from psoreg.web.language import page_language

    if "actor" not in ctx:
        ctx["actor"] = optional_actor(request) if request.session.get("sid") else None
    lang = page_language(request)
    with i18n.use_language(lang):
        return templates.TemplateResponse(
            request,
            name,
            {"csrf": csrf_token(request), "lang": lang, "languages": i18n.LANGUAGES, **ctx},
            status_code=status_code,
        )


def create_app(store: Store, secret: str, settings: WebSettings | None = None) -> FastAPI:
    """The registry application on ``store``; ``secret`` signs the session cookie and keys the
    analysts' pseudonyms and date shifts (keep it with the data)."""
    from psoreg.web import admin, api, clinic, docs, fhir, imports, language, pages, signals

    settings = settings or WebSettings()
    from psoreg.store.audit import chain_key

    if store.sessions.kw.get("info", {}).get("audit_key") != chain_key(secret):
        raise ValueError("the store was opened with another secret than the application's")
    app = FastAPI(
        title="psoreg registry",
        description="Registry of patients on biologic therapy for psoriasis. The JSON API "
        "under /api takes a bearer token from POST /api/token.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.store = store
    app.state.secret = secret
    app.state.settings = settings
    # the last added is the outermost: proxy headers, then security headers, then the cookie
    app.add_middleware(language.LanguageMiddleware)  # inside the cookie: reads its session
    app.add_middleware(SessionCookie, secret=secret, https=settings.https)
    app.add_middleware(SecurityHeaders, https=settings.https)
    if settings.forwarded_allow_ips:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.forwarded_allow_ips))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(pages.router)
    app.include_router(admin.router)
    app.include_router(clinic.router)
    app.include_router(imports.router)
    app.include_router(imports.api_router)
    app.include_router(docs.router)
    app.include_router(api.router)
    app.include_router(fhir.router)
    app.include_router(signals.router)
    app.include_router(language.router)

    @app.exception_handler(NotLoggedIn)
    async def _login(request: Request, _exc: NotLoggedIn) -> Any:
        if request.headers.get("hx-request"):
            return HTMLResponse("", status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Any:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=403)
        return render(request, "error.html", 403, title=N_("Not allowed"), message=str(exc))

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError) -> Any:
        return render(request, "error.html", 403, title=N_("Form refused"), message=str(exc))

    @app.exception_handler(NotFound)
    async def _missing(request: Request, exc: NotFound) -> Any:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return render(request, "error.html", 404, title=N_("Not found"), message=str(exc))

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
            request, 409, N_("Changed meanwhile"),
            _("Someone else changed or deleted this record at the same moment. Nothing of "
              "yours was saved: reload the page and try again."),
        )  # fmt: skip

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, _exc: IntegrityError) -> Any:
        return _refused(
            request, 409, N_("Conflicting change"),
            _("This change conflicts with one saved at the same moment (for example the same "
              "id chosen twice). Nothing was saved: reload the page and try again."),
        )  # fmt: skip

    @app.exception_handler(DBAPIError)
    async def _busy(request: Request, exc: DBAPIError) -> Any:
        if not is_retryable(exc):
            raise exc
        return _refused(
            request, 503, N_("Busy"),
            _("The registry is busy saving other changes. Nothing was saved: try again in a "
              "moment."),
        )  # fmt: skip

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Liveness, without the database: the framework's own floor for load tests."""
        return {"status": "ok"}

    return app

"""The language of the web pages: the user's choice, else the browser's.

Order: a logged-in user's stored language (``users.language``, set on the language form and
kept for every browser they log in from), else the language chosen in this browser session
(the signed session cookie, e.g. on the login page), else the best match of the browser's
``Accept-Language`` header (:func:`psoreg.i18n.negotiate`), else English.

:class:`LanguageMiddleware` sets the request's language (:mod:`psoreg.i18n`) before any page
code runs, so messages written in Python are translated as well as the templates.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from psoreg import i18n
from psoreg.web.security import check_csrf, client_address

router = APIRouter(include_in_schema=False)


def browser_language(scope: Scope) -> str:
    """The session's chosen language, else the Accept-Language match."""
    chosen = (scope.get("session") or {}).get("lang")
    if chosen in i18n.LANGUAGES:
        return chosen
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            return i18n.negotiate(value.decode("latin-1"))
    return i18n.DEFAULT


class LanguageMiddleware:
    """Runs each HTTP request in its language (inside the session cookie middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with i18n.use_language(browser_language(scope)):
            await self.app(scope, receive, send)


def page_language(request: Request) -> str:
    """The language of this page: the logged-in user's stored one, else the browser's."""
    stored = getattr(request.state, "language", None)
    return stored if stored in i18n.LANGUAGES else browser_language(request.scope)


def _back(url: str) -> str:
    """A same-site path to return to (never another host)."""
    parts = urlsplit(url or "/")
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or url.startswith("//"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


@router.post("/language", dependencies=[Depends(check_csrf)])
def choose_language(
    request: Request,
    lang: Annotated[str, Form()],
    back: Annotated[str, Form(alias="next")] = "/",
) -> RedirectResponse:
    """Set the page language: in this browser session and, when logged in, for the user."""
    from psoreg.web.app import optional_actor, store_of

    try:
        code = i18n.check_language(lang, "lang")
    except ValueError:
        code = i18n.DEFAULT
    request.session["lang"] = code
    actor = optional_actor(request) if request.session.get("sid") else None
    if actor is not None:
        from psoreg.accounts import users

        with store_of(request).session() as s:
            users.set_language(s, actor.username, code, client_address(request))
    return RedirectResponse(_back(back), status_code=303)

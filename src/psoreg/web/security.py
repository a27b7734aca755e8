"""CSRF tokens, the session cookie, security headers and the client's address.

* The cookie (Starlette's signed session) carries only a random session id - the session itself
  is held in the database (:mod:`psoreg.accounts.sessions`) - and the CSRF token. It is
  ``HttpOnly``, ``SameSite=Lax``, a browser-session cookie (no expiry date; the server ends the
  session), and ``Secure`` when the site runs with ``--https`` or the request came over HTTPS
  through a trusted proxy.
* Every state-changing form carries ``csrf_token`` (or the ``X-CSRF-Token`` header for htmx);
  a POST without the session's token is refused with 403 before anything is read or saved.
* :class:`SecurityHeaders` adds to every response a strict Content-Security-Policy (no inline
  script or style, no framing), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
  no-referrer``, ``Cache-Control: no-store`` (everything but the static files, which hold no
  patient data) and, over HTTPS, ``Strict-Transport-Security``.
* The client's address is the connection's peer; ``X-Forwarded-For``/``-Proto`` are believed
  only from the proxies listed with ``--forwarded-allow-ips`` (uvicorn's
  ``ProxyHeadersMiddleware``, added by :func:`psoreg.web.app.create_app` only then).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "psoreg_session"

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"
COMMON_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)


class CsrfError(PermissionError):
    """A form without the session's CSRF token."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use)."""
    tok = request.session.get("csrf")
    if not tok:
        tok = secrets.token_urlsafe(32)
        request.session["csrf"] = tok
    return tok


async def check_csrf(request: Request) -> None:
    """Refuse the request unless its form or header carries the session's CSRF token."""
    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token")
    if given is None:
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise CsrfError("missing or wrong CSRF token: reload the page and try again")


def client_address(request: Request) -> str:
    """The client's address (after the trusted proxies, if any)."""
    return request.client.host if request.client else "-"


def is_https(scope: Scope, forced: bool) -> bool:
    return forced or scope.get("scheme") in ("https", "wss")


class SecurityHeaders:
    """Adds the security headers to every HTTP response (pages, API, errors, static files)."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")
        secure = is_https(scope, self.https)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"server", b"cache-control")
                    or (static and k.lower() == b"cache-control")
                ]
                headers += COMMON_HEADERS
                if not static:
                    headers += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
                if secure:
                    headers.append((b"strict-transport-security", HSTS.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SessionCookie:
    """Starlette's signed session cookie, marked ``Secure`` over HTTPS (or always with
    ``--https``): one middleware of each kind, chosen per request by its scheme."""

    def __init__(self, app: ASGIApp, *, secret: str, https: bool = False) -> None:
        common: dict[str, Any] = {
            "secret_key": secret,
            "session_cookie": SESSION_COOKIE,
            "same_site": "lax",
            "max_age": None,
        }
        self.https = https
        self.secure = SessionMiddleware(app, https_only=True, **common)
        self.plain = SessionMiddleware(app, https_only=False, **common)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = self.secure if is_https(scope, self.https) else self.plain
        await chosen(scope, receive, send)

"""Sessions, CSRF tokens, login rate limiting and API tokens.

* The session is Starlette's signed cookie (itsdangerous), holding the user id and a CSRF token.
* Every state-changing form carries ``csrf_token`` (or the ``X-CSRF-Token`` header for htmx);
  a POST without the session's token is refused with 403 before anything is read or saved.
* Logins are limited per client address and user name: after ``MAX_FAILURES`` failures in
  ``WINDOW_SECONDS`` further attempts are refused (429) until the window has passed.
* API tokens are signed, timed tokens (``Authorization: Bearer …``) naming the user.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque

from fastapi import Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
TOKEN_MAX_AGE = 12 * 3600


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


class LoginLimiter:
    """Counts failed logins per key in a sliding window."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        q = self._failures[key]
        now = time.monotonic()
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked_for(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 when it may now)."""
        q = self._recent(key)
        if len(q) < self.max_failures:
            return 0.0
        return max(0.0, self.window - (time.monotonic() - q[0]))

    def failed(self, key: str) -> None:
        self._recent(key).append(time.monotonic())

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


class Tokens:
    """Signed API tokens carrying the user id."""

    def __init__(self, secret: str) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="psoreg-api")

    def issue(self, user_id: int) -> str:
        return self._s.dumps({"uid": user_id})

    def user_id(self, token: str) -> int | None:
        try:
            data = self._s.loads(token, max_age=TOKEN_MAX_AGE)
        except (BadSignature, SignatureExpired):
            return None
        return int(data["uid"]) if isinstance(data, dict) and "uid" in data else None

"""Server-side browser sessions and API tokens, both held in the database.

A browser gets a random session id in its (signed) cookie; only the id's SHA-256 is stored, in
``auth_sessions``, with its user, expiry, last use, address and browser. A session is valid
while it is not revoked, not past its absolute lifetime (:data:`SESSION_HOURS`) and used within
the idle timeout (:data:`IDLE_MINUTES`), and its user is active. Logging out revokes it;
a password change, a reset, a role change and a deactivation revoke all of the user's sessions
and tokens; an administrator can revoke any. Because the state is in the database, revocation
holds in every worker process and after a restart.

API tokens (``psr_…``) work the same way in ``api_tokens``, with a name, scopes
(:data:`SCOPES`, limited by the role) and an expiry of at most :data:`MAX_TOKEN_DAYS` days.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from psoreg.store import audit
from psoreg.store.errors import FieldError
from psoreg.store.models import ApiToken, AuthSession, User, UserSite, utcnow
from psoreg.store.prepared import Prepared, Reader

SESSION_HOURS = 12
IDLE_MINUTES = 30
#: last use is written at most this often (seconds), not on every request
TOUCH_SECONDS = 60
TOKEN_PREFIX = "psr_"
DEFAULT_TOKEN_HOURS = 12
MAX_TOKEN_DAYS = 90
#: what a token may do: read records, write records, export tables
SCOPES = ("read", "write", "export")
ROLE_SCOPES = {"admin": SCOPES, "clinician": SCOPES, "analyst": ("read", "export")}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Settings:
    """Session lifetimes (``psoreg serve --session-hours/--idle-minutes``)."""

    hours: float = SESSION_HOURS
    idle_minutes: float = IDLE_MINUTES


# --- browser sessions --------------------------------------------------------------------------


def start(
    s: Session,
    user: User,
    *,
    address: str | None,
    user_agent: str | None,
    settings: Settings = Settings(),
) -> str:
    """A new session for ``user``; returns the id to put in the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    s.add(
        AuthSession(
            token_hash=digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(hours=settings.hours),
            address=(address or "")[:64] or None,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    s.flush()
    return token


def current(
    s: Session, token: str | None, settings: Settings = Settings()
) -> tuple[User, AuthSession] | None:
    """The user and session of a cookie's session id, if it is still valid (and touch it)."""
    if not token:
        return None
    row = s.scalar(
        select(AuthSession)
        .options(joinedload(AuthSession.user))
        .where(AuthSession.token_hash == digest(token))
    )
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if now >= row.expires_at:
        return None
    if now - row.last_seen_at > dt.timedelta(minutes=settings.idle_minutes):
        row.revoked_at, row.revoked_reason = now, "idle timeout"
        return None
    user = row.user
    if user is None or not user.active:
        return None
    if (now - row.last_seen_at).total_seconds() > TOUCH_SECONDS:
        row.last_seen_at = now
    return user, row


@dataclass(frozen=True)
class Found:
    """A valid browser session as :func:`peek` reads it (plain values, no ORM objects)."""

    session_id: int
    user_id: int
    username: str
    role: str
    all_sites: bool
    language: str | None
    #: the user's (site, role) memberships, sorted; None for administrators and all-sites
    #: users (as :func:`psoreg.store.sites.actor_sites`)
    sites: tuple[tuple[str, str], ...] | None = None


_PEEK = Prepared(
    select(
        AuthSession.id,
        AuthSession.revoked_at,
        AuthSession.expires_at,
        AuthSession.last_seen_at,
        User.id,
        User.username,
        User.role,
        User.active,
        User.all_sites,
        User.language,
        UserSite.site,
        UserSite.role,
    )
    .join(User, User.id == AuthSession.user_id)
    .outerjoin(UserSite, UserSite.user_id == User.id)  # one row per membership (or one)
    .where(AuthSession.token_hash == bindparam("token_hash"))
)


def peek(
    reader: Reader, token: str | None, settings: Settings = Settings()
) -> tuple[Found | None, bool]:
    """The session of a cookie's session id, read with one indexed query and no write: (the
    session if valid, whether :func:`current` must run in a writing transaction because the
    session is to be touched or ended for being idle). The same rules as :func:`current`."""
    if not token:
        return None, False
    rows = _PEEK.rows(reader, token_hash=digest(token))
    if not rows:
        return None, False
    sid, revoked, expires, seen, user_id, username, role, active, all_sites, language = rows[0][:10]
    now = utcnow()
    if revoked is not None or now >= expires:
        return None, False
    idle = now - seen
    if idle > dt.timedelta(minutes=settings.idle_minutes):
        return None, True  # current() ends it
    if not active:
        return None, False
    sites = (
        None
        if role == "admin" or all_sites
        else tuple(sorted((r[10], r[11]) for r in rows if r[10] is not None))
    )
    found = Found(sid, user_id, username, role, bool(all_sites), language, sites)
    return found, idle.total_seconds() > TOUCH_SECONDS


def end(s: Session, token: str | None, reason: str = "logout") -> None:
    """Revoke the session of ``token`` (logging out)."""
    if token:
        s.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == digest(token), AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason=reason)
        )


def revoke_all(s: Session, user_id: int, reason: str, *, keep_session: int | None = None) -> int:
    """Revoke every session and API token of a user (but ``keep_session``); returns how many."""
    now = utcnow()
    q = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if keep_session is not None:
        q = q.where(AuthSession.id != keep_session)
    n = s.execute(q.values(revoked_at=now, revoked_reason=reason)).rowcount or 0
    n += (
        s.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        ).rowcount
        or 0
    )
    return n


def _revoke(
    s: Session, model: type[AuthSession] | type[ApiToken], row_id: int, by: str, address: str | None
) -> bool:
    """Revoke one session or token (audited); ``False`` if there is none to revoke."""
    row = s.get(model, row_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at, row.revoked_reason = utcnow(), f"revoked by {by}"[:64]
    audit.record(
        s,
        username=by,
        action="revoke",
        table=model.__tablename__,
        record_id=str(row.id),
        changes={"user": (row.user.username, None)},
        address=address,
    )
    return True


def revoke_session(s: Session, session_id: int, *, by: str, address: str | None = None) -> bool:
    """An administrator (or the user) revokes one session; audited."""
    return _revoke(s, AuthSession, session_id, by, address)


def active(s: Session, user_id: int | None = None) -> list[AuthSession]:
    """Sessions not revoked nor expired (newest first), of one user or of all."""
    now = utcnow()
    q = (
        select(AuthSession)
        .where(AuthSession.revoked_at.is_(None), AuthSession.expires_at > now)
        .order_by(AuthSession.last_seen_at.desc())
    )
    if user_id is not None:
        q = q.where(AuthSession.user_id == user_id)
    return list(s.scalars(q))


# --- API tokens -------------------------------------------------------------------------------


def parse_scopes(role: str, requested: list[str] | str | None) -> tuple[str, ...]:
    """The scopes asked for (default: all the role allows); refused beyond the role."""
    allowed = ROLE_SCOPES.get(role, ())
    if requested is None or requested == "" or requested == []:
        return allowed
    asked = requested.split() if isinstance(requested, str) else list(requested)
    unknown = [x for x in asked if x not in SCOPES]
    if unknown:
        raise FieldError({"scopes": f"unknown scope {unknown[0]!r}; one of {', '.join(SCOPES)}"})
    beyond = [x for x in asked if x not in allowed]
    if beyond:
        raise FieldError(
            {"scopes": f"role {role} may not have {beyond[0]!r}; allowed: {', '.join(allowed)}"}
        )
    return tuple(x for x in SCOPES if x in asked)


def issue(
    s: Session,
    user: User,
    *,
    scopes: tuple[str, ...],
    hours: float = DEFAULT_TOKEN_HOURS,
    name: str | None = None,
    address: str | None = None,
) -> tuple[str, ApiToken]:
    """A new API token (shown once; only its hash is kept); audited."""
    if not 0 < hours <= MAX_TOKEN_DAYS * 24:
        raise FieldError(
            {"expires_in_hours": f"got {hours:g}; from 1 hour to {MAX_TOKEN_DAYS * 24} hours"}
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        token_hash=digest(token),
        user_id=user.id,
        name=(name or "").strip()[:100] or None,
        scopes=" ".join(scopes),
        created_at=now,
        expires_at=now + dt.timedelta(hours=hours),
    )
    s.add(row)
    s.flush()
    audit.record(
        s,
        username=user.username,
        action="create",
        table="api_tokens",
        record_id=str(row.id),
        changes={"scopes": (None, row.scopes), "expires_at": (None, row.expires_at)},
        address=address,
    )
    return token, row


def token_user(s: Session, token: str | None) -> tuple[User, ApiToken] | None:
    """The user and token row of a bearer token, if valid (and note its use)."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = s.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == digest(token))
    )
    now = utcnow()
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return None
    if row.user is None or not row.user.active:
        return None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > TOUCH_SECONDS:
        row.last_used_at = now
    return row.user, row


def revoke_token(s: Session, token_id: int, *, by: str, address: str | None = None) -> bool:
    """Revoke one API token; audited."""
    return _revoke(s, ApiToken, token_id, by, address)


def tokens(s: Session, user_id: int | None = None) -> list[ApiToken]:
    """Tokens not revoked nor expired (newest first), of one user or of all."""
    q = (
        select(ApiToken)
        .where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
        .order_by(ApiToken.created_at.desc())
    )
    if user_id is not None:
        q = q.where(ApiToken.user_id == user_id)
    return list(s.scalars(q))

"""Accounts: create, deactivate, reset, change role, change password, log in - each audited.

Roles are those of :data:`psoreg.store.service.PERMISSIONS` (admin, clinician, analyst). User
names are letters, digits, '.', '-' and '_', stored in lower case and unique whatever the case.
A change of password or role, a reset and a deactivation revoke the user's sessions and API
tokens (:mod:`psoreg.accounts.sessions`). The last active administrator can be neither
deactivated nor demoted, so the site can always be administered (the command line
``psoreg users`` can always repair it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from psoreg.accounts import limiter, passwords, sessions
from psoreg.store import audit
from psoreg.store.db import Store
from psoreg.store.errors import FieldError, NotFound
from psoreg.store.models import User, utcnow
from psoreg.store.service import ROLES, Actor

USERNAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")


def normalise(username: str) -> str:
    return (username or "").strip().lower()


def find(s: Session, username: str) -> User | None:
    return s.scalar(select(User).where(func.lower(User.username) == normalise(username)))


def get(s: Session, username: str) -> User:
    user = find(s, username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def _check_password(password: str, username: str) -> None:
    found = passwords.problems(password, username)
    if found:
        raise FieldError({"password": found[0]})


def add_user(
    s: Session,
    username: str,
    password: str,
    role: str,
    by: str,
    address: str | None = None,
    *,
    sites: list[str] | None = None,
    all_sites: bool = False,
) -> User:
    """Create an account (audited, without the password).

    ``sites`` are ``CODE`` or ``CODE:role`` (the role at that site; default the account's);
    without any, a clinician or analyst joins the registry's only site when it has just one.
    ``all_sites`` gives the account its role at every site."""
    name = normalise(username)
    errors = {}
    if not USERNAME.match(name):
        errors["username"] = "letters, digits, '.', '-' and '_', 1 to 64 characters"
    elif find(s, name) is not None:
        errors["username"] = f"{name} already exists"
    if role not in ROLES:
        errors["role"] = f"one of: {', '.join(ROLES)}"
    pw_problems = passwords.problems(password, name)
    if pw_problems:
        errors["password"] = pw_problems[0]
    if errors:
        raise FieldError(errors)
    user = User(
        username=name,
        password_hash=passwords.hash_password(password),
        role=role,
        active=True,
        password_changed_at=utcnow(),
    )
    s.add(user)
    s.flush()
    _audit(s, by, "create", user, {"username": (None, name), "role": (None, role)}, address)
    from psoreg.store import sites as site_store

    given = site_store.parse_memberships(sites or [], role)
    members = given or ([] if all_sites else site_store.default_memberships(s, role))
    if members or all_sites:
        site_store.set_memberships(s, name, members, by, all_sites=all_sites, address=address)
    return user


def _audit(
    s: Session,
    by: str,
    action: str,
    user: User,
    changes: dict | None,
    address: str | None,
    reason: str | None = None,
) -> None:
    audit.record(
        s,
        username=by,
        action=action,
        table="users",
        record_id=str(user.id),
        changes=changes,
        reason=reason,
        address=address,
    )


def _active_admins(s: Session) -> int:
    return (
        s.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active))
        or 0
    )


def _keep_an_admin(s: Session, user: User, *, role: str, active: bool) -> None:
    losing = user.role == "admin" and user.active and (role != "admin" or not active)
    if losing and _active_admins(s) <= 1:
        raise FieldError(
            {"username": f"{user.username} is the last active administrator: add another first"}
        )


def set_active(
    s: Session, username: str, active: bool, by: str, address: str | None = None
) -> User:
    """Deactivate (revoking every session and token) or reactivate an account."""
    user = get(s, username)
    if user.active == active:
        return user
    _keep_an_admin(s, user, role=user.role, active=active)
    user.active = active
    if not active:
        sessions.revoke_all(s, user.id, "deactivated")
    _audit(
        s,
        by,
        "deactivate" if not active else "activate",
        user,
        {"active": (not active, active)},
        address,
    )
    return user


def set_role(s: Session, username: str, role: str, by: str, address: str | None = None) -> User:
    """Change a user's role (their sessions and tokens are revoked: they log in again)."""
    if role not in ROLES:
        raise FieldError({"role": f"one of: {', '.join(ROLES)}"})
    user = get(s, username)
    if user.role == role:
        return user
    _keep_an_admin(s, user, role=role, active=user.active)
    old, user.role = user.role, role
    sessions.revoke_all(s, user.id, "role changed")
    _audit(s, by, "update", user, {"role": (old, role)}, address)
    return user


def reset_password(
    s: Session, username: str, by: str, password: str | None = None, address: str | None = None
) -> str:
    """Set a new password (random when not given) and revoke every session and token of the
    user; returns the password, to be handed over once."""
    user = get(s, username)
    new = password if password is not None else passwords.generate()
    _check_password(new, user.username)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    sessions.revoke_all(s, user.id, "password reset")
    _audit(s, by, "reset", user, {"password": ("(hidden)", "(reset)")}, address)
    return new


def change_password(
    s: Session,
    user_id: int,
    current: str,
    new: str,
    *,
    keep_session: int | None,
    address: str | None = None,
) -> None:
    """A user changes their own password: the current one is required; every other session and
    every token of the user is revoked."""
    user = s.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("no such active user")
    if not passwords.verify(user.password_hash, current):
        raise FieldError({"current_password": "this is not your current password"})
    if current == new:
        raise FieldError({"password": "choose a password different from the current one"})
    _check_password(new, user.username)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    sessions.revoke_all(s, user.id, "password changed", keep_session=keep_session)
    _audit(s, user.username, "update", user, {"password": ("(hidden)", "(changed)")}, address)


def set_language(
    s: Session, username: str, language: str | None, address: str | None = None
) -> User:
    """Set the language of a user's web pages ("en", "ms"; None = the browser's), audited."""
    from psoreg.i18n import check_language

    lang = None if language is None else check_language(language, "language")
    user = get(s, username)
    old = user.language
    if old != lang:
        user.language = lang
        _audit(s, user.username, "update", user, {"language": (old, lang)}, address)
    return user


def authenticate(s: Session, username: str, password: str) -> User | None:
    """The active user with this password, or ``None`` (same cost either way)."""
    user = find(s, username)
    if user is None or not user.active:
        passwords.waste_time(password)
        return None
    if not passwords.verify(user.password_hash, password):
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


@dataclass(frozen=True)
class Login:
    """The result of a login attempt: the user's id and role, or why not."""

    user_id: int | None = None
    username: str | None = None
    role: str | None = None
    blocked: bool = False
    retry_after: int = 0

    @property
    def ok(self) -> bool:
        return self.user_id is not None


def login(store: Store, username: str, password: str, *, address: str, channel: str) -> Login:
    """Check a login (web page or API) through the limiter and audit it, success or failure."""
    attempt = limiter.begin(store, username, address, channel)
    if attempt.blocked:
        return Login(blocked=True, retry_after=attempt.retry_after)
    with store.session() as s:
        user = authenticate(s, username, password)
        if user is None:
            # an unknown name is not kept: it is often a password typed in the wrong field,
            # and the audit trail is permanent
            known = find(s, username)
            audit.record(
                s,
                username=known.username if known else "(unknown user)",
                action="login-failed",
                table="users",
                record_id=str(known.id) if known else "-",
                changes={"channel": (None, channel)},
                address=address,
            )
            result = Login()
        else:
            user.last_login_at = utcnow()
            audit.record(
                s,
                username=user.username,
                action="login",
                table="users",
                record_id=str(user.id),
                changes={"channel": (None, channel)},
                address=address,
            )
            result = Login(user_id=user.id, username=user.username, role=user.role)
    limiter.finish(store, attempt, result.ok)
    return result


def actor_of(s: Session, user: User, address: str | None = None) -> Actor:
    """The :class:`Actor` of ``user``, with the sites and roles they hold now."""
    from psoreg.store.sites import actor_sites

    return Actor(user.username, user.role, address, actor_sites(s, user))

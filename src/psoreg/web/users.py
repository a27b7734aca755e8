"""Accounts: argon2-hashed passwords and roles (admin, clinician, analyst).

* **admin** – manages accounts, reads the audit log, and reads and writes identified data.
* **clinician** – reads and writes identified data.
* **analyst** – reads de-identified data only (pseudonyms, shifted dates, no names); no writes.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from psoreg.store import audit
from psoreg.store.errors import FieldError
from psoreg.store.models import User
from psoreg.store.service import ROLES

_HASHER = PasswordHasher()
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def add_user(session: Session, username: str, password: str, role: str, by: str) -> User:
    """Create an account (audited, without the password)."""
    errors = {}
    if not username or len(username) > 64 or not username.replace(".", "").isalnum():
        errors["username"] = "letters, digits and dots, up to 64 characters"
    elif session.scalar(select(User).where(User.username == username)):
        errors["username"] = f"{username} already exists"
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = f"at least {MIN_PASSWORD} characters"
    if role not in ROLES:
        errors["role"] = f"one of: {', '.join(ROLES)}"
    if errors:
        raise FieldError(errors)
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    audit.record(
        session,
        username=by,
        action="create",
        table="users",
        record_id=str(user.id),
        changes={"username": (None, username), "role": (None, role)},
    )
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this password, or ``None``."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        _HASHER.hash(password or "x")  # similar time whether or not the user exists
        return None
    try:
        _HASHER.verify(user.password_hash, password or "")
    except (VerifyMismatchError, InvalidHashError):
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user

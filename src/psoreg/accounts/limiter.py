"""The login limiter: persistent, in the database, shared by the login page and the API.

Every attempt is written to ``login_attempts`` *before* the password is checked (as
``pending``), so parallel guesses are counted too, and then marked ``failure`` or ``success``.
An attempt is refused (429, without checking the password) when, within :data:`WINDOW`:

* its client address already has :data:`MAX_PER_ADDRESS` failed attempts (any user name), or
* the user name already has :data:`MAX_PER_ACCOUNT` failed attempts from anywhere, *unless*
  the address logged in to that account successfully in the last :data:`KNOWN_DAYS` days -
  so an attacker guessing from many addresses is stopped, but cannot lock the real user out of
  the workstation they always use.

The client address is the connection's peer; ``X-Forwarded-For`` is believed only from the
proxies given with ``psoreg serve --forwarded-allow-ips`` (:mod:`psoreg.web.app`). Because the
counts live in the database, they hold across restarts and in every worker process.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from psoreg.store.db import Store
from psoreg.store.models import LoginAttempt, utcnow

MAX_PER_ADDRESS = 5
MAX_PER_ACCOUNT = 10
WINDOW = dt.timedelta(minutes=15)
KNOWN_DAYS = 30
FAILED = ("pending", "failure")


@dataclass(frozen=True)
class Attempt:
    id: int
    blocked: bool
    retry_after: int = 0  # seconds
    why: str = ""


def _wait(times: list[dt.datetime], limit: int, now: dt.datetime) -> int:
    """Seconds until fewer than ``limit`` of the failures ``times`` are inside the window."""
    times = sorted(times)
    oldest_that_matters = times[len(times) - limit]
    return max(1, int((oldest_that_matters + WINDOW - now).total_seconds()) + 1)


def begin(store: Store, username: str, address: str, channel: str) -> Attempt:
    """Record an attempt and decide whether it may go ahead (its own committed transaction)."""
    name = (username or "").strip().lower()[:64]
    address = (address or "-")[:64]
    with store.session() as s:
        row = LoginAttempt(
            at=utcnow(), username=name, address=address, channel=channel, outcome="pending"
        )
        s.add(row)
        s.flush()
        attempt_id = row.id
    now = utcnow()
    with store.session() as s:
        by_address = _failures(s, LoginAttempt.address, address, attempt_id, now)
        blocked = None
        if len(by_address) >= MAX_PER_ADDRESS:
            blocked = Attempt(attempt_id, True, _wait(by_address, MAX_PER_ADDRESS, now), "address")
        else:
            by_account = _failures(s, LoginAttempt.username, name, attempt_id, now)
            if len(by_account) >= MAX_PER_ACCOUNT and not _known(s, name, address, now):
                wait = _wait(by_account, MAX_PER_ACCOUNT, now)
                blocked = Attempt(attempt_id, True, wait, "account")
        if blocked:
            s.execute(
                update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(outcome="blocked")
            )
            return blocked
    return Attempt(attempt_id, False)


def _failures(
    s: Session, column: Any, value: str, before_id: int, now: dt.datetime
) -> list[dt.datetime]:
    """When the failed (or still pending) attempts of ``column == value`` recorded before
    ``before_id`` within the window happened."""
    return list(
        s.scalars(
            select(LoginAttempt.at).where(
                column == value,
                LoginAttempt.at > now - WINDOW,
                LoginAttempt.outcome.in_(FAILED),
                LoginAttempt.id < before_id,
            )
        )
    )


def _known(s: Session, name: str, address: str, now: dt.datetime) -> bool:
    """Whether ``address`` logged in to ``name`` successfully in the last KNOWN_DAYS days."""
    n = s.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.username == name,
            LoginAttempt.address == address,
            LoginAttempt.outcome == "success",
            LoginAttempt.at > now - dt.timedelta(days=KNOWN_DAYS),
        )
    )
    return bool(n)


def finish(store: Store, attempt: Attempt, success: bool) -> None:
    """Mark the attempt; a success also clears attempts older than KNOWN_DAYS."""
    with store.session() as s:
        s.execute(
            update(LoginAttempt)
            .where(LoginAttempt.id == attempt.id)
            .values(outcome="success" if success else "failure")
        )
        if success:
            cutoff = utcnow() - dt.timedelta(days=KNOWN_DAYS)
            s.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))

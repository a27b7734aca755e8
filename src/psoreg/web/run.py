"""Starting the application: the site secret, the demo (only with ``--demo``) and its accounts."""

from __future__ import annotations

import contextlib
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from psoreg.accounts.passwords import generate
from psoreg.accounts.users import add_user
from psoreg.store import audit, open_store
from psoreg.store.db import locate, masked, site_secret
from psoreg.store.models import User
from psoreg.store.seed import is_empty, seed_visit_cohort
from psoreg.web.app import WebSettings, create_app

#: the demo's accounts (user name, role); their passwords are random, printed once
DEMO_USERS = (("admin", "admin"), ("clinician", "clinician"), ("analyst", "analyst"))


@dataclass
class Started:
    app: FastAPI
    #: the database URL with any password masked (safe to print)
    url: str
    folder: Path
    seeded: int
    #: (user, password, role) of demo accounts created now - shown once, never again
    demo_users: tuple[tuple[str, str, str], ...]
    has_users: bool
    #: the database URL itself, for this process's workers only (never printed or logged)
    db_url: str = ""
    #: patients whose stored outcomes were missing or stale and were recomputed at start-up
    refreshed: int = 0


def build(
    db: str | None,
    data: Path | None,
    demo: bool = False,
    settings: WebSettings | None = None,
) -> Started:
    """Open (migrate) the database; with ``demo``, on an empty database, load the demo patients
    and create the demo accounts with random passwords; bring the stored outcomes up to date,
    compile the outcome query, and create the app."""
    from psoreg.outcomes.compiled import warm
    from psoreg.store.outcome_table import refresh_stale

    url, folder = locate(db, data)
    secret = site_secret(folder)
    store = open_store(url, secret=secret)
    with store.read_connection() as conn:  # a wrong secret.key stops here, not at a first write
        audit.require_key(conn, secret)
    warm(store.options)
    seeded, created = 0, []
    with store.session() as s:
        no_users = not s.scalar(select(func.count()).select_from(User))
        if demo and no_users:
            for name, role in DEMO_USERS:
                password = generate()
                add_user(s, name, password, role, by="setup")
                created.append((name, password, role))
        if demo and is_empty(s):
            seeded = seed_visit_cohort(s)
        has_users = bool(created) or not no_users
    refreshed = refresh_stale(store)
    app = create_app(store, secret, settings)
    return Started(
        app=app,
        url=masked(url),
        folder=folder,
        seeded=seeded,
        demo_users=tuple(created),
        has_users=has_users,
        db_url=url,
        refreshed=refreshed,
    )


def server_options(host: str, port: int, **kw: Any) -> dict[str, Any]:
    """uvicorn's settings for psoreg: no ``server`` banner, no proxy headers (the app believes
    them only from ``--forwarded-allow-ips``), warnings only (no access log, so no query string
    is ever logged)."""
    return {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,
        "forwarded_allow_ips": "",
        **kw,
    }


def server_config(app: FastAPI, host: str, port: int, **kw: Any):  # noqa: ANN201
    """A uvicorn configuration of :func:`server_options` for ``app`` in this process."""
    import uvicorn

    return uvicorn.Config(app, **server_options(host, port, **kw))


def run_server(
    started: Started,
    host: str,
    port: int,
    workers: int | None = None,
    settings: WebSettings | None = None,
    **kw: Any,
) -> None:
    """Serve ``started`` with uvicorn (uvloop and httptools when installed).

    ``workers`` processes (default: the number of CPU cores) each run
    :func:`psoreg.web.asgi.app_from_environment` with the same database, data folder (its
    ``secret.key``) and ``settings``, under uvicorn's supervisor (a worker that dies is
    replaced); each listens on its own socket (:class:`WorkerSocket`). With 1 the application
    runs in this process.
    """
    import os

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from psoreg.web.asgi import DATA_VAR, DB_VAR, SETTINGS_VAR, settings_to_env

    workers = workers or os.cpu_count() or 1
    if workers == 1:
        uvicorn.Server(server_config(started.app, host, port, **kw)).run()
        return
    started.app.state.store.close()  # the workers open their own connections
    os.environ[DB_VAR] = started.db_url
    os.environ[DATA_VAR] = str(started.folder)
    os.environ[SETTINGS_VAR] = settings_to_env(settings or WebSettings())
    try:
        held = reserve_port(host, port)  # a port in use stops here, before any worker starts
    except OSError as exc:
        import logging

        from uvicorn.config import STARTUP_FAILURE

        logging.getLogger("uvicorn.error").error(exc)
        sys.exit(STARTUP_FAILURE)
    with held:
        port = held.getsockname()[1]
        config = uvicorn.Config(
            "psoreg.web.asgi:app_from_environment",
            factory=True,
            workers=workers,
            **server_options(host, port, **kw),
        )
        each = WorkerSocket(held.family, host, port)
        with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run
            Multiprocess(config, sockets=[each]).run()  # type: ignore[list-item]


# --- one listening socket per worker ------------------------------------------------------------
#
# uvicorn's own ``--workers`` binds one socket in the parent and every worker accepts from it.
# A worker woken by new connections accepts all that are waiting, so the keep-alive connections
# of a burst of clients often all land on one worker while the other idles (bench-web saw the
# same load run at 117 or 194 pages/s from one start to the next). With SO_REUSEPORT every
# worker listens on a socket of its own, bound to the same address, and the kernel spreads
# new connections over the sockets (a hash of each connection's addresses and ports), the way
# nginx's ``reuseport`` and gunicorn's ``--reuse-port`` with several servers share a port. A
# worker that dies takes its socket with it, so no connection waits in a queue nobody reads.
# The kernel lets only processes of the same user join a port's group.


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound to (``host``, ``port``) with SO_REUSEPORT and not listening: it holds the
    port (port 0 picks a free one) for the workers' sockets, and receives no connection."""
    return _bound(_family(host), host, port)


def worker_socket(family: int, host: str, port: int) -> socket.socket:
    """A new socket bound with SO_REUSEPORT to (``host``, ``port``), for one worker (uvicorn
    makes it listen); a port that cannot be bound ends the worker as a start-up failure,
    which stops the server instead of restarting the worker in a loop."""
    from uvicorn.config import STARTUP_FAILURE

    try:
        return _bound(family, host, port)
    except OSError as exc:
        print(f"psoreg worker cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        sys.exit(STARTUP_FAILURE)


def _bound(family: int, host: str, port: int) -> socket.socket:
    """A TCP socket bound with SO_REUSEADDR and SO_REUSEPORT; closed again if binding fails."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


@dataclass(frozen=True)
class WorkerSocket:
    """Stands in uvicorn's list of the workers' sockets for a socket each worker opens itself.

    uvicorn hands its workers their sockets by pickling them into each new process; this
    object pickles as a call of :func:`worker_socket`, so every worker (and every replacement
    of one) unpickles a socket of its own on the shared address, where uvicorn's code serves
    it as it would the parent's."""

    family: int
    host: str
    port: int

    def __reduce__(self) -> tuple[Any, tuple[int, str, int]]:
        return worker_socket, (self.family, self.host, self.port)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET

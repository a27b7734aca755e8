"""What the interop commands share: opening the registry, printing import problems."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from psoreg.errors import ImportFailed

err = Console(stderr=True)
out = Console()

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: the SQLite registry in --data)."),
]
DataOpt = Annotated[
    Path | None,
    typer.Option("--data", help="Data folder of `psoreg serve` (default: $PSOREG_DATA_DIR)."),
]


def open_registry(db: str | None, data: Path | None) -> Any:
    from psoreg.store import open_store
    from psoreg.store.db import locate, site_secret

    url, folder = locate(db, data)  # the data folder holds secret.key, which keys the audit chain
    return open_store(url, secret=site_secret(folder))


def cli_actor() -> Any:
    """The command-line user, named in the audit trail (``cli:<login>``), with admin rights."""
    from psoreg.store.service import Actor

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(f"cli:{user}", "admin")


def fail(exc: ImportFailed) -> typer.Exit:
    err.print(f"[red bold]{exc.path}: {len(exc.errors)} problem(s); nothing was imported[/]")
    for e in exc.errors:
        err.print(f"  • {e}", markup=False, highlight=False)
    return typer.Exit(2)

"""``psoreg users`` (accounts) and ``psoreg audit verify`` on the command line.

Both take the registry as ``psoreg serve`` does: ``--db URL`` (default: SQLite in the data
folder) and ``--data DIR`` (the folder holding ``secret.key``, which keys the audit chain: give
the same folder as to ``psoreg serve``). Changes are audited as ``cli:<operating-system user>``.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

out = Console()
err = Console(stderr=True)

users_app = typer.Typer(
    help="Accounts: add, deactivate, reset a password, change a role, list.",
    no_args_is_help=True,
)
audit_app = typer.Typer(help="The audit trail: verify its hash chain.", no_args_is_help=True)

Db = Annotated[
    str | None,
    typer.Option(
        help="Database URL, e.g. postgresql+psycopg://user@host/psoreg "
        "(default: SQLite in the data folder)."
    ),
]
Data = Annotated[
    Path | None,
    typer.Option(
        help="Data folder holding secret.key (default: the SQLite file's folder, else "
        "$PSOREG_DATA_DIR or ~/.local/share/psoreg)."
    ),
]
Username = Annotated[str, typer.Argument(help="User name.")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input instead of generating "
        "a random one.",
    ),
]


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in the environment
        return "cli"


def _open(db: str | None, data: Path | None):  # noqa: ANN202 - Store, imported lazily
    from sqlalchemy.exc import SQLAlchemyError

    from psoreg.store import open_store
    from psoreg.store.db import locate, masked, site_secret

    url, folder = locate(db, data)
    try:
        return open_store(url, secret=site_secret(folder))
    except (SQLAlchemyError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        err.print(f"[red]cannot open {masked(url)}: {first}[/red]", highlight=False)
        raise typer.Exit(2) from None


def _run(db: str | None, data: Path | None, fn):  # noqa: ANN001, ANN202
    """Run ``fn(session)`` in one transaction; errors as one line each, exit 2."""
    from psoreg.store.audit import AuditKeyMismatch
    from psoreg.store.errors import FieldError, NotFound

    store = _open(db, data)
    try:
        with store.session() as s:
            return fn(s)
    except FieldError as exc:
        for field, msg in exc.errors.items():
            err.print(f"[red]{field}: {msg}[/red]", highlight=False)
        raise typer.Exit(2) from None
    except (NotFound, AuditKeyMismatch) as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    finally:
        store.close()


def _password(from_stdin: bool) -> tuple[str, bool]:
    """(password, generated?)"""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    from psoreg.accounts.passwords import generate

    return generate(), True


def _show_once(username: str, password: str) -> None:
    out.print(
        f"Password for [bold]{username}[/bold] (shown once; hand it over safely, the user "
        f"changes it at /account):"
    )
    out.print(password, markup=False, highlight=False)


@users_app.command("add")
def add(
    username: Username,
    role: Annotated[str, typer.Option(help="admin, clinician or analyst.")] = "clinician",
    password_stdin: PasswordStdin = False,
    site: Annotated[
        list[str] | None,
        typer.Option(help="A site (CODE or CODE:role); repeat for more. Default: the only site."),
    ] = None,
    db: Db = None,
    data: Data = None,
) -> None:
    """Create an account (the first administrator of a new site, for example)."""
    from psoreg.accounts.users import add_user

    password, generated = _password(password_stdin)
    name = _run(
        db, data, lambda s: add_user(s, username, password, role, by=_who(), sites=site).username
    )
    out.print(f"Created [bold]{name}[/bold] ({role}).")
    if generated:
        _show_once(name, password)


@users_app.command("deactivate")
def deactivate(username: Username, db: Db = None, data: Data = None) -> None:
    """Deactivate an account: it can no longer log in; its sessions and tokens end now."""
    from psoreg.accounts.users import set_active

    _run(db, data, lambda s: set_active(s, username, False, by=_who()))
    out.print(f"Deactivated {username}; its sessions and API tokens are revoked.")


@users_app.command("activate")
def activate(username: Username, db: Db = None, data: Data = None) -> None:
    """Reactivate a deactivated account."""
    from psoreg.accounts.users import set_active

    _run(db, data, lambda s: set_active(s, username, True, by=_who()))
    out.print(f"Activated {username}.")


@users_app.command("reset")
def reset(
    username: Username, password_stdin: PasswordStdin = False, db: Db = None, data: Data = None
) -> None:
    """Set a new password (random unless --password-stdin) and end the user's sessions."""
    from psoreg.accounts.users import reset_password

    password, generated = _password(password_stdin)
    _run(db, data, lambda s: reset_password(s, username, by=_who(), password=password))
    out.print(f"Password of {username} reset; its sessions and API tokens are revoked.")
    if generated:
        _show_once(username, password)


@users_app.command("role")
def role(
    username: Username,
    new_role: Annotated[str, typer.Argument(metavar="ROLE", help="admin, clinician or analyst.")],
    db: Db = None,
    data: Data = None,
) -> None:
    """Change a user's role (they log in again)."""
    from psoreg.accounts.users import set_role

    _run(db, data, lambda s: set_role(s, username, new_role, by=_who()))
    out.print(f"{username} is now {new_role}.")


@users_app.command("list")
def list_users(db: Db = None, data: Data = None) -> None:
    """Every account: role, active, last login, open sessions."""
    from sqlalchemy import select

    from psoreg.accounts import sessions
    from psoreg.store.models import User

    def rows(s):  # noqa: ANN001, ANN202
        open_ = {}
        for a in sessions.active(s):
            open_[a.user_id] = open_.get(a.user_id, 0) + 1
        return [
            (
                u.username,
                u.role,
                "yes" if u.active else "no",
                str(u.last_login_at or "never")[:19],
                str(open_.get(u.id, 0)),
            )
            for u in s.scalars(select(User).order_by(User.username))
        ]

    table = Table("user", "role", "active", "last login (UTC)", "sessions")
    for r in _run(db, data, rows):
        table.add_row(*r)
    out.print(table)


@audit_app.command("verify")
def verify(
    db: Db = None,
    data: Data = None,
    expect_head: Annotated[
        str | None,
        typer.Option(
            help="ID:HASH of a head printed by an earlier verify: checks that the trail still "
            "holds that entry unchanged (detects the newest entries cut off)."
        ),
    ] = None,
) -> None:
    """Recompute the audit trail's hash chain; exit 1 naming every entry that was inserted,
    changed, deleted or reordered, and every protecting trigger that is missing or disabled."""
    from psoreg.store.audit import verify as run_verify
    from psoreg.store.db import locate, make_engine, masked, read_secret

    url, folder = locate(db, data)
    expected = None
    if expect_head:
        head_id, _, head_hash = expect_head.partition(":")
        if not head_id.isdigit() or len(head_hash) != 64:
            err.print("[red]--expect-head: give ID:HASH as printed by psoreg audit verify[/red]")
            raise typer.Exit(2)
        expected = (int(head_id), head_hash)
    try:
        secret = read_secret(folder)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            result = run_verify(conn, secret, expected)
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        err.print(
            f"[red]cannot read the audit trail of {masked(url)}: {exc}[/red]", highlight=False
        )
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    if result.ok:
        out.print(f"Audit trail intact: {result.checked} entries, chain and triggers verified.")
    else:
        err.print(
            f"[red bold]Audit trail NOT intact: {len(result.problems)} problem(s) "
            f"in {result.checked} entries[/red bold]"
        )
        for p in result.problems:
            err.print(f"  • {p}", markup=False, highlight=False)
    out.print(f"Head: {result.head_id}:{result.head_hash}", highlight=False)
    if not result.ok:
        raise typer.Exit(1)

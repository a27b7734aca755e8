"""``psoreg sites``: the registry's sites and users' roles at them, on the command line (the
same operations as the administrators' page ``/admin/sites``; audited as ``cli:<user>``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from psoreg.accounts.cli import Data, Db, _run, _who, out

sites_app = typer.Typer(help="Sites: list, add, grant users roles at them.", no_args_is_help=True)


@sites_app.command("list")
def list_sites(db: Db = None, data: Data = None) -> None:
    """Sites, their patients, and who works at each."""
    from psoreg.store import sites

    def read(s):  # noqa: ANN001, ANN202
        counts = sites.patients_per_site(s)
        return [(x.code, x.name, x.active, counts.get(x.code, 0)) for x in sites.all_sites(s)]

    table = Table("code", "name", "open", "patients")
    for code, name, active, n in _run(db, data, read):
        table.add_row(code, name, "yes" if active else "closed", str(n))
    out.print(table)


@sites_app.command("add")
def add(
    code: Annotated[str, typer.Argument(help="Site code (letters, digits; never changes).")],
    name: Annotated[str, typer.Argument(help="Site name.")],
    db: Db = None,
    data: Data = None,
) -> None:
    """Add a site."""
    from psoreg.store import sites

    made = _run(db, data, lambda s: sites.add_site(s, code, name, _who()).code)
    out.print(f"Added site {made}.")


@sites_app.command("grant")
def grant(
    username: Annotated[str, typer.Argument(help="User name.")],
    memberships: Annotated[
        list[str] | None,
        typer.Argument(help="CODE or CODE:role (clinician, analyst); none: no site."),
    ] = None,
    all_sites: Annotated[
        bool, typer.Option("--all-sites", help="The account's role at every site.")
    ] = False,
    db: Db = None,
    data: Data = None,
) -> None:
    """Set a user's sites and roles (replacing the ones they had)."""
    from psoreg.accounts.users import get as get_user
    from psoreg.store import sites

    def go(s):  # noqa: ANN001, ANN202
        role = get_user(s, username).role
        members = sites.parse_memberships(memberships or [], role)
        u = sites.set_memberships(s, username, members, _who(), all_sites=all_sites)
        return ", ".join(f"{m.site}:{m.role}" for m in u.sites) or "(none)"

    shown = _run(db, data, go)
    out.print(f"{username}: {shown}{' (all sites)' if all_sites else ''}")


__all__ = ["sites_app"]

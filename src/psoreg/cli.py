"""psoreg's command line (Typer + Rich)."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="psoreg",
    help="Follow patients on biologic therapy for psoriasis: outcomes, summaries, reports.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main() -> None:
    """psoreg command line."""

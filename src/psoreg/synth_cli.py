"""``psoreg synth``: the command line of :mod:`psoreg.synth` (kept apart so that
``psoreg --help`` does not import numpy and pyarrow)."""

from __future__ import annotations

from pathlib import Path

import typer


def synth_command(
    courses: int = typer.Option(..., "--courses", min=0, help="Number of courses to generate."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same files)."),
    out: Path = typer.Option(..., "--out", help="Directory for the Parquet files."),  # noqa: B008
    doses: bool = typer.Option(False, "--doses/--no-doses", help="Also write dose records."),
) -> None:
    """Write a realistic synthetic registry cohort as Parquet files (see docs/scale.md)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from psoreg.synth import synthesize

    console = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("courses", total=courses)
        rows = synthesize(
            courses,
            seed,
            out,
            progress=lambda done, total: bar.update(task, completed=done),
            doses=doses,
        )
    summary = ", ".join(f"{n:,} {t}" for t, n in rows.items())
    console.print(f"Wrote {summary} to {out}")

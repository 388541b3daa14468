"""The live progress line of a run on stderr: done/total, errors, retries, 429s, dollars, ETA.

Shown on a terminal only (a log or a pipe gets the summary alone), and never with --quiet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from advisor.calls import Progress as RunProgress


@contextmanager
def progress_bar(
    console: Console, total: int, quiet: bool = False
) -> Iterator[Callable[[RunProgress], None]]:
    """Yield the callback the runner calls after each request (a no-op off a terminal: the
    first request does not wait for the bar's modules)."""
    if quiet or not console.is_terminal:
        yield lambda p: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[bold]evaluating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("run", total=total, detail="")

        def update(p: RunProgress) -> None:
            bar.update(
                task,
                completed=p.done,
                total=p.total,
                detail="  ".join(f"{name} {n}/{of}" for name, (n, of) in p.by_candidate.items())
                + f"  errors {p.errors}  retries {p.retries}  429s {p.rate_limited}"
                f"  tokens {p.tokens:,}  ${p.spent:,.4f}"
                + (f"  cached {p.cached}" if p.cached else ""),
            )

        yield update

"""The progress bar of a run: done/total, errors, tokens and dollars, on stderr."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from advisor.runner import Progress as RunProgress


@contextmanager
def progress_bar(console: Console, total: int) -> Iterator[Callable[[RunProgress], None]]:
    """Yield the callback the runner calls after each request."""
    columns = (
        TextColumn("[bold]evaluating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=console, transient=False, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task("run", total=total, detail="")

        def update(p: RunProgress) -> None:
            bar.update(
                task,
                completed=p.done,
                total=p.total,
                detail=f"errors {p.errors}  tokens {p.tokens:,}  ${p.spent:,.4f}"
                + (f"  cached {p.cached}" if p.cached else ""),
            )

        yield update

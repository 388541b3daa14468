"""The live progress line of a run on stderr: done/total, errors, retries, 429s, dollars, ETA.

Shown on a terminal only (a log or a pipe gets the summary alone), and never with --quiet.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from advisor.calls import Progress as RunProgress


@contextmanager
def progress_bar(
    console: Console, total: int, quiet: bool = False
) -> Iterator[Callable[[RunProgress], None]]:
    """Yield the callback the runner calls with the run's progress.

    The first request waits for nothing of this: the call that first sees a request on its way
    (or an answer counted) loads rich and makes the console in a background thread, as
    advisor.prefetch loads the end of the run (the run's summary is printed with rich too). The
    bar shows from the first call after that, or at the end, with the last figures, when the
    run was over first.
    """
    loading = threading.Thread(
        target=_load, args=(console, quiet), name="advisor-console", daemon=True
    )
    with ExitStack() as shown:
        bar: Callable[[RunProgress], None] | None = None
        last: RunProgress | None = None

        def update(p: RunProgress) -> None:
            nonlocal bar, last
            last = p
            if loading.ident is None:  # not started yet
                if p.sent or p.done:
                    loading.start()
            elif bar is None and not loading.is_alive():
                bar = _bar(shown, console, total, quiet)
            if bar is not None:
                bar(p)

        try:
            yield update
        finally:  # a run that stops early prints its one line with the console made whole
            if loading.ident is not None:
                loading.join()
        if bar is None and last is not None and loading.ident is not None:
            _bar(shown, console, total, quiet)(last)


def _load(console: Console, quiet: bool) -> None:
    """The console (and rich.console), and on a terminal the bar's modules."""
    if console.is_terminal and not quiet:
        import rich.progress  # noqa: F401


def _bar(
    shown: ExitStack, console: Console, total: int, quiet: bool
) -> Callable[[RunProgress], None]:
    """The bar's update, the bar entered into `shown`; a no-op off a terminal or with --quiet."""
    if quiet or not console.is_terminal:
        return lambda p: None
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
    bar = shown.enter_context(Progress(*columns, console=console, transient=False))
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

    return update

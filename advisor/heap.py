"""The garbage collector and a run's long-lived objects: what lives until exit is not scanned
again and again.

When the last answer arrives the process holds every module, compiled template, the plan and the
completions: some 90,000 objects that live until exit. A full collection while the run is scored
and written walks all of them (measured: 50-120 ms on the shipped example, more than the report
takes to render), for no garbage worth the walk. Frozen, they are left out of every collection
until the end of the run; the objects it makes are collected as usual. The same holds while the
requests are in flight for what was alive when they started (the plan, a replay's fixtures).

Building a large structure without cycles (the fixtures of a replay, the contamination check's
index) makes the collector rescan it again and again as it grows: collection is paused meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen() -> Iterator[None]:
    """Leave the objects alive now out of the collector's scans until the block ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside the block (an explicit `gc.collect()` still runs)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def kept_until_the_end() -> Iterator[None]:
    """Load what lives until the end of the run (a replay's fixtures) with collection paused,
    then freeze everything alive, so that no collection walks it until the run's `frozen()`
    thaws it on leaving. Paused alone, the collection would only come later, over all of it."""
    with paused():
        yield
        gc.freeze()

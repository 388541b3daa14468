"""The garbage collector at the end of a run: what was alive when the answers came in is not
scanned again.

When the last answer arrives the process holds every module, compiled template, the plan and the
completions: some 90,000 objects that live until exit. A full collection while the run is scored
and written walks all of them (measured: 50-120 ms on the shipped example, more than the report
takes to render), for no garbage worth the walk. Frozen, they are left out of every collection
until the end of the run; the objects it makes are collected as usual.
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

"""The bootstrap's resampled example indices, drawn once and shared within an analysis.

Every bootstrap of a run draws its indices from a Generator seeded with the study's seed, in rows
of n indices (one row a resample). The cost-per-call interval of each candidate, the quality
interval and the chance it pays of each challenger resample the same number of examples with the
same seed, so they draw the very same rows: drawing them is most of a bootstrap's cost (measured:
19 ms for 10,000 x 360 indices, against 10 ms to gather and sum them). Inside `shared()` the rows
are kept and handed to every bootstrap that asks for the same (seed, n, resamples, chunk) again;
the figures are bit for bit those of fresh draws, since the rows are.

Outside `shared()`, and beyond `SHARE_LIMIT` draws in all, rows are drawn afresh a chunk at a time
as before, so 100,000 examples x 10,000 resamples still never hold more than a chunk of indices.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

SHARE_LIMIT = 1 << 23
"""Indices kept in all by `shared()`: 64 MB of int64. A few hundred examples x 10,000 resamples
fit several times over; a study too large for them draws afresh, as outside `shared()`."""

_Key = tuple[int, int, int, int]


class _Kept:
    def __init__(self) -> None:
        self.rows: dict[_Key, list[np.ndarray]] = {}
        self.size = 0


_kept: _Kept | None = None


@contextmanager
def shared() -> Iterator[None]:
    """Keep the index rows drawn inside, for any bootstrap that draws them again; dropped on
    leaving, so an analysis holds them only while it runs."""
    global _kept
    outer, _kept = _kept, _kept or _Kept()
    try:
        yield
    finally:
        _kept = outer


def _draw(seed: int, n: int, n_boot: int, rows: int) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    for start in range(0, n_boot, rows):
        yield rng.integers(0, n, size=(min(rows, n_boot - start), n))


def index_rows(seed: int, n: int, n_boot: int, chunk: int) -> Iterator[np.ndarray]:
    """`n_boot` rows of `n` indices in [0, n), `chunk // n` rows (at least one) at a time, from
    `np.random.default_rng(seed)`: the same rows whatever the chunk, since the Generator hands
    out one stream."""
    rows = max(1, chunk // n)
    kept, key = _kept, (seed, n, n_boot, chunk)
    if kept is None:
        yield from _draw(seed, n, n_boot, rows)
    elif key in kept.rows:
        yield from kept.rows[key]
    elif kept.size + n * n_boot > SHARE_LIMIT:
        yield from _draw(seed, n, n_boot, rows)
    else:
        kept.rows[key] = list(_draw(seed, n, n_boot, rows))
        kept.size += n * n_boot
        yield from kept.rows[key]


def resampled_sums(values: np.ndarray, n_boot: int, seed: int, chunk: int) -> np.ndarray:
    """Sums of `values` (one per example) over `n_boot` resamples of the examples with
    replacement, drawn by `index_rows`; complex values carry two figures through one gather."""
    n = values.size
    sums = np.empty(n_boot, dtype=values.dtype)
    # One block reused for every chunk: fresh memory per chunk cost more in page faults than the
    # draws themselves (measured). mode="clip" writes straight into it; the indices are in range.
    picked = np.empty((max(1, chunk // n), n), dtype=values.dtype)
    start = 0
    for indices in index_rows(seed, n, n_boot, chunk):
        size = len(indices)
        gathered = np.take(values, indices, out=picked[:size], mode="clip")
        sums[start : start + size] = gathered.sum(axis=1)
        start += size
    return sums

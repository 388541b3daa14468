"""Evaluate through a provider's Batch API: half the price, answers within 24 hours.

    upload input files ─► create batches ─► poll (backoff) ─► download output and error files
         (batches.json: written as soon as a batch exists; a rerun picks up what is in flight)

`run_batches` takes the requests of a plan and returns one `Completion` per request, like
`Runner.run`: answered, or an explicit error saying why (a per-request error, a batch that
expired, failed or was cancelled). What a batch answered is kept (it was paid for); running the
same command again sends only the requests without an answer, in a new batch. Requests in the
response cache are answered from it and not sent (pass the cache in a live run); answers are
cached as they are joined.

Every SDK call carries the tag header, naming what it is, so fixtures record and replay the
whole flow like any run: `batch/upload/<sha256 of the file>/<round>`, `batch/create/<input file
id>`, `batch/poll/<batch id>`, `batch/content/<file id>`. The round counts the batches made
before from the same input (a retry after expiry), so each upload is a fresh key.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.batch._files import InputFile, Limits, custom_id, write_inputs
from advisor.batch._run import BatchOptions, BatchRun
from advisor.batch._state import BatchRecord, BatchState, RequestRecord
from advisor.cache import ResponseCache
from advisor.calls import CallRequest, Completion, Progress
from advisor.runner import Clock

__all__ = [
    "STATE_FILES",
    "BatchMiss",
    "BatchOptions",
    "BatchRecord",
    "BatchState",
    "Limits",
    "RequestRecord",
    "custom_id",
    "find_batch_misses",
    "run_batches",
]

STATE_FILES: dict[str, str | None] = {
    "live": "batches.json",
    "record": "batches-record.json",
    "replay": None,
}
"""The state file of each mode, in the run folder. A recording keeps its own, so it never picks
up a live run's batches (whose upload and creation it never saw); a replay keeps none, as it
depends on nothing but the fixtures."""


async def run_batches(
    requests: Sequence[CallRequest],
    clients: Mapping[str, Any],
    run_dir: Path,
    options: BatchOptions | None = None,
    *,
    cache: ResponseCache | None = None,
    clock: Clock | None = None,
    progress: Progress | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> list[Completion]:
    """Answer `requests` through the Batch API of their endpoints; the result is in their order.

    Args:
        clients: by base URL, as `advisor.client.build_client` makes them (or `openai.AsyncOpenAI`).
        run_dir: the run folder: the state file and, while they are uploaded, the input files.
        cache: answers already paid for (not sent), and where new answers go; None in record and
            replay, which must see or serve every exchange.
        clock: what polls and retries wait on; a replay's `VirtualClock` never sleeps.
        progress: totals to add to (the judge's run continues the candidates'); `done` counts
            what the batches in flight report as processed.
    """
    run = BatchRun(
        requests,
        clients,
        run_dir,
        options or BatchOptions(),
        cache,
        clock or Clock(),
        progress if progress is not None else Progress(total=len(requests)),
        on_progress or (lambda p: None),
    )
    return await run.run()


@dataclass(frozen=True)
class BatchMiss:
    """A batch input a replay would upload that was never recorded."""

    file: InputFile
    first_example: str
    candidates: tuple[str, ...]

    def describe(self) -> str:
        return (
            f"no recorded batch for candidate {', '.join(map(repr, self.candidates))} "
            f"({self.file.model}, {len(self.file.custom_ids)} requests from example "
            f"{self.first_example!r} on): its input file (sha256 {self.file.sha256[:16]}) "
            "differs from every recorded one; record again with --batch"
        )


def find_batch_misses(
    store: Any, requests: Sequence[CallRequest], limits: Limits | None = None
) -> list[BatchMiss]:
    """The input files a batch replay of `requests` would upload that `store` does not hold.

    A replay starts with no state, so it uploads round 0 of each file; the file is keyed by its
    sha256, so any change to a request's body changes its file. Judge requests depend on answers
    and are not checked here, as in `advisor.fixtures.find_misses`.
    """
    recorded = {attempts[-1].tag for attempts in store.by_key.values() if attempts}
    by_id = {custom_id(r): r for r in requests}
    misses = []
    with tempfile.TemporaryDirectory(prefix="advisor-batch-check-") as folder:
        for file in write_inputs(requests, Path(folder), limits or Limits()):
            file.path.unlink()
            if f"batch/upload/{file.sha256}/0" in recorded:
                continue
            names = dict.fromkeys(by_id[cid].candidate for cid in file.custom_ids)
            first = by_id[file.custom_ids[0]].example_id
            misses.append(BatchMiss(file, first, tuple(names)))
    return misses

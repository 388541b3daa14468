"""One batch run: submit what has no answer, wait for the batches, collect and join the results."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from advisor.batch._files import (
    ENDPOINT,
    InputFile,
    Limits,
    custom_id,
    lines,
    parse_result,
    write_inputs,
)
from advisor.batch._state import KEY_CHARS, BatchRecord, BatchState, RequestRecord
from advisor.cache import ResponseCache
from advisor.calls import CallRequest, Completion, Progress
from advisor.client import TAG_HEADER
from advisor.runner import RETRY_STATUSES, Clock, retry_after

T = TypeVar("T")
INPUTS_FOLDER = "batch-inputs"
_RERUN = "run the same command again to retry the requests without an answer"


@dataclass(frozen=True)
class BatchOptions:
    """How a batch run paces itself and where it keeps its state."""

    state_file: str | None = "batches.json"
    """In the run folder; None keeps the state in memory only (a replay reads no run folder)."""
    poll_interval: float = 30.0
    """Seconds before the second poll; the wait doubles at each poll up to `max_poll_interval`."""
    max_poll_interval: float = 600.0
    discount: float | Callable[[CallRequest], float] = 0.0
    """Share taken off the request's prices by the batch API (0.5 = half price), or a function
    giving it per request."""
    retry_deadline: float = 600.0
    """Seconds an upload, creation, poll or download keeps retrying a transient failure."""
    limits: Limits = field(default_factory=Limits)


class CallFailed(Exception):
    """An SDK call that failed for good: the message says which call and why."""

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status


class BatchRun:
    """The requests of one `run_batches` call and how each ended."""

    def __init__(
        self,
        requests: Sequence[CallRequest],
        clients: Mapping[str, Any],
        run_dir: Path,
        options: BatchOptions,
        cache: ResponseCache | None,
        clock: Clock,
        progress: Progress,
        on_progress: Callable[[Progress], None],
    ) -> None:
        self.requests = requests
        self.clients = clients
        self.run_dir = run_dir
        self.options = options
        self.cache = cache
        self.clock = clock
        self.progress = progress
        self.on_progress = on_progress
        self.state = BatchState.load(run_dir / options.state_file if options.state_file else None)
        self.results: list[Completion | None] = [None] * len(requests)
        self.position: dict[str, int] = {}
        self.waiting: dict[str, list[int]] = {}
        """Batch id -> the positions of the requests whose answer it holds or will hold."""
        self.poll_failures: dict[str, str] = {}
        self.paid_before: set[int] = set()
        """Requests an earlier run already collected an answer for: not paid for again."""
        self._base_done = progress.done
        self._settled = 0

    # --- the whole run ---------------------------------------------------------------------------

    async def run(self) -> list[Completion]:
        to_send = self._take_stock()
        self._report()
        await self._submit(to_send)
        await self._wait()
        for batch_id in list(self.waiting):
            await self._collect(self.state.batches[batch_id])
        self._report()
        missing = [i for i, r in enumerate(self.results) if r is None]
        assert not missing, f"{len(missing)} requests were neither answered nor failed"
        return [r for r in self.results if r is not None]

    def _take_stock(self) -> list[int]:
        """Answer what the cache holds; find each other request's batch; return those to send."""
        to_send = []
        for i, request in enumerate(self.requests):
            cid = custom_id(request)
            if cid in self.position:
                raise ValueError(f"two requests share the custom_id {cid!r}")
            self.position[cid] = i
            entry = self.cache.get(request.key) if self.cache is not None else None
            if entry is not None:
                self.progress.cached += 1
                self._settle(i, self._answer(request, entry["body"], entry.get("latency_ms"), True))
                continue
            record = self.state.requests.get(cid)
            if (
                record is None
                or record.key != request.key[:KEY_CHARS]
                or record.batch not in self.state.batches
                or record.outcome == "error"  # a rerun sends it again
            ):
                to_send.append(i)
            else:
                self.waiting.setdefault(record.batch, []).append(i)
                if record.outcome == "ok":
                    self.paid_before.add(i)
        return to_send

    # --- submit ----------------------------------------------------------------------------------

    async def _submit(self, positions: list[int]) -> None:
        if not positions:
            return
        folder = self.run_dir / INPUTS_FOLDER
        shutil.rmtree(folder, ignore_errors=True)  # what an interrupted run left is rewritten
        files = write_inputs((self.requests[i] for i in positions), folder, self.options.limits)
        for file in files:
            try:
                await self._submit_file(file)
            except CallFailed as exc:
                for cid in file.custom_ids:
                    i = self.position[cid]
                    self._settle(
                        i, Completion.failed(self.requests[i], f"not sent: {exc}; {_RERUN}")
                    )
            finally:
                file.path.unlink(missing_ok=True)
            self._report()
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()

    async def _submit_file(self, file: InputFile) -> None:
        """Upload one input file and create its batch; the state has it before anything else."""
        client = self.clients[file.base_url]
        what = f"the batch of {file.model} ({len(file.custom_ids)} requests)"
        upload_tag = f"batch/upload/{file.sha256}/{self.state.rounds(file.sha256)}"
        with file.path.open("rb") as content:
            uploaded = await self._call(
                f"upload of {what}",
                partial(
                    client.files.create,
                    file=(file.upload_name, content, "application/jsonl"),
                    purpose="batch",
                    extra_headers={TAG_HEADER: upload_tag},
                ),
            )
        batch = await self._call(
            f"creation of {what}",
            partial(
                client.batches.create,
                input_file_id=uploaded.id,
                endpoint=ENDPOINT,
                completion_window="24h",
                extra_headers={TAG_HEADER: f"batch/create/{uploaded.id}"},
            ),
            resend=False,  # with no response the batch may exist: sending again could pay twice
        )
        record = BatchRecord(
            id=batch.id,
            base_url=file.base_url,
            model=file.model,
            input_file_id=uploaded.id,
            input_sha256=file.sha256,
            requests=len(file.custom_ids),
            status=batch.status,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        record.update(batch)
        self.state.batches[batch.id] = record
        for cid in file.custom_ids:
            key = self.requests[self.position[cid]].key[:KEY_CHARS]
            self.state.requests[cid] = RequestRecord(key, batch.id)
        self.state.save()
        self.waiting[batch.id] = [self.position[cid] for cid in file.custom_ids]

    # --- wait ------------------------------------------------------------------------------------

    async def _wait(self) -> None:
        """Poll every unfinished batch until each is finished, waiting longer each time."""
        active = [b for b in self.waiting if not self.state.batches[b].terminal]
        delay = self.options.poll_interval
        while active:
            changed = False
            for batch_id in active:
                record = self.state.batches[batch_id]
                client = self.clients[record.base_url]
                try:
                    batch = await self._call(
                        f"poll of batch {batch_id}",
                        partial(
                            client.batches.retrieve,
                            batch_id,
                            extra_headers={TAG_HEADER: f"batch/poll/{batch_id}"},
                        ),
                    )
                except CallFailed as exc:
                    self.poll_failures[batch_id] = str(exc)
                    continue
                changed |= record.update(batch)
            if changed:
                self.state.save()
            active = [
                b
                for b in active
                if not self.state.batches[b].terminal and b not in self.poll_failures
            ]
            self._report()
            if active:
                await self.clock.sleep(delay)
                delay = min(delay * 2, self.options.max_poll_interval)

    # --- collect ---------------------------------------------------------------------------------

    async def _collect(self, record: BatchRecord) -> None:
        """Join the batch's output and error files to its requests, a line at a time."""
        positions = self.waiting.pop(record.id)
        wanted = {custom_id(self.requests[i]): i for i in positions if self.results[i] is None}
        if not wanted:
            return
        if not record.terminal:
            cause = self.poll_failures.get(record.id, "")
            self._fail_all(
                wanted,
                f"batch {record.id} is still {record.status} ({cause}); run the same command "
                "again to collect it",
                final=False,
            )
            return
        client = self.clients[record.base_url]
        try:
            for file_id in (record.output_file_id, record.error_file_id):
                if file_id:
                    await self._call(
                        f"download of {file_id} (batch {record.id})",
                        partial(self._read_results, client, file_id, wanted),
                    )
        except CallFailed as exc:
            if exc.status in (404, 410):  # the file is gone: only sending again can answer them
                self._fail_all(wanted, f"{exc}; {_RERUN}", final=True)
            else:
                self._fail_all(
                    wanted, f"{exc}; run the same command again to collect it", final=False
                )
            self.state.save()
            return
        cause = f"batch {record.id} ended {record.status} without a result for this request"
        if record.errors:
            cause += f" ({'; '.join(record.errors[:3])})"
        self._fail_all(wanted, f"{cause}; {_RERUN}", final=True)
        self.state.save()

    async def _read_results(self, client: Any, file_id: str, wanted: dict[str, int]) -> None:
        """Take the lines of one result file; what is taken leaves `wanted` (so a retry skips
        it)."""
        extra_headers = {TAG_HEADER: f"batch/content/{file_id}"}
        async with client.files.with_streaming_response.content(
            file_id, extra_headers=extra_headers
        ) as response:
            async for line in lines(response.iter_bytes()):
                result = parse_result(line)
                if result is None or result.custom_id not in wanted:
                    continue
                i = wanted.pop(result.custom_id)
                request = self.requests[i]
                record = self.state.requests.get(result.custom_id)
                if result.body is not None:
                    paid = i in self.paid_before
                    self._settle(i, self._answer(request, result.body, None, paid))
                    if self.cache is not None:  # no latency: a batch answers in hours, not per call
                        self.cache.put(request.key, result.body, None, request.tag)
                    if record is not None:
                        record.outcome, record.error = "ok", None
                else:
                    error = f"{result.error}; {_RERUN}"
                    self._settle(i, Completion.failed(request, error))
                    if record is not None:
                        record.outcome, record.error = "error", result.error
        self._report()

    def _fail_all(self, wanted: dict[str, int], error: str, *, final: bool) -> None:
        """Fail what is left; `final` marks it in the state for the next run to send again."""
        for cid, i in wanted.items():
            self._settle(i, Completion.failed(self.requests[i], error))
            record = self.state.requests.get(cid)
            if final and record is not None:
                record.outcome, record.error = "error", error
        wanted.clear()

    # --- calls, completions, progress ------------------------------------------------------------

    async def _call(self, what: str, send: Callable[[], Awaitable[T]], *, resend: bool = True) -> T:
        """`send()` with retries on 408/409/429/5xx (honouring Retry-After) and, when `resend`,
        on timeouts and dropped connections, under the retry deadline."""
        import httpx2
        import openai

        started = self.clock.now()
        attempt = 0
        while True:
            attempt += 1
            headers, status = None, None
            try:
                return await send()
            except openai.APIStatusError as exc:
                status, headers = exc.status_code, exc.response.headers
                error, retryable = f"HTTP {status}: {_short(exc.message)}", status in RETRY_STATUSES
            except openai.APITimeoutError:
                error, retryable = "timed out", resend
            except openai.APIConnectionError as exc:
                cause = exc.__cause__ or exc
                error, retryable = f"connection failed: {_short(str(cause))}", resend
            except httpx2.TransportError as exc:  # a download cut off after its headers
                error, retryable = f"connection failed: {_short(str(exc))}", resend
            wait = retry_after(headers) or min(30.0, 0.5 * 2 ** (attempt - 1))
            if not retryable or self.clock.now() + wait - started > self.options.retry_deadline:
                raise CallFailed(f"{what} failed: {error}", status)
            self.progress.retries += 1
            self.progress.rate_limited += status == 429
            await self.clock.sleep(wait)

    def _discount(self, request: CallRequest) -> float:
        discount = self.options.discount
        return discount(request) if callable(discount) else discount

    def _answer(
        self, request: CallRequest, body: dict, latency_ms: float | None, cached: bool
    ) -> Completion:
        return Completion.answered(
            request,
            body,
            latency_ms=latency_ms,
            attempts=0 if cached else 1,
            from_cache=cached,
            discount=self._discount(request),
        )

    def _settle(self, i: int, completion: Completion) -> None:
        self.results[i] = completion
        self._settled += 1
        self.progress.errors += completion.error is not None
        usage = completion.usage
        self.progress.tokens += usage.prompt_tokens + usage.completion_tokens
        self.progress.spent += 0.0 if completion.from_cache else completion.cost

    def _report(self) -> None:
        """Done so far: settled requests plus what the batches in flight report as processed."""
        in_flight = sum(
            min(self.state.batches[b].completed + self.state.batches[b].failed, len(positions))
            for b, positions in self.waiting.items()
        )
        self.progress.done = self._base_done + self._settled + in_flight
        self.on_progress(self.progress)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

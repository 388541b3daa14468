"""OpenAI's Batch API: batches that advance one stage per poll and answer like the chat endpoint.

A batch reports `validating`, `in_progress` (processing an equal share of its requests at each
poll), `finalizing` and `completed`, each for the number of polls the config gives, so a test
knows what every `GET /v1/batches/{id}` returns without waiting. Requests are processed in an
order shuffled by their `custom_id`, so output files are not in input order, as OpenAI warns. A
batch can expire (what was processed is kept, the rest goes to the error file as
`batch_expired`), be cancelled, or fail validation with the line numbers at fault.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from advisor.simulator._config import BatchSim
from advisor.simulator._draw import draw
from advisor.simulator._errors import ApiError
from advisor.simulator._files import Files

if TYPE_CHECKING:
    from advisor.simulator._server import Stats

ENDPOINT = "/v1/chat/completions"
WINDOW = "24h"
WINDOW_S = 24 * 3600
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
_ENDED = {
    "expired": (
        "batch_expired",
        "This request could not be executed before the completion window expired.",
    ),
    "cancelled": (
        "batch_cancelled",
        "This request was not executed because the batch was cancelled.",
    ),
}


@dataclass
class SimBatch:
    """One batch and how far it got."""

    id: str
    ordinal: int
    """Its rank among the batches created, for `expiring_batches`."""
    input_file_id: str
    metadata: dict[str, str] | None
    created_at: int
    status: str = "validating"
    polls: int = 0
    reported: int = 0
    """Polls that reported the current status."""
    lines: list[tuple[str, bytes]] = field(default_factory=list)
    """(custom_id, request body) in processing order."""
    processed: int = 0
    output: list[bytes] = field(default_factory=list)
    errors_out: list[bytes] = field(default_factory=list)
    completed: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    """Validation errors, when the batch failed."""
    output_file_id: str | None = None
    error_file_id: str | None = None
    times: dict[str, int] = field(default_factory=dict)
    """`in_progress_at`, `completed_at` and the like, as they happen."""

    def object(self) -> dict[str, Any]:
        """The batch object as OpenAI returns it."""
        stamps = ("in_progress", "finalizing", "completed", "failed", "expired", "cancelling")
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": ENDPOINT,
            "errors": {"object": "list", "data": self.errors} if self.errors else None,
            "input_file_id": self.input_file_id,
            "completion_window": WINDOW,
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": self.created_at,
            "expires_at": self.created_at + WINDOW_S,
            **{f"{stamp}_at": self.times.get(stamp) for stamp in (*stamps, "cancelled")},
            "request_counts": {
                "total": len(self.lines),
                "completed": self.completed,
                "failed": self.failed,
            },
            "metadata": self.metadata,
        }


class Batches:
    """The batches of one server and the handlers of `/v1/batches`."""

    def __init__(
        self, config: BatchSim, files: Files, stats: Stats, complete: Callable[[bytes], bytes]
    ) -> None:
        self._config = config
        self._files = files
        self._stats = stats
        self._complete = complete
        self._batches: dict[str, SimBatch] = {}

    def _get(self, batch_id: str) -> SimBatch:
        batch = self._batches.get(batch_id)
        if batch is None:
            raise ApiError(404, f"No batch found with id '{batch_id}'.", param="batch_id")
        return batch

    async def create(self, request: web.Request) -> web.StreamResponse:
        try:
            payload = json.loads(await request.read())
        except ValueError:
            raise ApiError(400, "We could not parse the JSON body of your request.") from None
        if not isinstance(payload, dict):
            raise ApiError(400, "We could not parse the JSON body of your request.")
        file_id = payload.get("input_file_id")
        if not isinstance(file_id, str):
            raise ApiError(
                400, "Missing required parameter: 'input_file_id'.", param="input_file_id"
            )
        if self._files.get(file_id).purpose != "batch":
            raise ApiError(400, f"File {file_id} was not uploaded with purpose 'batch'.")
        if payload.get("endpoint") != ENDPOINT:
            raise ApiError(
                400,
                f"Invalid endpoint {payload.get('endpoint')!r}: the simulator batches {ENDPOINT}.",
                param="endpoint",
            )
        if payload.get("completion_window") != WINDOW:
            raise ApiError(400, "completion_window must be '24h'.", param="completion_window")
        batch = SimBatch(
            id=f"batch_{uuid.uuid4().hex}",
            ordinal=len(self._batches),
            input_file_id=file_id,
            metadata=payload.get("metadata"),
            created_at=int(time.time()),
        )
        self._batches[batch.id] = batch
        self._stats.batches_created += 1
        return web.json_response(batch.object())

    async def retrieve(self, request: web.Request) -> web.StreamResponse:
        batch = self._get(request.match_info["batch_id"])
        self._advance(batch)
        return web.json_response(batch.object())

    async def cancel(self, request: web.Request) -> web.StreamResponse:
        batch = self._get(request.match_info["batch_id"])
        if batch.status in TERMINAL:
            raise ApiError(409, f"Cannot cancel a batch with status '{batch.status}'.")
        if batch.status != "cancelling":
            batch.status, batch.reported = "cancelling", 0
            batch.times["cancelling"] = int(time.time())
        return web.json_response(batch.object())

    # --- the life of a batch, one poll at a time ------------------------------------------------

    def _advance(self, batch: SimBatch) -> None:
        if batch.status in TERMINAL:
            return
        batch.polls += 1
        cfg = self._config
        if batch.status == "cancelling":
            self._end(batch, "cancelled")
            return
        expires = cfg.expiring_batches is None or batch.ordinal < cfg.expiring_batches
        if expires and cfg.expire_after_polls is not None and batch.polls >= cfg.expire_after_polls:
            self._end(batch, "expired")
            return
        stages = {
            "validating": cfg.validating_polls,
            "in_progress": cfg.in_progress_polls,
            "finalizing": cfg.finalizing_polls,
        }
        while batch.reported >= stages[batch.status]:  # this stage is over (or has no polls)
            if batch.status == "validating":
                if not self._validate(batch):
                    return
                batch.status = "in_progress"
            elif batch.status == "in_progress":
                batch.status = "finalizing"
            else:
                self._end(batch, "completed")
                return
            batch.times[batch.status] = int(time.time())
            batch.reported = 0
        batch.reported += 1
        if batch.status == "in_progress":
            share = batch.reported / cfg.in_progress_polls
            self._process(batch, math.ceil(len(batch.lines) * share))

    def _validate(self, batch: SimBatch) -> bool:
        """Read the input file; a bad line fails the batch with its line number, as OpenAI does."""
        data = self._files.get(batch.input_file_id).data
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        models: set[str] = set()
        lines: list[tuple[str, bytes]] = []

        def error(code: str, message: str, line: int | None) -> None:
            errors.append({"code": code, "message": message, "param": None, "line": line})

        for number, raw in enumerate(data.split(b"\n"), 1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except ValueError:
                error("invalid_json_line", "This line is not parseable as valid JSON.", number)
                continue
            custom_id = item.get("custom_id") if isinstance(item, dict) else None
            if not isinstance(custom_id, str) or not custom_id:
                error("missing_custom_id", "Each request needs a custom_id string.", number)
            elif custom_id in seen:
                error("duplicate_custom_id", f"The custom_id {custom_id!r} is repeated.", number)
            elif item.get("method") != "POST" or item.get("url") != ENDPOINT:
                error("invalid_url", f"The url must be {ENDPOINT} with method POST.", number)
            elif not isinstance(item.get("body"), dict):
                error("invalid_request", "The body must be a JSON object.", number)
            else:
                seen.add(custom_id)
                models.add(str(item["body"].get("model")))
                lines.append((custom_id, json.dumps(item["body"]).encode()))
        if len(models) > 1:
            error("mismatched_model", "All requests of a batch must use the same model.", None)
        if len(lines) > self._config.max_requests:
            error("too_many_requests", f"A batch holds at most {self._config.max_requests}.", None)
        if not lines and not errors:
            error("empty_file", "The input file holds no request.", None)
        if errors:
            batch.status, batch.errors = "failed", errors[:100]
            batch.times["failed"] = int(time.time())
            return False
        lines.sort(key=lambda line: draw(batch.input_file_id, line[0]).index)
        batch.lines = lines
        return True

    def _process(self, batch: SimBatch, upto: int) -> None:
        """Answer the requests up to `upto` in processing order, as the chat endpoint would."""
        for custom_id, body in batch.lines[batch.processed : upto]:
            attempt = self._stats.batch_requests[custom_id]
            self._stats.batch_requests[custom_id] += 1
            # Fixed per request and attempt: the same run fails the same requests, and a retry of
            # a failed one draws anew.
            chance = draw("batch", custom_id, body, str(attempt)).uniform
            if chance < self._config.failure_rate:
                status, answer = (
                    500,
                    ApiError(
                        500, "The server had an error processing your request.", kind="server_error"
                    ).body,
                )
            else:
                try:
                    status, answer = 200, json.loads(self._complete(body))
                except ApiError as refused:
                    status, answer = refused.status, refused.body
            response = {
                "status_code": status,
                "request_id": f"req_{uuid.uuid4().hex}",
                "body": answer,
            }
            line = _line(custom_id, response, None)
            if status == 200:
                batch.completed += 1
                batch.output.append(line)
            else:
                batch.failed += 1
                batch.errors_out.append(line)
        batch.processed = max(batch.processed, upto)

    def _end(self, batch: SimBatch, status: str) -> None:
        """Finish the batch: what was not processed is an error, then the files are written."""
        if status == "completed":
            self._process(batch, len(batch.lines))
        else:
            code, message = _ENDED[status]
            for custom_id, _ in batch.lines[batch.processed :]:
                batch.errors_out.append(_line(custom_id, None, {"code": code, "message": message}))
        batch.status = status
        batch.times[status] = int(time.time())
        if batch.output:
            name = f"{batch.id}_output.jsonl"
            batch.output_file_id = self._files.add(name, "batch_output", b"".join(batch.output)).id
        if batch.errors_out:
            name = f"{batch.id}_error.jsonl"
            batch.error_file_id = self._files.add(
                name, "batch_output", b"".join(batch.errors_out)
            ).id
        batch.output, batch.errors_out = [], []


def _line(custom_id: str, response: dict[str, Any] | None, error: dict[str, str] | None) -> bytes:
    item = {
        "id": f"batch_req_{uuid.uuid4().hex}",
        "custom_id": custom_id,
        "response": response,
        "error": error,
    }
    return json.dumps(item, ensure_ascii=False).encode() + b"\n"

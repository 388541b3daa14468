"""`batches.json`: the batches of a run folder and where each request stands.

Written atomically as soon as a batch exists and whenever one changes status, so that a rerun
after an interruption polls the batches in flight instead of paying for new ones, collects what
the finished ones answered, and sends again only the requests that ended without an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.errors import InputError
from advisor.results import write_atomic

STATE_VERSION = 1
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
"""Batch statuses that will not change again."""
KEY_CHARS = 16
"""How much of a request's cache key the state keeps: enough to see that a request changed."""


class BatchRecord(BaseModel):
    """One batch as last seen."""

    model_config = ConfigDict(extra="forbid")
    id: str
    base_url: str
    model: str
    input_file_id: str
    input_sha256: str
    """Of the input file: a later batch of the same requests is another round of them."""
    requests: int
    status: str
    created: str
    """When this run created it (UTC, ISO)."""
    completed: int = 0
    """Requests answered, from the batch's `request_counts`."""
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[str] = Field(default_factory=list)
    """Why the whole batch failed (validation errors), as the provider words them."""

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def update(self, batch: Any) -> bool:
        """Take in a `Batch` from the SDK; whether the status or a file changed."""
        before = (self.status, self.output_file_id, self.error_file_id)
        self.status = batch.status
        counts = batch.request_counts
        if counts is not None:
            self.completed, self.failed = counts.completed, counts.failed
        self.output_file_id = batch.output_file_id
        self.error_file_id = batch.error_file_id
        if batch.errors is not None and batch.errors.data:
            self.errors = [
                (f"line {e.line}: " if e.line is not None else "")
                + f"{e.code or 'error'}: {e.message or ''}".strip()
                for e in batch.errors.data
            ]
        return before != (self.status, self.output_file_id, self.error_file_id)


Outcome = Literal["pending", "ok", "error"]


@dataclass(slots=True)
class RequestRecord:
    """Where one request (by custom_id) stands: kept lean, a run may hold 100,000."""

    key: str
    """The start of its cache key: a request whose body changed is a new request."""
    batch: str
    """The batch that holds its latest attempt."""
    outcome: Outcome = "pending"
    """`ok`: that batch answered it; `error`: it did not (a rerun sends it again)."""
    error: str | None = None


class _StateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Literal[1]
    batches: list[BatchRecord]
    requests: dict[str, RequestRecord]


class BatchState:
    """The state of a run folder's batches; `path` None keeps it in memory only (a replay)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.batches: dict[str, BatchRecord] = {}
        self.requests: dict[str, RequestRecord] = {}

    @classmethod
    def load(cls, path: Path | None) -> BatchState:
        state = cls(path)
        if path is None or not path.exists():
            return state
        try:
            data = _StateFile.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            raise InputError(
                f"{path}: not a batch state file of this version ({exc.errors()[0]['msg']}); "
                "move it away to start the batches afresh"
            ) from None
        state.batches = {b.id: b for b in data.batches}
        state.requests = data.requests
        return state

    def rounds(self, input_sha256: str) -> int:
        """How many batches were created from this very input file before."""
        return sum(1 for b in self.batches.values() if b.input_sha256 == input_sha256)

    def save(self) -> None:
        if self.path is None:
            return
        data = _StateFile(
            version=STATE_VERSION, batches=list(self.batches.values()), requests=self.requests
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, data.model_dump_json(indent=None) + "\n")

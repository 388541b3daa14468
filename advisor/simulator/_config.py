"""The simulator's configuration: pydantic models closed to unknown keys, loadable from TOML."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator

from advisor.errors import InputError

FaultKind = Literal["429", "500", "503", "drop", "malformed"]

# One field per line ("Reference: …" then "Answer: …"), so text after the answer is not swallowed.
DEFAULT_JUDGE_PATTERN = r"Reference:[ \t]*(?P<reference>.*)\n[\s\S]*?Answer:[ \t]*(?P<answer>.*)"


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSim(_Closed):
    """How one simulated model behaves."""

    accuracy: float = Field(1.0, ge=0, le=1)
    """Share of the answer key answered right (which: `answers_correctly`); judges ignore it."""
    mode: Literal["answer", "judge"] = "answer"
    """`answer` looks questions up in the answer key; `judge` grades an answer by a reference."""
    latency_ms: float = Field(0.0, ge=0)
    """Time each request takes before its response is sent, the simulator's own work included."""
    jitter_ms: float = Field(0.0, ge=0)
    """Up to this much extra latency, fixed per request body so reruns take the same time."""
    prompt_cache: bool = False
    """Report cached prompt tokens for repeated prefixes of 1024+ tokens, as OpenAI does."""
    served_model: str | None = None
    """The `model` reported in responses, e.g. a dated snapshot behind an alias; default the id."""
    shutdown_date: date | None = None
    """Listed by `GET /v1/models` so the economics can end a fine-tune's life there."""
    owned_by: str = "system"
    """The `owned_by` of the model listing."""
    rpm: int | None = Field(None, gt=0)
    """Requests per minute for this model (on top of any global limit)."""
    tpm: int | None = Field(None, gt=0)
    """Tokens per minute for this model (on top of any global limit)."""


class AnswerFile(_Closed):
    """A JSONL file (an eval set, typically) that supplies the answer key."""

    path: Path
    """Resolved against the TOML file's folder when loaded with `SimConfig.from_toml`."""
    key_field: str
    """The field holding the lookup key (what `key_pattern` extracts from the prompt)."""
    answer_field: str
    """The field holding the right answer: a string, or any JSON value (sent as compact JSON)."""

    def load(self) -> dict[str, JsonValue]:
        """Read the file; every problem names the file and line."""
        table: dict[str, JsonValue] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read the answer file: {exc.strerror}") from exc
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                table[str(record[self.key_field]).strip()] = record[self.answer_field]
            except json.JSONDecodeError as exc:
                raise InputError(f"{self.path}:{number}: invalid JSON: {exc.msg}") from exc
            except (KeyError, TypeError) as exc:
                raise InputError(
                    f"{self.path}:{number}: a JSON object with the fields {self.key_field!r} "
                    f"and {self.answer_field!r} is required"
                ) from exc
        return table


class Faults(_Closed):
    """Failures injected on purpose, to exercise a client's retries."""

    rate: float = Field(0.0, ge=0, le=1)
    """Chance that an attempt fails; decided from the request body and its attempt number."""
    kinds: list[FaultKind] = Field(default=["429", "500", "503", "drop", "malformed"], min_length=1)
    """Which failures to draw from (`drop` closes the connection, `malformed` sends broken JSON)."""
    max_per_request: int = Field(2, ge=0)
    """No fault once a body was sent this many times, so that a retrying client gets through."""
    retry_after_s: float = Field(1.0, ge=0)
    """The wait an injected 429 asks for."""


class BatchSim(_Closed):
    """How the Files and Batches endpoints behave: batches advance one step per poll, not per
    second, so a test decides exactly what each `GET /v1/batches/{id}` reports."""

    validating_polls: int = Field(1, ge=0)
    """Polls that report `validating` before the input file is checked."""
    in_progress_polls: int = Field(2, ge=1)
    """Polls that report `in_progress`; each processes an equal share of the requests."""
    finalizing_polls: int = Field(1, ge=0)
    """Polls that report `finalizing` before the batch is `completed`."""
    failure_rate: float = Field(0.0, ge=0, le=1)
    """Chance that a request fails with a 500 in the error file; fixed per request and attempt."""
    expire_after_polls: int | None = Field(None, ge=1)
    """A batch still unfinished at this poll reports `expired`: what was processed is in its
    output file, the rest in its error file as `batch_expired`."""
    expiring_batches: int | None = Field(None, ge=0)
    """Only the first this many batches created can expire (None: all), so that a retry of the
    rest gets through."""
    max_requests: int = Field(50_000, ge=1)
    """Input lines a batch accepts, as OpenAI's 50,000."""


class SimConfig(_Closed):
    """Everything a simulated OpenAI-compatible server does."""

    models: dict[str, ModelSim] = Field(default_factory=dict)
    """The served model ids; any other id gets a 404 as from OpenAI."""
    answer_key: dict[str, JsonValue] = Field(default_factory=dict)
    """Lookup key → right answer, inline; it wins over `answer_file` for a key in both."""
    answer_file: AnswerFile | None = None
    labels: list[str] = Field(default_factory=list)
    """Wrong answers are drawn from these (a classifier's confusions); otherwise a fixed text."""
    key_pattern: re.Pattern[str] | None = None
    """Group 1 of its first match in the last user message is the lookup key; default: all of it."""
    judge_pattern: re.Pattern[str] = re.compile(DEFAULT_JUDGE_PATTERN)
    """How judge models find the `reference` and `answer` groups in the last user message."""
    require_api_key: bool = False
    """Answer 401 to a request without `Authorization: Bearer …`."""
    rpm: int | None = Field(None, gt=0)
    """Requests per minute over all models."""
    tpm: int | None = Field(None, gt=0)
    """Tokens per minute over all models."""
    burst_seconds: float = Field(1.0, gt=0)
    """Seconds' worth of a limit that may be spent at once (OpenAI enforces limits per second)."""
    faults: Faults = Faults()
    batch: BatchSim = BatchSim()
    """The Batch API's pace, expiry and per-request failures."""

    @field_validator("key_pattern")
    @classmethod
    def _has_group(cls, pattern: re.Pattern[str] | None) -> re.Pattern[str] | None:
        if pattern is not None and pattern.groups < 1:
            raise ValueError("needs a capturing group: group 1 is the lookup key")
        return pattern

    @field_validator("judge_pattern")
    @classmethod
    def _has_named_groups(cls, pattern: re.Pattern[str]) -> re.Pattern[str]:
        if not {"reference", "answer"} <= pattern.groupindex.keys():
            raise ValueError("needs the named groups (?P<reference>…) and (?P<answer>…)")
        return pattern

    @classmethod
    def from_toml(cls, path: str | Path) -> SimConfig:
        """Load a TOML file; `answer_file.path` is taken relative to the file's folder."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path}: invalid TOML: {exc}") from exc
        answer_file = data.get("answer_file")
        if isinstance(answer_file, dict) and "path" in answer_file:
            answer_file["path"] = path.parent / answer_file["path"]
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors()
            )
            raise InputError(f"{path}: {problems}") from exc

    def answer_table(self) -> dict[str, JsonValue]:
        """The whole answer key, keys stripped as the lookup strips what it extracts."""
        table = self.answer_file.load() if self.answer_file else {}
        table.update((key.strip(), value) for key, value in self.answer_key.items())
        return table

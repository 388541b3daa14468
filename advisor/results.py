"""`results.json` and the per-example file: what a run measured, enough to re-cost and re-render.

Pydantic models with a `version`, closed to unknown keys, so that `advisor report` reads exactly
what `advisor evaluate` wrote. Files are written atomically: a reader never sees half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.dataclasses import dataclass

from advisor.errors import InputError, RunError
from advisor.outdir import prepare_out_dir as prepare_out_dir
from advisor.simulated import Simulated
from advisor.training_info import TrainingInfo as TrainingInfo
from advisor.verdict import Analysis

VERSION = 2
"""2: break-even figures typed, the lifecycle-aware payback, the chance it pays; run facts
(wall time, versions) moved to run-facts.json; simulated answers disclosed."""
RESULTS_FILE = "results.json"
EXAMPLES_FILE = "examples.jsonl"
_Closed = ConfigDict(extra="forbid")
_VERSION = re.compile(rb'\s*\{\s*"version"\s*:\s*(\d+)')
"""`version` comes first in every file `save_results` writes: read without parsing the rest."""


class PriceInfo(BaseModel):
    model_config = _Closed
    input: float
    cached_input: float
    output: float
    source: str


class LabelRow(BaseModel):
    model_config = _Closed
    label: str
    precision: float
    recall: float
    f1: float
    support: int


class LabelTable(BaseModel):
    model_config = _Closed
    labels: list[str]
    per_class: list[LabelRow]
    confusion: list[list[int]]
    """confusion[i][j]: examples expecting labels[i] answered labels[j]."""


class MetricsOut(BaseModel):
    model_config = _Closed
    primary: str
    """Name of the primary metric (accuracy for labels)."""
    value: float | None
    """Its value over the scored calls; None when nothing could be scored."""
    n: int
    errors: int
    invalid: int
    others: dict[str, float] = {}
    labels: LabelTable | None = None


class UsageMeans(BaseModel):
    """Mean tokens per successful call, as the endpoint reported them."""

    model_config = _Closed
    calls: int
    prompt_tokens: float
    cached_tokens: float
    completion_tokens: float


class Latency(BaseModel):
    model_config = _Closed
    p50: float | None
    p95: float | None
    p99: float | None
    mean: float | None


class CandidateResult(BaseModel):
    """One candidate's measurements."""

    model_config = _Closed
    name: str
    role: Literal["incumbent", "challenger"]
    model: str
    provider: str
    fine_tune: bool
    base_model: str | None
    base_url: str
    answered_models: dict[str, int]
    """Model ids as the endpoint reported them, with how many answers each."""
    prices: PriceInfo
    requests: int
    errors: int
    finish_reasons: dict[str, int]
    metrics: MetricsOut
    usage: UsageMeans
    cost_per_call: float | None
    """Mean measured cost of one call in USD, from its usage and prices."""
    latency_ms: Latency
    """Measured in a live run; in a replay, the latencies recorded in the fixtures."""
    spend: float
    """USD spent on this candidate's calls in this run (answers from the cache cost nothing)."""
    simulated: Simulated | None = None
    """Set when its answers came from `advisor simulate`: their quality is the simulator's
    configured accuracy, not a measurement."""


# One Call per answer and one ExampleResult per example: at 100,000 examples a BaseModel each
# came to ~1.5 KB an example; slotted pydantic dataclasses validate the same for a third of it.
@dataclass(config=_Closed, slots=True)
class Call:
    """One answer of one candidate to one example (one repeat)."""

    repeat: int
    score: float | None
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    finish_reason: str | None
    error: str | None
    latency_ms: float | None


@dataclass(config=_Closed, slots=True)
class ExampleResult:
    id: str
    metadata: dict[str, str]
    expected: Any
    calls: dict[str, list[Call]]
    """By candidate name."""


class RunInfo(BaseModel):
    """What the run did, as far as it is the same wherever and whenever it is replayed: wall
    time, library versions and host are `advisor.run_facts`, in a file of their own."""

    model_config = _Closed
    mode: Literal["live", "record", "replay"]
    requests: int
    from_cache: int
    retries: int
    rate_limited: int
    errors: int
    spend: float
    """USD spent by this run, judge calls included."""
    max_spend: float | None
    stopped_at_spend_cap: bool


class Results(BaseModel):
    """Everything a run measured."""

    model_config = _Closed
    version: int = VERSION
    status: Literal["complete", "partial"]
    """partial: stopped before every example was answered (spend cap)."""
    name: str
    as_of: date
    note: str
    simulated_notice: str | None = None
    """Said wherever the figures are shown when any candidate's answers came from the
    simulator (`advisor.simulated.notice`)."""
    study: dict[str, Any]
    """The study as validated, so a report can be re-costed without the study file."""
    study_path: str
    evalset: dict[str, Any]
    scorer: dict[str, Any]
    run: RunInfo
    candidates: list[CandidateResult]
    listed_models: dict[str, date] = {}
    """Shutdown dates the endpoints gave for their models (GET /models), by model id."""
    training: dict[str, TrainingInfo] = {}
    """By candidate name, for the fine-tunes whose study names a training file."""
    analysis: Analysis | None = None
    """The verdict and every number behind it; None when the run could not be analysed."""
    examples: list[ExampleResult]


def write_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Write through a temporary file in the same folder, then rename over the target; `text`
    may come in pieces, written as they are made."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; results are ordinary files
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines([text] if isinstance(text, str) else text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_results(results: Results, out: Path) -> Path:
    path = out / RESULTS_FILE
    try:
        write_atomic(path, results.model_dump_json(indent=1))
    except OSError as exc:
        raise RunError(f"{out}: cannot write the results ({exc.strerror})") from None
    return path


def load(path: Path) -> Results:
    from pydantic import ValidationError

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such results file") from None
    found = _VERSION.match(data)
    if found and int(found[1]) != VERSION:
        raise InputError(
            f"{path}: results version {int(found[1])}, but this advisor reads version {VERSION}; "
            "run the study again (`advisor evaluate STUDY --replay` replays it offline)"
        )
    try:
        return Results.model_validate_json(data)
    except ValidationError as exc:
        raise InputError(
            f"{path}: not a results file of this version: {exc.errors()[0]['msg']}"
        ) from None

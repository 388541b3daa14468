"""The study file: what to evaluate, against what, and the assumptions of the cost model.

A TOML file validated by pydantic, closed to unknown keys; every error names the file, the key and
what is wrong. Paths inside it are relative to the study file.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from advisor.bounds import (
    AsOf,
    CallsPerDay,
    Growth,
    HorizonDays,
    HorizonMonths,
    Seconds,
    Share,
    UpdateMonths,
    Usd,
)
from advisor.errors import InputError
from advisor.evalset import EvalFields
from advisor.pricing import PriceOverride
from advisor.scoring import ScorerConfig
from advisor.serving_config import ServingConfig

_Closed = ConfigDict(extra="forbid", allow_inf_nan=False)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._+-]*$")


class Candidate(BaseModel):
    """One model answering the eval set: the incumbent or a challenger."""

    model_config = _Closed

    name: str
    """Short, unique, shown everywhere; letters, digits, space, '.', '_', '+', '-'."""
    role: Literal["incumbent", "challenger"] = "challenger"
    model: str
    """The model id sent to the endpoint, e.g. `ft:gpt-4o-mini-2024-07-18:org::abc`."""
    provider: str = "openai"
    """Prices and lifecycle come from the catalog by (provider, model)."""
    base_model: str | None = None
    """For a fine-tune: the snapshot it is (or would be) trained on; makes it a fine-tune."""
    fine_tuned: bool | None = None
    """Force the candidate to count as a fine-tune (default: `ft:` ids or a `base_model`)."""
    template: str
    """Jinja2 file rendering the chat messages (relative to the study)."""
    params: dict[str, Any] = {}
    """Sampling parameters sent with every request (temperature, max_tokens, seed, ...)."""
    base_url: str | None = None
    """OpenAI-compatible endpoint; default: the OpenAI API (or --base-url)."""
    api_key_env: str = "OPENAI_API_KEY"
    """Environment variable holding the key; the key itself never goes in a file."""
    prices: PriceOverride | None = None
    """Overrides of the catalog's prices (USD per 1M tokens, training, hosting)."""
    training_cost: Usd | None = None
    """Fixed training cost in USD, instead of the estimate from the catalog."""
    training_tokens: int | None = Field(default=None, ge=0, le=10**15)
    """Tokens in the training file (per epoch), to price training from the catalog."""
    training_file: str | None = None
    """Chat-format JSONL the fine-tune is trained on (relative to the study): checked, counted
    and priced like `advisor estimate-training`, and checked for overlap with the eval set."""
    epochs: Annotated[int, Field(ge=1, le=1000)] | Literal["auto"] = "auto"
    """Training epochs; "auto" is OpenAI's default for the file's size (3 with training_tokens)."""
    hosting_per_hour: Usd | None = None
    """Hosting fee of the fine-tuned deployment, USD an hour (default: the catalog's, or 0)."""
    cached_share: Share | None = None
    """Share of this candidate's prompt tokens cached in production (the incumbent defaults to
    [traffic] cached_share); unset, the share measured in the eval is used."""
    serving: ServingConfig | None = None
    """How the fine-tune is served: serverless (default), a dedicated endpoint or own GPUs."""

    @model_validator(mode="after")
    def _hosting_once(self) -> Candidate:
        if self.serving and self.serving.kind != "serverless" and self.hosting_per_hour is not None:
            raise ValueError("give hosting_per_hour or a dedicated/self_hosted [serving], not both")
        return self

    @property
    def is_fine_tune(self) -> bool:
        if self.fine_tuned is not None:
            return self.fine_tuned
        return self.base_model is not None or self.model.startswith("ft:")


class Traffic(BaseModel):
    """Production traffic the cost model projects over the horizon."""

    model_config = _Closed

    calls_per_day: CallsPerDay
    monthly_growth: Growth = 0.0
    """0.05 is 5% a month, compounded continuously."""
    horizon_months: HorizonMonths | None = None
    """At most 600 (fifty years)."""
    horizon_days: HorizonDays | None = None
    """At most 18,262.5 (fifty years)."""
    cached_share: Share | None = None
    """Share of the incumbent's prompt tokens cached in production; replaces the eval's share."""
    batch_share: Share = 0.0
    """Share of production calls sent through the providers' Batch API, each candidate's calls
    priced at its batch discount (1 = an offline, batch workload)."""
    calls_per_day_range: tuple[float, float] | None = None
    """[low, high] around calls_per_day: each bootstrap draw of the chance it pays draws the
    day-0 volume from a triangular distribution with calls_per_day as its mode."""
    monthly_growth_range: tuple[float, float] | None = None
    """[low, high] around monthly_growth, drawn the same way."""

    @model_validator(mode="after")
    def _one_horizon(self) -> Traffic:
        if self.horizon_months is not None and self.horizon_days is not None:
            raise ValueError("give horizon_months or horizon_days, not both")
        return self

    @model_validator(mode="after")
    def _ranges_around_the_stated_values(self) -> Traffic:
        for name, stated, floor in (
            ("calls_per_day", self.calls_per_day, 0.0),
            ("monthly_growth", self.monthly_growth, -1.0),
        ):
            span = getattr(self, f"{name}_range")
            if span is None:
                continue
            low, high = span
            if not (math.isfinite(low) and math.isfinite(high)):
                raise ValueError(f"{name}_range must hold finite numbers (got {list(span)})")
            if not (low <= stated <= high) or low < floor or (floor < 0 and low == floor):
                raise ValueError(
                    f"{name}_range must be [low, high] with low <= {name} ({stated:g}) <= high"
                    + (" and low >= 0" if floor == 0 else " and low > -1")
                    + f" (got {list(span)})"
                )
        return self


class Lifecycle(BaseModel):
    """How long a fine-tune lives and what it costs besides its calls."""

    model_config = _Closed

    months_between_updates: UpdateMonths | None = None
    """Expected months until the base model is replaced; the fine-tune is redone then."""
    task_stable: bool = True
    """False when instructions or output format change often: fine-tuning is ruled out."""
    error_cost: Usd = 0.0
    """Cost in USD of one wrong answer in production; 0 leaves quality out of the money."""
    one_time_cost: Usd = 0.0
    """Labelling, engineering and eval runs for a fine-tune, USD."""
    retrain_cost: Usd | None = None


class Decision(BaseModel):
    """How sure the verdict must be."""

    model_config = _Closed

    margin: float = Field(default=0.02, ge=0, le=1)
    """The quality loss that matters (absolute, in the primary metric)."""
    alpha: float = Field(default=0.05, gt=0, lt=1)
    power: float = Field(default=0.8, gt=0, lt=1)
    seed: int = Field(default=20261128, ge=0, le=2**63 - 1)
    """Seed of the bootstrap and permutation tests, stored with the results."""


class RunSettings(BaseModel):
    """How the eval is run."""

    model_config = _Closed

    concurrency: int = Field(default=16, ge=1, le=1024)
    repeats: int = Field(default=1, ge=1, le=100)
    max_spend: Usd | None = None
    """Refuse or stop the run before it spends more than this, USD."""
    timeout: Seconds = 60.0
    """Seconds for one request."""
    retry_deadline: Seconds = 600.0
    """Seconds after which a request that keeps failing is given up as an error."""
    batch_poll_interval: Seconds = 30.0
    """Seconds before a batch's second poll under `--batch`; the wait doubles at each poll, up
    to 10 minutes. A local test server moving a batch a stage per poll wants well under 1."""
    output_estimate_tokens: int = Field(default=256, ge=1, le=10_000_000)
    """Output tokens assumed per call for the spend estimate when max_tokens is not set."""
    out: str | None = None
    """Run folder (default reports/<study name> beside the study's folder)."""


class FixtureSettings(BaseModel):
    model_config = _Closed

    redact: list[str] = []
    """Regular expressions for personal data, removed from what is recorded and from its key."""


class Study(BaseModel):
    """A whole study file."""

    model_config = _Closed

    name: str
    description: str = ""
    note: str = ""
    """Shown prominently in reports, e.g. where the answers came from."""
    as_of: AsOf | None = None
    """Day 0 of the cost model; default: the day of a live or recording run."""
    evalset: EvalFields
    scorer: ScorerConfig
    candidates: list[Candidate] = Field(min_length=1)
    traffic: Traffic
    lifecycle: Lifecycle = Lifecycle()
    decision: Decision = Decision()
    run: RunSettings = RunSettings()
    fixtures: FixtureSettings = FixtureSettings()

    @model_validator(mode="after")
    def _check(self) -> Study:
        if not _NAME.match(self.name):
            raise ValueError(f"name {self.name!r} may hold letters, digits, ' ._+-' only")
        names = [c.name for c in self.candidates]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"candidate name {name!r} is used twice")
            if not _NAME.match(name):
                raise ValueError(f"candidate name {name!r} may hold letters, digits, ' ._+-' only")
        incumbents = [c.name for c in self.candidates if c.role == "incumbent"]
        if len(incumbents) != 1:
            raise ValueError(
                f'exactly one candidate must have role = "incumbent" (got {len(incumbents)})'
            )
        for pattern in self.fixtures.redact:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"fixtures.redact pattern {pattern!r} is invalid: {exc}") from None
        return self

    @property
    def incumbent(self) -> Candidate | None:
        return next((c for c in self.candidates if c.role == "incumbent"), None)

    @property
    def challengers(self) -> list[Candidate]:
        return [c for c in self.candidates if c.role == "challenger"]


def _where(loc: tuple[int | str, ...]) -> str:
    """('candidates', 1, 'role') -> 'candidates[1].role'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validation_message(path: Path | str, exc: ValidationError) -> str:
    """One line for the first problem of a pydantic error, with how many more there are."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = _where(tuple(p for p in first["loc"] if not str(p).startswith("function-after")))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path}: {loc + ': ' if loc else ''}{message}{more}"


def load_study(path: Path) -> Study:
    """Read and validate a study file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such study file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Study.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_message(path, exc)) from None

"""A candidate's `[candidates.serving]` table: how a fine-tune is served and, self-hosted, trained.

Closed to unknown keys like the rest of the study; each way takes only its own keys, so a typo or a
key of another way is an error naming it, not a silently ignored number.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from advisor.serving import Dedicated, SelfHosted, Serverless, Serving

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Money = Annotated[float, Field(ge=0, allow_inf_nan=False)]
_OWN = {
    "serverless": set(),
    "dedicated": {"per_hour", "capacity_per_second"},
    "self_hosted": {"gpu_per_hour", "capacity_per_gpu", "training_gpu_hours"},
}


class ServingConfig(BaseModel):
    """How the candidate is served: serverless per token, a dedicated endpoint, or own GPUs."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["serverless", "dedicated", "self_hosted"]
    per_hour: Money | None = None
    """Dedicated: the endpoint's price per hour, USD."""
    capacity_per_second: Positive | None = None
    """Dedicated: calls per second it serves; past it the report says it no longer keeps up."""
    gpu_per_hour: Money | None = None
    """Self-hosted: what one GPU-hour costs the team, USD."""
    capacity_per_gpu: Positive | None = None
    """Self-hosted: calls per second one GPU serves."""
    peak_factor: Positive = 1.0
    """Peak calls per second / average calls per second."""
    training_gpu_hours: Money | None = None
    """Self-hosted: GPU-hours one training run takes; training then costs that x gpu_per_hour."""

    @model_validator(mode="after")
    def _own_keys(self) -> ServingConfig:
        # A null is no value: results.json stores every key of the study, unset ones as null.
        given = {
            k
            for k in self.model_fields_set
            if k not in ("kind", "peak_factor") and getattr(self, k) is not None
        }
        stray = sorted(given - _OWN[self.kind])
        if stray:
            raise ValueError(f"{', '.join(stray)} does not apply to a {self.kind} candidate")
        needed = {"dedicated": ["per_hour"], "self_hosted": ["gpu_per_hour", "capacity_per_gpu"]}
        missing = [k for k in needed.get(self.kind, []) if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.kind} candidate needs {', '.join(missing)}")
        return self

    def serving(self) -> Serving:
        if self.kind == "dedicated":
            assert self.per_hour is not None
            return Dedicated(self.per_hour, self.capacity_per_second, self.peak_factor)
        if self.kind == "self_hosted":
            assert self.gpu_per_hour is not None and self.capacity_per_gpu is not None
            return SelfHosted(self.gpu_per_hour, self.capacity_per_gpu, self.peak_factor)
        return Serverless()

"""A challenger's training file as results.json records it, estimated before the run.

Apart from the rest of the results model (whose verdict part loads numpy), because the plan
builds it before the first request.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class TrainingInfo(BaseModel):
    """A challenger's training file, as estimated before the run."""

    model_config = ConfigDict(extra="forbid")
    file: str
    examples: int
    epochs: int
    billed_tokens: int
    price_per_million: float
    price_source: str
    cost: float
    warnings: list[str]
    contaminated_ids: list[str]
    """Eval examples the training file contains: the challenger is not judged on them."""

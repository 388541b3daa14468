"""The study's `[scorer]` table: one closed pydantic model per scorer type, chosen by `type`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from advisor.scoring._text import normalize


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExactConfig(_Closed):
    """The output equals the expected text once both are stripped of surrounding whitespace."""

    type: Literal["exact"] = "exact"


class NormalizedConfig(_Closed):
    """The output equals the expected text once both are normalized (case, spaces, punctuation)."""

    type: Literal["normalized"] = "normalized"


class ContainsConfig(_Closed):
    """The normalized expected text appears anywhere in the normalized output (a substring)."""

    type: Literal["contains"] = "contains"


class RegexConfig(_Closed):
    """The stripped output matches a regular expression somewhere (`re.search`)."""

    type: Literal["regex"] = "regex"
    pattern: str | None = None
    """Python regex searched in every output; anchor it (`\\A…\\Z`) to match the whole output.
    Unset: each example's expected value is its pattern."""

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return pattern


class NumericConfig(_Closed):
    """The first number in the output is close to the expected number (`math.isclose`)."""

    type: Literal["numeric"] = "numeric"
    abs_tol: float = Field(0.0, ge=0)
    """Largest absolute difference accepted."""
    rel_tol: float = Field(0.0, ge=0)
    """Largest difference accepted relative to the larger of the two magnitudes."""


class LabelConfig(_Closed):
    """Classification: the normalized output must be one of the labels, the expected one."""

    type: Literal["label"] = "label"
    labels: list[str] | None = Field(None, min_length=1)
    """Every valid label, in the order the confusion matrix shows them. Unset: the distinct
    expected values of the eval set, sorted case-insensitively."""

    @field_validator("labels")
    @classmethod
    def _distinct(cls, labels: list[str] | None) -> list[str] | None:
        keys = [normalize(label) for label in labels or ()]
        if "" in keys:
            raise ValueError("a label is empty once normalized")
        if len(set(keys)) < len(keys):
            raise ValueError("two labels are the same once normalized (case, spaces, punctuation)")
        return labels


class JsonConfig(_Closed):
    """Partial credit: the share of the expected JSON object's fields the output gets right."""

    type: Literal["json"] = "json"
    fields: list[str] | None = Field(None, min_length=1)
    """The fields compared. Unset: every field of each expected object."""
    abs_tol: float = Field(0.0, ge=0)
    """Largest absolute difference accepted between two numbers."""


class JudgeConfig(_Closed):
    """A judge model grades each answer against the reference: CORRECT or INCORRECT."""

    type: Literal["judge"] = "judge"
    model: str = Field(min_length=1)
    """The judge model's name at its provider."""
    provider: str = "openai"
    """The provider whose prices cost the judge's calls."""
    base_url: str | None = None
    """An OpenAI-compatible endpoint; unset: the provider's own."""
    api_key_env: str = "OPENAI_API_KEY"
    """The environment variable holding the judge's API key (never the key itself)."""
    template: Path | None = None
    """A jinja2 template for the judge prompt, relative to the study; it gets `inputs` (the
    example's inputs by name), `expected` and `output`. Unset: the built-in prompt."""
    max_tokens: int = Field(16, gt=0)
    """Room for the one-word verdict; raise it for models that reason before answering."""


class CustomConfig(_Closed):
    """Your own function `fn(output, expected, example) -> float | bool` scores each answer."""

    type: Literal["custom"] = "custom"
    function: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    """`package.module:function`; the study's folder is importable, so a local module works."""
    metric: str = Field("mean_score", min_length=1)
    """The name of the primary metric (the mean of the scores) in reports."""
    pass_fail: bool = False
    """True when the function only returns 0/1 or booleans: the statistics then use McNemar's
    test, and any other value is an error."""


ScorerConfig = Annotated[
    ExactConfig
    | NormalizedConfig
    | ContainsConfig
    | RegexConfig
    | NumericConfig
    | LabelConfig
    | JsonConfig
    | JudgeConfig
    | CustomConfig,
    Field(discriminator="type"),
]
"""Any scorer's configuration, told apart by its `type` key."""

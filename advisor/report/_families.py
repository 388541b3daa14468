"""The report's "Across model families" section: the screen before an eval, on the run's tokens.

The same screen as `advisor families --from results.json`: every fine-tunable family and provider
in the catalog priced with this run's incumbent cost per call, the fine-tunes' measured prompt size
and the training file's size, with the options the run evaluated marked.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.errors import InputError
from advisor.families import Screen, profile_from_run, screen
from advisor.families_view import QUALITY_UNKNOWN, hourly, needed
from advisor.results import Results
from advisor.wording import days, money


@dataclass(frozen=True)
class Row:
    family: str
    provider: str
    model: str
    training: str
    per_call: str
    payback: str
    net_saving: str
    life: str
    quality: str
    mark: str
    """"evaluated", "family evaluated" or ""."""


@dataclass(frozen=True)
class Section:
    rows: tuple[Row, ...]
    worth: str
    unpriced: tuple[str, ...]
    note: str
    profile: str
    """The token profile the options were priced with, in one sentence."""
    missing: str | None = None
    """Why there is no screen for this run, when there is none."""


def _rows(result: Screen) -> tuple[Row, ...]:
    p = result.profile
    return tuple(
        Row(
            family=o.family,
            provider=o.provider,
            model=o.model,
            training=money(o.training_cost),
            per_call=money(o.cost_per_call) + hourly(o),
            payback="none in the horizon" if o.payback_days is None else days(o.payback_days),
            net_saving=money(o.net_saving_at_horizon),
            life="outlives the horizon" if o.life_days is None else days(o.life_days),
            quality=needed(o, p),
            mark="evaluated" if o.evaluated else ("family evaluated" if o.family_evaluated else ""),
        )
        for o in result.options
    )


def build(r: Results) -> Section:
    """The section for a run; a run without a measured fine-tune says why it has none."""
    if r.analysis is None:
        return Section((), "", (), QUALITY_UNKNOWN, "", missing="The run has no analysis.")
    data = {
        "study": r.study,
        "analysis": r.analysis.model_dump(mode="json"),
        "candidates": [c.model_dump(mode="json") for c in r.candidates],
        "training": {k: v.model_dump(mode="json") for k, v in r.training.items()},
        "as_of": r.as_of.isoformat(),
    }
    try:
        result = screen(profile_from_run(data))
    except InputError as exc:
        return Section((), "", (), QUALITY_UNKNOWN, "", missing=str(exc))
    p = result.profile
    worth = "; ".join(f"{o.family} at {o.provider}" for o in result.worth_an_eval)
    return Section(
        rows=_rows(result),
        worth=worth or "none: no option saves money at the horizon",
        unpriced=tuple(f"{u.provider} {u.model}: {u.reason}" for u in result.unpriced),
        note=QUALITY_UNKNOWN,
        profile=(
            f"Against {p.incumbent} at {money(p.incumbent_cost_per_call)} a call; fine-tunes "
            f"prompted with {p.ft_prompt_tokens:,.0f} tokens and answering {p.output_tokens:,.1f} "
            f"(measured), trained on {p.training_tokens:,.0f} tokens x {p.epochs:g} epochs."
        ),
    )

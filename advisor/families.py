"""The screen before any eval: what fine-tuning each family at each provider would cost and save.

Given the incumbent's cost per call and a token profile (the fine-tune's short prompt, the answer's
length, the training file's size), every catalog entry that publishes a training price and a price
for serving its fine-tune (per token, or by the hour on a dedicated endpoint) is priced the same
way: training cost, cost per call, payback and net saving at the horizon, the fine-tune's
life, and the error-rate difference at which it breaks even. Quality is not known until an option
is evaluated, so the screen assumes the incumbent's error rate for every option and ranks by
money alone; it only says which options are worth paying an eval for.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from advisor.economics import MONTH_DAYS, Scenario
from advisor.errors import InputError
from advisor.pricing import CatalogEntry, call_prices, load_catalog, resolve_model
from advisor.serving import Dedicated, Serverless, served_break_even, token_training_cost
from advisor.usage import call_cost

WORTH_AN_EVAL = 3
"""At most this many options are named as worth an eval, one per family."""


@dataclass(frozen=True)
class Profile:
    """What the screen needs to know about the task and its traffic."""

    incumbent: str
    """Who the options are compared with, for the text."""
    incumbent_cost_per_call: float
    ft_prompt_tokens: float
    """Prompt tokens of one call to a fine-tune (its short prompt and the input)."""
    output_tokens: float
    training_tokens: float
    """Tokens in the training file, one epoch."""
    epochs: float
    calls_per_day: float
    monthly_growth: float
    horizon_days: float
    as_of: date
    months_between_updates: float | None = None
    one_time_cost: float = 0.0
    error_cost: float = 0.0
    incumbent_error_rate: float | None = None
    evaluated: tuple[tuple[str, str], ...] = ()
    """(provider, base model) of the candidates a run evaluated, marked in the screen."""

    def __post_init__(self) -> None:
        for name in (
            "incumbent_cost_per_call",
            "ft_prompt_tokens",
            "output_tokens",
            "training_tokens",
            "calls_per_day",
            "one_time_cost",
            "error_cost",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InputError(
                    f"{name.replace('_', '-')} must be a finite number >= 0 (got {value})"
                )
        if not (math.isfinite(self.epochs) and self.epochs > 0):
            raise InputError(f"epochs must be a finite number > 0 (got {self.epochs})")
        rate = self.incumbent_error_rate
        if rate is not None and not 0 <= rate <= 1:
            raise InputError(f"incumbent-error-rate must be between 0 and 1 (got {rate})")


@dataclass(frozen=True)
class Option:
    """One family at one provider, priced for the profile."""

    provider: str
    model: str
    family: str
    parameters_b: float | None
    training_cost: float
    cost_per_call: float
    """Per-token serving only; a dedicated endpoint's hours are `hosting_per_hour`."""
    hosting_per_hour: float
    """What serving costs by the hour whatever the volume: a dedicated endpoint, storage."""
    payback_days: float | None
    net_saving_at_horizon: float
    life_days: float | None
    """When the first fine-tune's life ends (update or shutdown); None: outlives the horizon."""
    shutdown: date | None
    break_even_error_gap: float | None
    """Incumbent's error rate minus the option's at which the net saving is zero."""
    evaluated: bool
    """This very option (provider and base model) was evaluated in the run."""
    family_evaluated: bool
    """Some option of its family was."""
    price_note: str
    """Where the prices came from, in a few words."""


@dataclass(frozen=True)
class Unpriced:
    """A catalog entry the screen cannot price, and why."""

    provider: str
    model: str
    reason: str


@dataclass(frozen=True)
class Screen:
    profile: Profile
    options: tuple[Option, ...]
    """Ranked by net saving at the horizon, best first."""
    unpriced: tuple[Unpriced, ...]
    worth_an_eval: tuple[Option, ...]


def _day(as_of: date, when: date | None) -> float | None:
    return None if when is None else float((when - as_of).days)


def _unavailable(entry: CatalogEntry, as_of: date) -> str | None:
    if entry.training is None:
        return "no published training price in the catalog"
    if not _servable(entry):
        return "no price for serving its fine-tune in the catalog: give it in the study"
    if entry.shutdown is not None and entry.shutdown <= as_of:
        return f"shut down on {entry.shutdown}"
    if entry.training_cutoff is not None and entry.training_cutoff < as_of:
        return f"accepts no training job after {entry.training_cutoff}"
    return None


def _servable(entry: CatalogEntry) -> bool:
    """The catalog prices a call to the entry's fine-tune: its own prices, or the base ones."""
    if entry.ft_input is not None and entry.ft_output is not None:
        return True
    return bool(entry.adapter_at_base_price) and None not in (entry.input, entry.output)


def price_option(entry: CatalogEntry, p: Profile) -> Option:
    """Training, cost per call and break-even of one catalog entry, served as it is sold."""
    assert entry.training is not None
    prices = call_prices(entry.provider, entry.model, fine_tuned=True)
    per_call = call_cost(p.ft_prompt_tokens, 0, p.output_tokens, prices.input, 0, prices.output)
    training = token_training_cost(
        p.training_tokens, p.epochs, entry.training, entry.min_training_charge or 0.0
    )
    update = p.months_between_updates
    error_rate = p.incumbent_error_rate or 0.0
    scenario = Scenario(
        calls_per_day=p.calls_per_day,
        prompt_cost_per_call=p.incumbent_cost_per_call,
        ft_cost_per_call=per_call,
        training_cost=training,
        one_time_cost=p.one_time_cost,
        monthly_growth=p.monthly_growth,
        horizon_days=p.horizon_days,
        update_every_days=None if update is None else update * MONTH_DAYS,
        shutdown_day=_day(p.as_of, entry.shutdown),
        training_cutoff_day=_day(p.as_of, entry.training_cutoff),
        error_cost=p.error_cost,
        prompt_error_rate=error_rate,
        ft_error_rate=error_rate,
        as_of=p.as_of,
    )
    # Keeping a fine-tune (Mistral's storage) costs by the hour like an endpoint, called or not,
    # so it counts against the payback too, not only the net saving.
    storage = (entry.storage_per_month or 0.0) / (MONTH_DAYS * 24)
    hosting = (entry.hosting_per_hour or 0.0) + storage
    serving = Serverless() if not hosting else Dedicated(per_hour=hosting)
    result = served_break_even(scenario, serving)
    return Option(
        provider=entry.provider,
        model=entry.model,
        family=entry.family or entry.model,
        parameters_b=entry.parameters_b,
        training_cost=training,
        cost_per_call=per_call,
        hosting_per_hour=hosting,
        payback_days=result.payback_days,
        net_saving_at_horizon=result.net_saving_at_horizon,
        life_days=result.life.life_days,
        shutdown=entry.shutdown,
        break_even_error_gap=result.break_even_error_gap,
        evaluated=(entry.provider, entry.model) in p.evaluated,
        family_evaluated=entry.family in _families(p.evaluated),
        price_note=prices.source.split(",")[0],
    )


def _families(evaluated: tuple[tuple[str, str], ...]) -> set[str]:
    catalog = load_catalog()
    found = (catalog.find(provider, model) for provider, model in evaluated)
    return {e.family for e in found if e is not None and e.family}


def screen(p: Profile) -> Screen:
    """Every fine-tunable catalog option priced and ranked; the few worth an eval named."""
    options: list[Option] = []
    unpriced: list[Unpriced] = []
    for entry in load_catalog().models:
        reason = _unavailable(entry, p.as_of)
        if reason is None:
            options.append(price_option(entry, p))
        else:
            unpriced.append(Unpriced(entry.provider, entry.model, reason))
    options.sort(key=lambda o: (-o.net_saving_at_horizon, o.provider, o.model))
    worth: list[Option] = []
    for option in options:
        if option.net_saving_at_horizon <= 0 or len(worth) == WORTH_AN_EVAL:
            break
        if option.family not in {w.family for w in worth}:
            worth.append(option)
    return Screen(p, tuple(options), tuple(unpriced), tuple(worth))


# --- the token profile of a finished run ----------------------------------------------------


def profile_from_results(path: Path) -> Profile:
    """The token profile of a finished run's results.json.

    Read with the standard library: the screen must answer in well under a second.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such results file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable results.json: {exc}") from None
    return profile_from_run(data, str(path))


def profile_from_run(data: dict, where: str = "the run") -> Profile:
    """The incumbent's production cost per call and the fine-tunes' measured tokens of a run.

    `data` holds results.json's study, analysis, candidates, training and as_of.
    """
    try:
        study, analysis = data["study"], data["analysis"]
        incumbent_cost = analysis["incumbent_cost"]
        candidates = {c["name"]: c for c in data["candidates"]}
        tuned = [c for c in data["candidates"] if c["fine_tune"]]
        training = list((data.get("training") or {}).values())
        incumbent = candidates[incumbent_cost["candidate"]]
        traffic, lifecycle = study["traffic"], study["lifecycle"]
    except (KeyError, TypeError) as exc:
        raise InputError(f"{where}: not an advisor results.json (missing {exc})") from None
    if not tuned or not training:
        raise InputError(
            f"{where}: the run has no fine-tuned candidate with a training file, so no fine-tune "
            "prompt size or training size to screen with: give them as options instead"
        )
    months = traffic.get("horizon_months")
    horizon = traffic.get("horizon_days") or (730.0 if months is None else months * MONTH_DAYS)
    accuracy = incumbent["metrics"].get("value")
    return Profile(
        incumbent=incumbent["name"],
        incumbent_cost_per_call=incumbent_cost["cost_per_call"],
        ft_prompt_tokens=min(c["usage"]["prompt_tokens"] for c in tuned),
        output_tokens=incumbent["usage"]["completion_tokens"],
        training_tokens=training[0]["billed_tokens"] / training[0]["epochs"],
        epochs=training[0]["epochs"],
        calls_per_day=traffic["calls_per_day"],
        monthly_growth=traffic["monthly_growth"],
        horizon_days=horizon,
        as_of=date.fromisoformat(data["as_of"]),
        months_between_updates=lifecycle["months_between_updates"],
        one_time_cost=lifecycle["one_time_cost"],
        error_cost=lifecycle["error_cost"],
        incumbent_error_rate=None if accuracy is None else 1 - accuracy,
        evaluated=tuple(
            (c["provider"], resolve_model(c["base_model"] or c["model"], c["provider"])[0])
            for c in tuned
        ),
    )


def with_overrides(p: Profile, **changes: object) -> Profile:
    """The profile with the options the user gave on the command line."""
    return replace(p, **{k: v for k, v in changes.items() if v is not None})

"""`advisor families`: the profile read from options or a run, and the screen as text and JSON."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path

from advisor.breakeven_view import horizon_days_of
from advisor.errors import InputError
from advisor.families import Option, Profile, Screen, profile_from_results, with_overrides
from advisor.pricing import call_prices
from advisor.usage import call_cost
from advisor.wording import horizon, money, number

QUALITY_UNKNOWN = (
    "Quality is unknown until an option is evaluated: every option is assumed to answer as well "
    "as the incumbent, so this ranks by money alone."
)


def incumbent_cost(
    model: str, provider: str, prompt_tokens: float, cached_share: float, output_tokens: float
) -> float:
    """The incumbent's cost per call from its catalog prices and its prompt's size."""
    if not 0 <= cached_share <= 1:
        raise InputError(f"--cached-share must be between 0 and 1 (got {cached_share})")
    prices = call_prices(provider, model)
    cached = prompt_tokens * cached_share
    return call_cost(
        prompt_tokens - cached,
        cached,
        output_tokens,
        prices.input,
        prices.cached_input,
        prices.output,
    )


def profile(
    results: Path | None,
    *,
    incumbent: str | None,
    incumbent_provider: str,
    prompt_tokens: float | None,
    cached_share: float,
    output_tokens: float | None,
    horizon_days: float | None,
    horizon_months: float | None,
    as_of: date | None,
    **given: float | None,
) -> Profile:
    """The profile of a run (`--from`) with the options given on top, or from options alone.

    Without a run, the incumbent's cost per call comes from its catalog prices and prompt size.
    """
    days = (
        None
        if horizon_days is None and horizon_months is None
        else horizon_days_of(horizon_days, horizon_months)
    )
    if results is not None:
        if incumbent is not None or prompt_tokens is not None:
            raise InputError("--from gives the incumbent: drop --incumbent and --prompt-tokens")
        run = profile_from_results(results)
        return with_overrides(
            run, output_tokens=output_tokens, horizon_days=days, as_of=as_of, **given
        )
    needs = {
        "--incumbent": incumbent,
        "--prompt-tokens": prompt_tokens,
        "--output-tokens": output_tokens,
        "--ft-prompt-tokens": given.get("ft_prompt_tokens"),
        "--training-tokens": given.get("training_tokens"),
        "--calls-per-day": given.get("calls_per_day"),
    }
    missing = [name for name, value in needs.items() if value is None]
    if missing:
        raise InputError(f"give --from RESULTS.json, or {', '.join(missing)}")
    assert incumbent is not None and prompt_tokens is not None and output_tokens is not None
    cost = incumbent_cost(incumbent, incumbent_provider, prompt_tokens, cached_share, output_tokens)
    values = {k: v for k, v in given.items() if v is not None}
    return Profile(
        incumbent=incumbent,
        incumbent_cost_per_call=cost,
        output_tokens=output_tokens,
        epochs=values.pop("epochs", 3),
        monthly_growth=values.pop("monthly_growth", 0.0),
        horizon_days=horizon_days_of(None, None) if days is None else days,
        as_of=as_of or date.today(),
        **values,  # type: ignore[arg-type]
    )


def needed(option: Option, profile: Profile) -> str:
    """The quality the option needs to break even, in words."""
    gap = option.break_even_error_gap
    if gap is None:
        return "no error cost given"
    points = f"{abs(gap) * 100:.1f} points"
    if gap > 0:
        return f"must make {points} fewer errors than the incumbent"
    text = f"breaks even with up to {points} more errors"
    if profile.incumbent_error_rate is not None:
        accuracy = max(0.0, 1 - profile.incumbent_error_rate + gap)
        text += f" (accuracy down to {accuracy:.1%})"
    return text


def hourly(option: Option) -> str:
    """What a dedicated endpoint or storage bills by the hour whatever the volume, if anything."""
    return f" + {money(option.hosting_per_hour)} an hour" if option.hosting_per_hour else ""


def _life(option: Option) -> str:
    return "outlives the horizon" if option.life_days is None else f"{option.life_days:,.0f} days"


def _mark(option: Option) -> str:
    if option.evaluated:
        return " [evaluated]"
    return " [family evaluated]" if option.family_evaluated else ""


def lines(result: Screen) -> list[str]:
    p = result.profile
    out = [
        f"Fine-tuning options against {p.incumbent} ({money(p.incumbent_cost_per_call)} a call), "
        f"{number(p.calls_per_day)} calls/day, over {horizon(p.horizon_days)}:",
        QUALITY_UNKNOWN,
    ]
    for rank, o in enumerate(result.options, 1):
        payback = "none in the horizon" if o.payback_days is None else f"{o.payback_days:,.1f} days"
        out.append(
            f"{rank:>2}. {o.family} at {o.provider} ({o.model}){_mark(o)}: training "
            f"{money(o.training_cost)}, {money(o.cost_per_call)} a call{hourly(o)}, "
            f"payback {payback}, "
            f"net saving {money(o.net_saving_at_horizon)}, life {_life(o)}; {needed(o, p)}"
        )
    if result.worth_an_eval:
        names = "; ".join(f"{o.family} at {o.provider}" for o in result.worth_an_eval)
        out.append(f"Worth an eval: {names}.")
    else:
        out.append("Worth an eval: none; no option saves money at the horizon.")
    for u in result.unpriced:
        out.append(f"Not priced: {u.provider} {u.model}: {u.reason}")
    return out


def to_dict(result: Screen) -> dict:
    def plain(value: object) -> object:
        return value.isoformat() if isinstance(value, date) else value

    def clean(d: dict) -> dict:
        return {k: plain(v) for k, v in d.items()}

    profile = clean(asdict(result.profile))
    profile["evaluated"] = [list(pair) for pair in result.profile.evaluated]
    return {
        "note": QUALITY_UNKNOWN,
        "profile": profile,
        "options": [clean(asdict(o)) for o in result.options],
        "worth_an_eval": [[o.provider, o.model] for o in result.worth_an_eval],
        "unpriced": [asdict(u) for u in result.unpriced],
    }

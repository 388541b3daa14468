"""The report's money charts, recomputed from results.json with the cost model's own functions.

A challenger's scenario is the one its verdict stored (`break_even.scenario`),
so the curves drawn are the curves the verdict was computed from; the shaded bands come from the
ends of the same cost-per-call (and quality) intervals the verdict's ranges use.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from markupsafe import Markup

from advisor import breakeven as bk
from advisor import economics as eco
from advisor.analysis import with_quality
from advisor.cost_per_call import CallCost
from advisor.decision import ChallengerVerdict
from advisor.report import charts
from advisor.wording import day_count, days, horizon, money, number


@dataclass(frozen=True)
class Chart:
    """A chart and the sentences under it (what is drawn, what falls outside)."""

    svg: Markup | None
    """Safe to embed: `charts` escapes every piece of text it writes."""
    notes: list[str]


def scenario(cv: ChallengerVerdict) -> eco.Scenario:
    """The challenger's cost model exactly as its verdict stored it."""
    return cv.break_even.scenario


def _bands(
    s: eco.Scenario, cv: ChallengerVerdict, incumbent: CallCost
) -> tuple[tuple[eco.Scenario, eco.Scenario], tuple[eco.Scenario, eco.Scenario]]:
    """Each arm at the low and the high end of its own cost-per-call interval.

    The incumbent's price matters to the fine-tuned arm after a fallback, so it moves with the
    challenger's; with a cost of wrong answers, the quality interval's ends move the error rate.
    The verdict's optimistic and pessimistic curves are the opposite edges of these two bands.
    """
    q = cv.quality
    prompted = (
        replace(s, prompt_cost_per_call=incumbent.low),
        replace(s, prompt_cost_per_call=incumbent.high),
    )
    low = replace(s, prompt_cost_per_call=incumbent.low, ft_cost_per_call=cv.cost.low)
    high = replace(s, prompt_cost_per_call=incumbent.high, ft_cost_per_call=cv.cost.high)
    challenger = (
        with_quality(low, q, q.high if q else 0.0),
        with_quality(high, q, q.low if q else 0.0),
    )
    return prompted, challenger


def _marker_text(as_of: date, day: float) -> str:
    return f"day {number(day, 1)} ({eco.day_to_date(as_of, day).isoformat()})"


NO_PAYBACK = "none in the horizon"
"""A payback that does not exist: the fine-tuned arm ends the horizon dearer."""

_PRIORITY = ("payback", "crossing", "fallback", "shutdown", "cutoff", "retrain", "update")
"""Which marker labels get room first when they crowd each other."""


def _markers(s: eco.Scenario, cv: ChallengerVerdict) -> tuple[list[charts.Marker], list[str]]:
    """Every event of the horizon as a marker, the most important first; notes for the rest."""
    be, life = cv.break_even, cv.break_even.life
    end = s.horizon_days
    found: dict[float, list[tuple[str, str]]] = {}
    notes = []

    def add(day: float | None, key: str, label: str) -> None:
        if day is not None and 0 <= day <= end:
            found.setdefault(round(day, 6), []).append((key, label))

    payback = be.payback_days
    if be.simple_payback_days is None:
        notes.append("Payback: never (no positive daily net saving).")
    elif payback is None:
        notes.append(
            f"No payback within {horizon(end)}: the fine-tuned arm ends it dearer, so no "
            "payback is drawn"
            + (
                f"; simple payback {days(be.simple_payback_days)}, {why}."
                if (why := bk.payback_reason(be))
                else "."
            )
        )
    add(payback, "payback", "payback")
    crossing = be.first_crossing_days
    if crossing is None:
        notes.append("The cost curves do not cross within the horizon.")
    else:
        add(crossing, "crossing", "curves cross" if be.first_crossing_lasts else "curves meet")
        if not be.first_crossing_lasts:
            notes.append(
                f"The curves meet on {_marker_text(s.as_of, crossing)} but part again: the "
                "payback is the last crossing, after which the fine-tune stays cheaper."
            )
    for day in life.retrain_days:
        add(day, "retrain", "retrain")
    if s.update_every_days is not None:
        notes.append(
            f"Grey rules: expected base-model updates, every {days(s.update_every_days)}"
            + (
                f"; the fine-tune is retrained at {len(life.retrain_days)} of them."
                if life.retrain_days
                else "."
            )
        )
        k = 1
        while k * s.update_every_days < end:
            if k * s.update_every_days not in life.retrain_days:
                add(k * s.update_every_days, "update", "")
            k += 1
    add(s.shutdown_day, "shutdown", "base model shuts down")
    add(s.training_cutoff_day, "cutoff", "last training job")
    add(life.fallback_day, "fallback", "back to the incumbent's price")
    markers = []
    for day, items in found.items():
        keys = sorted(dict.fromkeys(k for k, _ in items), key=_PRIORITY.index)
        y = eco.prompted_cost(s, day) if "crossing" in keys else None
        texts = [t for _, t in sorted(items, key=lambda i: _PRIORITY.index(i[0])) if t]
        label = f"{' · '.join(dict.fromkeys(texts))}: {_marker_text(s.as_of, day)}" if texts else ""
        markers.append(charts.Marker(" ".join(keys), day, label, y))
    markers.sort(key=lambda m: (_PRIORITY.index(m.key.split()[0]), m.x))
    return markers, notes


def cost_chart(cv: ChallengerVerdict, incumbent: CallCost, incumbent_name: str) -> Chart:
    """Cumulative cost of keeping the incumbent against adopting this challenger."""
    s = scenario(cv)
    curves = eco.cost_curves(s)
    (inc_low, inc_high), (ch_low, ch_high) = _bands(s, cv, incumbent)
    life = eco.lifecycle(s)
    days = curves.days
    band_inc = [(eco.prompted_cost(inc_low, t), eco.prompted_cost(inc_high, t)) for t in days]
    band_ch = [
        (eco.fine_tuned_cost(ch_low, t, life), eco.fine_tuned_cost(ch_high, t, life)) for t in days
    ]
    fine_tune = cv.kind == "fine_tune"
    what = "training, retrains, hosting and calls" if fine_tune else "its calls"
    markers, notes = _markers(s, cv)
    if s.error_cost:
        notes.append(
            f"Each wrong answer costs {money(s.error_cost)}: error rates "
            f"{s.prompt_error_rate:.1%} ({incumbent_name}) and {s.ft_error_rate:.1%} ({cv.name})."
        )
    svg = charts.line_chart(
        [
            charts.Series(
                "incumbent", f"{incumbent_name}: keep prompting", days, curves.prompted, "inc"
            ),
            charts.Series("challenger", f"{cv.name}: {what}", days, curves.fine_tuned, "ch"),
        ],
        bands=[
            charts.Band(
                "incumbent", days, [min(p) for p in band_inc], [max(p) for p in band_inc], "inc"
            ),
            charts.Band(
                "challenger", days, [min(p) for p in band_ch], [max(p) for p in band_ch], "ch"
            ),
        ],
        markers=markers,
        title=f"Cumulative cost: {incumbent_name} against {cv.name}",
        x_label=f"days from {s.as_of.isoformat()} (dates below)",
        y_label="cumulative cost, USD",
        x_format=lambda d: number(d),
        x_subformat=lambda d: eco.day_to_date(s.as_of, d).isoformat(),
        x_domain=(0.0, s.horizon_days),
    )
    notes.append(
        f"At {horizon(s.horizon_days)}: {incumbent_name} "
        f"{money(curves.prompted[-1])}, {cv.name} {money(curves.fine_tuned[-1])}; "
        f"net saving {money(cv.break_even.net_saving_at_horizon)}."
    )
    return Chart(Markup(svg), notes)


def tornados(cv: ChallengerVerdict) -> list[Chart]:
    """Payback and net saving at the horizon against each assumption, widest swing first."""
    if not cv.sensitivity:
        return []
    be = cv.break_even
    payback_rows = [
        charts.TornadoRow(r.factor, r.low_label, r.high_label, r.payback_low, r.payback_high)
        for r in cv.sensitivity
    ]
    saving_rows = [
        charts.TornadoRow(r.factor, r.low_label, r.high_label, r.net_saving_low, r.net_saving_high)
        for r in cv.sensitivity
    ]
    base_payback = be.payback_days
    if base_payback is None and all(r.low is None and r.high is None for r in payback_rows):
        payback = None
    else:
        payback = charts.tornado(
            payback_rows,
            base=base_payback,
            base_label="as measured: "
            + (NO_PAYBACK if base_payback is None else f"{number(base_payback, 1)} days"),
            title=f"Payback of {cv.name} against each assumption",
            axis_label="payback, days from as_of (right is worse)",
            value_format=lambda v: f"{number(v)} d",
            missing=NO_PAYBACK,
            references=[
                charts.Reference(
                    "horizon", be.horizon_days, f"{day_count(be.horizon_days)}-day horizon"
                )
            ],
        )
    saving = charts.tornado(
        saving_rows,
        base=be.net_saving_at_horizon,
        base_label=f"as measured: {money(be.net_saving_at_horizon)}",
        title=f"Net saving of {cv.name} at the horizon against each assumption",
        axis_label=f"net saving at {horizon(be.horizon_days)}, USD (right is better)",
        value_format=charts.compact_money,
        references=[charts.Reference("zero", 0.0, "break-even")],
    )
    never = Chart(None, ["No payback within the horizon at either end of every assumption."])
    return [Chart(Markup(payback), []) if payback else never, Chart(Markup(saving), [])]

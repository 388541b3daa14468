"""The few lines `advisor evaluate` prints when a run ends."""

from __future__ import annotations

from advisor.evaluate import Outcome
from advisor.wording import money


def run_lines(outcome: Outcome) -> list[str]:
    r = outcome.results
    lines = []
    if r.simulated_notice:
        lines.append(r.simulated_notice)
    if r.note:
        lines.append(f"Note: {r.note}")
    for c in r.candidates:
        value = "n/a" if c.metrics.value is None else f"{c.metrics.value:.4f}"
        cost = "n/a" if c.cost_per_call is None else money(c.cost_per_call)
        problems = {k: v for k, v in c.finish_reasons.items() if k in ("length", "content_filter")}
        flagged = "".join(f", {v} cut by {k}" for k, v in problems.items())
        lines.append(
            f"{c.name} ({c.role}, {c.model}): {c.metrics.primary} {value} over {c.metrics.n}"
            f" answers, {cost} a call in this eval, {c.errors} error(s){flagged}"
        )
    if r.analysis is not None:
        a = r.analysis
        lines.append(f"Verdict: {a.verdict} (review by {a.review_by}): {a.summary}")
        for c in a.challengers:
            lines.append(f"  {c.name}: {c.status}")
    run = r.run
    if run.mode == "record":  # what the fixtures gave back was not sent, nor paid again
        counts = f"{run.from_cache} re-used from the fixtures, {run.requests - run.from_cache} sent"
    else:
        counts = f"{run.from_cache} from the cache"
    lines.append(
        f"{run.requests} requests ({counts}, {run.retries} retries), "
        f"spent {money(run.spend)} in {outcome.facts.duration_s:.1f} s; status {r.status}"
    )
    if run.stopped_at_spend_cap:
        lines.append(
            f"Stopped at the spend cap of {money(run.max_spend or 0)}: results are partial"
        )
    if run.errors:
        lines.append(
            f"{run.errors} example(s) in error: see {outcome.path.parent / 'examples.jsonl'}"
        )
    for failed in outcome.listing_failed:
        lines.append(f"Models listing failed at {failed}: shutdown dates from the catalog")
    lines.append(f"Wrote {outcome.path}")
    return lines

"""A short Markdown summary of a run for a pull-request comment: `summary.md` beside the report."""

from __future__ import annotations

from advisor.breakeven import BreakEven
from advisor.results import Results
from advisor.verdict import ChallengerVerdict
from advisor.wording import day_and_date, horizon, money, share

SUMMARY_FILE = "summary.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def payback_cell(be: BreakEven) -> str:
    """The lasting payback; where there is none, the simple one is named as not reached."""
    if be.payback_days is not None or be.simple_payback_days is None:
        return day_and_date(be.payback_days, be.as_of)
    return (
        f"none within {horizon(be.horizon_days)} (simple payback "
        f"{be.simple_payback_days:,.1f} days)"
    )


def chance_cell(c: ChallengerVerdict) -> str:
    p = c.probability
    if p is None:
        return ""
    return f"{share(p.payback_within_horizon)} (n = {p.n:,})"


def summary_markdown(results: Results) -> str:
    a = results.analysis
    lines = [f"## advisor: {results.name}", ""]
    if results.note:
        lines += [f"> {results.note}", ""]
    if a is None:
        lines.append("No analysis (the run could not be analysed).")
        return "\n".join(lines) + "\n"
    lines += [
        f"**Verdict: `{a.verdict}`**"
        + (f" — recommended: **{_cell(a.recommended)}**" if a.recommended else ""),
        "",
        _cell(a.summary),
        "",
        f"As of {a.as_of}; review by {a.review_by} ({a.review_reason}). Mode: {results.run.mode}, "
        f"status: {results.status}, eval spend {money(results.run.spend)}.",
        "",
        "| candidate | status | quality delta [interval] | p | cost/call | payback | net saving "
        "| chance it pays |",
        "|---|---|---|---|---|---|---|---|",
    ]
    if a.incumbent_cost is not None:
        lines.append(
            f"| {_cell(a.incumbent or '')} (incumbent) | | | | "
            f"{money(a.incumbent_cost.cost_per_call)} | | | |"
        )
    for c in a.challengers:
        q = c.quality
        delta = f"{q.delta:+.3f} [{q.low:+.3f}, {q.high:+.3f}]" if q else "n/a"
        p = f"{q.p_value:.3g}" if q else ""
        be = c.break_even
        lines.append(
            f"| {_cell(c.name)} | {c.status} | {delta} | {p} | {money(c.cost.cost_per_call)} | "
            f"{payback_cell(be)} | {money(be.net_saving_at_horizon)} | {chance_cell(c)} |"
        )
    lines += [
        "",
        "Chance it pays: the share of paired bootstrap draws (and draws of any stated traffic "
        "ranges) in which the fine-tuned arm pays back within the horizon.",
        "",
    ]
    for c in a.challengers:
        lines.append(
            f"- **{_cell(c.name)}**: "
            + "; ".join(f"{r.outcome}: {_cell(r.message)}" for r in c.rules)
        )
    return "\n".join(lines) + "\n"

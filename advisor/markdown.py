"""A short Markdown summary of a run for a pull-request comment: `summary.md` beside the report."""

from __future__ import annotations

from advisor.formatting import day_and_date, money
from advisor.results import Results

SUMMARY_FILE = "summary.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_markdown(results: Results) -> str:
    a = results.analysis
    lines = [f"## advisor: {results.name}", ""]
    if results.simulated_notice:
        lines += [f"> **{results.simulated_notice}**", ""]
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
        "| candidate | status | quality delta [interval] | p | cost/call | payback | net saving |",
        "|---|---|---|---|---|---|---|",
    ]
    if a.incumbent_cost is not None:
        lines.append(
            f"| {_cell(a.incumbent or '')} (incumbent) | | | | "
            f"{money(a.incumbent_cost.cost_per_call)} | | |"
        )
    for c in a.challengers:
        q = c.quality
        delta = f"{q.delta:+.3f} [{q.low:+.3f}, {q.high:+.3f}]" if q else "n/a"
        p = f"{q.p_value:.3g}" if q else ""
        be = c.break_even
        lines.append(
            f"| {_cell(c.name)} | {c.status} | {delta} | {p} | {money(c.cost.cost_per_call)} | "
            f"{day_and_date(be['payback_days'], a.as_of)} | {money(be['net_saving_at_horizon'])} |"
        )
    lines.append("")
    for c in a.challengers:
        lines.append(
            f"- **{_cell(c.name)}**: "
            + "; ".join(f"{r.outcome}: {_cell(r.message)}" for r in c.rules)
        )
    return "\n".join(lines) + "\n"

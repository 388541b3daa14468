"""The page's context: what the template shows, gathered from a `Results` section by section.

Every figure is read from results.json or recomputed from it with the functions that made it;
nothing here calls a model. Text from the study, the eval set and the models stays plain `str`
until the template escapes it; only the page's own stylesheet, script and charts (whose text
`charts` escapes) are marked safe.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from markupsafe import Markup

from advisor.report import _confusion, _examples, _families
from advisor.report._challenger_views import challenger_views, delta_chart, focus
from advisor.report._input_tables import call_costs, scenario_rows, totals
from advisor.report._key_figures import key_figures
from advisor.report._rows import rows_html
from advisor.report._templates import asset, environment
from advisor.results import CandidateResult, Results

VERDICTS = {
    "fine_tune": ("Fine-tune", "go"),
    "switch_model": ("Switch model", "go"),
    "keep_prompting": ("Keep prompting", "stay"),
    "not_enough_evidence": ("Not enough evidence", "wait"),
}
MODES = {
    "live": "live: every model was called during this run",
    "record": "live, recorded: every model was called and the exchanges saved as fixtures",
    "replay": "replayed from recorded fixtures: no model was called for this run",
}
LATENCY = {
    "live": "measured in this run",
    "record": "measured in this run, and recorded with the fixtures",
    "replay": "as recorded with the fixtures, not the time this replay took",
}
KINDS = {"fine_tune": "fine-tuned model", "prompted": "prompted model"}


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    # Nothing may load, connect or submit; only the page's own script runs, even if some text
    # ever escaped escaping.
    return (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def render(
    results: Results, run_dir: Path | None = None, texts: dict[str, dict[str, Any]] | None = None
) -> str:
    """The report page for `results`, with example text from `texts` (examples.jsonl's rows by
    id) or else from run_dir/examples.jsonl, if any."""
    r, a = results, results.analysis
    cv = focus(a)
    incumbent = next((c for c in r.candidates if c.role == "incumbent"), None)
    examples = _examples.build(
        r, run_dir, incumbent.name if incumbent else None, cv.name if cv else None, texts
    )
    script = asset("report.js")
    by_name: dict[str, CandidateResult] = {c.name: c for c in r.candidates}
    title, tone = VERDICTS[a.verdict] if a else ("No verdict", "wait")
    context = {
        "r": r,
        "a": a,
        "focus": cv,
        "by_name": by_name,
        "call_costs": call_costs(a),
        "incumbent": incumbent,
        "verdict_title": title,
        "tone": tone,
        "kinds": KINDS,
        "mode_text": MODES[r.run.mode],
        "figures": key_figures(r, cv),
        "challengers": challenger_views(a, cv) if a else [],
        "delta_chart": Markup(svg) if a and (svg := delta_chart(a)) else None,
        "label_candidates": [c for c in r.candidates if c.metrics.labels is not None],
        "confusions": _confusion.confusion_views(r.candidates),
        "matrix_max": _confusion.MATRIX_MAX_LABELS,
        "latency_text": LATENCY[r.run.mode],
        "totals": totals(r),
        "scenario_rows": scenario_rows(a),
        "examples": examples,
        "example_rows": rows_html(examples),
        "families": _families.build(r),
        "problem_finish": _examples.PROBLEM_FINISH,
        "shade": lambda count, row_total: (
            f"{0.08 + 0.72 * count / row_total:.2f}" if row_total and count else "0"
        ),
        "css": Markup(asset("report.css")),
        "script": Markup(script),
        "csp": _csp(script),
    }
    return environment().get_template("report.html.j2").render(context)

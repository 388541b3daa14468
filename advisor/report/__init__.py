"""The HTML decision report: one self-contained page beside results.json.

    write_report(results, run_dir) -> run_dir / "report.html"
    render(results, run_dir=None)  -> the page as a string

The page is built from a `Results` alone, plus the inputs and outputs in run_dir/examples.jsonl
when that file is there. It loads nothing from the network, escapes every piece of text that came
from a study, an eval set or a model, and draws its charts as inline SVG (`advisor.report.charts`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.errors import RunError
from advisor.report._examples import MAX_EXAMPLES
from advisor.report._page import render
from advisor.results import Results, write_atomic

REPORT_FILE = "report.html"

__all__ = ["MAX_EXAMPLES", "REPORT_FILE", "preload", "render", "write_report"]


def preload() -> None:
    """Compile the page's templates and read its assets ahead of `render` (a run does this while
    its requests are in flight, see `advisor.prefetch`). The included templates too: jinja2
    compiles an include at its first render, which was a fifth of a 500-example run's tail."""
    from advisor.report._templates import asset, environment

    env = environment()
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)
    asset("report.js")
    asset("report.css")


def write_report(
    results: Results, run_dir: Path, texts: dict[str, dict[str, Any]] | None = None
) -> Path:
    """Render the report into run_dir/report.html atomically and return its path; `texts`, the
    examples.jsonl rows by id when the caller has them, spares reading the file back."""
    path = run_dir / REPORT_FILE
    html = render(results, run_dir, texts)
    try:
        write_atomic(path, html)
    except OSError as exc:
        raise RunError(f"{run_dir}: cannot write the report ({exc.strerror})") from None
    return path

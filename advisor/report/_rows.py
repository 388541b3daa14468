"""The examples table's rows as HTML, written in Python rather than by the page's template.

The table is most of a report's work: up to 2,000 rows of several cells, each value escaped, where
a template spends its time looking attributes up and wrapping every value in `Markup` (measured:
half of a 500-example report's rendering). Here each value is escaped with markupsafe's own
replacements and the pieces joined once; the bytes are those the template wrote before
(tests/test_report_rows.py holds the template's loop as the reference). Every value from an eval
set, a study or a model is escaped; numbers, the group keys and flags the report itself makes
have nothing to escape and are written as they are.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from advisor.report._examples import PROBLEM_FINISH, Examples, Row, Text
from advisor.report._filters import ms, num, score

_CUT = '<span class="cut"> … {} more characters in examples.jsonl</span>'


def esc(value: Any) -> str:
    """What the template's autoescape writes for a value: markupsafe's replacements, same order."""
    return (
        str(value)
        .replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


def _text(t: Text) -> str:
    """A text shown whole, or its head with the rest behind a click (and how much was cut)."""
    tail = t.tail
    if not tail:
        return f'<span class="text">{esc(t.shown)}</span>'
    cut = _CUT.format(t.cut) if t.cut else ""
    return (
        f'<details><summary><span class="text">{esc(t.head)}</span><span class="more"> … more'
        f'</span></summary><span class="text">{esc(tail)}</span>{cut}</details>'
    )


def _row(row: Row, tags: dict[str, str]) -> str:
    tagged = row.group in tags
    out = [
        f'      <tr class="ex-row g-{row.group}{" disagree" if tagged else ""}" '
        f'data-group="{row.group}" data-flags="{row.flags}">\n'
        f'        <td data-v="{esc(row.id)}"><span class="mono">{esc(row.id)}</span>',
        *(f' <span class="meta">{esc(k)}: {esc(v)}</span>' for k, v in row.metadata.items()),
        f'<span class="group-tag">{esc(tags[row.group])}</span>' if tagged else "",
        "</td>\n        <td>",
    ]
    keyed = len(row.inputs) > 1
    for k, t in row.inputs:
        key = f'<span class="key">{esc(k)}</span><br>' if keyed else ""
        out.append(f"<div>{key}{_text(t)}</div>")
    if not row.inputs:
        out.append('<span class="muted">—</span>')
    expected = row.expected
    out.append(
        f'</td>\n        <td><span class="text">{esc(expected.shown)}</span>'
        + (_CUT.format(expected.cut) if expected.cut else "")
        + "</td>\n"
    )
    for cell in row.cells:
        mean = "" if cell.mean is None else cell.mean
        out.append(f'        <td data-v="{mean}">')
        repeats = len(cell.answers) > 1
        for answer in cell.answers:
            c = answer.call
            if c.score is None:
                out.append('<div class="answer"><span class="score muted">—</span>')
            else:
                grade = "s1" if c.score >= 1 else ("s0" if c.score <= 0 else "mid")
                out.append(
                    f'<div class="answer"><span class="score {grade}">{score(c.score)}</span>'
                )
            if repeats:
                out.append(f' <span class="tokens">repeat {c.repeat}</span>')
            if answer.output:
                out.append(" " + _text(answer.output))
            if answer.error:
                out.append(f'<div class="bad-text">error: {esc(answer.error.shown)}</div>')
            if c.finish_reason in PROBLEM_FINISH:
                out.append(f'<div class="warn-text">finish reason: {esc(c.finish_reason)}</div>')
            cached = f" ({num(c.cached_tokens)} cached)" if c.cached_tokens else ""
            latency = f" · {ms(c.latency_ms)}" if c.latency_ms is not None else ""
            out.append(
                f'          <div class="tokens">{num(c.prompt_tokens)} in{cached} · '
                f"{num(c.completion_tokens)} out{latency}</div>\n        </div>"
            )
        if not cell.answers:
            out.append('<span class="muted">not answered</span>')
        out.append("</td>\n")
    out.append("      </tr>\n")
    return "".join(out)


def rows_html(examples: Examples) -> Markup:
    """Every row of the table, one line per cell as the page lays them out."""
    tags = examples.tags
    return Markup("".join(_row(row, tags) for row in examples.rows))

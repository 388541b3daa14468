"""The forest plot, apart: one value and its interval per row, against reference rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from advisor.report.charts._svg import (
    LINE_HEIGHT,
    Format,
    Reference,
    Scale,
    line,
    nice_domain,
    num,
    open_svg,
    px,
    reference_rules,
    text_at,
    x_axis,
)


@dataclass(frozen=True)
class IntervalRow:
    label: str
    value: float
    low: float
    high: float
    tone: str = "neutral"


def interval_chart(
    rows: Sequence[IntervalRow],
    *,
    title: str,
    axis_label: str,
    value_format: Format,
    references: Sequence[Reference] = (),
    width: int = 880,
) -> str:
    """A forest plot: each row's interval as a line and its value as a dot."""
    left, right, row_h = 250, 40, 30
    top = 20 + LINE_HEIGHT * len(references)
    bottom = top + row_h * max(len(rows), 1)
    height = bottom + 44
    values = [v for r in rows for v in (r.low, r.high, r.value)] + [r.x for r in references]
    lo, hi = nice_domain(min(values, default=-1.0), max(values, default=1.0), 6)
    sx = Scale(lo, hi, left, width - right)
    out = [open_svg(width, height, title, "intervals", sx.attrs("x"))]
    out.append(x_axis(sx, top, bottom, value_format, axis_label, height - 6) + "</g>")
    out.extend(reference_rules(references, sx, top, bottom))
    for i, r in enumerate(rows):
        mid = top + row_h * i + row_h / 2
        out.append(
            f'<g class="interval interval-{escape(r.tone)}" data-label="{escape(r.label)}" '
            f'data-value="{num(r.value)}">'
            + text_at(left - 12, mid + 4, r.label, "factor", "end")
            + line(sx(r.low), sx(r.high), mid, mid)
            + f'<circle cx="{px(sx(r.value))}" cy="{px(mid)}" r="5"/>'
            f"<title>{escape(f'{r.label}: {value_format(r.value)} [{value_format(r.low)}, ')}"
            f"{escape(f'{value_format(r.high)}]')}</title></g>"
        )
    out.append("</svg>")
    return "".join(out)

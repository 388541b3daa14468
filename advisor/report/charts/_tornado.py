"""The tornado, apart: two bars per assumption, ends that never pay drawn to the edge."""

from __future__ import annotations

import math
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
    text_width,
    x_axis,
)


@dataclass(frozen=True)
class TornadoRow:
    """The output with one assumption at its low and at its high end; None is never."""

    factor: str
    low_label: str
    high_label: str
    low: float | None
    high: float | None


def _swing(row: TornadoRow, base: float | None) -> float:
    """How far an end moves the output; a move to or from never counts as the widest."""
    swings = []
    for value in (row.low, row.high):
        if value is None and base is None:
            swings.append(0.0)
        elif value is None or base is None:
            swings.append(math.inf)
        else:
            swings.append(abs(value - base))
    return max(swings)


def tornado(
    rows: Sequence[TornadoRow],
    *,
    base: float | None,
    base_label: str,
    title: str,
    axis_label: str,
    value_format: Format,
    references: Sequence[Reference] = (),
    width: int = 880,
    missing: str = "never",
) -> str:
    """Horizontal bars from the base value to each end, widest swing first; never to the edge.

    An end with no value (None) is drawn to the right edge and labelled `missing`.
    """
    ordered = sorted(rows, key=lambda r: -_swing(r, base))
    # Room on the left for the longest factor's name; wide fonts run a fifth over the estimate.
    longest = max((text_width(r.factor) for r in ordered), default=0.0)
    left, right, row_h = max(250, round(longest * 1.2) + 24), 90, 34
    top = 34 + LINE_HEIGHT * len(references)
    height = top + row_h * max(len(ordered), 1) + 44
    finite = [v for r in ordered for v in (r.low, r.high) if v is not None]
    finite += [base] if base is not None else []
    finite += [r.x for r in references]
    lo, hi = min(finite, default=0.0), max(finite, default=1.0)
    pad = (hi - lo) * 0.2  # room for the labels at the bars' ends; no axis below a zero floor
    lo, hi = nice_domain(lo - pad if lo < 0 else max(lo - pad, 0.0), hi + pad)
    never = base is None or any(v is None for r in ordered for v in (r.low, r.high))
    plot_right = width - right
    sx = Scale(lo, hi, left, plot_right - (60 if never else 0))
    never_x = plot_right
    bottom = top + row_h * max(len(ordered), 1)
    out = [open_svg(width, height, title, "tornado", sx.attrs("x"))]
    out.append(x_axis(sx, top, bottom, value_format, axis_label, height - 6))
    if never:
        out.append(text_at(never_x, bottom + 16, missing, "tick", "end"))
    out.append("</g>")
    base_x = sx(base) if base is not None else never_x
    for i, r in enumerate(ordered):
        y = top + row_h * i
        mid = y + row_h / 2
        out.append(f'<g class="tornado-row" data-factor="{escape(r.factor)}">')
        out.append(text_at(left - 12, mid + 4, r.factor, "factor", "end"))
        for end, value, label in (("low", r.low, r.low_label), ("high", r.high, r.high_label)):
            x = sx(value) if value is not None else never_x
            a, b = sorted((base_x, x))
            shown = value_format(value) if value is not None else missing
            bar_y = mid - 11 if end == "low" else mid + 1
            out.append(
                f'<rect class="bar bar-{end}" data-end="{end}" '
                f'data-value="{num(value) if value is not None else "never"}" '
                f'x="{px(a)}" y="{px(bar_y)}" width="{px(max(b - a, 1.0))}" height="10">'
                f"<title>{escape(f'{r.factor}: {label} gives {shown}')}</title></rect>"
            )
            text = f"{label}: {shown}"
            right_side = x >= base_x
            # Where the far end leaves no room, the label goes on the other side of the base
            # line: each end has its own half-row, so that side is free.
            if right_side and b + 5 + text_width(text) > width:
                right_side, a = False, base_x
            elif not right_side and a - 5 - text_width(text) < left:
                right_side, b = True, base_x
            out.append(
                text_at(
                    (b + 5) if right_side else (a - 5),
                    bar_y + 9,
                    text,
                    f"bar-label bar-label-{end}",
                    "start" if right_side else "end",
                )
            )
        out.append("</g>")
    out.extend(reference_rules(references, sx, top, bottom))
    out.append(
        f'<g class="base" data-x="{num(base) if base is not None else "never"}">'
        + line(base_x, base_x, top - 8 - LINE_HEIGHT * len(references), bottom + 4)
        + text_at(
            base_x - 4, top - 12 - LINE_HEIGHT * len(references), base_label, "base-label", "end"
        )
        + "</g></svg>"
    )
    return "".join(out)

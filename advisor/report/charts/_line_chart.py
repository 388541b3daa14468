"""The line chart (cost curves), apart: marker label rows and a wrapping legend are its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from advisor.report.charts._svg import (
    LINE_HEIGHT,
    Format,
    Scale,
    compact_money,
    line,
    nice_domain,
    num,
    open_svg,
    px,
    text_at,
    text_width,
    ticks,
)

_BAND_LABEL = "shaded: each arm at the ends of its cost-per-call interval"


@dataclass(frozen=True)
class Series:
    """One line: `key` names it for tests and styles (`line-<tone>`)."""

    key: str
    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    tone: str
    dashed: bool = False


@dataclass(frozen=True)
class Band:
    """A shaded area between two curves sampled at the same xs."""

    key: str
    xs: Sequence[float]
    lows: Sequence[float]
    highs: Sequence[float]
    tone: str


@dataclass(frozen=True)
class Marker:
    """A vertical rule at x with a label; with y, also a dot at (x, y)."""

    key: str
    x: float
    label: str
    y: float | None = None


def _path(xs: Sequence[float], ys: Sequence[float], sx: Scale, sy: Scale) -> str:
    return "".join(
        f"{'M' if i == 0 else 'L'}{px(sx(x))},{px(sy(y))}"
        for i, (x, y) in enumerate(zip(xs, ys, strict=True))
    )


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_format: Format,
    x_subformat: Format | None = None,
    y_format: Format = compact_money,
    bands: Sequence[Band] = (),
    markers: Sequence[Marker] = (),
    x_domain: tuple[float, float] | None = None,
    width: int = 880,
    height: int = 380,
) -> str:
    """Lines over a shared x axis, with shaded bands and labelled vertical markers."""
    left, right = 72, 24
    xs = [x for s in series for x in s.xs]
    ys = [y for s in series for y in s.ys] + [y for b in bands for y in (*b.lows, *b.highs)]
    x0, x1 = x_domain or (min(xs, default=0.0), max(xs, default=1.0))
    sx = Scale(x0, x1, left, width - right)
    placed = _place(markers, sx)
    top = 14 + LINE_HEIGHT * (max(placed.values(), default=-1) + 1)
    entries = _legend_entries(series, bands)
    layout = _legend_layout([label for _, label in entries], left, width - 20)
    bottom = 58 + 12 + (max((row for _, row in layout), default=0) + 1) * (LINE_HEIGHT + 4)
    y0, y1 = nice_domain(min([0.0, *ys]), max([0.0, *ys]))
    sy = Scale(y0, y1, height - bottom, top)
    out = [open_svg(width, height, title, "line-chart", f"{sx.attrs('x')} {sy.attrs('y')}")]
    out.append(
        _grid(sx, sy, x_format, x_subformat, y_format, x_label, y_label, height - bottom + 52)
    )
    for b in bands:
        upper = _path(b.xs, b.highs, sx, sy)
        lower = "".join(
            f"L{px(sx(x))},{px(sy(y))}"
            for x, y in zip(reversed(b.xs), reversed(b.lows), strict=True)
        )
        out.append(
            f'<path class="band band-{escape(b.tone)}" data-band="{escape(b.key)}" '
            f'd="{upper}{lower}Z"/>'
        )
    for s in series:
        dash = " dashed" if s.dashed else ""
        out.append(
            f'<path class="line line-{escape(s.tone)}{dash}" data-series="{escape(s.key)}" '
            f'fill="none" d="{_path(s.xs, s.ys, sx, sy)}"><title>{escape(s.label)}</title></path>'
        )
    out.extend(_markers(markers, placed, sx, sy))
    out.append(_legend(entries, layout, height - bottom + 72))
    out.append("</svg>")
    return "".join(out)


_MARKER_ROWS = 4


def _anchor(x: float, sx: Scale) -> str:
    return "end" if x > (sx.r0 + sx.r1) / 2 else "start"


def _place(markers: Sequence[Marker], sx: Scale) -> dict[int, int]:
    """Marker index -> label row, in the order given (most important first).

    A label goes in the first row where it overlaps no other; one with no room in any row is
    left out (its rule stays, with the label as a tooltip).
    """
    lo, hi = sorted((sx.d0, sx.d1))
    taken: list[list[tuple[float, float]]] = [[] for _ in range(_MARKER_ROWS)]
    placed = {}
    for i, m in enumerate(markers):
        if not m.label or not lo <= m.x <= hi:
            continue
        x, width = sx(m.x), text_width(m.label) + 10
        span = (x - width, x) if _anchor(x, sx) == "end" else (x, x + width)
        for row, spans in enumerate(taken):
            if all(span[1] < a or span[0] > b for a, b in spans):
                spans.append(span)
                placed[i] = row
                break
    return placed


def _markers(markers: Sequence[Marker], placed: dict[int, int], sx: Scale, sy: Scale) -> list[str]:
    out = []
    lo, hi = sorted((sx.d0, sx.d1))
    for i, m in enumerate(markers):
        if not lo <= m.x <= hi:
            continue
        x = sx(m.x)
        row = placed.get(i)
        label_y = sy.r1 - 8 - LINE_HEIGHT * row if row is not None else sy.r1
        anchor = _anchor(x, sx)
        label = (
            text_at(x + (-4 if anchor == "end" else 4), label_y, m.label, "marker-label", anchor)
            if row is not None
            else ""
        )
        out.append(
            f'<g class="marker {escape(" ".join(f"marker-{k}" for k in m.key.split()))}" '
            f'data-marker="{escape(m.key)}" data-x="{num(m.x)}">'
            + (f"<title>{escape(m.label)}</title>" if m.label else "")
            + line(x, x, label_y + (3 if label else 0), sy.r0)
            + label
            + (f'<circle cx="{px(x)}" cy="{px(sy(m.y))}" r="4.5"/>' if m.y is not None else "")
            + "</g>"
        )
    return out


def _grid(
    sx: Scale,
    sy: Scale,
    x_format: Format,
    x_subformat: Format | None,
    y_format: Format,
    x_label: str,
    y_label: str,
    label_y: float,
) -> str:
    out = ['<g class="axes">']
    for t in ticks(sy.d0, sy.d1):
        y = sy(t)
        out.append(line(sx.r0, sx.r1, y, y, "grid"))
        out.append(text_at(sx.r0 - 8, y + 4, y_format(t), "tick", "end"))
    for t in ticks(sx.d0, sx.d1, 8):
        x = sx(t)
        out.append(line(x, x, sy.r0, sy.r0 + 5, "tick-mark"))
        out.append(text_at(x, sy.r0 + 18, x_format(t), "tick", "middle"))
        if x_subformat is not None:
            out.append(
                text_at(x, sy.r0 + 18 + LINE_HEIGHT - 2, x_subformat(t), "tick sub", "middle")
            )
    out.append(line(sx.r0, sx.r1, sy.r0, sy.r0, "axis"))
    out.append(text_at((sx.r0 + sx.r1) / 2, label_y, x_label, "axis-label", "middle"))
    cy = (sy.r0 + sy.r1) / 2
    out.append(
        text_at(14, cy, y_label, "axis-label", "middle", transform=f"rotate(-90 14 {px(cy)})")
    )
    out.append("</g>")
    return "".join(out)


def _legend_entries(series: Sequence[Series], bands: Sequence[Band]) -> list[tuple[str, str]]:
    entries = [
        (
            f'<line class="line line-{escape(s.tone)}{" dashed" if s.dashed else ""}" '
            'x1="0" x2="26" y1="0" y2="0"/>',
            s.label,
        )
        for s in series
    ]
    if bands:
        height = 12 / len(bands)
        swatch = "".join(
            f'<rect class="band band-{escape(b.tone)}" x="0" y="{px(-6 + i * height)}" '
            f'width="26" height="{px(height)}"/>'
            for i, b in enumerate(bands)
        )
        entries.append((swatch, _BAND_LABEL))
    return entries


def _legend_layout(labels: Sequence[str], left: float, edge: float) -> list[tuple[float, int]]:
    """(x, row) of each entry: left to right, wrapping before the edge."""
    out, x, row = [], left, 0
    for label in labels:
        size = 34 + text_width(label) + 22
        if x > left and x + size > edge:
            x, row = left, row + 1
        out.append((x, row))
        x += size
    return out


def _legend(entries: list[tuple[str, str]], layout: list[tuple[float, int]], top: float) -> str:
    """Under the x axis, so it never covers a curve."""
    out = ['<g class="legend">']
    for (swatch, label), (x, row) in zip(entries, layout, strict=True):
        out.append(
            f'<g transform="translate({px(x)} {px(top + row * (LINE_HEIGHT + 4))})">{swatch}'
            + text_at(34, 4, label, "legend-label")
            + "</g>"
        )
    out.append("</g>")
    return "".join(out)

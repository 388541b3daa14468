"""Charts as inline SVG: pure functions of plain values, linear scales, the same output every time.

Each plot's root `<svg>` carries its scales as data attributes (`data-x-domain`, `data-x-range`,
`data-y-domain`, `data-y-range`, each "start end"), so a test, or a reader with a ruler, can turn
pixels back into days and dollars. Every piece of text is escaped here: labels come from study
files. Colours live in the page's stylesheet (classes), so the charts print with the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

Format = Callable[[float], str]
_FONT = 12
_BAND_LABEL = "shaded: each arm at the ends of its cost-per-call interval"
_LINE = 15


@dataclass(frozen=True)
class Scale:
    """Linear map from a domain (data units) to a range (pixels)."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, value: float) -> float:
        if self.d1 == self.d0:
            return (self.r0 + self.r1) / 2
        return self.r0 + (value - self.d0) * (self.r1 - self.r0) / (self.d1 - self.d0)

    def invert(self, pixel: float) -> float:
        if self.r1 == self.r0:
            return self.d0
        return self.d0 + (pixel - self.r0) * (self.d1 - self.d0) / (self.r1 - self.r0)

    def attrs(self, axis: str) -> str:
        return (
            f'data-{axis}-domain="{_num(self.d0)} {_num(self.d1)}" '
            f'data-{axis}-range="{_px(self.r0)} {_px(self.r1)}"'
        )


def nice_step(span: float, count: int) -> float:
    """A step of 1, 2, 2.5 or 5 times a power of ten giving about `count` intervals."""
    raw = span / max(count, 1)
    if not (raw > 0 and math.isfinite(raw)):  # a span so small its step underflows, too
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def nice_domain(lo: float, hi: float, count: int = 5) -> tuple[float, float]:
    """The smallest domain of whole steps containing [lo, hi]; never empty."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_step(hi - lo, count)
    return math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step


def ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    step = nice_step(hi - lo, count)
    first = math.ceil(lo / step - 1e-9)
    out = []
    k = first
    while k * step <= hi + step * 1e-9:
        out.append(round(k * step, 10))
        k += 1
    return out


def compact_money(value: float) -> str:
    """Axis labels in dollars: $0, $250, $1.5k, $2M."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= size:
            return f"{sign}${_trim(v / size)}{unit}"
    if v and v < 1:
        return f"{sign}${v:.2g}"
    return f"{sign}${_trim(v)}"


def _trim(v: float) -> str:
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return text if len(text) <= 5 else f"{v:,.0f}"


def _num(v: float) -> str:
    return f"{v:.12g}"


def _px(v: float) -> str:
    return f"{v:.2f}"


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<text x="{_px(x)}" y="{_px(y)}" text-anchor="{anchor}"{klass}{extra}>'
        f"{escape(text)}</text>"
    )


def _line(x1: float, x2: float, y1: float, y2: float, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<line{klass} x1="{_px(x1)}" x2="{_px(x2)}" y1="{_px(y1)}" y2="{_px(y2)}"/>'


def _x_axis(sx: Scale, top: float, bottom: float, fmt: Format, label: str, label_y: float) -> str:
    """Vertical grid lines with tick labels under them, and the axis label (bar charts)."""
    out = ['<g class="axes">']
    for t in ticks(sx.d0, sx.d1, 6):
        out.append(_line(sx(t), sx(t), top - 6, bottom, "grid"))
        out.append(_text(sx(t), bottom + 16, fmt(t), "tick", "middle"))
    out.append(_text((sx.r0 + sx.r1) / 2, label_y, label, "axis-label", "middle"))
    return "".join(out)


def _open(width: float, height: float, title: str, cls: str, attrs: str = "") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {cls}" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        f'font-size="{_FONT}" {attrs}><title>{escape(title)}</title>'
    )


# --- cumulative cost curves ------------------------------------------------------------------


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
        f"{'M' if i == 0 else 'L'}{_px(sx(x))},{_px(sy(y))}"
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
    top = 14 + _LINE * (max(placed.values(), default=-1) + 1)
    entries = _legend_entries(series, bands)
    layout = _legend_layout([label for _, label in entries], left, width - 20)
    bottom = 58 + 12 + (max((row for _, row in layout), default=0) + 1) * (_LINE + 4)
    y0, y1 = nice_domain(min([0.0, *ys]), max([0.0, *ys]))
    sy = Scale(y0, y1, height - bottom, top)
    out = [_open(width, height, title, "line-chart", f"{sx.attrs('x')} {sy.attrs('y')}")]
    out.append(
        _grid(sx, sy, x_format, x_subformat, y_format, x_label, y_label, height - bottom + 52)
    )
    for b in bands:
        upper = _path(b.xs, b.highs, sx, sy)
        lower = "".join(
            f"L{_px(sx(x))},{_px(sy(y))}"
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
        x, width = sx(m.x), _width(m.label) + 10
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
        label_y = sy.r1 - 8 - _LINE * row if row is not None else sy.r1
        anchor = _anchor(x, sx)
        label = (
            _text(x + (-4 if anchor == "end" else 4), label_y, m.label, "marker-label", anchor)
            if row is not None
            else ""
        )
        out.append(
            f'<g class="marker {escape(" ".join(f"marker-{k}" for k in m.key.split()))}" '
            f'data-marker="{escape(m.key)}" data-x="{_num(m.x)}">'
            + (f"<title>{escape(m.label)}</title>" if m.label else "")
            + _line(x, x, label_y + (3 if label else 0), sy.r0)
            + label
            + (f'<circle cx="{_px(x)}" cy="{_px(sy(m.y))}" r="4.5"/>' if m.y is not None else "")
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
        out.append(_line(sx.r0, sx.r1, y, y, "grid"))
        out.append(_text(sx.r0 - 8, y + 4, y_format(t), "tick", "end"))
    for t in ticks(sx.d0, sx.d1, 8):
        x = sx(t)
        out.append(_line(x, x, sy.r0, sy.r0 + 5, "tick-mark"))
        out.append(_text(x, sy.r0 + 18, x_format(t), "tick", "middle"))
        if x_subformat is not None:
            out.append(_text(x, sy.r0 + 18 + _LINE - 2, x_subformat(t), "tick sub", "middle"))
    out.append(_line(sx.r0, sx.r1, sy.r0, sy.r0, "axis"))
    out.append(_text((sx.r0 + sx.r1) / 2, label_y, x_label, "axis-label", "middle"))
    cy = (sy.r0 + sy.r1) / 2
    out.append(
        _text(14, cy, y_label, "axis-label", "middle", transform=f"rotate(-90 14 {_px(cy)})")
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
            f'<rect class="band band-{escape(b.tone)}" x="0" y="{_px(-6 + i * height)}" '
            f'width="26" height="{_px(height)}"/>'
            for i, b in enumerate(bands)
        )
        entries.append((swatch, _BAND_LABEL))
    return entries


def _legend_layout(labels: Sequence[str], left: float, edge: float) -> list[tuple[float, int]]:
    """(x, row) of each entry: left to right, wrapping before the edge."""
    out, x, row = [], left, 0
    for label in labels:
        size = 34 + _width(label) + 22
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
            f'<g transform="translate({_px(x)} {_px(top + row * (_LINE + 4))})">{swatch}'
            + _text(34, 4, label, "legend-label")
            + "</g>"
        )
    out.append("</g>")
    return "".join(out)


def _width(text: str) -> float:
    """Rough width of a label at the chart's font size (no font metrics in a pure function)."""
    return len(text) * _FONT * 0.56


# --- tornado: one output against each assumption ---------------------------------------------


@dataclass(frozen=True)
class TornadoRow:
    """The output with one assumption at its low and at its high end; None is never."""

    factor: str
    low_label: str
    high_label: str
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Reference:
    """A labelled vertical rule across a chart (the horizon, zero, the margin)."""

    key: str
    x: float
    label: str


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
    longest = max((_width(r.factor) for r in ordered), default=0.0)
    left, right, row_h = max(250, round(longest * 1.2) + 24), 90, 34
    top = 34 + _LINE * len(references)
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
    out = [_open(width, height, title, "tornado", sx.attrs("x"))]
    out.append(_x_axis(sx, top, bottom, value_format, axis_label, height - 6))
    if never:
        out.append(_text(never_x, bottom + 16, missing, "tick", "end"))
    out.append("</g>")
    base_x = sx(base) if base is not None else never_x
    for i, r in enumerate(ordered):
        y = top + row_h * i
        mid = y + row_h / 2
        out.append(f'<g class="tornado-row" data-factor="{escape(r.factor)}">')
        out.append(_text(left - 12, mid + 4, r.factor, "factor", "end"))
        for end, value, label in (("low", r.low, r.low_label), ("high", r.high, r.high_label)):
            x = sx(value) if value is not None else never_x
            a, b = sorted((base_x, x))
            shown = value_format(value) if value is not None else missing
            bar_y = mid - 11 if end == "low" else mid + 1
            out.append(
                f'<rect class="bar bar-{end}" data-end="{end}" '
                f'data-value="{_num(value) if value is not None else "never"}" '
                f'x="{_px(a)}" y="{_px(bar_y)}" width="{_px(max(b - a, 1.0))}" height="10">'
                f"<title>{escape(f'{r.factor}: {label} gives {shown}')}</title></rect>"
            )
            text = f"{label}: {shown}"
            right_side = x >= base_x
            # Where the far end leaves no room, the label goes on the other side of the base
            # line: each end has its own half-row, so that side is free.
            if right_side and b + 5 + _width(text) > width:
                right_side, a = False, base_x
            elif not right_side and a - 5 - _width(text) < left:
                right_side, b = True, base_x
            out.append(
                _text(
                    (b + 5) if right_side else (a - 5),
                    bar_y + 9,
                    text,
                    f"bar-label bar-label-{end}",
                    "start" if right_side else "end",
                )
            )
        out.append("</g>")
    out.extend(_references(references, sx, top, bottom))
    out.append(
        f'<g class="base" data-x="{_num(base) if base is not None else "never"}">'
        + _line(base_x, base_x, top - 8 - _LINE * len(references), bottom + 4)
        + _text(base_x - 4, top - 12 - _LINE * len(references), base_label, "base-label", "end")
        + "</g></svg>"
    )
    return "".join(out)


def _references(references: Sequence[Reference], sx: Scale, top: float, bottom: float) -> list[str]:
    """Vertical rules, each label on its own line above the plot so that none overlap."""
    out = []
    for i, ref in enumerate(references):
        x = sx(ref.x)
        label_y = top - 12 - _LINE * i
        out.append(
            f'<g class="reference reference-{escape(ref.key)}" data-x="{_num(ref.x)}">'
            + _line(x, x, label_y + 4, bottom)
            + _text(x + 4, label_y, ref.label, "reference-label")
            + "</g>"
        )
    return out


# --- intervals: a value and its interval per row, against reference rules -------------------


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
    top = 20 + _LINE * len(references)
    bottom = top + row_h * max(len(rows), 1)
    height = bottom + 44
    values = [v for r in rows for v in (r.low, r.high, r.value)] + [r.x for r in references]
    lo, hi = nice_domain(min(values, default=-1.0), max(values, default=1.0), 6)
    sx = Scale(lo, hi, left, width - right)
    out = [_open(width, height, title, "intervals", sx.attrs("x"))]
    out.append(_x_axis(sx, top, bottom, value_format, axis_label, height - 6) + "</g>")
    out.extend(_references(references, sx, top, bottom))
    for i, r in enumerate(rows):
        mid = top + row_h * i + row_h / 2
        out.append(
            f'<g class="interval interval-{escape(r.tone)}" data-label="{escape(r.label)}" '
            f'data-value="{_num(r.value)}">'
            + _text(left - 12, mid + 4, r.label, "factor", "end")
            + _line(sx(r.low), sx(r.high), mid, mid)
            + f'<circle cx="{_px(sx(r.value))}" cy="{_px(mid)}" r="5"/>'
            f"<title>{escape(f'{r.label}: {value_format(r.value)} [{value_format(r.low)}, ')}"
            f"{escape(f'{value_format(r.high)}]')}</title></g>"
        )
    out.append("</svg>")
    return "".join(out)

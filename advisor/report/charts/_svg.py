"""The SVG pieces two or more charts share, so that each chart module holds only its own layout."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

Format = Callable[[float], str]
FONT = 12
LINE_HEIGHT = 15


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
            f'data-{axis}-domain="{num(self.d0)} {num(self.d1)}" '
            f'data-{axis}-range="{px(self.r0)} {px(self.r1)}"'
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


def num(v: float) -> str:
    return f"{v:.12g}"


def px(v: float) -> str:
    return f"{v:.2f}"


def text_at(
    x: float, y: float, text: str, cls: str = "", anchor: str = "start", **attrs: str
) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<text x="{px(x)}" y="{px(y)}" text-anchor="{anchor}"{klass}{extra}>{escape(text)}</text>'
    )


def line(x1: float, x2: float, y1: float, y2: float, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<line{klass} x1="{px(x1)}" x2="{px(x2)}" y1="{px(y1)}" y2="{px(y2)}"/>'


def x_axis(sx: Scale, top: float, bottom: float, fmt: Format, label: str, label_y: float) -> str:
    """Vertical grid lines with tick labels under them, and the axis label (bar charts)."""
    out = ['<g class="axes">']
    for t in ticks(sx.d0, sx.d1, 6):
        out.append(line(sx(t), sx(t), top - 6, bottom, "grid"))
        out.append(text_at(sx(t), bottom + 16, fmt(t), "tick", "middle"))
    out.append(text_at((sx.r0 + sx.r1) / 2, label_y, label, "axis-label", "middle"))
    return "".join(out)


def open_svg(width: float, height: float, title: str, cls: str, attrs: str = "") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {cls}" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        f'font-size="{FONT}" {attrs}><title>{escape(title)}</title>'
    )


@dataclass(frozen=True)
class Reference:
    """A labelled vertical rule across a chart (the horizon, zero, the margin)."""

    key: str
    x: float
    label: str


def reference_rules(
    references: Sequence[Reference], sx: Scale, top: float, bottom: float
) -> list[str]:
    """Vertical rules, each label on its own line above the plot so that none overlap."""
    out = []
    for i, ref in enumerate(references):
        x = sx(ref.x)
        label_y = top - 12 - LINE_HEIGHT * i
        out.append(
            f'<g class="reference reference-{escape(ref.key)}" data-x="{num(ref.x)}">'
            + line(x, x, label_y + 4, bottom)
            + text_at(x + 4, label_y, ref.label, "reference-label")
            + "</g>"
        )
    return out


def text_width(text: str) -> float:
    """Rough width of a label at the chart's font size (no font metrics in a pure function)."""
    return len(text) * FONT * 0.56

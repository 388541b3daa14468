"""Charts as inline SVG: pure functions of plain values, linear scales, the same output every time.

Each plot's root `<svg>` carries its scales as data attributes (`data-x-domain`, `data-x-range`,
`data-y-domain`, `data-y-range`, each "start end"), so a test, or a reader with a ruler, can turn
pixels back into days and dollars. Every piece of text is escaped here: labels come from study
files. Colours live in the page's stylesheet (classes), so the charts print with the page.

The report draws through this one surface; each kind of chart lives in its own module
(`_line_chart`, `_tornado`, `_interval_chart`) over the shared SVG pieces (`_svg`).
"""

from advisor.report.charts._interval_chart import IntervalRow, interval_chart
from advisor.report.charts._line_chart import Band, Marker, Series, line_chart
from advisor.report.charts._svg import Reference, Scale, compact_money, nice_domain, ticks
from advisor.report.charts._tornado import TornadoRow, tornado

__all__ = [
    "Band",
    "IntervalRow",
    "Marker",
    "Reference",
    "Scale",
    "Series",
    "TornadoRow",
    "compact_money",
    "interval_chart",
    "line_chart",
    "nice_domain",
    "ticks",
    "tornado",
]

"""The price catalog in the terminal, and prices given on the command line.

`advisor prices` draws its tables with rich; `--price MODEL=INPUT,CACHED,OUTPUT` is parsed here,
at the command line's edge, so the catalog itself (`pricing`) stays free of both.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from advisor.bounds import MAX_PRICE
from advisor.errors import InputError
from advisor.pricing import (
    FIGURES,
    GROUPS,
    Catalog,
    CatalogEntry,
    PriceOverride,
    describe,
    load_catalog,
)


def parse_price_override(text: str) -> tuple[str, PriceOverride]:
    """Parse `--price MODEL=INPUT,CACHED,OUTPUT` (USD per 1M tokens; CACHED may be empty)."""
    model, equals, rest = text.strip().partition("=")
    parts = [p.strip() for p in rest.split(",")]
    if not equals or not model.strip() or len(parts) != 3:
        raise InputError(
            f"--price {text!r}: expected MODEL=INPUT,CACHED,OUTPUT in USD per 1M tokens, "
            "e.g. gpt-4o-mini=0.15,0.075,0.60 (CACHED may be empty)"
        )
    prices: dict[str, float] = {}
    for name, part in zip(("input", "cached_input", "output"), parts, strict=True):
        label = name.replace("_", " ")
        if not part and name == "cached_input":
            continue
        try:
            value = float(part)
        except ValueError:
            raise InputError(f"--price {text!r}: {label} price {part!r} is not a number") from None
        if not 0 <= value <= MAX_PRICE:  # NaN fails too
            raise InputError(
                f"--price {text!r}: {label} price {part} must be between 0 and {MAX_PRICE:g}"
            )
        prices[name] = value
    return model.strip(), PriceOverride(**prices)


def _show(figure: str, value: object) -> str:
    """A figure as people read it: $0.075, 50%, 65,536, 2027-01-14."""
    if value is None:
        return ""
    if figure == "batch_discount":
        return f"{value:.0%}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:,.4f}".rstrip("0")
        return "$" + text + "0" * (2 - len(text.split(".")[1]))
    return f"{value:,}" if isinstance(value, int) else str(value)


def prices_table(catalog: Catalog) -> Table:
    """Every catalog entry on one line, for `advisor prices`."""
    gpus = [
        f"{g.provider} {g.gpu}: ${g.per_hour:,.2f}/hour "
        f"({describe(tuple(catalog.sources[k] for k in g.sources))})"
        for g in catalog.gpus
    ]
    table = Table(
        title="Price catalog (USD per 1M tokens)",
        caption="\n".join(
            ["`advisor prices MODEL` shows each figure's sources and when they were checked."]
            + [f"Dedicated GPU, {text}" for text in gpus]
        ),
    )
    figures = (
        *GROUPS["base"],
        *GROUPS["fine_tuning"],
        "hosting_per_hour",
        "shutdown",
        "training_cutoff",
    )
    for header in ("provider", "model", "family", *figures):
        table.add_column(header.replace("_", " "), justify="right" if header in FIGURES else "left")
    for e in catalog.models:
        family = e.family or ""
        table.add_row(e.provider, e.model, family, *(_show(f, getattr(e, f)) for f in figures))
    return table


def entry_detail(entry: CatalogEntry) -> Table:
    """One packaged entry, figure by figure, each with its sources and when they were checked."""
    catalog = load_catalog()
    notes = [f"aliases: {', '.join(entry.aliases)}"] if entry.aliases else []
    table = Table(
        title=f"{entry.provider} {entry.model}",
        caption="\n".join([*notes, entry.note or ""]).strip() or None,
    )
    for header in ("figure", "value", "source", "checked"):
        table.add_column(header)
    for figure in FIGURES:
        value = getattr(entry, figure)
        if value is None:
            table.add_row(figure, Text("not known", style="dim"), "", "")
            continue
        sources = catalog.sources_of(entry, figure)
        cell = Text()
        for i, s in enumerate(sources):
            cell.append(("\n" if i else "") + s.name)
            cell.append(f"\n{s.url}" if s.url else "", style="dim")
        checked = "\n".join(
            f"{s.checked}" + (f"\ndated {s.dated}" if s.dated else "\n" if s.url else "")
            for s in sources
        )
        table.add_row(figure, _show(figure, value), cell, checked)
    return table

"""What several commands share: the two consoles, the invocation, the --as-of and --price parsers.

Apart from `advisor.cli` itself, which imports every command module to register it: those modules
import these from here, not from the package, so that nothing imports in a circle.
"""

from __future__ import annotations

import sys
from datetime import date

from advisor.cli._startup import console

# Piped output is not cut to 80 columns: tables keep their model ids whole.
out = console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = console(stderr=True, highlight=False)

invocation: list[str] = []
"""The arguments `advisor` was run with, for the resume command an interrupted run prints."""


def as_of_day(value: str | None) -> date:
    """`--as-of`: an ISO date within the bounds the cost model accepts; today when not given."""
    from advisor.bounds import FIRST_AS_OF, LAST_AS_OF
    from advisor.errors import InputError

    if value is None:
        return date.today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--as-of must be a date like 2026-11-28 (got {value!r})") from None
    if not FIRST_AS_OF <= day <= LAST_AS_OF:
        raise InputError(f"--as-of must be between {FIRST_AS_OF} and {LAST_AS_OF} (got {value})")
    return day


def price_overrides(values: list[str] | None) -> dict:
    """`--price MODEL=INPUT,CACHED,OUTPUT`, each given, by model."""
    if not values:  # the parser's module draws tables: rich is not loaded for nothing
        return {}
    from advisor.prices_view import parse_price_override

    return dict(parse_price_override(v) for v in values)

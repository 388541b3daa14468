"""Reading the append-only JSON-lines files a run writes (fixtures, the response cache).

A run killed mid-write (kill -9, a full disk) leaves its last line cut short: that line is
dropped with a warning, and the next writer cuts the file back to its last whole line before
appending. Any other line that is not JSON is damage nobody can guess the meaning of: it is
named with its file and line, never skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import InputError

torn_lines: list[str] = []
"""Torn lines found since the command started; the CLI prints them on stderr."""


@dataclass(frozen=True)
class Line:
    number: int
    offset: int
    """Byte offset of the line in its file."""
    value: Any


class JsonLines:
    """The JSON lines of a file, streamed; after iterating, `torn_at` is where a torn last line
    starts (None when the file ends whole). Lines are split on "\\n" only: a stored body may
    hold U+2028 and other line breaks of Unicode."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        """The file's kind, for messages: "fixture", "response cache"."""
        self.torn_at: int | None = None

    def __iter__(self) -> Iterator[Line]:
        offset = 0
        with self.path.open("rb") as f:
            for number, raw in enumerate(f, 1):
                start, offset = offset, offset + len(raw)
                if not raw.strip():
                    continue
                try:
                    yield Line(number, start, json.loads(raw))
                except ValueError:
                    if not raw.endswith(b"\n"):  # the last line, cut short mid-write
                        self.torn_at = start
                        torn_lines.append(
                            f"{self.path}:{number}: a {self.what} line cut short by an "
                            "interrupted run was ignored"
                        )
                        return
                    raise InputError(
                        f"{self.path}:{number}: not valid JSON: this {self.what} file is "
                        "damaged (fix or delete that line)"
                    ) from None


def drain() -> Iterator[str]:
    """The warnings gathered so far, each once."""
    found = list(dict.fromkeys(torn_lines))  # a file read twice (plan, run) warns once
    torn_lines.clear()
    yield from found


def cut(path: Path, torn_at: int | None) -> None:
    """Cut a torn last line off before appending (only writers call this)."""
    if torn_at is not None:
        with path.open("r+b") as f:
            f.truncate(torn_at)

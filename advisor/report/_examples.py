"""The examples table: disagreements first, capped, with the text the models saw and gave.

Scores and token counts come from results.json; inputs and outputs from examples.jsonl beside it
when present. All of that text is untrusted: it leaves here as plain strings for the template to
escape, cut to a per-field budget so that a large eval set still makes a page of a few megabytes.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import InputError
from advisor.results import EXAMPLES_FILE, Call, ExampleResult, Results

MAX_EXAMPLES = 2_000
TEXT_BUDGET = 3_000_000
"""Characters of example text embedded in all; each field gets an equal share within bounds."""
_FIELD_MIN, _FIELD_MAX = 240, 6_000
_HEAD, _OPEN_MAX, _HEAD_LINES = 220, 320, 3
"""Texts longer than _OPEN_MAX show their first _HEAD characters and open on a click."""
PROBLEM_FINISH = ("length", "content_filter")
DISAGREE = ("inc_better", "ch_better")


@dataclass(frozen=True)
class Text:
    shown: str
    cut: int
    """Characters left out (0: shown whole)."""

    @functools.cached_property
    def head(self) -> str:
        """What shows before the reader opens a long text: about three lines (asked for twice
        per text, by `tail` and by the row)."""
        text = self.shown
        lines = text.split("\n", _HEAD_LINES)
        if len(text) <= _OPEN_MAX and len(lines) <= _HEAD_LINES:
            return text
        end = min(_HEAD, len("\n".join(lines[:_HEAD_LINES])))
        space = text.rfind(" ", end // 2, end)
        return text[: space if space > 0 and end == _HEAD else end]

    @property
    def tail(self) -> str:
        return self.shown[len(self.head) :]


@dataclass(frozen=True)
class Answer:
    call: Call
    output: Text | None
    error: Text | None


@dataclass(frozen=True)
class Cell:
    candidate: str
    mean: float | None
    answers: list[Answer]


@dataclass(frozen=True)
class Row:
    id: str
    group: str
    flags: str
    """Space-separated: error, length, content_filter."""
    inputs: list[tuple[str, Text]]
    expected: Text
    metadata: dict[str, str]
    cells: list[Cell]


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    short: str
    count: int


@dataclass(frozen=True)
class Examples:
    rows: list[Row]
    total: int
    groups: list[Group]
    candidates: list[str]
    has_text: bool
    """False when examples.jsonl was not found: scores only."""
    field_limit: int
    flags: dict[str, int]

    @property
    def tags(self) -> dict[str, str]:
        """The short label of each group of disagreements, tagged on its rows."""
        return {g.key: g.short for g in self.groups if g.key in DISAGREE}


def _mean(calls: list[Call]) -> float | None:
    scores = [c.score for c in calls if c.score is not None]
    return sum(scores) / len(scores) if scores else None


def _group(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "unpaired"
    if a > b:
        return "inc_better"
    return "ch_better" if b > a else "same"


def _short(incumbent: str, challenger: str, pass_fail: bool) -> dict[str, str]:
    if pass_fail:
        return {"inc_better": f"only {incumbent} right", "ch_better": f"only {challenger} right"}
    return {"inc_better": f"{incumbent} higher", "ch_better": f"{challenger} higher"}


def _labels(incumbent: str, challenger: str, pass_fail: bool) -> dict[str, str]:
    if pass_fail:
        return {
            "inc_better": f"{incumbent} right, {challenger} wrong",
            "ch_better": f"{challenger} right, {incumbent} wrong",
            "same": "both right or both wrong",
            "unpaired": "not answered by both",
        }
    return {
        "inc_better": f"{incumbent} scored higher",
        "ch_better": f"{challenger} scored higher",
        "same": "same score",
        "unpaired": "not answered by both",
    }


def _parse(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}, line {number}: not JSON ({exc.msg})") from None
    if not isinstance(row, dict) or "id" not in row:
        raise InputError(f"{path}, line {number}: an example needs an id")
    return row


def read_texts(run_dir: Path, wanted: list[tuple[int, str]]) -> dict[str, dict[str, Any]] | None:
    """The rows of examples.jsonl for the wanted (position, id); None when there is no file.

    The file is written in the order of results.json's examples, so each wanted row is looked
    for at its position first and only a file in another order is parsed whole: a report of
    100,000 examples parses the 2,000 it shows.
    """
    path = run_dir / EXAMPLES_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    rows = {}
    for index, id_ in wanted:
        if index >= len(lines):
            break
        row = _parse(path, index + 1, lines[index])
        if str(row["id"]) != id_:
            break
        rows[id_] = row
    else:
        return rows
    rows = {}
    for number, line in enumerate(lines, 1):
        if line.strip():
            row = _parse(path, number, line)
            rows[str(row["id"])] = row
    return rows


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _cut(value: Any, limit: int) -> Text:
    text = _as_text(value)
    return Text(text, 0) if len(text) <= limit else Text(text[:limit], len(text) - limit)


def _ranked(
    results: Results, incumbent: str | None, challenger: str | None
) -> list[tuple[str, int, ExampleResult]]:
    """(group, position, example), disagreements first, the widest gaps first within them."""
    keyed = []
    for index, e in enumerate(results.examples):
        group, gap = "same", 0.0
        if incumbent and challenger:
            a = _mean(e.calls.get(incumbent, []))
            b = _mean(e.calls.get(challenger, []))
            group = _group(a, b)
            gap = abs(a - b) if a is not None and b is not None else 0.0
        keyed.append(({"inc_better": 0, "ch_better": 1}.get(group, 2), -gap, index, group, e))
    keyed.sort(key=lambda k: k[:3])
    return [(group, index, e) for _, _, index, group, e in keyed]


def build(
    results: Results,
    run_dir: Path | None,
    incumbent: str | None,
    challenger: str | None,
    texts: dict[str, dict[str, Any]] | None = None,
) -> Examples:
    """Every example grouped by who got it right; disagreements first; the first 2,000 kept.

    Text comes from `texts` (examples.jsonl's rows by id, as the run wrote them) when given, else
    from run_dir/examples.jsonl when there is one.
    """
    names = [c.name for c in results.candidates]
    ranked = _ranked(results, incumbent, challenger)
    counts: dict[str, int] = {}
    flag_counts: dict[str, int] = {}
    flags: dict[int, list[str]] = {}
    for group, index, e in ranked:
        counts[group] = counts.get(group, 0) + 1
        for flag in flags.setdefault(index, _flags(e.calls)):
            flag_counts[flag] = flag_counts.get(flag, 0) + 1
    kept = ranked[:MAX_EXAMPLES]
    if texts is None and run_dir:
        texts = read_texts(run_dir, [(i, e.id) for _, i, e in kept])
    found = texts or {}
    fields = sum(
        2 + len(found.get(e.id, {}).get("inputs") or {}) + sum(map(len, e.calls.values()))
        for _, _, e in kept
    )
    limit = max(_FIELD_MIN, min(_FIELD_MAX, TEXT_BUDGET // max(fields, 1)))
    pass_fail = bool(results.scorer.get("pass_fail"))
    inc, ch = incumbent or "incumbent", challenger or "challenger"
    labels, short = _labels(inc, ch, pass_fail), _short(inc, ch, pass_fail)
    groups = [
        Group(key, labels[key], short.get(key, ""), counts[key])
        for key in ("inc_better", "ch_better", "same", "unpaired")
        if counts.get(key) and incumbent and challenger
    ]
    return Examples(
        rows=[_row(e, group, flags[i], names, found.get(e.id), limit) for group, i, e in kept],
        total=len(results.examples),
        groups=groups,
        candidates=names,
        has_text=texts is not None,
        field_limit=limit,
        flags=flag_counts,
    )


def _flags(calls: dict[str, list[Call]]) -> list[str]:
    found = []
    every = [c for cs in calls.values() for c in cs]
    if any(c.error for c in every):
        found.append("error")
    found.extend(f for f in PROBLEM_FINISH if any(c.finish_reason == f for c in every))
    return found


def _row(
    e: ExampleResult,
    group: str,
    flags: list[str],
    names: list[str],
    text: dict[str, Any] | None,
    limit: int,
) -> Row:
    text = text or {}
    outputs = text.get("candidates") or {}
    cells = []
    for name in names:
        calls = e.calls.get(name, [])
        said = {o.get("repeat"): o for o in outputs.get(name, []) if isinstance(o, dict)}
        answers = [
            Answer(
                call=c,
                output=_cut(said[c.repeat].get("output"), limit)
                if c.repeat in said and said[c.repeat].get("output") is not None
                else None,
                error=_cut(c.error, limit) if c.error else None,
            )
            for c in calls
        ]
        cells.append(Cell(name, _mean(calls), answers))
    inputs = text.get("inputs") or {}
    return Row(
        id=e.id,
        group=group,
        flags=" ".join(flags),
        inputs=[(str(k), _cut(v, limit)) for k, v in inputs.items()]
        if isinstance(inputs, dict)
        else [("input", _cut(inputs, limit))],
        expected=_cut(e.expected, limit),
        metadata=e.metadata,
        cells=cells,
    )

"""Reading a chat-format training file and checking it against OpenAI's documented format.

Every line is checked and every problem kept, so one run lists all that needs fixing; a file with
any error raises `TrainingFileError`, whose message names each problem as `FILE:LINE: what`.
What the API would accept but the user probably did not mean (unknown keys, duplicates, no system
message) is a warning instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from advisor.errors import InputError

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
EXAMPLE_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
"""Keys OpenAI's chat fine-tuning format documents on an example."""
MESSAGE_KEYS = frozenset({"role", "content", "name", "weight", "tool_calls", "function_call"})
"""Keys it documents on any message; `tool_call_id` is documented on tool messages only."""
STRUCTURED_KEYS = ("tools", "functions", "tool_calls", "function_call")
"""Values that are billed but that the cookbook's count (string values only) leaves out."""
MAX_LISTED = 200
"""Problems listed in the error message; the rest are counted, and all are on the error."""


class TrainingFileError(InputError):
    """A training file breaks the chat format; `problems` holds every `FILE:LINE: what`."""

    def __init__(self, message: str, problems: tuple[str, ...]) -> None:
        super().__init__(message)
        self.problems = problems


class LineNote(NamedTuple):
    """A problem or warning about one line of the file."""

    line: int
    text: str


@dataclass(frozen=True, slots=True)
class TrainingExample:
    """One valid line of the file."""

    line: int
    messages: tuple[dict[str, Any], ...]
    structured: bool
    """It carries tools, functions or tool calls, which the token count leaves out."""
    images: bool
    """Some content part is not text (an image), which the token count leaves out."""

    @property
    def user_text(self) -> str:
        """The text of its user messages, one after another: what a prompt would have held."""
        return "\n".join(_text(m.get("content")) for m in self.messages if m["role"] == "user")


@dataclass(frozen=True)
class TrainingFile:
    """The examples of a file with no errors, and what looked wrong but is allowed."""

    path: str
    examples: tuple[TrainingExample, ...]
    line_notes: tuple[LineNote, ...]
    notes: tuple[str, ...]
    """Warnings about the file as a whole, each starting with its name."""


def read_training_file(path: Path | str) -> TrainingFile:
    """Check every line of a chat-format JSONL file; blank lines are skipped."""
    path, name = Path(path), str(path)
    problems: list[LineNote] = []
    notes: list[LineNote] = []
    examples: list[TrainingExample] = []
    first_line: dict[bytes, int] = {}
    try:
        for number, record in _records(path, problems):
            errors, warnings = _check(record)
            problems.extend(LineNote(number, error) for error in errors)
            if errors:
                continue
            notes.extend(LineNote(number, warning) for warning in warnings)
            messages = tuple(record["messages"])
            key = hashlib.blake2b(json.dumps(messages, sort_keys=True).encode()).digest()
            first = first_line.setdefault(key, number)
            if first != number:
                notes.append(LineNote(number, f"same messages as line {first} (a duplicate)"))
            examples.append(_example(number, record))
    except OSError as e:
        raise InputError(f"{name}: cannot be read ({e.strerror or e})") from None
    if problems:
        listed = tuple(f"{name}:{p.line}: {p.text}" for p in problems)
        lines = len({p.line for p in problems})
        head = (
            f"{name}: {counted(len(problems), 'problem')} on {counted(lines, 'line')}, "
            "listed below; fix them and run again"
        )
        more = len(listed) - MAX_LISTED
        tail = [f"... and {counted(more, 'more problem')}"] if more > 0 else []
        raise TrainingFileError("\n".join([head, *listed[:MAX_LISTED], *tail]), listed)
    if not examples:
        raise InputError(f"{name}: no training examples (the file is empty)")
    return TrainingFile(name, tuple(examples), tuple(notes), tuple(_file_notes(name, examples)))


def _records(path: Path, problems: list[LineNote]) -> Iterator[tuple[int, Any]]:
    """Each parsed JSON value with its line number; lines that do not parse become problems."""
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as e:
                problems.append(LineNote(number, f"not UTF-8 text (byte {e.start + 1})"))
                continue
            if not line.strip():
                continue
            try:
                yield number, json.loads(line.rstrip("\r\n"), parse_constant=_no_constant)
            except json.JSONDecodeError as e:
                problems.append(LineNote(number, f"not valid JSON ({e.msg} at column {e.colno})"))
            except ValueError as e:  # NaN, Infinity, or an integer too long to parse
                problems.append(LineNote(number, f"not valid JSON ({e})"))


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _check(record: Any) -> tuple[list[str], list[str]]:
    """The errors and warnings of one parsed line."""
    if not isinstance(record, dict):
        return [f"not a JSON object (got {_kind(record)})"], []
    warnings = [f'unknown key "{key}" on the example' for key in record if key not in EXAMPLE_KEYS]
    if "messages" not in record:
        return ['no "messages"'], warnings
    messages = record["messages"]
    if not isinstance(messages, list):
        return [f'"messages" is not a list (got {_kind(messages)})'], warnings
    if not messages:
        return ['"messages" is empty'], warnings
    errors: list[str] = []
    for i, message in enumerate(messages, 1):
        if not isinstance(message, dict):
            errors.append(f"message {i} is not an object (got {_kind(message)})")
            continue
        message_errors, message_warnings = _check_message(message)
        errors.extend(f"message {i}: {e}" for e in message_errors)
        warnings.extend(f"message {i}: {w}" for w in message_warnings)
    if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
        errors.append("no assistant message (nothing to train on)")
    return errors, warnings


def _check_message(message: dict[str, Any]) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    role = message.get("role")
    if "role" not in message:
        errors.append('no "role"')
    elif role not in ROLES:
        errors.append(f"unrecognised role {json.dumps(role)} (valid: {', '.join(ROLES)})")
    warnings = [
        f'unknown key "{key}"'
        for key in message
        if key not in MESSAGE_KEYS and not (key == "tool_call_id" and role == "tool")
    ]
    calls = message.get("tool_calls") or message.get("function_call")
    content = message.get("content")
    if content is None:
        if not calls:
            errors.append('no "content"' if "content" not in message else '"content" is null')
    elif isinstance(content, str):
        if not content.strip() and not calls:
            errors.append('"content" is empty')
    elif isinstance(content, list):
        errors.extend(_check_parts(content, bool(calls)))
    else:
        errors.append(f'"content" is not text (got {_kind(content)})')
    weight = message.get("weight", 1)
    if isinstance(weight, bool) or weight not in (0, 1):
        errors.append(f'"weight" must be 0 or 1 (got {json.dumps(weight)})')
    return errors, warnings


def _check_parts(parts: list[Any], calls: bool) -> list[str]:
    """Content given as a list of parts (`{"type": "text", "text": ...}`, images)."""
    if not parts and not calls:
        return ['"content" is empty']
    errors = []
    for j, part in enumerate(parts, 1):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            errors.append(f'content part {j} is not an object with a "type"')
        elif part["type"] == "text" and not isinstance(part.get("text"), str):
            errors.append(f'content part {j} is of type "text" but has no text')
    return errors


def _example(line: int, record: dict[str, Any]) -> TrainingExample:
    messages = tuple(record["messages"])
    structured = any(record.get(k) for k in STRUCTURED_KEYS) or any(
        m.get(k) for m in messages for k in STRUCTURED_KEYS
    )
    images = any(
        part["type"] != "text"
        for m in messages
        if isinstance(m.get("content"), list)
        for part in m["content"]
    )
    return TrainingExample(line, messages, structured, images)


def _file_notes(name: str, examples: list[TrainingExample]) -> Iterator[str]:
    """Warnings about many lines at once, each naming a few of them."""
    for role in ("system", "user"):
        lines = [e.line for e in examples if all(m["role"] != role for m in e.messages)]
        if lines:
            have = "has" if len(lines) == 1 else "have"
            yield (
                f"{name}: {len(lines):,} of {counted(len(examples), 'example')} {have} no {role} "
                f"message ({line_list(lines)})"
            )


def text_parts(content: Any) -> Iterator[str]:
    """The text of a message's content: the string itself, or its text parts in order."""
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        yield from (p["text"] for p in content if p["type"] == "text")


def _text(content: Any) -> str:
    return "\n".join(text_parts(content))


def line_list(lines: Iterable[int], shown: int = 10) -> str:
    """'line 4', 'lines 1, 4, 9', or 'lines 1, 4, ... and 37 more'."""
    lines = list(lines)
    head = ", ".join(str(n) for n in lines[:shown])
    more = f" and {len(lines) - shown:,} more" if len(lines) > shown else ""
    return f"line{'s' if len(lines) > 1 else ''} {head}{more}"


def counted(n: int, noun: str) -> str:
    """'1 example', '2,000 examples'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _kind(value: object) -> str:
    kinds = {type(None): "null", list: "a list", dict: "an object", bool: "a boolean", str: "text"}
    return kinds.get(type(value), "a number" if isinstance(value, int | float) else "a value")

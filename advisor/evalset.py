"""Eval sets: the examples every candidate answers, read and checked before anything is spent.

JSONL is parsed with the standard library, line by line: `datasets` names no line for malformed
JSON, turns a missing field into null and an integer into a float when a column mixes them, and is
no faster once the file has been validated. CSV and Parquet go through `datasets`; CSV gets a
standard-library pass first, because pandas silently fills a short row with empty strings and shifts
a long one by using its first value as the row index. Every problem is an `InputError` that names
the file, the line or row, and what is wrong.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.errors import InputError

if TYPE_CHECKING:
    from datasets import Dataset

JSONValue = str | int | float | bool | dict[str, Any] | list[Any]
_JSON_TYPES = (str, int, float, bool, dict, list)
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
_HUB_NAME = re.compile(r"[\w.-]+(/[\w.-]+)?")
_BATCH = 1000


class EvalFields(BaseModel):
    """Where the eval set is and which of its fields mean what (the study's `[evalset]`)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    """A JSONL, CSV or Parquet file or a dataset folder, relative to the study; or a Hub name."""
    split: str = "train"
    """The split to read from a Hub dataset or a dataset folder; a single file is one split."""
    id: str = "id"
    """The field naming each example; fixtures, caches and resumed runs are keyed by it."""
    inputs: list[str] = Field(min_length=1)
    """The fields handed to the prompt template."""
    expected: str = "expected"
    """The field holding the reference answer that scorers compare against."""
    metadata: list[str] = []
    """Fields to slice the results by (language, difficulty, source)."""
    format: Literal["jsonl", "csv", "parquet", "hub"] | None = None
    """Overrides the format guessed from the extension; "hub" forces a Hugging Face dataset."""


@dataclass(frozen=True, slots=True)
class Example:
    """One question with its reference answer, and where it sits in the source to fix it."""

    id: str
    inputs: dict[str, str]
    expected: JSONValue
    metadata: dict[str, str]
    row: int
    """The file's line number for JSONL and CSV (the header is line 1); index + 1 otherwise."""


@dataclass(frozen=True)
class EvalSet:
    """The checked examples; the fingerprint ties results and fixtures to this exact data."""

    name: str
    path: str
    examples: tuple[Example, ...]
    fingerprint: str
    """sha256 of the file's bytes, or of the canonical examples for a Hub dataset or folder."""

    def __len__(self) -> int:
        return len(self.examples)


class _Invalid(Exception):
    """A problem in the data, before the file and unit (line or row) are put in front of it."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.message, self.row = message, row


def load_evalset(fields: EvalFields, base_dir: Path, *, cache_dir: Path) -> EvalSet:
    """Read and check an eval set; relative paths start at the study file's folder."""
    file = base_dir / fields.path
    unit = "row"
    source: Path | None = None  # a single file, fingerprinted by its bytes
    try:
        if fields.format == "hub" or (
            fields.format is None
            and not file.exists()
            and Path(fields.path).suffix not in _EXTENSIONS
            and _HUB_NAME.fullmatch(fields.path)
        ):
            records = _rows(_load(cache_dir, fields.path, split=fields.split), fields)
        elif file.is_dir():
            records = _rows(_load(cache_dir, str(file), split=fields.split), fields)
        elif not file.is_file():
            raise _Invalid("no such file")
        else:
            fmt = fields.format or _EXTENSIONS.get(file.suffix.lower())
            if fmt is None:
                raise _Invalid(f'unknown format "{file.suffix}" (use .jsonl, .csv or .parquet)')
            unit, source = ("row" if fmt == "parquet" else "line"), file
            if fmt == "jsonl":
                records = _jsonl(file)
            elif fmt == "csv":
                records = _csv(file, fields, cache_dir)
            else:
                ds = _load(cache_dir, "parquet", data_files=str(file), split="train")
                records = _rows(ds, fields)
        examples = _build(records, fields, unit)
    except _Invalid as e:
        where = fields.path if e.row is None else _at(fields.path, unit, e.row)
        raise InputError(f"{where}: {e.message}") from None
    if source is not None:
        with source.open("rb") as f:
            fingerprint = hashlib.file_digest(f, "sha256").hexdigest()
        name = source.stem
    else:
        fingerprint, name = _digest(examples), fields.path
    return EvalSet(name=name, path=fields.path, examples=examples, fingerprint=fingerprint)


def _at(path: str, unit: str, row: int) -> str:
    return f"{path}:{row}" if unit == "line" else f"{path}: row {row}"


def _build(
    records: Iterable[tuple[int, Mapping[str, Any]]], fields: EvalFields, unit: str
) -> tuple[Example, ...]:
    first_row: dict[str, int] = {}
    examples = []
    for row, record in records:
        example = _example(record, row, fields)
        first = first_row.setdefault(example.id, row)
        if first != row:
            raise _Invalid(f'duplicate id "{example.id}" (first at {unit} {first})', row)
        examples.append(example)
    if not examples:
        raise _Invalid("empty eval set")
    return tuple(examples)


def _example(record: Mapping[str, Any], row: int, fields: EvalFields) -> Example:
    id_ = record.get(fields.id)
    if id_ is None or id_ == "":
        raise _Invalid(f'missing id (field "{fields.id}")', row)
    if isinstance(id_, bool) or not isinstance(id_, str | int):
        raise _Invalid(f"id is not text or a whole number (got {_kind(id_)})", row)
    inputs = {name: _text(record, name, "input field", row) for name in fields.inputs}
    for name, text in inputs.items():
        if not text.strip():
            raise _Invalid(f'input field "{name}" is empty', row)
    if fields.expected not in record:
        raise _Invalid(f'missing field "{fields.expected}"', row)
    expected = record[fields.expected]
    if not isinstance(expected, _JSON_TYPES):
        raise _Invalid(f'expected field "{fields.expected}" is {_kind(expected)}', row)
    metadata = {name: _text(record, name, "metadata field", row) for name in fields.metadata}
    return Example(str(id_), inputs, expected, metadata, row)


def _text(record: Mapping[str, Any], name: str, role: str, row: int) -> str:
    """Numbers and booleans become text, as a template would print them; containers are errors."""
    if name not in record:
        raise _Invalid(f'missing field "{name}"', row)
    value = record[name]
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    raise _Invalid(f'{role} "{name}" is not text (got {_kind(value)})', row)


def _kind(value: object) -> str:
    kinds = {type(None): "null", list: "a list", dict: "an object", bool: "a boolean"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _jsonl(file: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Stream the objects with their line numbers; blank lines are skipped."""
    with file.open("rb") as f:
        for number, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as e:
                raise _Invalid(f"not UTF-8 text (byte {e.start + 1})", number) from None
            if not line.strip():
                continue
            try:
                record = json.loads(line, parse_constant=_no_constant)
            except json.JSONDecodeError as e:
                raise _Invalid(f"not valid JSON ({e.msg} at column {e.colno})", number) from None
            except ValueError as e:  # NaN, Infinity, or an integer too long to parse
                raise _Invalid(f"not valid JSON ({e})", number) from None
            if not isinstance(record, dict):
                raise _Invalid(f"not a JSON object (got {_kind(record)})", number)
            yield number, record


def _csv(file: Path, fields: EvalFields, cache_dir: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Load through `datasets` with every column as text; line numbers come from a csv pass."""
    from datasets import Features, Value

    header, starts = _csv_lines(file)
    ds = _load(
        cache_dir,
        "csv",
        data_files=str(file),
        split="train",
        features=Features({column: Value("string") for column in header}),
        keep_default_na=False,  # "NA", "null" and "None" are labels, not missing values
    )
    if len(ds) != len(starts):
        raise _Invalid(f"pandas read {len(ds)} rows where csv found {len(starts)}; check quoting")
    return zip(starts, (record for _, record in _rows(ds, fields)), strict=True)


def _csv_lines(file: Path) -> tuple[list[str], list[int]]:
    """The header, and the first line of each record, with every record as wide as the header."""
    starts: list[int] = []
    with file.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        try:
            header = next(reader, [])
            end = reader.line_num
            for record in reader:
                start, end = end + 1, reader.line_num
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # pandas skips blank lines too
                if len(record) != len(header):
                    message = f"{len(record)} fields where the header has {len(header)}"
                    raise _Invalid(message, start)
                starts.append(start)
        except csv.Error as e:
            raise _Invalid(f"not valid CSV ({e})", reader.line_num) from None
        except UnicodeDecodeError:
            raise _Invalid("not UTF-8 text") from None
    if not starts:
        raise _Invalid("empty eval set")
    return header, starts


def _rows(ds: Dataset, fields: EvalFields) -> Iterator[tuple[int, dict[str, Any]]]:
    """Only the named columns, a batch at a time, numbered from 1."""
    names = list(dict.fromkeys([fields.id, *fields.inputs, fields.expected, *fields.metadata]))
    missing = [name for name in names if name not in ds.column_names]
    if missing:
        columns = ", ".join(ds.column_names)
        raise _Invalid(f'no column "{missing[0]}" (columns: {columns})')
    row = 0
    for batch in ds.select_columns(names).iter(batch_size=_BATCH):
        for values in zip(*(batch[name] for name in names), strict=True):
            row += 1
            yield row, dict(zip(names, values, strict=True))


def _load(cache_dir: Path, path: str, **kwargs: Any) -> Dataset:
    """`datasets.load_dataset`, quiet, with its failures turned into one line each."""
    from datasets import load_dataset
    from datasets.exceptions import DatasetsError

    try:
        with _quiet():
            return load_dataset(path, cache_dir=str(cache_dir), **kwargs)
    except ConnectionError as e:
        message = f"not a local file, and the Hugging Face Hub is out of reach ({e})"
        raise _Invalid(message) from None
    except (FileNotFoundError, ValueError, DatasetsError) as e:
        raise _Invalid(f"cannot be loaded ({' '.join(str(e).split())})") from None


@contextmanager
def _quiet() -> Iterator[None]:
    """No progress bars, and no logged errors that we report ourselves: the CLI owns output."""
    import datasets

    bars_were_off = datasets.are_progress_bars_disabled()
    verbosity = datasets.logging.get_verbosity()
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)
    try:
        yield
    finally:
        datasets.logging.set_verbosity(verbosity)
        if not bars_were_off:
            datasets.enable_progress_bars()


def _digest(examples: Iterable[Example]) -> str:
    h = hashlib.sha256()
    for e in examples:
        data = [e.id, e.inputs, e.expected, e.metadata]
        h.update(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode())
        h.update(b"\n")
    return h.hexdigest()

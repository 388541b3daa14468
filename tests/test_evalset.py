"""Eval set loading: every format's happy path, and every error naming its file and line."""

import hashlib
import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from advisor.errors import InputError
from advisor.evalset import EvalFields, EvalSet, load_evalset


def _load(tmp_path: Path, path: str, **fields: object) -> EvalSet:
    fields.setdefault("inputs", ["text"])
    spec = EvalFields.model_validate({"path": path, **fields})
    return load_evalset(spec, tmp_path, cache_dir=tmp_path / "cache")


def _jsonl(tmp_path: Path, *lines: object, name: str = "set.jsonl") -> str:
    """Write lines (dicts as JSON, strings as they are) under evalsets/; return the study path."""
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    (tmp_path / "evalsets").mkdir(exist_ok=True)
    (tmp_path / "evalsets" / name).write_text(text, encoding="utf-8")
    return f"evalsets/{name}"


def _ok(i: int) -> dict[str, object]:
    return {"id": f"t-{i:03d}", "text": f"ticket {i}", "expected": "billing"}


def test_jsonl_keeps_json_values_and_counts_lines(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path,
        {"id": 7, "text": "hello", "n": 3, "expected": {"a": 1}, "lang": "en", "level": 2},
        "",
        {"id": "b", "text": "hi", "n": 2.5, "expected": 4, "lang": "fr", "level": True},
    )
    es = _load(tmp_path, path, inputs=["text", "n"], metadata=["lang", "level"])

    assert len(es) == 2
    assert (es.name, es.path) == ("set", path)
    first, second = es.examples
    assert (first.id, first.inputs, first.expected, first.row) == (
        "7",
        {"text": "hello", "n": "3"},
        {"a": 1},
        1,
    )
    assert first.metadata == {"lang": "en", "level": "2"}
    assert (second.id, second.inputs["n"], second.expected, second.row) == ("b", "2.5", 4, 3)
    assert second.metadata["level"] == "true"
    assert es.fingerprint == hashlib.sha256((tmp_path / path).read_bytes()).hexdigest()


def test_jsonl_with_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "bom.jsonl").write_text("\ufeff" + json.dumps(_ok(1)) + "\n", encoding="utf-8")
    assert _load(tmp_path, "bom.jsonl").examples[0].id == "t-001"


def test_csv_reads_every_cell_as_text_with_file_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "set.csv").write_text(
        'id,text,expected,lang\n007,NA,null,en\n2,"two\nlines",None,\n\n3,N/A,,fr\n',
        encoding="utf-8",
    )
    es = _load(tmp_path, "set.csv", metadata=["lang"])

    assert [e.id for e in es.examples] == ["007", "2", "3"]
    assert [e.inputs["text"] for e in es.examples] == ["NA", "two\nlines", "N/A"]
    assert [e.expected for e in es.examples] == ["null", "None", ""]
    assert [e.metadata["lang"] for e in es.examples] == ["en", "", "fr"]
    assert [e.row for e in es.examples] == [2, 3, 6]


def test_parquet_numbers_rows_from_one(tmp_path: Path) -> None:
    table = pa.table({"id": [1, 2], "text": ["a", "b"], "expected": [["x"], ["y", "z"]]})
    pq.write_table(table, tmp_path / "set.parquet")
    es = _load(tmp_path, "set.parquet")

    assert [(e.id, e.expected, e.row) for e in es.examples] == [
        ("1", ["x"], 1),
        ("2", ["y", "z"], 2),
    ]
    assert es.fingerprint == hashlib.sha256((tmp_path / "set.parquet").read_bytes()).hexdigest()


def test_dataset_folder_reads_the_named_split(tmp_path: Path) -> None:
    (tmp_path / "folder" / "data").mkdir(parents=True)
    for split, ids in {"train": ["a"], "test": ["b", "c"]}.items():
        table = pa.table({"id": ids, "text": ["t"] * len(ids), "expected": ["e"] * len(ids)})
        pq.write_table(table, tmp_path / "folder" / "data" / f"{split}-00000.parquet")
    es = _load(tmp_path, "folder", split="test")

    assert [e.id for e in es.examples] == ["b", "c"]
    assert es.name == "folder"
    assert len(es.fingerprint) == 64


def test_datasets_prints_nothing(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    import datasets

    (tmp_path / "set.csv").write_text("id,text,expected\n1,a,b\n", encoding="utf-8")
    _load(tmp_path, "set.csv")
    assert capfd.readouterr() == ("", "")
    assert not datasets.are_progress_bars_disabled()


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [_ok(1), _ok(2), '{"id": "t-3", "text": "x" "expected": 1}'],
            "set.jsonl:3: not valid JSON (Expecting ',' delimiter at column 27)",
        ),
        ([_ok(1), '{"id": "x", "text": "a", "expected": NaN}'], "set.jsonl:2: not valid JSON"),
        ([_ok(1), "[1, 2]"], "set.jsonl:2: not a JSON object (got a list)"),
        ([_ok(1), {"id": "x", "text": "a"}], 'set.jsonl:2: missing field "expected"'),
        ([_ok(1), {"id": "x", "expected": 1}], 'set.jsonl:2: missing field "text"'),
        (
            [_ok(1), "", _ok(3), _ok(1)],
            'set.jsonl:4: duplicate id "t-001" (first at line 1)',
        ),
        ([_ok(1), {"text": "a", "expected": 1}], 'set.jsonl:2: missing id (field "id")'),
        ([_ok(1), {"id": "", "text": "a", "expected": 1}], "set.jsonl:2: missing id"),
        ([_ok(1), {"id": [1], "text": "a", "expected": 1}], "set.jsonl:2: id is not text"),
        ([], "set.jsonl: empty eval set"),
        (["", "  "], "set.jsonl: empty eval set"),
        (
            [_ok(1), {"id": "x", "text": ["a"], "expected": 1}],
            'set.jsonl:2: input field "text" is not text (got a list)',
        ),
        (
            [_ok(1), {"id": "x", "text": None, "expected": 1}],
            'set.jsonl:2: input field "text" is not text (got null)',
        ),
        (
            [_ok(1), {"id": "x", "text": " ", "expected": 1}],
            'set.jsonl:2: input field "text" is empty',
        ),
        (
            [{"id": "x", "text": "a", "expected": None}],
            'set.jsonl:1: expected field "expected" is null',
        ),
    ],
)
def test_jsonl_errors_name_the_line(tmp_path: Path, lines: list[object], message: str) -> None:
    path = _jsonl(tmp_path, *lines)
    with pytest.raises(InputError) as info:
        _load(tmp_path, path)
    assert str(info.value).startswith(f"evalsets/{message}")
    assert "\n" not in str(info.value)


def test_jsonl_error_on_the_seventeenth_line(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, *[_ok(i) for i in range(16)], '{"id": "bad", "text": }')
    with pytest.raises(InputError, match=r"^evalsets/set\.jsonl:17: not valid JSON \(Expecting"):
        _load(tmp_path, path)


def test_jsonl_invalid_utf8(tmp_path: Path) -> None:
    (tmp_path / "set.jsonl").write_bytes(json.dumps(_ok(1)).encode() + b'\n{"id": "\xff"}\n')
    with pytest.raises(InputError, match=r"^set\.jsonl:2: not UTF-8 text"):
        _load(tmp_path, "set.jsonl")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,text,expected\n1,a,b\n2,c\n", "set.csv:3: 2 fields where the header has 3"),
        ("id,text,expected\n1,a,b\n\n2,c,d,e\n", "set.csv:4: 4 fields where the header has 3"),
        ("id,text,label\n1,a,b\n", 'set.csv: no column "expected" (columns: id, text, label)'),
        (
            'id,text,expected\nt-1,"a\nb",x\nt-1,c,d\n',
            'set.csv:4: duplicate id "t-1" (first at line 2)',
        ),
        ("id,text,expected\n1,,b\n", 'set.csv:2: input field "text" is empty'),
        ("id,text,expected\n", "set.csv: empty eval set"),
        ("", "set.csv: empty eval set"),
    ],
)
def test_csv_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "set.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        _load(tmp_path, "set.csv")
    assert str(info.value) == message


def test_parquet_errors_name_the_row(tmp_path: Path) -> None:
    table = pa.table({"id": ["a", "b", "a"], "text": ["x", "y", "z"], "expected": [1, 2, 3]})
    pq.write_table(table, tmp_path / "set.parquet")
    with pytest.raises(
        InputError, match=r'^set\.parquet: row 3: duplicate id "a" \(first at row 1\)$'
    ):
        _load(tmp_path, "set.parquet")

    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match=r"^bad\.parquet: cannot be loaded \(Parquet magic bytes"):
        _load(tmp_path, "bad.parquet")


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^evalsets/none\.jsonl: no such file$"):
        _load(tmp_path, "evalsets/none.jsonl")
    (tmp_path / "set.txt").write_text("id\n", encoding="utf-8")
    with pytest.raises(InputError, match=r'^set\.txt: unknown format "\.txt"'):
        _load(tmp_path, "set.txt")


def test_format_overrides_the_extension(tmp_path: Path) -> None:
    (tmp_path / "set.txt").write_text(json.dumps(_ok(1)) + "\n", encoding="utf-8")
    assert len(_load(tmp_path, "set.txt", format="jsonl")) == 1


@pytest.mark.usefixtures("socket_disabled")
def test_hub_name_offline_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datasets

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    with pytest.raises(InputError) as info:
        _load(tmp_path, "someone/tickets", split="test")
    message = str(info.value)
    assert message.startswith("someone/tickets: not a local file, and the Hugging Face Hub is out")
    assert "\n" not in message


def test_fields_are_closed_and_need_an_input() -> None:
    with pytest.raises(ValidationError):
        EvalFields.model_validate({"path": "x.jsonl", "inputs": ["text"], "label": "y"})
    with pytest.raises(ValidationError):
        EvalFields.model_validate({"path": "x.jsonl", "inputs": []})


def test_a_hundred_thousand_lines_load_in_seconds(tmp_path: Path) -> None:
    line = '{"id": "t-%06d", "text": "Order %d has not arrived; refund me.", "expected": "x"}\n'
    (tmp_path / "big.jsonl").write_text("".join(line % (i, i) for i in range(100_000)))
    start = time.perf_counter()
    es = _load(tmp_path, "big.jsonl")
    assert time.perf_counter() - start < 10
    assert len(es) == 100_000
    assert es.examples[-1].row == 100_000

"""A run's report takes its example text from the rows it writes, and says what a re-render from
examples.jsonl says: the same page, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

from advisor import report
from advisor.publish import publish
from advisor.results import load

EXAMPLE = Path(__file__).resolve().parent.parent / "reports" / "support-tickets"


def _rows() -> list[dict]:
    lines = (EXAMPLE / "examples.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_the_report_from_rows_in_memory_is_the_report_from_the_file(tmp_path, monkeypatch):
    results = load(EXAMPLE / "results.json")
    read_back = []
    monkeypatch.setattr(
        "advisor.report._examples.read_texts", lambda *a: read_back.append(a) or None
    )
    publish(results, tmp_path, iter(_rows()))
    assert read_back == []  # every example shown: nothing read back
    written = (tmp_path / "report.html").read_bytes()
    assert written == (EXAMPLE / "report.html").read_bytes()
    monkeypatch.undo()
    assert report.render(results, tmp_path).encode("utf-8") == written


def test_more_examples_than_the_table_shows_are_read_back(tmp_path, monkeypatch):
    results = load(EXAMPLE / "results.json")
    monkeypatch.setattr("advisor.publish.MAX_EXAMPLES", 100)
    kept: list[dict] = []
    monkeypatch.setattr("advisor.publish._kept", lambda rows, into: kept.append(into) or rows)
    publish(results, tmp_path, iter(_rows()))
    assert kept == []  # 360 examples, a table of 100: the report reads what it shows
    assert (tmp_path / "report.html").read_bytes() == (EXAMPLE / "report.html").read_bytes()

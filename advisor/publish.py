"""Everything a run leaves in its folder, written in one place and in a safe order.

The per-example file, the Markdown summary and the HTML report first, `results.json` last: its
presence marks a finished write. Each file is written atomically.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from advisor.errors import RunError
from advisor.markdown import SUMMARY_FILE, summary_markdown
from advisor.report import MAX_EXAMPLES, write_report
from advisor.results import EXAMPLES_FILE, Results, save_results, write_atomic

_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False)
"""What `json.dumps(row, ensure_ascii=False)` builds for every call, built once."""


def publish(results: Results, out: Path, examples: Iterable[dict[str, Any]] | None = None) -> Path:
    """Write the run folder; `examples` None keeps the per-example file already there.

    When the report shows every example (up to `MAX_EXAMPLES`), it takes their text from the rows
    as they are written rather than reading the file back.
    """
    texts: dict[str, dict[str, Any]] | None = None
    try:
        if examples is not None:
            if len(results.examples) <= MAX_EXAMPLES:
                texts = {}
                examples = _kept(examples, texts)
            lines = (_ROW_ENCODER.encode(r) + "\n" for r in examples)
            write_atomic(out / EXAMPLES_FILE, lines)
        write_atomic(out / SUMMARY_FILE, summary_markdown(results))
    except OSError as exc:
        raise RunError(f"{out}: cannot write the run's files ({exc.strerror})") from None
    write_report(results, out, texts)
    return save_results(results, out)


def _kept(
    rows: Iterable[dict[str, Any]], into: dict[str, dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    for row in rows:
        into[row["id"]] = row
        yield row

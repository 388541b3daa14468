"""What a run stopped by Ctrl-C kept, and the command that picks it up again.

Answers go to the response cache (live) or the fixtures (--record) as they arrive, so an
interrupted run loses nothing it paid for; rerunning the same command sends only the rest.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from advisor.folders import fixtures_folder
from advisor.plan import EvaluateOptions, run_folder
from advisor.study import load_study


def _lines(folder: Path, pattern: str) -> int:
    """Whole lines in the files matching `pattern` (a torn last line is not counted)."""
    if not folder.is_dir():
        return 0
    return sum(p.read_bytes().count(b"\n") for p in folder.glob(pattern))


def kept_line(options: EvaluateOptions, argv: list[str]) -> str:
    """One line: how many exchanges are kept and where, and the command that resumes."""
    study = load_study(options.study_path)
    if options.mode == "record":
        folder = fixtures_folder(options.study_path, study.name, options.fixtures)
        kept = f"{_lines(folder, '*.jsonl')} recorded exchange(s) kept in {folder}"
    elif options.mode == "live":
        cache = run_folder(options, study) / "cache"
        kept = f"{_lines(cache, 'responses.jsonl')} answer(s) kept in {cache}"
    else:
        kept = "a replay sends nothing"
    return f"interrupted: {kept}; resume with: {shlex.join(['advisor', *argv])}"

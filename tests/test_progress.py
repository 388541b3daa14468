"""The live progress line: on a terminal only, and never with --quiet."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from advisor.calls import Progress
from advisor.cli import _startup
from advisor.progress import progress_bar


@pytest.mark.parametrize(
    ("terminal", "quiet", "shown"),
    [(True, False, True), (True, True, False), (False, False, False)],
)
def test_progress_line_shows_retries_429s_and_spend_on_a_terminal_only(terminal, quiet, shown):
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=terminal, width=160)
    with progress_bar(console, 10, quiet) as update:
        progress = Progress(total=10, done=4, errors=1, spent=0.25, retries=3, rate_limited=2)
        progress.by_candidate = {"incumbent": [3, 5], "ft": [1, 5]}
        update(progress)
    text = buffer.getvalue()
    assert (
        "4/10" in text and "retries 3" in text and "429s 2" in text and "$0.2500" in text
    ) is shown
    assert bool(text.strip()) is shown


def test_nothing_is_made_or_drawn_before_a_request_is_on_its_way():
    buffer = io.StringIO()
    console = _startup.console(file=buffer, force_terminal=True, width=160)
    with progress_bar(console, 10) as update:
        update(Progress(total=10))  # planned, nothing sent yet
        assert not isinstance(console, Console) and buffer.getvalue() == ""
        update(Progress(total=10, sent=2, done=1))
    assert isinstance(console, Console)  # the same object, now the console itself
    assert "1/10" in buffer.getvalue()

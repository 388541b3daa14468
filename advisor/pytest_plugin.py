"""A pytest fixture that replays a study offline, so a project tests its own study in CI.

    def test_ticket_routing(advisor_replay):
        results = advisor_replay("studies/support-tickets.toml")
        assert results.analysis.verdict == "fine_tune"

Registered through the `pytest11` entry point; it imports nothing heavy until used.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from advisor.results import Results


@pytest.fixture
def advisor_replay(tmp_path: Path) -> Callable[..., Results]:
    """Replay a study from its fixtures into a temporary folder and return its results.

    A request with no recording fails the test with the message naming the example.
    """

    def replay(
        study: str | Path, *, fixtures: str | Path | None = None, base_url: str | None = None
    ) -> Results:
        from advisor.evaluate import EvaluateOptions, run_study

        options = EvaluateOptions(
            study_path=Path(study),
            mode="replay",
            base_url=base_url,
            out=tmp_path / "run",
            fixtures=Path(fixtures) if fixtures else None,
        )
        return run_study(options).results

    return replay

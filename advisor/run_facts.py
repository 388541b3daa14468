"""Facts about one execution of a run: when, how long, on what host, with which libraries.

They differ on every machine and every day, so they stay out of results.json, report.html and
summary.md, which a replay must reproduce byte for byte (DESIGN.md, Fixtures); they go to
`run-facts.json` beside them, which is not committed (.gitignore).
"""

from __future__ import annotations

import functools
import platform
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from advisor.errors import RunError

RUN_FACTS_FILE = "run-facts.json"


class RunFacts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    started: str
    finished: str
    duration_s: float
    """Wall time of the run, seconds."""
    host: str
    """The platform the run ran on (operating system and machine)."""
    versions: dict[str, str]
    """advisor, openai and Python."""


@functools.cache
def host_and_versions() -> tuple[str, dict[str, str]]:
    """The same for every run of a process, and slow to find (`platform.platform()` runs
    `uname -p` in a subprocess, `version` parses package metadata: 10-20 ms), so found once,
    while the requests are in flight (`advisor.prefetch`)."""
    from importlib.metadata import version

    versions = {
        "advisor": version("advisor"),
        "openai": version("openai"),
        "python": platform.python_version(),
    }
    return platform.platform(), versions


def run_facts(started: datetime, finished: datetime) -> RunFacts:
    host, versions = host_and_versions()
    return RunFacts(
        started=started.isoformat(timespec="seconds"),
        finished=finished.isoformat(timespec="seconds"),
        duration_s=round((finished - started).total_seconds(), 3),
        host=host,
        versions=dict(versions),
    )


def save_run_facts(facts: RunFacts, out: Path) -> None:
    from advisor.results import write_atomic

    try:
        write_atomic(out / RUN_FACTS_FILE, facts.model_dump_json(indent=1) + "\n")
    except OSError as exc:
        raise RunError(f"{out}: cannot write the run facts ({exc.strerror})") from None

"""Recording again from scratch, without ever leaving a half recording in the fixtures' place.

`--record` resumes: what is recorded is served, not sent again. `--re-record` sends everything:
it records into a folder beside the fixtures (`<name>.recording`) and swaps it in only once the
run has completed, so an interrupted re-recording leaves the old fixtures as they were.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def aside(folder: Path) -> Path:
    return folder.with_name(f"{folder.name}.recording")


@contextmanager
def rerecording(folder: Path) -> Iterator[Path]:
    """Yield an empty folder to record into; on success it becomes `folder`."""
    fresh = aside(folder)
    shutil.rmtree(fresh, ignore_errors=True)  # what an interrupted re-recording left
    yield fresh
    old = folder.with_name(f"{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)

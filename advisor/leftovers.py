"""Nothing left behind by a run refused as bad input.

Exit 2 means nothing was sent and nothing was written (DESIGN.md, Exit codes). Some checks can
only run once their folder exists (the run folder must be writable, a recording opens its fixture
folder), so the folders a command creates are noted first and removed again if it then stops on
bad input. A folder that existed before the command is never touched.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from advisor.errors import AdvisorError


def _outermost_new(path: Path) -> Path | None:
    """The highest folder of `path` that does not exist yet (what creating it would create)."""
    new = None
    for folder in (path, *path.parents):
        if folder.exists():
            break
        new = folder
    return new


@contextmanager
def removed_on_bad_input(*paths: Path) -> Iterator[None]:
    """Remove the folders of `paths` this block creates if it raises an exit-2 `AdvisorError`."""
    created = [new for p in paths if (new := _outermost_new(p)) is not None]
    try:
        yield
    except AdvisorError as exc:
        if exc.exit_code == 2:
            for folder in created:
                shutil.rmtree(folder, ignore_errors=True)
        raise

"""The run folder, checked before anything is sent.

Apart from `advisor.results` so that planning a run can check it without loading the results
model (and the cost model and statistics it holds), which the first request does not need.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from advisor.errors import InputError


def prepare_out_dir(out: Path) -> None:
    """Fail before anything is sent if the run folder cannot be written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"{out}: cannot write the run folder here ({reason})") from None

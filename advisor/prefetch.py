"""What the end of a run needs, loaded while its requests are in flight.

After its last answer a run scores, analyses and writes its folder. The modules that do it (the
results model, the cost model, the statistics and numpy, the report and its compiled template)
take longer to load than to run on a few hundred examples, and the first request needs none of
them: they load in a background thread once the first requests are on their way, while the
process waits for the probes' answers (advisor.runner sends each candidate's first request alone),
or once an answer is counted (from the response cache when a run resumes, or from the Batch
API), so that neither the first request nor the end of the run waits for them.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

from advisor.calls import Progress

TAIL_MODULES = (
    "advisor.collate",
    "advisor.decision",
    "advisor.publish",
    "advisor.report",
    "numpy.random",  # numpy loads these two on first use, by the statistics
    "numpy.ma",
)


def _load() -> None:
    for name in TAIL_MODULES:  # once imported here, the main thread finds them loaded
        importlib.import_module(name)
    from advisor.report import preload
    from advisor.run_facts import host_and_versions

    preload()
    host_and_versions()


class Prefetch:
    """Starts the loading once; later calls do nothing."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=_load, name="advisor-prefetch", daemon=True)
            self._thread.start()

    def after_first_send(
        self, on_progress: Callable[[Progress], None]
    ) -> Callable[[Progress], None]:
        """`on_progress`, starting the loading at the first call with a request sent (or, from
        the Batch API, an answer counted)."""

        def hook(progress: Progress) -> None:
            if progress.sent or progress.done:
                self.start()
            on_progress(progress)

        return hook

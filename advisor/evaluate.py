"""`advisor evaluate`: the order of the stages, in one place.

plan (advisor.plan: everything checked before anything is sent) -> run (the runner over a live,
recording or replaying wire, then the judge if the scorer is one) -> collate (scores and
figures) -> analyse (advisor.decision) -> publish the run folder.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.cache import ResponseCache
from advisor.errors import FixtureMissError
from advisor.plan import (
    JUDGE,
    EvaluateOptions,
    Mode,
    Plan,
    check_api_keys,
    judge_requests,
    plan_run,
)
from advisor.prefetch import Prefetch
from advisor.runner import CallRequest, Completion, Progress, Runner
from advisor.study import Study, load_study

if TYPE_CHECKING:  # loaded while the requests are in flight (advisor.prefetch)
    from advisor import results as res
    from advisor.collate import RunOutput


@dataclass(frozen=True)
class Outcome:
    results: res.Results
    path: Path

    @property
    def exit_code(self) -> int:
        """0 when every example was answered; 1 when any is in error or the run stopped."""
        return 0 if self.results.status == "complete" and self.results.run.errors == 0 else 1


@dataclass
class Wire:
    """How requests travel: live by default; fixtures swap in recording or replay."""

    mode: Mode = "live"
    transports: dict[str, Any] = field(default_factory=dict)
    clock: Any = None
    lists_models: bool = True
    """Ask each endpoint for its models' shutdown dates (a replay does when it was recorded)."""

    @property
    def uses_cache(self) -> bool:
        """Only live runs use the response cache: a recording must see every exchange, and a
        replay must depend on nothing but the fixtures."""
        return self.mode == "live"


def fixtures_folder(study: Study, given: Path | None) -> Path:
    return given or Path("fixtures") / study.name


@contextmanager
def open_wire(
    plan: Plan, mode: Mode, folder: Path, concurrency: int, batch: bool = False
) -> Iterator[Wire]:
    """The wire of a run: live, recording to `folder`, or replaying from it.

    Replay checks every request against the fixtures first: a request with no recording is an
    error naming its example, before anything runs.
    """
    if mode == "live":
        yield Wire()
        return
    from advisor import fixtures as fx
    from advisor.client import build_transport
    from advisor.runner import VirtualClock

    redactor = fx.Redactor(plan.study.fixtures.redact)
    store = fx.FixtureStore(folder)
    if mode == "record":
        urls = {arm.base_url for arm in (*plan.arms, *([plan.judge] if plan.judge else []))}
        store.write_meta(plan.study.name, plan.as_of)
        transports = {
            url: fx.recording_transport(store, redactor, build_transport(concurrency))
            for url in urls
        }
        try:
            yield Wire("record", transports)
        finally:
            store.close()
        return
    if batch:  # recorded by input file, not by request: a changed request changes its file
        from advisor.batch import find_batch_misses

        misses: list[Any] = find_batch_misses(store, plan.requests)
    else:
        misses = fx.find_misses(store, plan.requests, redactor)
    if misses:
        more = (
            f" (and {len(misses) - 1} more; see advisor fixtures check)" if len(misses) > 1 else ""
        )
        raise FixtureMissError(f"{folder}: {misses[0].describe()}{more}")
    recorded_listing = any(e[-1].tag == fx.MODELS_TAG for e in store.by_key.values())
    with fx.replaying(store, redactor):
        yield Wire("replay", clock=VirtualClock(), lists_models=recorded_listing)


def _shutdown_date(value: Any) -> date | None:
    """`shutdown_date` as an ISO date or a Unix timestamp; anything else is ignored."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


async def _listed_models(clients: dict[str, Any]) -> dict[str, date]:
    """Shutdown dates the endpoints list (GET /models), where they give one.

    Not every OpenAI-compatible provider lists models or dates: a failure leaves the catalog's.
    """
    import httpx2

    from advisor.client import TAG_HEADER
    from advisor.fixtures import MODELS_TAG

    found: dict[str, date] = {}
    for client in clients.values():
        try:
            response = await client.get_json("/models", {TAG_HEADER: MODELS_TAG})
            if response.status_code != 200:
                continue
            listing = json.loads(response.content).get("data") or []
        except (httpx2.TransportError, ValueError, AttributeError):
            continue
        for model in listing:
            if isinstance(model, dict) and (when := _shutdown_date(model.get("shutdown_date"))):
                found[str(model.get("id"))] = when
    return found


def _batch_discounts(plan: Plan) -> Callable[[CallRequest], float]:
    """Each request's batch discount, as the cost model takes it (0 where no source gives one)."""
    from advisor.analysis import known_batch_discount
    from advisor.pricing import model_terms

    discounts = {
        c.name: known_batch_discount(c, plan.assumptions) or 0.0 for c in plan.study.candidates
    }
    if plan.judge is not None:
        judge = plan.scorer.config  # a JudgeScorer's
        discounts[JUDGE] = model_terms(judge.provider, judge.model).batch_discount or 0.0

    def discount(request: CallRequest) -> float:
        judged = request.candidate.startswith(f"{JUDGE}.")
        return discounts[JUDGE if judged else request.candidate]

    return discount


async def _run_batches(
    plan: Plan,
    wire: Wire,
    clients: dict[str, Any],
    cache: ResponseCache | None,
    progress: Progress,
    on_progress: Callable[[Progress], None],
) -> tuple[list[Completion], list[Completion]]:
    """The candidates' requests through the Batch API, then the judge's the same way."""
    from advisor.batch import STATE_FILES, BatchOptions, run_batches

    options = BatchOptions(
        state_file=STATE_FILES[wire.mode],
        discount=_batch_discounts(plan),
        retry_deadline=plan.study.run.retry_deadline,
        poll_interval=plan.study.run.batch_poll_interval,
    )

    async def run(requests: Sequence[CallRequest]) -> list[Completion]:
        return await run_batches(
            requests,
            clients,
            plan.out,
            options,
            cache=cache,
            clock=wire.clock,
            progress=progress,
            on_progress=on_progress,
        )

    completions = await run(plan.requests)
    judged: list[Completion] = []
    if plan.judge is not None:
        to_judge = judge_requests(plan, completions)
        progress.total += len(to_judge)
        judged = await run(to_judge)
    return completions, judged


async def _run(
    plan: Plan,
    wire: Wire,
    concurrency: int,
    on_progress: Callable[[Progress], None],
    batch: bool = False,
) -> RunOutput:
    from advisor.client import build_client

    arms = [*plan.arms, *([plan.judge] if plan.judge else [])]
    keys = check_api_keys(arms, wire.mode)
    clients = {
        url: build_client(
            url,
            key,
            concurrency=concurrency,
            timeout=plan.study.run.timeout,
            transport=wire.transports.get(url),
        )
        for url, key in keys.items()
    }
    cache = ResponseCache(plan.out / "cache" / "responses.jsonl") if wire.uses_cache else None
    runner = Runner(
        clients,
        concurrency=concurrency,
        retry_deadline=plan.study.run.retry_deadline,
        cache=cache,
        max_spend=plan.max_spend,
        clock=wire.clock,
        on_progress=on_progress,
    )
    progress = Progress(total=len(plan.requests))
    # Beside the requests, not before them: the listing must not hold the first request back.
    listing = asyncio.ensure_future(_listed_models(clients) if wire.lists_models else _nothing())
    try:
        if batch:
            completions, judged = await _run_batches(
                plan, wire, clients, cache, progress, on_progress
            )
            stopped = False
        else:
            completions, judged = await _run_sync(plan, runner, progress)
            stopped = runner.stopped_at_cap
        listed = await listing
    finally:
        listing.cancel()  # when the run failed before the listing was awaited
        if cache is not None:
            cache.close()
        for client in clients.values():
            await client.close()
    from advisor.collate import RunOutput

    return RunOutput(completions, judged, progress, stopped, listed)


async def _nothing() -> dict[str, date]:
    return {}


async def _run_sync(
    plan: Plan, runner: Runner, progress: Progress
) -> tuple[list[Completion], list[Completion]]:
    """The candidates' requests, then the judge's."""
    completions = await runner.run(plan.requests, progress)
    judged: list[Completion] = []
    if plan.judge is not None and not runner.stopped_at_cap:
        to_judge = judge_requests(plan, completions)
        progress.total += len(to_judge)
        judged = await runner.run(to_judge, progress)
    return completions, judged


def evaluate(
    plan: Plan,
    wire: Wire | None = None,
    concurrency: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    batch: bool = False,
) -> Outcome:
    """Run a planned study and write its results; the caller maps the outcome to an exit code."""
    wire = wire or Wire()
    started = datetime.now(UTC)
    output = asyncio.run(
        _run(
            plan,
            wire,
            concurrency or plan.study.run.concurrency,
            Prefetch().after_first_answer(on_progress or (lambda p: None)),
            batch,
        )
    )
    from advisor.collate import summarize
    from advisor.decision import analyze
    from advisor.publish import publish

    results, rows = summarize(plan, output, wire.mode, started, datetime.now(UTC))
    results.analysis = analyze(
        results, replace(plan.assumptions, listed_shutdowns=results.listed_models)
    )
    path = publish(results, plan.out, rows)
    return Outcome(results, path)


def run_study(
    options: EvaluateOptions,
    progress: Callable[[int], AbstractContextManager[Callable[[Progress], None]]] | None = None,
) -> Outcome:
    """Plan, run (live, recording or replaying) and write a study: `advisor evaluate` whole.

    A replay reuses the recorded `as_of` when neither the study nor the options give one.
    """
    study = load_study(options.study_path)
    folder = fixtures_folder(study, options.fixtures)
    if options.mode == "replay" and options.as_of is None and study.as_of is None:
        from advisor.fixtures import recorded_as_of

        options = replace(options, as_of=recorded_as_of(folder))
    plan = plan_run(options, study)
    workers = options.concurrency or study.run.concurrency
    with (
        open_wire(plan, options.mode, folder, workers, options.batch) as wire,
        (progress or _no_progress)(len(plan.requests)) as update,
    ):
        return evaluate(
            plan, wire, concurrency=options.concurrency, on_progress=update, batch=options.batch
        )


@contextmanager
def _no_progress(total: int) -> Iterator[Callable[[Progress], None]]:
    yield lambda p: None

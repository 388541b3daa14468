"""`advisor evaluate`: the order of the stages, in one place.

plan (advisor.plan: everything checked before anything is sent) -> run (the runner over a live,
recording or replaying wire, then the judge if the scorer is one) -> collate (scores and
figures) -> analyse (advisor.decision) -> publish the run folder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.cache import ResponseCache
from advisor.calls import CallRequest, Completion, Progress
from advisor.errors import FixtureMissError, RefusedError
from advisor.folders import datasets_cache, fixtures_folder
from advisor.heap import frozen, kept_until_the_end
from advisor.leftovers import removed_on_bad_input
from advisor.plan import (
    JUDGE,
    EvaluateOptions,
    Mode,
    Plan,
    check_api_keys,
    judge_requests,
    plan_run,
    run_folder,
)
from advisor.prefetch import Prefetch
from advisor.rerecord import aside, rerecording
from advisor.run_facts import RunFacts, run_facts, save_run_facts
from advisor.runner import Runner
from advisor.study import Study, load_study

if TYPE_CHECKING:  # loaded while the requests are in flight (advisor.prefetch)
    from advisor import results as res
    from advisor.collate import RunOutput


@dataclass(frozen=True)
class Outcome:
    results: res.Results
    path: Path
    facts: RunFacts
    stopped: tuple[str, ...] = ()
    """Why candidates were stopped early, one line each (provider's message and a hint)."""
    listing_failed: tuple[str, ...] = ()
    """Endpoints whose models listing failed: their shutdown dates are the catalog's."""

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
    recorded_latencies: dict[str, float | None] | None = None
    """In a replay, the recorded latency of each request by tag, filled as they are served: a
    replay reports the model's latency when recorded, not the time it took to replay."""

    @property
    def uses_cache(self) -> bool:
        """Only live runs use the response cache: a recording must see every exchange, and a
        replay must depend on nothing but the fixtures."""
        return self.mode == "live"


@contextmanager
def open_wire(
    plan: Plan,
    mode: Mode,
    folder: Path,
    concurrency: int,
    batch: bool = False,
    fresh: bool = False,
) -> Iterator[Wire]:
    """The wire of a run: live, recording to `folder`, or replaying from it.

    Replay checks every request against the fixtures first: a request with no recording is an
    error naming its example, before anything runs. A `fresh` recording is written aside and
    replaces `folder` only when the run completes (advisor.rerecord).
    """
    if mode == "live":
        yield Wire()
        return
    from advisor import fixtures as fx
    from advisor.runner import VirtualClock

    redactor = fx.Redactor(plan.study.fixtures.redact)
    if mode == "record" and fresh:
        with rerecording(folder) as aside, open_wire(plan, mode, aside, concurrency) as wire:
            yield wire
        return
    with kept_until_the_end():  # megabytes of parsed JSON, no cycle (advisor.heap)
        store = fx.FixtureStore(folder)
    urls = {arm.base_url for arm in (*plan.arms, *([plan.judge] if plan.judge else []))}
    if mode == "record":
        from advisor.client import build_transport
        from advisor.record import RecordingTransport

        store.write_meta(plan.study.name, plan.as_of)
        transports = {
            url: RecordingTransport(store, redactor, build_transport(concurrency)) for url in urls
        }
        try:
            yield Wire("record", transports)
        finally:
            store.close()
        return
    checked: dict[str, str] = {}  # tag -> the key of its recording, checked here
    if batch:  # recorded by input file, not by request: a changed request changes its file
        from advisor.batch import find_batch_misses

        misses: list[Any] = find_batch_misses(store, plan.requests)
    else:
        keys = fx.recorded_keys(store, plan.requests, redactor)
        misses = fx.find_misses(store, plan.requests, redactor, keys)
        checked = {r.tag: k for r, k in zip(plan.requests, keys, strict=True) if k is not None}
    if misses:
        more = (
            f" (and {len(misses) - 1} more; see advisor fixtures check)" if len(misses) > 1 else ""
        )
        raise FixtureMissError(f"{folder}: {misses[0].describe()}{more}")
    from advisor.replay import replaying

    recorded_listing = any(e[-1].tag == fx.MODELS_TAG for e in store.by_key.values())
    with replaying(store, redactor, checked) as replay:
        yield Wire(
            "replay",
            dict.fromkeys(urls, replay.transport),  # every client: none reaches a socket
            clock=VirtualClock(),
            lists_models=recorded_listing,
            recorded_latencies=replay.latencies,
        )


def _batch_discounts(plan: Plan) -> Callable[[CallRequest], float]:
    """Each request's batch discount, as the cost model takes it (0 where no source gives one)."""
    from advisor.cost_per_call import known_batch_discount
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


async def run_requests(
    plan: Plan,
    wire: Wire,
    concurrency: int,
    on_progress: Callable[[Progress], None],
    batch: bool = False,
    listing_failed: list[str] | None = None,
) -> RunOutput:
    from advisor.answer_scores import AnswerScores
    from advisor.client import build_client
    from advisor.listing import listed_models, nothing_listed

    listing_failed = [] if listing_failed is None else listing_failed

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
        on_answer=(scores := AnswerScores(plan)),
    )
    progress = Progress(total=len(plan.requests))
    # Beside the requests, not before them: the listing must not hold the first request back.
    listing = asyncio.ensure_future(
        listed_models(clients, listing_failed) if wire.lists_models else nothing_listed()
    )
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

    halted = tuple(runner.halted.values())
    return RunOutput(completions, judged, progress, stopped, listed, halted, scores.scored)


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
    listing_failed: list[str] = []
    with frozen():  # the plan and a replay's fixtures live on: not rescanned (advisor.heap)
        output = asyncio.run(
            run_requests(
                plan,
                wire,
                concurrency or plan.study.run.concurrency,
                Prefetch().after_first_send(on_progress or (lambda p: None)),
                batch,
                listing_failed,
            )
        )
    with frozen():  # the end of the run: nothing alive now needs collecting
        return _finish(plan, wire, output, started, listing_failed)


def _finish(
    plan: Plan, wire: Wire, output: RunOutput, started: datetime, listing_failed: list[str]
) -> Outcome:
    """Score, analyse and write a run whose answers are in."""
    from advisor.collate import summarize
    from advisor.decision import analyze
    from advisor.publish import publish

    facts = run_facts(started, datetime.now(UTC))
    if wire.recorded_latencies is not None:
        output = replace(
            output,
            completions=_with_recorded_latency(
                output.completions, plan.requests, wire.recorded_latencies
            ),
        )
    stopped = _halt_lines(plan, output)
    results, rows = summarize(plan, output, wire.mode)
    if stopped:
        results.status = "partial"
    results.analysis = analyze(
        results, replace(plan.assumptions, listed_shutdowns=results.listed_models)
    )
    save_run_facts(facts, plan.out)
    path = publish(results, plan.out, rows)
    return Outcome(results, path, facts, stopped, tuple(listing_failed))


def _with_recorded_latency(
    completions: list[Completion],
    requests: Sequence[CallRequest],
    recorded: dict[str, float | None],
) -> list[Completion]:
    """Each answer with the latency recorded for its request (None where none was); a failed
    request has no latency, as in a live run."""
    tags = {(r.candidate, r.example_id, r.repeat): r.tag for r in requests}
    return [
        replace(c, latency_ms=recorded.get(tags[c.candidate, c.example_id, c.repeat]))
        if c.ok
        else c
        for c in completions
    ]


def _halt_lines(plan: Plan, output: RunOutput) -> tuple[str, ...]:
    """One line per stopped candidate; a refusal of every request is bad input (exit 2)."""
    key_envs = {arm.name: arm.api_key_env for arm in plan.arms}
    if plan.judge is not None:
        key_envs[JUDGE] = plan.judge.api_key_env
    lines = tuple(
        h.line(key_envs.get(h.candidate, key_envs.get(JUDGE, "the api_key_env")))
        for h in output.halted
    )
    if lines and not any(c.ok for c in output.completions):
        raise RefusedError("nothing was answered, nothing billed: " + "; ".join(lines))
    return lines


def run_study(
    options: EvaluateOptions,
    progress: Callable[[int], AbstractContextManager[Callable[[Progress], None]]] | None = None,
) -> Outcome:
    """Plan, run (live, recording or replaying) and write a study: `advisor evaluate` whole.

    A replay reuses the recorded `as_of` when neither the study nor the options give one.
    """
    study = load_study(options.study_path)
    folder = fixtures_folder(options.study_path, study.name, options.fixtures)
    made = (run_folder(options, study), folder, aside(folder), datasets_cache(options.study_path))
    with removed_on_bad_input(*made):
        return _run_study(options, study, folder, progress)


def _run_study(
    options: EvaluateOptions,
    study: Study,
    folder: Path,
    progress: Callable[[int], AbstractContextManager[Callable[[Progress], None]]] | None,
) -> Outcome:
    if options.mode == "replay" and options.as_of is None and study.as_of is None:
        from advisor.fixtures import recorded_as_of

        options = replace(options, as_of=recorded_as_of(folder))
    plan = plan_run(options, study)
    workers = options.concurrency or study.run.concurrency
    with (
        open_wire(plan, options.mode, folder, workers, options.batch, options.fresh) as wire,
        (progress or _no_progress)(len(plan.requests)) as update,
    ):
        return evaluate(
            plan, wire, concurrency=options.concurrency, on_progress=update, batch=options.batch
        )


@contextmanager
def _no_progress(total: int) -> Iterator[Callable[[Progress], None]]:
    yield lambda p: None

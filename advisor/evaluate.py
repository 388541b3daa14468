"""`advisor evaluate`: the order of the stages, in one place.

plan (study, eval set, scorer, templates, prices, keys, output folder, spend estimate: everything
that can be wrong is found here, before anything is sent) -> run (the runner, then the judge if
the scorer is one) -> score -> summarize -> write results.json and the per-example file.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from advisor import results as res
from advisor.analysis import Assumptions, training_cost
from advisor.cache import ResponseCache, request_key
from advisor.decision import analyze
from advisor.errors import FixtureMissError, InputError
from advisor.evalset import EvalSet, Example, load_evalset
from advisor.pricing import PriceOverride, call_prices
from advisor.prompts import PromptTemplate, load_template
from advisor.publish import publish
from advisor.runner import CallRequest, Completion, Prices, Progress, Runner
from advisor.scoring import JudgeScorer, LocalScorer, Scorer, build_scorer
from advisor.study import Candidate, Study, load_study
from advisor.usage import call_cost

Mode = Literal["live", "record", "replay"]
OPENAI_BASE_URL = "https://api.openai.com/v1"
JUDGE = "judge"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class EvaluateOptions:
    """What the command line adds to the study."""

    study_path: Path
    mode: Mode = "live"
    base_url: str | None = None
    """Overrides every candidate's (and the judge's) endpoint."""
    max_spend: float | None = None
    out: Path | None = None
    concurrency: int | None = None
    price_overrides: dict[str, PriceOverride] = field(default_factory=dict)
    """By model id, from --price."""
    as_of: date | None = None
    fixtures: Path | None = None
    """Fixtures folder for --record and --replay (default fixtures/<study name>)."""


@dataclass(frozen=True)
class Arm:
    """A candidate (or the judge) ready to run: endpoint, key variable and prices resolved."""

    name: str
    model: str
    base_url: str
    api_key_env: str
    prices: Prices
    price_source: str
    params: dict[str, Any]
    template: PromptTemplate | None


@dataclass(frozen=True)
class Plan:
    """A run checked end to end before anything is sent."""

    study: Study
    study_path: Path
    evalset: EvalSet
    scorer: Scorer
    arms: tuple[Arm, ...]
    judge: Arm | None
    requests: tuple[CallRequest, ...]
    estimate: float
    """Upper estimate of the run's cost in USD (requests already cached excluded)."""
    out: Path
    as_of: date
    max_spend: float | None
    price_overrides: dict[str, PriceOverride]
    training: dict[str, res.TrainingInfo]
    """Training-file estimates of the fine-tunes that name one."""

    @property
    def assumptions(self) -> Assumptions:
        return Assumptions(self.study, self.as_of, self.price_overrides)

    @property
    def examples(self) -> dict[str, Example]:
        return {e.id: e for e in self.evalset.examples}


@dataclass(frozen=True)
class Outcome:
    results: res.Results
    path: Path

    @property
    def exit_code(self) -> int:
        """0 when every example was answered; 1 when any is in error or the run stopped."""
        return 0 if self.results.status == "complete" and self.results.run.errors == 0 else 1


# --- plan ---------------------------------------------------------------------------------------


def _endpoint(configured: str | None, options: EvaluateOptions) -> str:
    return (options.base_url or configured or OPENAI_BASE_URL).rstrip("/")


def _arm(
    name: str,
    provider: str,
    model: str,
    *,
    fine_tuned: bool | None,
    overrides: PriceOverride | None,
    base_url: str,
    api_key_env: str,
    params: dict[str, Any],
    template: PromptTemplate | None,
) -> Arm:
    prices = call_prices(provider, model, fine_tuned=fine_tuned, overrides=overrides)
    return Arm(
        name,
        model,
        base_url,
        api_key_env,
        Prices(prices.input, prices.cached_input, prices.output),
        prices.source,
        params,
        template,
    )


def _candidate_arm(c: Candidate, base_dir: Path, options: EvaluateOptions) -> Arm:
    overrides = options.price_overrides.get(c.model) or c.prices
    return _arm(
        c.name,
        c.provider,
        c.model,
        fine_tuned=c.is_fine_tune,
        overrides=overrides,
        base_url=_endpoint(c.base_url, options),
        api_key_env=c.api_key_env,
        params=c.params,
        template=load_template(base_dir / c.template, c.template),
    )


def _estimate(model: str, messages: list[dict[str, str]], prices: Prices, max_out: int) -> float:
    from advisor.tokens import count_chat

    return call_cost(
        count_chat(messages, model), 0, max_out, prices.input, prices.cached_input, prices.output
    )


def _max_output(arm: Arm, study: Study) -> int:
    for key in ("max_completion_tokens", "max_tokens"):
        if isinstance(arm.params.get(key), int):
            return arm.params[key]
    return study.run.output_estimate_tokens


def _request(
    arm: Arm,
    example_id: str,
    repeat: int,
    messages: list,
    estimate: float,
    candidate: str | None = None,
) -> CallRequest:
    body = {"model": arm.model, "messages": messages, **arm.params}
    return CallRequest(
        candidate=candidate or arm.name,
        example_id=example_id,
        repeat=repeat,
        base_url=arm.base_url,
        body=body,
        key=request_key(arm.base_url, body, repeat),
        prices=arm.prices,
        estimate=estimate,
    )


def check_api_keys(arms: list[Arm], mode: Mode) -> dict[str, str]:
    """The key of each endpoint from its environment variable; missing ones fail here.

    A loopback endpoint (a local server) may go without a key. Keys stay in memory only.
    """
    keys: dict[str, str] = {}
    for arm in arms:
        key = os.environ.get(arm.api_key_env, "")
        if mode == "replay":
            key = "replay"
        elif not key:
            if urlsplit(arm.base_url).hostname not in _LOOPBACK:
                raise InputError(
                    f"candidate {arm.name!r}: environment variable {arm.api_key_env} is not set "
                    f"(the API key for {arm.base_url})"
                )
            key = "no-key"
        keys.setdefault(arm.base_url, key)
    return keys


def estimate_training(
    c: Candidate, base_dir: Path, evalset: EvalSet, assumptions: Assumptions
) -> res.TrainingInfo:
    """Check, count and price a fine-tune's training file; find the eval examples it holds."""
    from advisor.training import estimate

    overrides = assumptions.price_overrides.get(c.model) or c.prices
    found = estimate(
        base_dir / c.training_file,
        c.base_model or c.model,
        provider=c.provider,
        epochs=c.epochs,
        training_price=overrides.training if overrides else None,
        evalset=evalset,
    )
    return res.TrainingInfo(
        file=c.training_file,
        examples=found.examples,
        epochs=found.epochs,
        billed_tokens=found.billed_tokens,
        price_per_million=found.price_per_million,
        price_source=found.price_source,
        cost=found.cost,
        warnings=list(found.warnings),
        contaminated_ids=sorted(found.contaminated_ids),
    )


def plan_run(options: EvaluateOptions, study: Study | None = None) -> Plan:
    """Check everything that can be checked without sending a request."""
    path = options.study_path
    study = study or load_study(path)
    base_dir = path.parent
    evalset = load_evalset(study.evalset, base_dir, cache_dir=Path(".advisor-cache") / "datasets")
    scorer = build_scorer(study.scorer, base_dir=base_dir)
    for example in evalset.examples:
        try:
            scorer.check_expected(example.expected)
        except InputError as exc:
            raise InputError(f"{evalset.path}:{example.row}: {exc}") from None
    arms = tuple(_candidate_arm(c, base_dir, options) for c in study.candidates)
    judge = None
    if isinstance(scorer, JudgeScorer):
        cfg = scorer.config
        judge = _arm(
            JUDGE,
            cfg.provider,
            cfg.model,
            fine_tuned=None,
            overrides=options.price_overrides.get(cfg.model),
            base_url=_endpoint(cfg.base_url, options),
            api_key_env=cfg.api_key_env,
            params={"max_tokens": cfg.max_tokens},
            template=None,
        )
    requests = []
    estimate = 0.0
    out = options.out or (
        base_dir / study.run.out if study.run.out else Path("reports") / study.name
    )
    spends = options.mode != "replay"  # a replay costs nothing: no estimate to make
    cache = ResponseCache(out / "cache" / "responses.jsonl") if options.mode == "live" else None
    for arm in arms:
        max_out = _max_output(arm, study)
        for example in evalset.examples:
            messages = arm.template.render(example)
            cost = _estimate(arm.model, messages, arm.prices, max_out) if spends else 0.0
            if judge is not None and spends:
                judge_messages = scorer.judge_messages(example.inputs, example.expected, "")
                judge_max = _max_output(judge, study) + max_out  # the answer goes in the prompt
                cost += _estimate(judge.model, judge_messages, judge.prices, judge_max)
            for repeat in range(study.run.repeats):
                request = _request(arm, example.id, repeat, messages, cost)
                requests.append(request)
                if cache is None or cache.get(request.key) is None:
                    estimate += cost
    if cache is not None:
        cache.close()
    max_spend = options.max_spend if options.max_spend is not None else study.run.max_spend
    if max_spend is not None and estimate > max_spend:
        raise InputError(
            f"the run would cost up to ${estimate:,.4f}, over the spend cap of ${max_spend:,.4f}: "
            "nothing was sent (raise --max-spend or run fewer examples)"
        )
    check_api_keys([*arms, *([judge] if judge else [])], options.mode)
    res.prepare_out_dir(out)
    as_of = options.as_of or study.as_of or date.today()
    assumptions = Assumptions(study, as_of, options.price_overrides)
    training = {
        c.name: estimate_training(c, base_dir, evalset, assumptions)
        for c in study.challengers
        if c.is_fine_tune and c.training_file
    }
    for candidate in study.challengers:
        if candidate.is_fine_tune:  # fails now if it cannot be costed
            training_cost(candidate, assumptions, training.get(candidate.name))
    return Plan(
        study,
        path,
        evalset,
        scorer,
        arms,
        judge,
        tuple(requests),
        estimate,
        out,
        as_of,
        max_spend,
        options.price_overrides,
        training,
    )


# --- run ----------------------------------------------------------------------------------------


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
def open_wire(plan: Plan, mode: Mode, folder: Path, concurrency: int) -> Iterator[Wire]:
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
    misses = fx.find_misses(store, plan.requests, redactor)
    if misses:
        more = (
            f" (and {len(misses) - 1} more; see advisor fixtures check)" if len(misses) > 1 else ""
        )
        raise FixtureMissError(f"{folder}: {misses[0].describe()}{more}")
    recorded_listing = any(e[-1].tag == fx.MODELS_TAG for e in store.by_key.values())
    with fx.replaying(store, redactor):
        yield Wire("replay", clock=VirtualClock(), lists_models=recorded_listing)


@dataclass(frozen=True)
class RunOutput:
    """What the endpoints answered."""

    completions: list[Completion]
    judged: list[Completion]
    progress: Progress
    stopped: bool
    """Stopped at the spend cap."""
    listed_models: dict[str, date]


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
    import openai

    from advisor.client import TAG_HEADER
    from advisor.fixtures import MODELS_TAG

    found: dict[str, date] = {}
    for client in clients.values():
        try:
            response = await client.get(
                "/models", cast_to=httpx2.Response, options={"headers": {TAG_HEADER: MODELS_TAG}}
            )
            listing = json.loads(response.content).get("data") or []
        except (openai.APIError, ValueError, AttributeError):
            continue
        for model in listing:
            if isinstance(model, dict) and (when := _shutdown_date(model.get("shutdown_date"))):
                found[str(model.get("id"))] = when
    return found


async def _run(
    plan: Plan, wire: Wire, concurrency: int, on_progress: Callable[[Progress], None]
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
    try:
        listed = await _listed_models(clients) if wire.lists_models else {}
        completions = await runner.run(plan.requests, progress)
        judged: list[Completion] = []
        if plan.judge is not None and not runner.stopped_at_cap:
            judge_requests = _judge_requests(plan, completions)
            progress.total += len(judge_requests)
            judged = await runner.run(judge_requests, progress)
    finally:
        if cache is not None:
            cache.close()
        for client in clients.values():
            await client.close()
    return RunOutput(completions, judged, progress, runner.stopped_at_cap, listed)


def _judge_requests(plan: Plan, completions: list[Completion]) -> list[CallRequest]:
    assert plan.judge is not None and isinstance(plan.scorer, JudgeScorer)
    examples = plan.examples
    requests = []
    for c in completions:
        if c.output is None:
            continue
        example = examples[c.example_id]
        messages = plan.scorer.judge_messages(example.inputs, example.expected, c.output)
        estimate = _estimate(
            plan.judge.model, messages, plan.judge.prices, _max_output(plan.judge, plan.study)
        )
        requests.append(
            _request(
                plan.judge,
                c.example_id,
                c.repeat,
                messages,
                estimate,
                candidate=f"{JUDGE}.{c.candidate}",
            )
        )
    return requests


# --- score and summarize ------------------------------------------------------------------------


def _score(
    plan: Plan, completions: list[Completion], judged: list[Completion]
) -> dict[tuple[str, str, int], float | None]:
    """Score of each (candidate, example, repeat); None when there is no answer to score."""
    scores: dict[tuple[str, str, int], float | None] = {}
    examples = plan.examples
    if isinstance(plan.scorer, LocalScorer):
        for c in completions:
            if c.output is not None:
                example = examples[c.example_id]
                scores[c.candidate, c.example_id, c.repeat] = plan.scorer.score(
                    c.output, example.expected, example
                )
    elif isinstance(plan.scorer, JudgeScorer):
        for j in judged:
            candidate = j.candidate.removeprefix(f"{JUDGE}.")
            try:
                score = plan.scorer.parse_reply(j.output) if j.output is not None else None
            except ValueError:
                score = None
            scores[candidate, j.example_id, j.repeat] = score
    return scores


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _metrics_out(metrics: Any) -> res.MetricsOut:
    labels = None
    if metrics.labels is not None:
        labels = res.LabelTable(
            labels=list(metrics.labels.labels),
            per_class=[
                res.LabelRow(
                    label=r.label,
                    precision=r.precision,
                    recall=r.recall,
                    f1=r.f1,
                    support=r.support,
                )
                for r in metrics.labels.per_class
            ],
            confusion=[list(row) for row in metrics.labels.confusion],
        )
    return res.MetricsOut(
        primary=metrics.primary.name,
        value=metrics.primary.value,
        n=metrics.n,
        errors=metrics.errors,
        invalid=metrics.invalid,
        others=dict(metrics.others),
        labels=labels,
    )


def _candidate_result(
    plan: Plan,
    arm: Arm,
    completions: list[Completion],
    scores: dict,
    judge_spend: float,
    paid: bool,
) -> res.CandidateResult:
    """One candidate's figures; `paid` is False in replay, where nothing was spent."""
    candidate = next(c for c in plan.study.candidates if c.name == arm.name)
    examples = plan.examples
    mine = [c for c in completions if c.candidate == arm.name]
    ok = [c for c in mine if c.ok]
    metrics = plan.scorer.aggregate(
        [c.output for c in mine],
        [examples[c.example_id].expected for c in mine],
        [scores.get((c.candidate, c.example_id, c.repeat)) for c in mine],
    )
    n = len(ok)
    latencies = [c.latency_ms for c in ok if c.latency_ms is not None]
    return res.CandidateResult(
        name=arm.name,
        role=candidate.role,
        model=arm.model,
        provider=candidate.provider,
        fine_tune=candidate.is_fine_tune,
        base_model=candidate.base_model,
        base_url=arm.base_url,
        answered_models=dict(Counter(c.model or "?" for c in ok)),
        prices=res.PriceInfo(
            input=arm.prices.input,
            cached_input=arm.prices.cached_input,
            output=arm.prices.output,
            source=arm.price_source,
        ),
        requests=len(mine),
        errors=len(mine) - n,
        finish_reasons=dict(Counter(c.finish_reason or "none" for c in ok)),
        metrics=_metrics_out(metrics),
        usage=res.UsageMeans(
            calls=n,
            prompt_tokens=sum(c.usage.prompt_tokens for c in ok) / n if n else 0.0,
            cached_tokens=sum(c.usage.cached_tokens for c in ok) / n if n else 0.0,
            completion_tokens=sum(c.usage.completion_tokens for c in ok) / n if n else 0.0,
        ),
        cost_per_call=sum(c.cost for c in ok) / n if n else None,
        latency_ms=res.Latency(
            p50=_percentile(latencies, 0.5),
            p95=_percentile(latencies, 0.95),
            p99=_percentile(latencies, 0.99),
            mean=sum(latencies) / len(latencies) if latencies else None,
        ),
        spend=(sum(c.cost for c in mine if not c.from_cache) + judge_spend) * paid,
    )


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {
        "advisor": version("advisor"),
        "openai": version("openai"),
        "python": platform.python_version(),
    }


def summarize(
    plan: Plan, output: RunOutput, mode: Mode, started: datetime, finished: datetime
) -> tuple[res.Results, list[dict[str, Any]]]:
    """The run's results and its per-example rows (analysis not yet made)."""
    completions, judged, progress = output.completions, output.judged, output.progress
    stopped = output.stopped
    scores = _score(plan, completions, judged)
    judge_spend = Counter()
    for j in judged:
        judge_spend[j.candidate.removeprefix(f"{JUDGE}.")] += 0.0 if j.from_cache else j.cost
    candidates = [
        _candidate_result(plan, arm, completions, scores, judge_spend[arm.name], mode != "replay")
        for arm in plan.arms
    ]
    by_example: dict[str, dict[str, list[Completion]]] = {}
    for c in completions:
        by_example.setdefault(c.example_id, {}).setdefault(c.candidate, []).append(c)
    judge_errors = {
        (j.candidate.removeprefix(f"{JUDGE}."), j.example_id, j.repeat): j.error
        for j in judged
        if j.error
    }
    example_results, rows = [], []
    for example in plan.evalset.examples:
        calls: dict[str, list[res.Call]] = {}
        outputs: dict[str, list[dict[str, Any]]] = {}
        for name, done in by_example.get(example.id, {}).items():
            for c in done:
                error = c.error or judge_errors.get((name, example.id, c.repeat))
                call = res.Call(
                    repeat=c.repeat,
                    score=scores.get((name, example.id, c.repeat)),
                    prompt_tokens=c.usage.prompt_tokens,
                    cached_tokens=c.usage.cached_tokens,
                    completion_tokens=c.usage.completion_tokens,
                    finish_reason=c.finish_reason,
                    error=error,
                    latency_ms=c.latency_ms,
                )
                calls.setdefault(name, []).append(call)
                outputs.setdefault(name, []).append(
                    {**call.model_dump(), "output": c.output, "model": c.model, "cost": c.cost}
                )
        example_results.append(
            res.ExampleResult(
                id=example.id, metadata=example.metadata, expected=example.expected, calls=calls
            )
        )
        rows.append(
            {
                "id": example.id,
                "inputs": example.inputs,
                "expected": example.expected,
                "metadata": example.metadata,
                "candidates": outputs,
            }
        )
    errors = sum(1 for c in completions if c.error) + len(judge_errors)
    results = res.Results(
        status="partial" if stopped else "complete",
        name=plan.study.name,
        as_of=plan.as_of,
        note=plan.study.note,
        study=plan.study.model_dump(mode="json"),
        study_path=str(plan.study_path),
        evalset={
            "name": plan.evalset.name,
            "path": plan.evalset.path,
            "fingerprint": plan.evalset.fingerprint,
            "examples": len(plan.evalset),
        },
        scorer={
            "type": plan.study.scorer.type,
            "primary_metric": plan.scorer.primary_metric,
            "pass_fail": plan.scorer.pass_fail,
        },
        run=res.RunInfo(
            mode=mode,
            started=started.isoformat(timespec="seconds"),
            finished=finished.isoformat(timespec="seconds"),
            duration_s=round((finished - started).total_seconds(), 3),
            requests=progress.total,
            from_cache=progress.cached,
            retries=progress.retries,
            rate_limited=progress.rate_limited,
            errors=errors,
            spend=0.0 if mode == "replay" else progress.spent,
            max_spend=plan.max_spend,
            stopped_at_spend_cap=stopped,
            versions=_versions(),
        ),
        candidates=candidates,
        listed_models=output.listed_models,
        training=plan.training,
        examples=example_results,
    )
    return results, rows


def evaluate(
    plan: Plan,
    wire: Wire | None = None,
    concurrency: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> Outcome:
    """Run a planned study and write its results; the caller maps the outcome to an exit code."""
    wire = wire or Wire()
    started = datetime.now(UTC)
    output = asyncio.run(
        _run(plan, wire, concurrency or plan.study.run.concurrency, on_progress or (lambda p: None))
    )
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
        open_wire(plan, options.mode, folder, workers) as wire,
        (progress or _no_progress)(len(plan.requests)) as update,
    ):
        return evaluate(plan, wire, concurrency=options.concurrency, on_progress=update)


@contextmanager
def _no_progress(total: int) -> Iterator[Callable[[Progress], None]]:
    yield lambda p: None

"""From completions to results: scores, per-candidate figures and the per-example rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from advisor import results as res
from advisor.answer_scores import Key
from advisor.calls import Completion, Progress
from advisor.plan import JUDGE, Arm, Mode, Plan
from advisor.refusals import Halt
from advisor.scoring import JudgeScorer, LocalScorer
from advisor.simulated import notice, simulated


@dataclass(frozen=True)
class RunOutput:
    """What the endpoints answered."""

    completions: list[Completion]
    judged: list[Completion]
    progress: Progress
    stopped: bool
    """Stopped at the spend cap."""
    listed_models: dict[str, date]
    halted: tuple[Halt, ...] = ()
    """Candidates the runner stopped sending to: refused, or their endpoint unreachable."""
    early_scores: dict[Key, tuple[str, float | None]] = field(default_factory=dict)
    """Scores made as the answers arrived, with the text each scored (`AnswerScores`)."""


def _score(
    plan: Plan,
    completions: list[Completion],
    judged: list[Completion],
    early: dict[Key, tuple[str, float | None]],
) -> dict[Key, float | None]:
    """Score of each (candidate, example, repeat); None when there is no answer to score.

    `early` holds the scores made as the answers arrived (`AnswerScores`), each with the text it
    scored: one is taken only for that same text, and anything else is scored here.
    """
    scores: dict[Key, float | None] = {}
    examples = plan.examples
    if isinstance(plan.scorer, LocalScorer):
        for c in completions:
            if c.output is not None:
                key = (c.candidate, c.example_id, c.repeat)
                made = early.get(key)
                if made is not None and made[0] == c.output:
                    scores[key] = made[1]
                    continue
                example = examples[c.example_id]
                scores[key] = plan.scorer.score(c.output, example.expected, example)
    elif isinstance(plan.scorer, JudgeScorer):
        for j in judged:
            key = (j.candidate.removeprefix(f"{JUDGE}."), j.example_id, j.repeat)
            made = early.get(key)
            if made is not None and made[0] == j.output:
                scores[key] = made[1]
                continue
            try:
                score = plan.scorer.parse_reply(j.output) if j.output is not None else None
            except ValueError:
                score = None
            scores[key] = score
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
            source=arm.prices.source,
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
        # at the standard price: what production calls cost, even when the eval ran in batches
        cost_per_call=sum(arm.prices.cost(c.usage) for c in ok) / n if n else None,
        latency_ms=res.Latency(
            p50=_percentile(latencies, 0.5),
            p95=_percentile(latencies, 0.95),
            p99=_percentile(latencies, 0.99),
            mean=sum(latencies) / len(latencies) if latencies else None,
        ),
        spend=(sum(c.cost for c in mine if not c.from_cache) + judge_spend) * paid,
        simulated=simulated(c.simulated_accuracy for c in ok),
    )


def summarize(
    plan: Plan, output: RunOutput, mode: Mode
) -> tuple[res.Results, Iterator[dict[str, Any]]]:
    """The run's results and its per-example rows, made as they are read (analysis not yet
    made)."""
    completions, judged, progress = output.completions, output.judged, output.progress
    stopped = output.stopped
    scores = _score(plan, completions, judged, output.early_scores)
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
    example_results = []
    for example in plan.evalset.examples:
        calls: dict[str, list[res.Call]] = {}
        for name, done in by_example.get(example.id, {}).items():
            calls[name] = [
                res.Call(
                    repeat=c.repeat,
                    score=scores.get((name, example.id, c.repeat)),
                    prompt_tokens=c.usage.prompt_tokens,
                    cached_tokens=c.usage.cached_tokens,
                    completion_tokens=c.usage.completion_tokens,
                    finish_reason=c.finish_reason,
                    error=c.error or judge_errors.get((name, example.id, c.repeat)),
                    latency_ms=c.latency_ms,
                )
                for c in done
            ]
        example_results.append(
            res.ExampleResult(
                id=example.id, metadata=example.metadata, expected=example.expected, calls=calls
            )
        )
    errors = sum(1 for c in completions if c.error) + len(judge_errors)
    results = res.Results(
        status="partial" if stopped else "complete",
        name=plan.study.name,
        as_of=plan.as_of,
        note=plan.study.note,
        simulated_notice=notice(candidates),
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
            requests=progress.total,
            from_cache=progress.cached,
            retries=progress.retries,
            rate_limited=progress.rate_limited,
            errors=errors,
            spend=0.0 if mode == "replay" else progress.spent,
            max_spend=plan.max_spend,
            stopped_at_spend_cap=stopped,
        ),
        candidates=candidates,
        listed_models=output.listed_models,
        training=plan.training,
        examples=example_results,
    )
    return results, _rows(plan, example_results, by_example)


_CALL_FIELDS = tuple(f.name for f in fields(res.Call))
"""A call's fields, read directly: `dataclasses.asdict` deep-copies them, a tenth of a second
at 500 examples, and they are plain values."""


def _rows(
    plan: Plan,
    example_results: list[res.ExampleResult],
    by_example: dict[str, dict[str, list[Completion]]],
) -> Iterator[dict[str, Any]]:
    """examples.jsonl's rows, made one at a time as they are written: at 100,000 examples the
    whole list would hold every output twice over."""
    for example, result in zip(plan.evalset.examples, example_results, strict=True):
        done = by_example.get(example.id, {})
        yield {
            "id": example.id,
            "inputs": example.inputs,
            "expected": example.expected,
            "metadata": example.metadata,
            "candidates": {
                name: [
                    {
                        **{name: getattr(call, name) for name in _CALL_FIELDS},
                        "output": c.output,
                        "model": c.model,
                        "cost": c.cost,
                    }
                    for call, c in zip(calls, done[name], strict=True)
                ]
                for name, calls in result.calls.items()
            },
        }

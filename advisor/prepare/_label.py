"""`advisor label`: a candidate's answers to unlabelled inputs, written as training data.

Distillation: the incumbent (or any candidate of a study) answers the team's unlabelled inputs
and its answers become a chat-format training file for the fine-tune. The requests are built,
priced and capped as `advisor evaluate` builds them (advisor.plan), and sent by the same runner
over the same wire (advisor.evaluate): cached and resumable live, recorded and replayed offline.
Labelling is paid once, so its cost is written beside the file, for the study's
`[lifecycle] one_time_cost`.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from advisor.errors import InputError
from advisor.plan import EvaluateOptions, Mode, Plan, check_api_keys
from advisor.prompts import PromptTemplate, load_template
from advisor.study import Study, load_study

SUMMARY_VERSION = 1


@dataclass(frozen=True)
class LabelOptions:
    data: str
    """Unlabelled inputs with the study's id and input fields: a file or a Hub name."""
    study_path: Path
    candidate: str
    out: Path
    """The chat-format training file to write; its summary goes beside it."""
    mode: Mode = "live"
    fixtures: Path | None = None
    """Default fixtures/<study>.labels: apart from the study's eval recordings."""
    max_spend: float | None = None
    base_url: str | None = None
    template: Path | None = None
    """The training prompt; default the study's first fine-tune's template (what it will be
    served), else the labelling candidate's."""
    concurrency: int | None = None


@dataclass(frozen=True)
class Labelled:
    """What labelling produced and cost."""

    out: Path
    summary: Path
    examples: int
    labelled: int
    errors: tuple[str, ...]
    """Ids of the inputs with no answer (left out of the training file)."""
    cost: float
    estimate: float
    from_cache: int
    stopped: bool

    @property
    def exit_code(self) -> int:
        return 0 if not self.errors and not self.stopped else 1

    def lines(self) -> list[str]:
        lines = [
            f"{self.labelled:,} of {self.examples:,} inputs labelled "
            f"({self.from_cache:,} from the cache), cost ${self.cost:,.4f} "
            f"(estimated up to ${self.estimate:,.4f} before sending)",
            f"add ${self.cost:,.2f} to the study's [lifecycle] one_time_cost: "
            "labelling is paid once",
        ]
        if self.errors:
            shown = ", ".join(self.errors[:5]) + (" ..." if len(self.errors) > 5 else "")
            lines.append(f"{len(self.errors):,} inputs have no answer (rerun to retry): {shown}")
        if self.stopped:
            lines.append("stopped at the spend cap: rerun with a higher --max-spend to finish")
        lines.append(f"Wrote {self.out} and {self.summary}")
        return lines


def summary_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}.labelling.json")


def label(options: LabelOptions) -> Labelled:
    """Plan (everything checked, priced and capped), run, write the file and its summary."""
    study = load_study(options.study_path)
    plan, train_template = _plan(options, study)
    folder = options.fixtures or Path("fixtures") / f"{study.name}.labels"
    from advisor.evaluate import open_wire, run_requests

    workers = options.concurrency or study.run.concurrency
    with open_wire(plan, options.mode, folder, workers) as wire:
        output = asyncio.run(run_requests(plan, wire, workers, lambda progress: None))
    examples = plan.examples
    answered = {c.example_id: c for c in output.completions if c.ok}
    errors = tuple(e.id for e in plan.evalset.examples if e.id not in answered)
    records = [
        {
            "messages": [
                *train_template.render(examples[i]),
                {"role": "assistant", "content": answered[i].output},
            ]
        }
        for i in (e.id for e in plan.evalset.examples)
        if i in answered
    ]
    cost = sum(c.cost for c in output.completions)
    result = Labelled(
        out=options.out,
        summary=summary_path(options.out),
        examples=len(examples),
        labelled=len(records),
        errors=errors,
        cost=cost,
        estimate=plan.estimate,
        from_cache=sum(c.from_cache for c in output.completions),
        stopped=output.stopped,
    )
    _write(result, records, _summary(options, plan, result, output.completions))
    return result


def _plan(options: LabelOptions, study: Study) -> tuple[Plan, PromptTemplate]:
    from advisor.cache import ResponseCache
    from advisor.estimate import cost_estimate, max_output
    from advisor.plan import call_request, candidate_arm
    from advisor.prepare._prepare import DataFields, load_data
    from advisor.scoring import build_scorer

    base_dir = options.study_path.parent
    chosen = next((c for c in study.candidates if c.name == options.candidate), None)
    if chosen is None:
        names = ", ".join(repr(c.name) for c in study.candidates)
        raise InputError(f"{options.study_path}: no candidate {options.candidate!r} ({names})")
    fields = study.evalset
    # unlabelled data has no answer field: the id stands in for it, and is never used as one
    data = load_data(
        DataFields(options.data, fields.id, tuple(fields.inputs), fields.id), expected=fields.id
    )
    given = EvaluateOptions(options.study_path, options.mode, base_url=options.base_url)
    arm = candidate_arm(chosen, base_dir, given)
    assert arm.template is not None
    fine_tune = next((c for c in study.challengers if c.is_fine_tune), None)
    if options.template is not None:
        train_template = load_template(options.template)
    elif fine_tune is not None:
        train_template = load_template(base_dir / fine_tune.template, fine_tune.template)
    else:
        train_template = arm.template
    out_dir = Path(".advisor-cache") / "label" / study.name / re.sub(r"\W", "_", chosen.name)
    cache = ResponseCache(out_dir / "cache" / "responses.jsonl") if options.mode == "live" else None
    requests, estimate, max_out = [], 0.0, max_output(arm, study)
    for example in data.examples:
        messages = arm.template.render(example)
        train_template.render(example)  # a missing variable fails before anything is sent
        cost = (
            cost_estimate(arm.model, messages, arm.prices, max_out)
            if options.mode != "replay"
            else 0
        )
        request = call_request(arm, example.id, 0, messages, cost)
        requests.append(request)
        if cache is None or request.key not in cache:
            estimate += cost
    if cache is not None:
        cache.close()
    cap = options.max_spend if options.max_spend is not None else study.run.max_spend
    if cap is not None and estimate > cap:
        raise InputError(
            f"labelling would cost up to ${estimate:,.4f}, over the spend cap of ${cap:,.4f}: "
            "nothing was sent (raise --max-spend or label fewer inputs)"
        )
    check_api_keys([arm], options.mode)
    _check_out(options.out)
    plan = Plan(
        study,
        options.study_path,
        data,
        build_scorer(study.scorer, base_dir=base_dir),
        (arm,),
        None,
        tuple(requests),
        estimate,
        out_dir,
        study.as_of or date.today(),
        cap,
        {},
        {},
    )
    return plan, train_template


def _check_out(out: Path) -> None:
    if out.is_dir():
        raise InputError(f"{out}: is a folder; --out names the training file to write")
    if not out.parent.is_dir() and out.parent != Path(""):
        raise InputError(f"{out.parent}: no such folder")


def _summary(options: LabelOptions, plan: Plan, result: Labelled, completions) -> dict[str, Any]:
    arm = plan.arms[0]
    usage = {
        "prompt_tokens": sum(c.usage.prompt_tokens for c in completions),
        "completion_tokens": sum(c.usage.completion_tokens for c in completions),
    }
    return {
        "version": SUMMARY_VERSION,
        "study": plan.study.name,
        "candidate": arm.name,
        "model": arm.model,
        "source": {"path": options.data, "sha256": plan.evalset.fingerprint},
        "mode": options.mode,
        "examples": result.examples,
        "labelled": result.labelled,
        "errors": list(result.errors),
        "stopped_at_spend_cap": result.stopped,
        "usage": usage,
        "estimate_usd": round(result.estimate, 6),
        "cost_usd": round(result.cost, 6),
        "one_time_cost_usd": round(result.cost, 2),
        "note": "labelling is paid once: add one_time_cost_usd to [lifecycle] one_time_cost",
    }


def _write(result: Labelled, records: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    from advisor.errors import RunError
    from advisor.results import write_atomic
    from advisor.training import TrainingFileError, read_training_file

    if not records:
        raise RunError(f"{result.out}: no input was answered, so no training file was written")
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    write_atomic(result.out, text)
    try:
        read_training_file(result.out)  # the check estimate-training makes
    except TrainingFileError as exc:
        result.out.unlink()
        raise RunError(f"the answers make no valid training file: {exc}") from None
    write_atomic(result.summary, json.dumps(summary, indent=1, ensure_ascii=False) + "\n")

"""Planning a run: everything that can be wrong is found here, before anything is sent.

Study, eval set, scorer, templates, prices, API keys, output folder, training files and the spend
estimate are all checked; the result is a `Plan` the runner executes as it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from advisor.bounds import Usd, check_option
from advisor.cache import ResponseCache
from advisor.calls import CallRequest, Completion
from advisor.errors import InputError
from advisor.estimate import cost_estimate, max_output, prompt_estimates
from advisor.evalset import EvalSet, Example, load_evalset
from advisor.folders import datasets_cache, project_folder, reports_folder
from advisor.outdir import prepare_out_dir
from advisor.plan_training import training_estimates
from advisor.pricing import COMMAND_LINE, CallPrices, PriceOverride, call_prices
from advisor.prompts import PromptTemplate, load_template
from advisor.scoring import JudgeScorer, Scorer, build_scorer
from advisor.study import Candidate, Study, load_study
from advisor.tokencache import TokenCache

if TYPE_CHECKING:  # the cost model and results load after the first request is sent
    from advisor.analysis import Assumptions
    from advisor.training_info import TrainingInfo

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
    batch: bool = False
    """Send through each endpoint's Batch API (advisor.batch): the batch price, within 24 h."""
    fresh: bool = False
    """With --record: record everything again, into a folder beside the fixtures that replaces
    them only once the recording is complete."""


@dataclass(frozen=True)
class Arm:
    """A candidate (or the judge) ready to run: endpoint, key variable and prices resolved."""

    name: str
    model: str
    base_url: str
    api_key_env: str
    prices: CallPrices
    """USD per 1M tokens, with where each price came from."""
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
    """Upper estimate of the run's cost in USD (requests already cached excluded); 0 when no
    spend cap asks for one, since counting every prompt's tokens delays the first request."""
    out: Path
    as_of: date
    max_spend: float | None
    price_overrides: dict[str, PriceOverride]
    training: dict[str, TrainingInfo]
    """Training-file estimates of the fine-tunes that name one."""

    @property
    def assumptions(self) -> Assumptions:
        from advisor.analysis import Assumptions

        return Assumptions(self.study, self.as_of, self.price_overrides)

    @property
    def examples(self) -> dict[str, Example]:
        return {e.id: e for e in self.evalset.examples}


def _endpoint(configured: str | None, options: EvaluateOptions) -> str:
    url = (options.base_url or configured or OPENAI_BASE_URL).rstrip("/")
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url
        valid = valid and (parts.port or 1) > 0  # a port that is no number raises here
    except ValueError:
        valid = False
    if not valid:
        where = "--base-url" if options.base_url else "base_url"
        raise InputError(f"{where} {url!r} is not an http(s) URL (e.g. https://api.openai.com/v1)")
    return url


def _arm(
    name: str,
    provider: str,
    model: str,
    *,
    fine_tuned: bool | None,
    overrides: PriceOverride | None,
    overrides_from: str,
    base_url: str,
    api_key_env: str,
    params: dict[str, Any],
    template: PromptTemplate | None,
    priced_as: str | None = None,
) -> Arm:
    """`priced_as`: the catalog model an open-weight fine-tune is priced by (its base model)."""
    prices = call_prices(
        provider,
        priced_as or model,
        fine_tuned=fine_tuned,
        overrides=overrides,
        overrides_from=overrides_from,
    )
    return Arm(name, model, base_url, api_key_env, prices, params, template)


def candidate_arm(c: Candidate, base_dir: Path, options: EvaluateOptions) -> Arm:
    given = options.price_overrides.get(c.model)
    return _arm(
        c.name,
        c.provider,
        c.model,
        fine_tuned=c.is_fine_tune,
        overrides=given or c.prices,
        overrides_from=COMMAND_LINE if given else "the study",
        base_url=_endpoint(c.base_url, options),
        api_key_env=c.api_key_env,
        params=c.params,
        template=load_template(base_dir / c.template, c.template),
        priced_as=c.base_model,
    )


def call_request(
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
        elif not key.isprintable() or not key.isascii() or " " in key:
            # it would go out in a header: h11 refuses it, naming the whole header, key included
            raise InputError(
                f"candidate {arm.name!r}: environment variable {arm.api_key_env} holds a space, "
                "a line break or another character an API key cannot have"
            )
        keys.setdefault(arm.base_url, key)
    return keys


def run_folder(options: EvaluateOptions, study: Study) -> Path:
    """Where the run is written: --out, else the study's `[run] out`, else reports/<name> in
    the study's project folder (advisor.folders)."""
    if options.out:
        return options.out
    if study.run.out:
        return options.study_path.parent / study.run.out
    return reports_folder(options.study_path, study.name)


def check_scenarios(
    study: Study,
    arms: tuple[Arm, ...],
    requests: list[CallRequest],
    assumptions: Assumptions,
    training: dict[str, TrainingInfo],
) -> None:
    """Build every challenger's cost model before anything is sent, at the estimated cost per
    call: a figure it refuses fails the run now, not after the eval has been paid for."""
    from advisor.analysis import scenario, training_cost

    cost = {arm.name: 0.0 for arm in arms}
    for request in requests:
        cost[request.candidate] = max(cost[request.candidate], request.estimate)
    incumbent = study.incumbent
    assert incumbent is not None  # the study has exactly one
    for c in study.challengers:
        trained = training_cost(c, assumptions, training.get(c.name)) if c.is_fine_tune else None
        scenario(c, cost[incumbent.name], cost[c.name], None, assumptions, trained)


def plan_run(options: EvaluateOptions, study: Study | None = None, writes: bool = True) -> Plan:
    """Check everything that can be checked without sending a request; `writes=False` (a
    check of the fixtures) leaves the run folder alone."""
    path = options.study_path
    check_option("--max-spend", options.max_spend, Usd)
    study = study or load_study(path)
    base_dir = path.parent
    evalset = load_evalset(study.evalset, base_dir, cache_dir=datasets_cache(path))
    scorer = build_scorer(study.scorer, base_dir=base_dir)
    for example in evalset.examples:
        try:
            scorer.check_expected(example.expected)
        except InputError as exc:
            raise InputError(f"{evalset.path}:{example.row}: {exc}") from None
    arms = tuple(candidate_arm(c, base_dir, options) for c in study.candidates)
    judge = None
    if isinstance(scorer, JudgeScorer):
        cfg = scorer.config
        judge = _arm(
            JUDGE,
            cfg.provider,
            cfg.model,
            fine_tuned=None,
            overrides=options.price_overrides.get(cfg.model),
            overrides_from=COMMAND_LINE,
            base_url=_endpoint(cfg.base_url, options),
            api_key_env=cfg.api_key_env,
            params={"max_tokens": cfg.max_tokens},
            template=None,
        )
    requests = []
    estimate = 0.0
    out = run_folder(options, study)
    max_spend = options.max_spend if options.max_spend is not None else study.run.max_spend
    # Only a spend cap needs the estimate (a replay costs nothing).
    spends = options.mode != "replay" and max_spend is not None
    live = spends and options.mode == "live"  # the cache only takes what it holds off the estimate
    cache = ResponseCache(out / "cache" / "responses.jsonl") if live else None
    tokens = TokenCache(project_folder(path) / ".advisor-cache" / "tokens")
    asked = []  # the judge's prompts, before the answer goes in
    if judge is not None and spends:
        asked = [scorer.judge_messages(e.inputs, e.expected, "") for e in evalset.examples]
    for arm in arms:
        max_out = max_output(arm, study)
        prompts = [arm.template.render(example) for example in evalset.examples]
        costs = [0.0] * len(prompts)
        if spends:
            costs = prompt_estimates(arm, prompts, max_out, tokens)
        if judge is not None and spends:
            judge_max = max_output(judge, study) + max_out  # the answer goes in the prompt
            judged = prompt_estimates(judge, asked, judge_max, tokens)
            costs = [a + b for a, b in zip(costs, judged, strict=True)]
        for example, messages, cost in zip(evalset.examples, prompts, costs, strict=True):
            for repeat in range(study.run.repeats):
                request = call_request(arm, example.id, repeat, messages, cost)
                requests.append(request)
                if cache is None or request.key not in cache:
                    estimate += cost
    if cache is not None:
        cache.close()
    if max_spend is not None and estimate > max_spend:
        raise InputError(
            f"the run would cost up to ${estimate:,.4f}, over the spend cap of ${max_spend:,.4f}: "
            "nothing was sent (raise --max-spend or run fewer examples)"
        )
    check_api_keys([*arms, *([judge] if judge else [])], options.mode)
    # Every challenger's cost model is built before anything is sent (exit 2 sends nothing).
    from advisor.analysis import Assumptions
    from advisor.cost_per_call import batch_discount

    as_of = options.as_of or study.as_of or date.today()
    assumptions = Assumptions(study, as_of, options.price_overrides)
    training = training_estimates(study, base_dir, evalset, options, assumptions, tokens)
    if study.traffic.batch_share:  # a production batch price nobody knows fails now
        for candidate in study.candidates:
            batch_discount(candidate, assumptions)
    check_scenarios(study, arms, requests, assumptions, training)
    if writes:  # every check has passed: what was counted is kept, the run folder made
        tokens.save()
        prepare_out_dir(out)
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


def judge_requests(plan: Plan, completions: list[Completion]) -> list[CallRequest]:
    """The judge's request for every answer, once the candidates have answered."""
    assert plan.judge is not None and isinstance(plan.scorer, JudgeScorer)
    examples = plan.examples
    requests = []
    for c in completions:
        if c.output is None:
            continue
        example = examples[c.example_id]
        messages = plan.scorer.judge_messages(example.inputs, example.expected, c.output)
        estimate = cost_estimate(
            plan.judge.model, messages, plan.judge.prices, max_output(plan.judge, plan.study)
        )
        requests.append(
            call_request(
                plan.judge,
                c.example_id,
                c.repeat,
                messages,
                estimate,
                candidate=f"{JUDGE}.{c.candidate}",
            )
        )
    return requests

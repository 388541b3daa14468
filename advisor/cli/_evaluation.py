"""The commands that run a study (evaluate), its simulated endpoint and its recordings.

Kept apart from the cost commands, which call no model, and from data preparation.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from advisor.cli._shared import as_of_day, err, invocation, out, price_overrides
from advisor.gate import FailOn

if TYPE_CHECKING:  # imported inside the commands that use them, for a fast start-up
    from advisor.plan import EvaluateOptions
    from advisor.results import Results


def evaluate(
    study: Annotated[Path, typer.Argument(help="The study file (TOML).")],
    base_url: Annotated[
        str | None, typer.Option(help="Send every candidate's requests to this endpoint.")
    ] = None,
    max_spend: Annotated[
        float | None, typer.Option(help="Refuse or stop the run before it spends this, USD.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Run folder (default reports/<study name>).")
    ] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight.", min=1)] = None,
    price: Annotated[
        list[str] | None,
        typer.Option(help="MODEL=INPUT,CACHED,OUTPUT in USD per 1M tokens; repeatable."),
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Day 0 of the cost model (ISO date).")] = None,
    record: Annotated[
        bool, typer.Option("--record", help="Call the endpoints and record every exchange.")
    ] = False,
    replay: Annotated[
        bool, typer.Option("--replay", help="Serve every request from the fixtures, offline.")
    ] = False,
    re_record: Annotated[
        bool,
        typer.Option(
            "--re-record",
            help="Record everything again (--record re-uses what is recorded); the new fixtures "
            "replace the old only when the run completes.",
        ),
    ] = False,
    fixtures: Annotated[
        Path | None, typer.Option(help="Fixtures folder (default fixtures/<study name>).")
    ] = None,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="Send through the providers' Batch API: the batch price, answers within 24 h; "
            "rerun the same command to pick up batches in flight or retry what has no answer.",
        ),
    ] = False,
    fail_on: Annotated[
        list[FailOn] | None, typer.Option(help="Exit 1 when this holds (CI); repeatable.")
    ] = None,
    expect_verdict: Annotated[
        str | None, typer.Option(help="Exit 1 unless the verdict is this (CI).")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", help="No live progress line (it shows on a terminal only).")
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="results.json that --fail-on regression compares against (default: the run "
            "folder's results.json as it was before this run, if any)."
        ),
    ] = None,
) -> int:
    """Run the eval set through every candidate, score it and write results.json."""
    from advisor.errors import InputError
    from advisor.evaluate import EvaluateOptions, run_study
    from advisor.progress import progress_bar

    record = record or re_record
    if record and replay:
        raise InputError("choose --record (or --re-record) or --replay, not both")
    options = EvaluateOptions(
        study_path=study,
        mode="record" if record else "replay" if replay else "live",
        base_url=base_url,
        max_spend=max_spend,
        out=out_dir,
        concurrency=concurrency,
        price_overrides=price_overrides(price),
        as_of=as_of_day(as_of) if as_of else None,
        fixtures=fixtures,
        batch=batch,
        fresh=re_record,
    )
    before = _baseline(options, baseline) if FailOn.regression in (fail_on or []) else None
    try:
        outcome = run_study(options, lambda total: progress_bar(err, total, quiet))
    except KeyboardInterrupt:
        from advisor.interrupted import kept_line

        err.print(kept_line(options, invocation), markup=False, soft_wrap=True)
        return 130
    from advisor.summary import run_lines

    for line in run_lines(outcome):
        out.print(line, markup=False)
    for line in outcome.stopped:
        err.print(f"stopped: {line}", markup=False, soft_wrap=True)
    from advisor.gate import failures

    failed = failures(outcome.results, fail_on or [], expect_verdict, before)
    for line in failed:
        err.print(f"fail: {line}", markup=False, soft_wrap=True)
    return 1 if failed else outcome.exit_code


def _baseline(options: EvaluateOptions, given: Path | None) -> Results | None:
    """The results --fail-on regression compares against, read before the run replaces them."""
    from advisor import results as res
    from advisor.plan import run_folder
    from advisor.study import load_study

    if given is not None:
        return res.load(given)
    path = run_folder(options, load_study(options.study_path)) / res.RESULTS_FILE
    return res.load(path) if path.exists() else None


def simulate(
    config: Annotated[Path, typer.Argument(help="Simulator config (TOML).")],
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 0,
) -> None:
    """Serve a local OpenAI-compatible simulated endpoint (for tests, demos and fixtures).

    CONFIG keys (TOML, closed to unknown keys): models.<id>: accuracy, mode (answer or judge),
    latency_ms, jitter_ms, prompt_cache, served_model, shutdown_date, owned_by, rpm, tpm;
    answer_key (key = answer, inline); answer_file: path, key_field, answer_field; labels;
    key_pattern; judge_pattern; require_api_key; rpm; tpm; burst_seconds; faults: rate, kinds
    (429, 500, 503, drop, malformed), max_per_request, retry_after_s; batch: validating_polls,
    in_progress_polls, finalizing_polls, failure_rate, expire_after_polls, expiring_batches,
    max_requests. The README describes each one.
    """
    from advisor.errors import InputError
    from advisor.simulator import SimConfig, serve

    try:
        serve(
            SimConfig.from_toml(config),
            host,
            port,
            on_listening=lambda url: out.print(url, markup=False),
        )
    except OSError as exc:
        raise InputError(f"cannot serve on {host}:{port}: {exc.strerror}") from None


def fixtures_check(
    study: Annotated[Path, typer.Argument(help="The study file (TOML).")],
    fixtures: Annotated[
        Path | None, typer.Option(help="Fixtures folder (default fixtures/<study name>).")
    ] = None,
    batch: Annotated[
        bool, typer.Option("--batch", help="Check a recording made with --batch (by input file).")
    ] = False,
) -> int:
    """List the study's requests with no recording and the recordings no request uses."""
    from advisor import fixtures as fx
    from advisor.evaluate import EvaluateOptions, plan_run
    from advisor.folders import fixtures_folder
    from advisor.study import load_study

    loaded = load_study(study)
    folder = fixtures_folder(study, loaded.name, fixtures)
    plan = plan_run(EvaluateOptions(study_path=study, mode="replay"), loaded, writes=False)
    store = fx.FixtureStore(folder)
    redactor = fx.Redactor(loaded.fixtures.redact)
    if batch:  # recorded by batch input file: one changed request misses its whole file
        from advisor.batch import find_batch_misses

        files = find_batch_misses(store, plan.requests)
        missing = [m.describe() for m in files]
        missed = sum(len(m.file.custom_ids) for m in files)
        unused = None  # an input file no request makes cannot be told from its sha256
    else:
        missing = [m.describe() for m in fx.find_misses(store, plan.requests, redactor)]
        unused = fx.unused_recordings(store, plan.requests, redactor)
        missed = len(missing)
    for line in missing:
        out.print(f"missing: {line}", markup=False)
    for exchange in unused or []:
        out.print(f"unused: {exchange.tag} ({exchange.method} {exchange.path})", markup=False)
    counted = f"{len(unused)} unused recordings" if unused is not None else "unused not checked"
    out.print(
        f"{len(plan.requests)} requests, {len(plan.requests) - missed} recorded, "
        f"{missed} missing, {counted} in {folder}"
    )
    return 1 if missing else 0

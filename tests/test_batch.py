"""Evaluating through the Batch API: the same answers as the synchronous run at the batch price,
batches picked up after an interruption, what was paid for kept, the rest retried, and the whole
flow recorded and replayed offline."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_socket import disable_socket, enable_socket

from advisor import fixtures as fx
from advisor.batch import BatchOptions, Limits, find_batch_misses, run_batches
from advisor.batch._files import lines, parse_result, write_inputs
from advisor.cache import ResponseCache
from advisor.calls import CallRequest, Completion, Progress
from advisor.client import TAG_HEADER, build_client, build_transport
from advisor.errors import FixtureMissError
from advisor.plan import EvaluateOptions, Plan, plan_run
from advisor.pricing import CallPrices as Prices
from advisor.record import RecordingTransport
from advisor.replay import replaying
from advisor.runner import Runner, VirtualClock
from advisor.simulator import running
from tests.conftest import sim_config

FAST = BatchOptions(poll_interval=1.0, max_poll_interval=60.0, discount=0.5)


class Stop(Exception):
    """Stands for a run killed while its batches are in flight."""


def _plan(study_dir: Path, base_url: str) -> Plan:
    return plan_run(EvaluateOptions(study_path=study_dir / "study.toml", base_url=base_url))


def _batch(
    plan: Plan,
    options: BatchOptions = FAST,
    *,
    key: str = "test-key",
    transport_for=None,
    cache: ResponseCache | None = None,
    clock: VirtualClock | None = None,
    on_progress=None,
) -> list[Completion]:
    """`run_batches` over the plan's requests with clients as `advisor evaluate` builds them."""

    async def go() -> list[Completion]:
        urls = {r.base_url for r in plan.requests}
        clients = {
            url: build_client(
                url,
                key,
                concurrency=4,
                timeout=30,
                transport=transport_for() if transport_for else None,
            )
            for url in urls
        }
        try:
            return await run_batches(
                plan.requests,
                clients,
                plan.out,
                options,
                cache=cache,
                clock=clock or VirtualClock(),
                on_progress=on_progress,
            )
        finally:
            for client in clients.values():
                await client.close()

    return asyncio.run(go())


def _by_call(completions: list[Completion]) -> dict[tuple[str, str, int], Completion]:
    return {(c.candidate, c.example_id, c.repeat): c for c in completions}


def _state(plan: Plan, name: str = "batches.json") -> dict:
    return json.loads((plan.out / name).read_text())


def test_a_batch_run_gives_the_synchronous_answers_at_the_batch_price(study_dir):
    with running(sim_config(study_dir)) as server:
        plan = _plan(study_dir, server.base_url)
        progress: list[int] = []
        batched = _batch(plan, on_progress=lambda p: progress.append(p.done))
        assert server.stats.ok == 0 and server.stats.batches_created == 2  # one per model

        async def synchronous() -> list[Completion]:
            client = build_client(server.base_url, "k", concurrency=8, timeout=30)
            runner = Runner({server.base_url: client}, concurrency=8, retry_deadline=30, cache=None)
            try:
                return await runner.run(plan.requests, Progress(total=len(plan.requests)))
            finally:
                await client.close()

        live = asyncio.run(synchronous())
    assert [(c.candidate, c.example_id, c.repeat) for c in batched] == [
        (r.candidate, r.example_id, r.repeat) for r in plan.requests
    ]
    examples = plan.examples
    live_by_call = _by_call(live)
    for c in batched:
        twin = live_by_call[c.candidate, c.example_id, c.repeat]
        assert c.ok and c.output == twin.output and c.finish_reason == twin.finish_reason
        assert c.usage.prompt_tokens == twin.usage.prompt_tokens
        assert c.usage.completion_tokens == twin.usage.completion_tokens
        assert c.model == twin.model and c.latency_ms is None and not c.from_cache
        request = next(r for r in plan.requests if r.tag == f"{c.candidate}/{c.example_id}/0")
        assert c.cost == pytest.approx(request.prices.cost(c.usage) * 0.5)
    scores = {
        name: [
            plan.scorer.score(c.output, examples[c.example_id].expected, examples[c.example_id])
            for c in completions
        ]
        for name, completions in (("batch", batched), ("live", live))
    }
    assert scores["batch"] == scores["live"] and 0 < sum(scores["batch"]) < len(batched)
    assert progress == sorted(progress) and progress[-1] == len(plan.requests)
    state = _state(plan)
    assert {b["status"] for b in state["batches"]} == {"completed"}
    assert {r["outcome"] for r in state["requests"].values()} == {"ok"}
    assert not (plan.out / "batch-inputs").exists()  # input files go once uploaded


def test_requests_are_split_by_model_count_and_size(study_dir):
    with running(sim_config(study_dir)) as server:
        plan = _plan(study_dir, server.base_url)
        done = _batch(plan, BatchOptions(poll_interval=0.0, limits=Limits(max_requests=25)))
        assert all(c.ok for c in done) and server.stats.batches_created == 6  # 25 + 25 + 10, twice
    files = write_inputs(plan.requests, study_dir / "inputs", Limits(max_bytes=40_000))
    assert len({(f.base_url, f.model) for f in files}) == 2
    for file in files:
        assert file.size <= 40_000 and file.path.stat().st_size == file.size
        models = {json.loads(line)["body"]["model"] for line in file.path.read_bytes().splitlines()}
        assert models == {file.model}
    assert sorted(cid for f in files for cid in f.custom_ids) == sorted(
        r.tag for r in plan.requests
    )


def test_an_interrupted_run_picks_up_its_batches_and_creates_none(study_dir):
    config = sim_config(study_dir, batch={"in_progress_polls": 3})
    with running(config) as server:
        plan = _plan(study_dir, server.base_url)
        polled = []

        def stop_after_first_poll(p: Progress) -> None:
            polled.append(p.done)
            if server.stats.requests > 4:  # 2 uploads, 2 creations, then polls
                raise Stop

        with pytest.raises(Stop):
            _batch(plan, on_progress=stop_after_first_poll)
        state = _state(plan)
        assert len(state["batches"]) == 2
        assert {b["status"] for b in state["batches"]} <= {"validating", "in_progress"}
        assert {r["outcome"] for r in state["requests"].values()} == {"pending"}

        done = _batch(plan)
        assert server.stats.batches_created == 2 and server.stats.files_uploaded == 2
        assert all(c.ok for c in done) and len(done) == len(plan.requests)
        assert set(server.stats.batch_requests.values()) == {1}  # every request answered once


@pytest.mark.parametrize("with_cache", [True, False])
def test_an_expired_batch_keeps_what_it_answered_and_a_rerun_sends_only_the_rest(
    study_dir, with_cache
):
    # poll 1 validating, poll 2 in progress (a quarter processed), poll 3 expired
    batch = {"in_progress_polls": 4, "expire_after_polls": 3, "expiring_batches": 2}
    with running(sim_config(study_dir, batch=batch)) as server:
        plan = _plan(study_dir, server.base_url)
        cache = ResponseCache(plan.out / "cache.jsonl") if with_cache else None
        first = _batch(plan, cache=cache)
        answered = {c.example_id + c.candidate for c in first if c.ok}
        assert len(answered) == 30  # a quarter of each model's 60
        for c in first:
            if not c.ok:
                assert "batch_expired" in c.error and "run the same command again" in c.error
        assert sorted(b["status"] for b in _state(plan)["batches"]) == ["expired", "expired"]
        assert server.stats.batches_created == 2

        second = _batch(plan, cache=cache)
        assert all(c.ok for c in second)
        assert server.stats.batches_created == 4
        assert set(server.stats.batch_requests.values()) == {1}  # none answered twice
        again = _by_call(second)
        for c in first:
            if c.ok:
                kept = again[c.candidate, c.example_id, c.repeat]
                assert kept.output == c.output and kept.from_cache  # paid by the first run
        if cache is not None:
            cache.close()
        outcomes = {r["outcome"] for r in _state(plan)["requests"].values()}
        assert outcomes == {"ok"}


def test_per_request_failures_are_reported_and_retried_alone(study_dir):
    with running(sim_config(study_dir, batch={"failure_rate": 0.25})) as server:
        plan = _plan(study_dir, server.base_url)
        first = _batch(plan)
        failed = [c for c in first if not c.ok]
        assert 10 < len(failed) < 50
        assert all(c.error.startswith("HTTP 500: The server had an error") for c in failed)
        second = _batch(plan)
        retried = {k for k, n in server.stats.batch_requests.items() if n > 1}
        assert retried == {f"{c.candidate}/{c.example_id}/{c.repeat}" for c in failed}
        assert server.stats.batches_created == 4
        still = [c for c in second if not c.ok]  # a retry can fail again, but fewer
        assert len(still) < len(failed)


def test_refused_requests_and_failed_batches_are_errors_with_their_cause(study_dir):
    config = sim_config(study_dir).model_copy(update={"models": {}})  # every model unknown
    with running(config) as server:
        plan = _plan(study_dir, server.base_url)
        done = _batch(plan)
    assert not any(c.ok for c in done)
    assert "HTTP 404: The model" in done[0].error and "does not exist" in done[0].error

    with running(sim_config(study_dir, batch={"max_requests": 50})) as server:
        done = _batch(_plan(study_dir, server.base_url))
    assert not any(c.ok for c in done)
    assert "ended failed without a result for this request (too_many_requests" in done[0].error


def _recorded(study_dir: Path, base_url: str, key: str, **kwargs) -> list[Completion]:
    store = fx.FixtureStore(study_dir / "fixtures")
    redactor = fx.Redactor()
    plan = _plan(study_dir, base_url)
    try:
        return _batch(
            plan,
            BatchOptions(poll_interval=1.0, discount=0.5, state_file="batches-record.json"),
            key=key,
            transport_for=lambda: RecordingTransport(store, redactor, build_transport(4)),
            **kwargs,
        )
    finally:
        store.close()


def test_a_recorded_batch_run_replays_offline(study_dir):
    key = "sk-" + secrets.token_urlsafe(32)
    with running(sim_config(study_dir, require_api_key=True)) as server:
        base_url = server.base_url
        with pytest.raises(Stop):  # an interrupted recording, picked up by the next command
            _recorded(
                study_dir,
                base_url,
                key,
                on_progress=lambda p: server.stats.requests > 5 and _raise(Stop()),
            )
        recorded = _recorded(study_dir, base_url, key)
        assert server.stats.batches_created == 2
    folder = study_dir / "fixtures"
    stored = b"".join(p.read_bytes() for p in folder.glob("*.jsonl"))
    assert key.encode() not in stored and b"Bearer" not in stored
    exchanges = [json.loads(line) for line in (folder / "batch.jsonl").read_text().splitlines()]
    uploads = [e for e in exchanges if e["tag"].startswith("batch/upload/")]
    assert len(uploads) == 2
    form = uploads[0]["request"]["body"]["multipart"]
    assert form["purpose"] == "batch" and set(form["file"]) == {"filename", "bytes", "sha256"}
    assert form["file"]["sha256"] in uploads[0]["tag"]

    plan = _plan(study_dir, base_url)
    store = fx.FixtureStore(folder)
    assert find_batch_misses(store, plan.requests) == []
    clock = VirtualClock()
    started = time.perf_counter()
    disable_socket(allow_unix_socket=True)  # loopback blocked too; no server is running
    try:
        with replaying(store, fx.Redactor()) as replay:
            options = BatchOptions(state_file=None, discount=0.5)
            replayed = _batch(plan, options, transport_for=lambda: replay.transport, clock=clock)
    finally:
        enable_socket()
    assert time.perf_counter() - started < 20 and clock.now() >= 1.0  # waited, virtually
    assert [(c.output, c.usage, c.cost, c.error) for c in replayed] == [
        (c.output, c.usage, c.cost, c.error) for c in recorded
    ]
    assert not (plan.out / "batches.json").exists()  # a replay writes no state


def _raise(exc: Exception) -> None:
    raise exc


def test_a_polled_get_past_its_recordings_serves_the_last_and_a_post_is_a_miss(study_dir):
    with running(sim_config(study_dir)) as server:
        base_url = server.base_url
        _recorded(study_dir, base_url, "k")
    store = fx.FixtureStore(study_dir / "fixtures")
    batch_id = next(
        attempts[0].tag.split("/")[-1]
        for attempts in store.by_key.values()
        if attempts[0].tag.startswith("batch/poll/")
    )

    async def poll_past_then_create(transport) -> tuple[str, str]:
        client = build_client(base_url, "replay", concurrency=1, timeout=5, transport=transport)
        try:
            tag = {TAG_HEADER: f"batch/poll/{batch_id}"}
            statuses = []
            for _ in range(12):  # more polls than were recorded
                statuses.append((await client.batches.retrieve(batch_id, extra_headers=tag)).status)
            await client.batches.create(
                input_file_id="file-never",
                endpoint="/v1/chat/completions",
                completion_window="24h",
                extra_headers={TAG_HEADER: "batch/create/file-never"},
            )
        except Exception as exc:  # the miss answers 599
            return statuses[-1], type(exc).__name__
        finally:
            await client.close()
        return statuses[-1], ""

    disable_socket(allow_unix_socket=True)
    try:
        with (
            pytest.raises(FixtureMissError, match="batch/create/file-never"),
            replaying(store, fx.Redactor()) as replay,
        ):
            last, error = asyncio.run(poll_past_then_create(replay.transport))
            assert last == "completed" and error == "InternalServerError"
    finally:
        enable_socket()


def test_a_changed_example_is_a_batch_miss_naming_its_candidate(study_dir):
    with running(sim_config(study_dir)) as server:
        base_url = server.base_url
        _recorded(study_dir, base_url, "k")
    lines_ = (study_dir / "ev.jsonl").read_text(encoding="utf-8").splitlines()
    row = json.loads(lines_[3])
    row["text"] += " (edited)"
    lines_[3] = json.dumps(row, ensure_ascii=False)
    (study_dir / "ev.jsonl").write_text("\n".join(lines_) + "\n", encoding="utf-8")
    plan = _plan(study_dir, base_url)
    misses = find_batch_misses(fx.FixtureStore(study_dir / "fixtures"), plan.requests)
    assert len(misses) == 2  # each model's file changed
    assert "no recorded batch for candidate 'incumbent'" in misses[0].describe()
    assert fx.unused_recordings(fx.FixtureStore(study_dir / "fixtures"), [], fx.Redactor()) == []


def test_multipart_bodies_are_keyed_by_fields_and_file_hash():
    def form(boundary: str, data: bytes) -> tuple[bytes, str]:
        body = (
            (
                f"--{boundary}\r\n"
                'Content-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
                f"--{boundary}\r\n"
                'Content-Disposition: form-data; name="file"; filename="in.jsonl"\r\n'
                "Content-Type: application/jsonl\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return body, f"multipart/form-data; boundary={boundary}"

    data = b'{"custom_id": "a"}\r\n--not-the-boundary\r\n'
    one, two = form("abc123", data), form("zzz999", data)
    assert one[0] != two[0]
    assert fx.request_body(*one) == fx.request_body(*two)
    assert fx.request_body(*one) == {
        "multipart": {
            "purpose": "batch",
            "file": {
                "filename": "in.jsonl",
                "bytes": len(data),
                "sha256": __import__("hashlib").sha256(data).hexdigest(),
            },
        }
    }
    assert fx.request_body(b"", None) is None
    assert fx.request_body(b'{"a": 1}', "application/json") == {"a": 1}


def _requests(n: int) -> Iterator[CallRequest]:
    prices = Prices(1.0, 0.5, 2.0)
    for i in range(n):
        body = {"model": "m", "messages": [{"role": "user", "content": f"Ticket: {i} " * 200}]}
        yield CallRequest("c", f"e{i:06d}", 0, "http://x/v1", body, prices, 0.0)


def test_input_files_are_written_and_results_read_in_bounded_memory(tmp_path):
    """Memory holds the custom ids (the state needs them), never the files' lines."""
    tracemalloc.start()
    try:
        files = write_inputs(_requests(10_000), tmp_path, Limits(max_requests=2_500))
        written_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        held = tracemalloc.get_traced_memory()[0]  # the custom ids
        assert [len(f.custom_ids) for f in files] == [2_500] * 4
        assert sum(f.size for f in files) > 20_000_000 and written_peak < 3_000_000

        async def read() -> int:
            async def chunks():
                with files[0].path.open("rb") as f:
                    while chunk := f.read(65536):
                        yield chunk

            count = 0
            async for line in lines(chunks()):
                count += json.loads(line)["custom_id"].startswith("c/")
            return count

        assert asyncio.run(read()) == 2_500
        assert tracemalloc.get_traced_memory()[1] - held < 1_000_000
    finally:
        tracemalloc.stop()


def test_result_lines_become_answers_or_errors():
    ok = {"choices": [{"message": {"content": "x"}}]}
    line = {"custom_id": "a", "response": {"status_code": 200, "body": ok}, "error": None}
    assert parse_result(json.dumps(line).encode()).body == ok
    refused = {"status_code": 400, "body": {"error": {"message": "bad  model"}}}
    line = {"custom_id": "b", "response": refused, "error": None}
    assert parse_result(json.dumps(line).encode()).error == "HTTP 400: bad model"
    line = {"custom_id": "c", "response": None, "error": {"code": "batch_expired", "message": "m"}}
    assert parse_result(json.dumps(line).encode()).error == "batch_expired: m"
    assert parse_result(b"not json") is None


def test_the_simulated_batch_api_moves_a_stage_per_poll_in_openai_shapes():
    import openai

    from advisor.simulator import SimConfig

    config = SimConfig.model_validate(
        {"models": {"m": {}}, "answer_key": {f"q{i}": f"a{i}" for i in range(8)}}
    )

    def line(i: int) -> dict:
        body = {"model": "m", "messages": [{"role": "user", "content": f"q{i}"}]}
        return {"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}

    data = "".join(json.dumps(line(i)) + "\n" for i in range(8)).encode()

    async def go(client: openai.AsyncOpenAI) -> None:
        uploaded = await client.files.create(file=("in.jsonl", data), purpose="batch")
        assert (await client.files.retrieve(uploaded.id)).bytes == len(data)
        assert (await client.files.content(uploaded.id)).content == data
        create = {"endpoint": "/v1/chat/completions", "completion_window": "24h"}
        batch = await client.batches.create(input_file_id=uploaded.id, **create)
        seen = [(batch.status, batch.request_counts.completed)]
        while batch.status != "completed":
            batch = await client.batches.retrieve(batch.id)
            seen.append((batch.status, batch.request_counts.completed))
        assert seen == [
            ("validating", 0),
            ("validating", 0),
            ("in_progress", 4),
            ("in_progress", 8),
            ("finalizing", 8),
            ("completed", 8),
        ]
        assert batch.error_file_id is None and batch.completed_at is not None
        output = [
            json.loads(x)
            for x in (await client.files.content(batch.output_file_id)).text.splitlines()
        ]
        assert [o["custom_id"] for o in output] != [f"r{i}" for i in range(8)]  # shuffled
        assert sorted(o["custom_id"] for o in output) == [f"r{i}" for i in range(8)]
        chat = await client.chat.completions.create(**line(3)["body"])
        for o in output:
            assert set(o) == {"id", "custom_id", "response", "error"} and o["error"] is None
            assert set(o["response"]) == {"status_code", "request_id", "body"}
            assert (
                o["response"]["body"]["choices"][0]["message"]["content"]
                == "a" + o["custom_id"][1:]
            )
            if o["custom_id"] == "r3":
                assert o["response"]["body"]["usage"] == chat.usage.model_dump(exclude_none=True)

        batch = await client.batches.create(input_file_id=uploaded.id, **create)
        for _ in range(2):
            batch = await client.batches.retrieve(batch.id)
        assert (batch.status, batch.request_counts.completed) == ("in_progress", 4)
        assert (await client.batches.cancel(batch.id)).status == "cancelling"
        batch = await client.batches.retrieve(batch.id)
        assert batch.status == "cancelled"
        errors = (await client.files.content(batch.error_file_id)).text.splitlines()
        assert len(errors) == 4
        assert json.loads(errors[0])["error"]["code"] == "batch_cancelled"
        with pytest.raises(openai.ConflictError):
            await client.batches.cancel(batch.id)

        bad = await client.files.create(file=("bad.jsonl", b"not json\n" + data), purpose="batch")
        batch = await client.batches.create(input_file_id=bad.id, **create)
        for _ in range(2):
            batch = await client.batches.retrieve(batch.id)
        assert batch.status == "failed"
        assert (batch.errors.data[0].code, batch.errors.data[0].line) == ("invalid_json_line", 1)
        with pytest.raises(openai.NotFoundError):
            await client.batches.retrieve("batch_nope")
        with pytest.raises(openai.BadRequestError):
            await client.files.create(file=("in.jsonl", data), purpose="nonsense")  # type: ignore[arg-type]

    with running(config) as server:

        async def main() -> None:
            async with openai.AsyncOpenAI(
                base_url=server.base_url, api_key="k", max_retries=0
            ) as client:
                await go(client)

        asyncio.run(main())
        assert server.stats.files_uploaded == 2 and server.stats.batches_created == 3

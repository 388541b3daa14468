"""The simulated OpenAI server, seen through the real SDK and raw HTTP as the runner will see it."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import jsonschema
import openai
import pytest

from advisor.errors import InputError
from advisor.simulator import (
    UNKNOWN_REPLY,
    RunningSimulator,
    SimConfig,
    answers_correctly,
    main,
    running,
)
from advisor.simulator._limits import TokenBucket, format_duration
from advisor.tokens import count_chat, count_text, encoding_for_model

SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "shared/reference/openai/chat-completion-response.schema.json"
)
LABELS = ["billing", "bug", "outage", "other"]
KEYS = {f"ticket-{i}": LABELS[i % len(LABELS)] for i in range(200)}
LONG_ANSWER = "The quick brown fox jumps over the lazy dog, again and again."
T = TypeVar("T")


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def run(server: RunningSimulator, use: Callable[[openai.AsyncOpenAI], Awaitable[T]]) -> T:
    """Run `use` with an SDK client that does not retry, as the runner configures it."""

    async def go() -> T:
        async with openai.AsyncOpenAI(
            base_url=server.base_url, api_key="test", max_retries=0
        ) as client:
            return await use(client)

    return asyncio.run(go())


def post(
    server: RunningSimulator, body: bytes, headers: dict[str, str] | None = None
) -> httpx2.Response:
    with httpx2.Client() as client:
        return client.post(f"{server.base_url}/chat/completions", content=body, headers=headers)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningSimulator]:
    config = SimConfig.model_validate(
        {
            "models": {
                "clf-a": {"accuracy": 0.8, "served_model": "clf-a-2026-01-01"},
                "clf-b": {"accuracy": 0.8, "shutdown_date": "2027-01-14", "owned_by": "acme"},
                "cached": {"prompt_cache": True},
                "grader": {"mode": "judge"},
            },
            "answer_key": {**KEYS, "long": LONG_ANSWER},
            "labels": LABELS,
            "key_pattern": r"Ticket id: (\S+)",
        }
    )
    with running(config) as simulator:
        yield simulator


def ask(key: str) -> list[dict[str, Any]]:
    return user(f"Classify this ticket.\nTicket id: {key}\nText: my invoice is wrong")


def test_responses_match_openai_schema_and_headers(server: RunningSimulator) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is absent")
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    bodies = [
        {"model": "clf-a", "messages": ask("ticket-1")},
        {"model": "clf-a", "messages": ask("long"), "max_tokens": 3, "n": 2},
        {"model": "clf-a", "messages": user("not in the key")},
    ]
    for body in bodies:
        response = post(server, json.dumps(body).encode())
        assert response.status_code == 200
        validator.validate(response.json())
        assert response.json()["model"] == "clf-a-2026-01-01"
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-request-id"].startswith("req_")
        assert response.headers["openai-version"] == "2020-10-01"
        assert response.headers["openai-processing-ms"].isdigit()


def test_accuracy_is_fixed_per_model_and_key(server: RunningSimulator) -> None:
    async def right(client: openai.AsyncOpenAI, model: str, keys: list[str]) -> list[bool]:
        completions = await asyncio.gather(
            *(client.chat.completions.create(model=model, messages=ask(key)) for key in keys)
        )
        answers = [completion.choices[0].message.content for completion in completions]
        assert set(answers) <= set(LABELS)  # a wrong answer is another label
        return [answer == KEYS[key] for key, answer in zip(keys, answers, strict=True)]

    keys = list(KEYS)
    scored = run(server, lambda client: right(client, "clf-a", keys))
    assert scored == [answers_correctly("clf-a", key, 0.8) for key in keys]
    assert 0.7 < sum(scored) / len(keys) < 0.9
    # Another model at the same accuracy errs on other questions.
    other = run(server, lambda client: right(client, "clf-b", keys[:50]))
    assert other == [answers_correctly("clf-b", key, 0.8) for key in keys[:50]] != scored[:50]


def test_unknown_questions_get_a_fixed_reply(server: RunningSimulator) -> None:
    async def reply(client: openai.AsyncOpenAI) -> list[str | None]:
        completions = [
            await client.chat.completions.create(model="clf-a", messages=messages)
            for messages in (ask("ticket-999"), user("no ticket id here"))
        ]
        return [completion.choices[0].message.content for completion in completions]

    assert run(server, reply) == [UNKNOWN_REPLY, UNKNOWN_REPLY]


def test_usage_is_counted_like_the_provider(server: RunningSimulator) -> None:
    messages = [
        {"role": "system", "content": "You sort support tickets."},
        {"role": "user", "name": "agent", "content": "Ticket id: ticket-3\nText: site down"},
        {"role": "assistant", "content": "outage"},
        *ask("ticket-7"),
    ]
    completion = run(
        server, lambda client: client.chat.completions.create(model="clf-b", messages=messages)
    )
    content = completion.choices[0].message.content
    assert completion.usage is not None and content is not None
    assert completion.usage.prompt_tokens == count_chat(messages, "clf-b")
    assert completion.usage.completion_tokens == count_text(content, "clf-b")
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_a_repeated_long_prefix_is_cached_in_steps_of_128(server: RunningSimulator) -> None:
    few_shot = " ".join(f"example{i} is billing." for i in range(400))
    first = [{"role": "system", "content": few_shot}, *ask("ticket-1")]
    second = [{"role": "system", "content": few_shot}, *user("Zebra ticket-2")]

    async def cached(client: openai.AsyncOpenAI, model: str) -> list[int]:
        tokens = []
        for messages in (first, second, user("short")):
            completion = await client.chat.completions.create(model=model, messages=messages)
            assert completion.usage and completion.usage.prompt_tokens_details
            tokens.append(completion.usage.prompt_tokens_details.cached_tokens or 0)
        return tokens

    encoding = encoding_for_model("cached")

    def sequence(messages: list[dict[str, Any]]) -> list[int]:
        return [t for m in messages for text in m.values() for t in encoding.encode(text)]

    one, two = sequence(first), sequence(second)
    shared = next(i for i, (a, b) in enumerate(zip(one, two, strict=False)) if a != b)
    assert shared >= 1024
    expected = shared // 128 * 128
    assert run(server, lambda client: cached(client, "cached")) == [0, expected, 0]
    assert run(server, lambda client: cached(client, "clf-a")) == [0, 0, 0]  # caching is off


def test_max_tokens_truncates_and_n_repeats(server: RunningSimulator) -> None:
    async def create(client: openai.AsyncOpenAI, **options: Any) -> Any:
        return await client.chat.completions.create(model="cached", messages=ask("long"), **options)

    whole = run(server, create)
    assert whole.choices[0].finish_reason == "stop"
    assert whole.choices[0].message.content == LONG_ANSWER
    encoding = encoding_for_model("cached")
    for options in ({"max_tokens": 3}, {"max_completion_tokens": 3, "max_tokens": 50}):
        cut = run(server, lambda client, options=options: create(client, **options))
        assert cut.choices[0].finish_reason == "length"
        assert cut.choices[0].message.content == encoding.decode(encoding.encode(LONG_ANSWER)[:3])
        assert cut.usage.completion_tokens == 3
    three = run(server, lambda client: create(client, n=3))
    assert [choice.index for choice in three.choices] == [0, 1, 2]
    assert three.usage.completion_tokens == 3 * whole.usage.completion_tokens


def test_judge_compares_reference_and_answer(server: RunningSimulator) -> None:
    prompts = {
        "Grade it.\nReference: Paris \nAnswer:   PARIS\nReply CORRECT or INCORRECT.": "CORRECT",
        "Reference: New  York\nThe model said:\nAnswer: new york": "CORRECT",
        "Reference: Paris\nAnswer: Lyon": "INCORRECT",
        "What is the capital of France?": UNKNOWN_REPLY,
    }

    async def grade(client: openai.AsyncOpenAI) -> list[str | None]:
        return [
            (await client.chat.completions.create(model="grader", messages=user(prompt)))
            .choices[0]
            .message.content
            for prompt in prompts
        ]

    assert run(server, grade) == list(prompts.values())


def test_models_are_listed_with_shutdown_dates(server: RunningSimulator) -> None:
    with httpx2.Client(base_url=server.base_url) as client:
        listing = client.get("/models").json()
        one = client.get("/models/clf-b").json()
        missing = client.get("/models/gpt-nope")
        no_route = client.post("/completions", json={})
    assert listing["object"] == "list"
    assert [model["id"] for model in listing["data"]] == ["clf-a", "clf-b", "cached", "grader"]
    assert one == {
        "id": "clf-b",
        "object": "model",
        "created": one["created"],
        "owned_by": "acme",
        "shutdown_date": "2027-01-14",
    }
    assert "shutdown_date" not in listing["data"][0]
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"
    assert no_route.status_code == 404
    assert no_route.json()["error"]["message"] == "Invalid URL (POST /v1/completions)"

    async def unknown(client: openai.AsyncOpenAI) -> None:
        await client.chat.completions.create(model="gpt-nope", messages=user("hi"))

    with pytest.raises(openai.NotFoundError) as caught:
        run(server, unknown)
    assert caught.value.code == "model_not_found"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[]", None),
        (b'{"messages": [{"role": "user", "content": "hi"}]}', "model"),
        (b'{"model": "clf-a", "messages": []}', "messages"),
        (b'{"model": "clf-a", "messages": [{"role": "user", "content": "hi"}], "n": 0}', "n"),
        (
            b'{"model": "a", "messages": [{"role": "user", "content": "x"}], "stream": true}',
            "stream",
        ),
        (
            b'{"model": "clf-a", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}',
            "max_tokens",
        ),
    ],
)
def test_invalid_requests_get_400_in_openai_shape(
    server: RunningSimulator, body: bytes, param: str | None
) -> None:
    response = post(server, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.keys() == {"message", "type", "param", "code"}
    assert (error["type"], error["param"]) == ("invalid_request_error", param)


def test_api_key_is_required_when_configured() -> None:
    config = SimConfig.model_validate({"models": {"m": {}}, "require_api_key": True})
    body = json.dumps({"model": "m", "messages": user("hi")}).encode()
    with running(config) as simulator:
        refused = post(simulator, body)
        served = post(simulator, body, {"Authorization": "Bearer sk-test"})
        stats = simulator.stats
    assert refused.status_code == 401
    assert refused.json()["error"]["type"] == "invalid_request_error"
    assert served.status_code == 200
    assert (stats.requests, stats.ok, stats.rejected) == (2, 1, 1)


def test_rate_limits_answer_429_with_openai_headers() -> None:
    # 6 RPM holds one request and refills it in 10 s; 60 TPM holds one token and refills one a
    # second, so a request leaves the bucket in debt for its size in seconds. Slow enough that a
    # loaded machine cannot refill either between two requests (at 60 RPM and 6,000 TPM it did).
    config = SimConfig.model_validate(
        {"models": {"rpm": {"rpm": 6}, "tpm": {"tpm": 60}}, "answer_key": {"q": "a"}}
    )
    with running(config) as simulator:
        first = post(simulator, json.dumps({"model": "rpm", "messages": user("q")}).encode())
        second = post(simulator, json.dumps({"model": "rpm", "messages": user("q")}).encode())
        small = post(simulator, json.dumps({"model": "tpm", "messages": user("q")}).encode())
        big = json.dumps({"model": "tpm", "messages": user("q"), "max_tokens": 500}).encode()
        too_many_tokens = post(simulator, big)

        async def limited(client: openai.AsyncOpenAI) -> None:
            await client.chat.completions.create(model="rpm", messages=user("q"))

        with pytest.raises(openai.RateLimitError) as caught:
            run(simulator, limited)
        stats = simulator.stats

    assert first.status_code == 200
    assert first.headers["x-ratelimit-limit-requests"] == "6"
    assert first.headers["x-ratelimit-remaining-requests"] == "5"
    assert first.headers["x-ratelimit-reset-requests"] in {"10s", "9.999s"}
    assert "x-ratelimit-limit-tokens" not in first.headers
    assert second.status_code == 429
    assert second.headers["retry-after"] in {"9", "10"}
    assert 5000 < int(second.headers["retry-after-ms"]) <= 10000
    assert second.headers["x-ratelimit-remaining-requests"] == "5"
    error = second.json()["error"]
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")
    assert error["message"].startswith("Rate limit reached for rpm on requests per min (RPM)")
    assert small.status_code == 200
    assert small.headers["x-ratelimit-limit-tokens"] == "60"
    used = small.json()["usage"]["total_tokens"]
    assert small.headers["x-ratelimit-remaining-tokens"] == str(60 - used)
    assert too_many_tokens.status_code == 429
    assert too_many_tokens.json()["error"]["type"] == "tokens"
    assert caught.value.response.headers["retry-after-ms"]
    assert (stats.ok, stats.rate_limited) == (2, 3)


def test_a_client_pacing_at_the_limit_is_never_refused() -> None:
    bucket = TokenBucket("requests", 600, burst_seconds=1.0, now=0.0)  # 10 a second
    for _ in range(10):  # a second's worth at once
        assert bucket.wait(1, now=0.0) == 0
        bucket.take(1)
    assert bucket.wait(1, now=0.0) == pytest.approx(0.1)
    for step in range(1, 6001):  # then ten minutes at exactly the limit
        assert bucket.wait(1, now=step / 10) == 0
        bucket.take(1)


def test_a_request_bigger_than_the_bucket_goes_through_in_debt() -> None:
    bucket = TokenBucket("tokens", 6000, burst_seconds=1.0, now=0.0)  # holds 100 tokens
    assert bucket.wait(250, now=0.0) == 0
    bucket.take(250)
    # 150 tokens of debt plus a full bucket: 250 tokens at 100 a second
    assert bucket.wait(250, now=0.0) == pytest.approx(2.5)
    assert bucket.headers()["x-ratelimit-remaining-tokens"] == "5750"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.0121, "13ms"),
        (1.5, "1.5s"),
        (60, "1m0s"),
        (360, "6m0s"),
        (3725.25, "1h2m5.25s"),
    ],
)
def test_durations_are_written_like_openai(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


FAULT_ERRORS: dict[str, type[Exception]] = {
    "429": openai.RateLimitError,
    "500": openai.InternalServerError,
    "503": openai.InternalServerError,
    "drop": openai.APIConnectionError,
    "malformed": json.JSONDecodeError,
}


@pytest.mark.parametrize("kind", FAULT_ERRORS)
def test_each_fault_reaches_the_client_and_a_retry_succeeds(kind: str) -> None:
    config = SimConfig.model_validate(
        {
            "models": {"m": {}},
            "answer_key": {"q": "a"},
            "faults": {"rate": 1.0, "kinds": [kind], "max_per_request": 1},
        }
    )

    async def twice(client: openai.AsyncOpenAI) -> str | None:
        with pytest.raises(FAULT_ERRORS[kind]) as caught:
            await client.chat.completions.create(model="m", messages=user("q"))
        if kind == "429":
            assert isinstance(caught.value, openai.RateLimitError)
            assert caught.value.response.headers["retry-after"] == "1"
        if kind == "503":
            assert isinstance(caught.value, openai.APIStatusError)
            assert caught.value.status_code == 503
        retried = await client.chat.completions.create(model="m", messages=user("q"))
        return retried.choices[0].message.content

    with running(config) as simulator:
        assert run(simulator, twice) == "a"
        stats = simulator.stats
    assert (stats.requests, stats.ok, dict(stats.faults)) == (2, 1, {kind: 1})


def test_faults_are_deterministic_and_stop_after_max_per_request() -> None:
    config = SimConfig.model_validate(
        {"models": {"m": {}}, "faults": {"rate": 0.5, "max_per_request": 2}}
    )
    bodies = [json.dumps({"model": "m", "messages": user(f"q{i}")}).encode() for i in range(40)]

    async def outcomes(simulator: RunningSimulator) -> list[list[str]]:
        async with httpx2.AsyncClient(base_url=simulator.base_url) as client:

            async def until_ok(body: bytes) -> list[str]:
                seen: list[str] = []
                while not seen or seen[-1] != "200":
                    try:
                        response = await client.post("/chat/completions", content=body)
                        response.json()
                        seen.append(str(response.status_code))
                    except httpx2.TransportError:
                        seen.append("drop")
                    except json.JSONDecodeError:
                        seen.append("malformed")
                return seen

            return await asyncio.gather(*(until_ok(body) for body in bodies))

    runs = []
    for _ in range(2):
        with running(config) as simulator:
            runs.append(asyncio.run(outcomes(simulator)))
    assert runs[0] == runs[1]
    assert all(len(attempts) <= 3 for attempts in runs[0])
    faults = {kind for attempts in runs[0] for kind in attempts[:-1]}
    assert faults == {"429", "500", "503", "drop", "malformed"}


def test_toml_config_with_an_answer_file_of_json_answers(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    records = [
        {"id": f"doc-{i}", "fields": {"name": f"n{i}", "total": i, "paid": True}} for i in range(30)
    ]
    (tmp_path / "data" / "docs.jsonl").write_text("\n".join(map(json.dumps, records)) + "\n")
    (tmp_path / "sim.toml").write_text(
        'key_pattern = "Document (\\\\S+)"\n'
        "[models.extractor]\naccuracy = 0.5\n"
        '[answer_file]\npath = "data/docs.jsonl"\nkey_field = "id"\nanswer_field = "fields"\n'
    )
    config = SimConfig.from_toml(tmp_path / "sim.toml")

    async def extract(client: openai.AsyncOpenAI) -> list[str | None]:
        replies = []
        for record in records:
            messages = user(f"Document {record['id']}")
            completion = await client.chat.completions.create(model="extractor", messages=messages)
            replies.append(completion.choices[0].message.content)
        return replies

    with running(config) as simulator:
        replies = run(simulator, extract)
    for record, reply in zip(records, replies, strict=True):
        assert reply is not None
        if answers_correctly("extractor", record["id"], 0.5):
            assert reply == json.dumps(record["fields"], separators=(",", ":"))
        else:
            got = json.loads(reply)
            assert got.keys() == record["fields"].keys()
            assert sum(got[k] != v for k, v in record["fields"].items()) == 1


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ("[models.m]\naccuracy = 1.5\n", "models.m.accuracy"),
        ("[models.m]\nspeed = 1\n", "models.m.speed"),
        ('key_pattern = "no group"\n', "key_pattern"),
        ("[models.m\n", "invalid TOML"),
        ('[answer_file]\npath = "gone.jsonl"\nkey_field = "a"\nanswer_field = "b"\n', "gone"),
    ],
)
def test_bad_configs_name_the_file_and_the_key(tmp_path: Path, toml: str, problem: str) -> None:
    path = tmp_path / "sim.toml"
    path.write_text(toml)
    with pytest.raises(InputError, match=problem) as caught, running(SimConfig.from_toml(path)):
        pass
    assert str(tmp_path) in str(caught.value)


def test_main_serves_until_terminated(tmp_path: Path) -> None:
    config = tmp_path / "sim.toml"
    config.write_text('[models."gpt-4o-mini"]\nshutdown_date = 2027-01-14\n')
    with subprocess.Popen(
        [sys.executable, "-m", "advisor.simulator", "--config", str(config)],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        listing = httpx2.get(f"{base_url}/models").json()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert listing["data"][0]["shutdown_date"] == "2027-01-14"


def test_main_reports_a_bad_config_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(tmp_path / "missing.toml")]) == 2
    assert capsys.readouterr().err.count("\n") == 1

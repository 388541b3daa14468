"""The aiohttp application: OpenAI's chat completion, model, file and batch endpoints over simulated
models."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

from advisor import simulated
from advisor.client import TAG_HEADER
from advisor.simulator._answers import Answerer
from advisor.simulator._batches import Batches
from advisor.simulator._config import FaultKind, ModelSim, SimConfig
from advisor.simulator._draw import draw
from advisor.simulator._errors import ApiError
from advisor.simulator._faults import FaultInjector
from advisor.simulator._files import Files
from advisor.simulator._limits import RateLimited, RateLimiter, retry_headers
from advisor.simulator._usage import PromptCache, decode, encode, prompt_sequence, prompt_tokens

OPENAI_VERSION = "2020-10-01"
MODEL_CREATED = 1_700_000_000  # fixed, so that a listing is the same on every run
MAX_CHOICES = 128  # OpenAI's bound on `n`
_BAD_JSON = (
    "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload, "
    "but what was sent was not valid JSON."
)
_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ARRIVED = web.RequestKey("arrived", float)
"""When the request reached the server: its latency counts from there."""


@dataclass
class Stats:
    """What the server did, for tests and benchmarks to check against what a client saw."""

    requests: int = 0
    """HTTP requests to any endpoint."""
    ok: int = 0
    """Chat completions answered with a well-formed 200."""
    rate_limited: int = 0
    """429s from the RPM and TPM limits (injected 429s count under `faults`)."""
    rejected: int = 0
    """Invalid requests: 400, 401, 404."""
    faults: Counter[FaultKind] = field(default_factory=Counter)
    """Injected failures by kind."""
    tags: Counter[str] = field(default_factory=Counter)
    """Chat requests received per advisor request tag (candidate/example/repeat), so tests can
    tell which requests a run sent again."""
    files_uploaded: int = 0
    """Files received by `POST /v1/files`."""
    batches_created: int = 0
    """Batches accepted by `POST /v1/batches`."""
    batch_requests: Counter[str] = field(default_factory=Counter)
    """Batch requests processed per `custom_id`, so tests can tell which a retry sent again."""


class ChatRequest(NamedTuple):
    model: str
    messages: list[dict[str, Any]]
    n: int
    max_tokens: int | None


class Reply(NamedTuple):
    content: str
    tokens: int
    finish_reason: str


def _positive_int(payload: dict[str, Any], name: str, most: int | None = None) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= (most or value):
        bound = f" and at most {most}" if most else ""
        raise ApiError(
            400,
            f"Invalid '{name}': expected an integer of at least 1{bound}, got {value!r}.",
            code="invalid_value",
            param=name,
        )
    return value


def parse_chat(body: bytes) -> ChatRequest:
    """The parts of a chat completion request the simulator uses, or a 400 as OpenAI words it."""
    try:
        payload = json.loads(body)
    except ValueError:  # also a body that is not UTF-8
        raise ApiError(400, _BAD_JSON) from None
    if not isinstance(payload, dict):
        raise ApiError(400, _BAD_JSON)
    model, messages = payload.get("model"), payload.get("messages")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "You must provide a model parameter.", param="model")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty array.", param="messages")
    if not all(isinstance(message, dict) for message in messages):
        raise ApiError(400, "Each message must be an object.", param="messages")
    if payload.get("stream"):
        raise ApiError(400, "The simulator does not stream responses.", param="stream")
    return ChatRequest(
        model,
        messages,
        _positive_int(payload, "n", MAX_CHOICES) or 1,
        _positive_int(payload, "max_completion_tokens") or _positive_int(payload, "max_tokens"),
    )


class Simulator:
    """An OpenAI-compatible server over the simulated models of a config; one per config."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.stats = Stats()
        self._answerer = Answerer(config)
        self._limiter = RateLimiter(config)
        self._faults = FaultInjector(config.faults)
        self._prompt_cache = PromptCache()
        self.files = Files(self.stats)
        self.batches = Batches(config.batch, self.files, self.stats, self.complete)
        self._fault_errors = {
            "429": ApiError(
                429,
                "Rate limit reached on requests per min (RPM) (injected by the simulator). "
                f"Please try again in {config.faults.retry_after_s:g}s.",
                kind="requests",
                code="rate_limit_exceeded",
                headers=retry_headers(config.faults.retry_after_s),
            ),
            "500": ApiError(
                500,
                "The server had an error while processing your request. Sorry about that!",
                kind="server_error",
            ),
            "503": ApiError(503, "The server is overloaded or not ready yet.", kind="server_error"),
        }

    def app(self) -> web.Application:
        # Far above any prompt a context window holds, so that no eval is refused for size.
        app = web.Application(middlewares=[self._openai_envelope], client_max_size=64 * 2**20)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{model}", self._get_model)
        app.router.add_post("/v1/files", self.files.upload)
        app.router.add_get("/v1/files/{file_id}", self.files.retrieve)
        app.router.add_get("/v1/files/{file_id}/content", self.files.content)
        app.router.add_post("/v1/batches", self.batches.create)
        app.router.add_get("/v1/batches/{batch_id}", self.batches.retrieve)
        app.router.add_post("/v1/batches/{batch_id}/cancel", self.batches.cancel)
        return app

    @web.middleware
    async def _openai_envelope(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Authentication, OpenAI's error bodies and the headers every OpenAI response carries."""
        started = request[ARRIVED] = time.perf_counter()
        self.stats.requests += 1
        try:
            if self.config.require_api_key and not _bearer(request):
                raise ApiError(401, _NO_KEY)
            response = await handler(request)
        except ApiError as error:
            response = self._refused(error)
        except web.HTTPException as exc:  # no such route or method
            url = f"{request.method} {request.path}"
            response = self._refused(ApiError(exc.status, f"Invalid URL ({url})"))
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        response.headers["x-request-id"] = f"req_{uuid.uuid4().hex}"
        response.headers["openai-version"] = OPENAI_VERSION
        response.headers["openai-processing-ms"] = str(elapsed_ms)
        return response

    def _refused(self, error: ApiError) -> web.Response:
        if error.status == 429:
            self.stats.rate_limited += 1
        else:
            self.stats.rejected += 1
        return error.response()

    def _model(self, model: str) -> ModelSim:
        sim = self.config.models.get(model)
        if sim is None:
            raise ApiError(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
        return sim

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.stats.tags[request.headers.get(TAG_HEADER, "")] += 1
        chat = parse_chat(body)
        sim = self._model(chat.model)
        fault = self._faults.decide(body)
        if fault == "429":  # at once, as a real rate limit answers
            return self._fault(fault, request, b"")
        reply = self._reply(chat, sim)
        prompt = prompt_tokens(chat.model, chat.messages)
        # Like OpenAI, count max_tokens (when given) rather than the reply against the TPM limit.
        limit_headers = self._admit(chat.model, prompt + chat.n * (chat.max_tokens or reply.tokens))
        payload = self._payload(chat, sim, reply, prompt)
        # The configured latency is the whole answer's: the work above is part of it.
        spent = time.perf_counter() - request[ARRIVED]
        await asyncio.sleep(max(0.0, self._latency_s(chat.model, sim, body) - spent))
        if fault is not None:
            return self._fault(fault, request, payload)
        self.stats.ok += 1
        return web.Response(body=payload, content_type="application/json", headers=limit_headers)

    def complete(self, body: bytes) -> bytes:
        """The chat completion the endpoint answers `body` with, minus latency, faults and rate
        limits: how a batch answers each of its requests. Raises `ApiError` as the endpoint would.
        """
        chat = parse_chat(body)
        sim = self._model(chat.model)
        reply = self._reply(chat, sim)
        return self._payload(chat, sim, reply, prompt_tokens(chat.model, chat.messages))

    def _payload(self, chat: ChatRequest, sim: ModelSim, reply: Reply, prompt: int) -> bytes:
        cached = (
            self._prompt_cache.cached_tokens(chat.model, prompt_sequence(chat.model, chat.messages))
            if sim.prompt_cache
            else 0
        )
        usage = _usage(prompt, chat.n * reply.tokens, cached)
        accuracy = sim.accuracy if sim.mode == "answer" else None
        return _completion(sim.served_model or chat.model, chat.n, reply, usage, accuracy)

    def _reply(self, chat: ChatRequest, sim: ModelSim) -> Reply:
        content = self._answerer.reply(chat.model, sim, chat.messages)
        tokens = encode(chat.model, content)
        if chat.max_tokens is None or len(tokens) <= chat.max_tokens:
            return Reply(content, len(tokens), "stop")
        return Reply(decode(chat.model, tokens[: chat.max_tokens]), chat.max_tokens, "length")

    def _admit(self, model: str, tokens: int) -> dict[str, str]:
        """Spend from the rate limits and return their headers, or raise OpenAI's 429."""
        try:
            return self._limiter.admit(model, tokens)
        except RateLimited as exc:
            raise ApiError(
                429,
                str(exc),
                kind=exc.unit,
                code="rate_limit_exceeded",
                headers={**retry_headers(exc.wait_s), **self._limiter.headers(model)},
            ) from None

    @staticmethod
    def _latency_s(model: str, sim: ModelSim, body: bytes) -> float:
        jitter = sim.jitter_ms * draw(model, body).uniform if sim.jitter_ms else 0.0
        return (sim.latency_ms + jitter) / 1000

    def _fault(self, kind: FaultKind, request: web.Request, payload: bytes) -> web.StreamResponse:
        """The failure `kind`, given the response it replaces."""
        self.stats.faults[kind] += 1
        if kind == "drop":
            if request.transport is not None:
                request.transport.close()  # the client sees the server hang up without a response
            return web.Response()
        if kind == "malformed":
            return web.Response(body=payload[: len(payload) // 2], content_type="application/json")
        return self._fault_errors[kind].response()

    def _model_object(self, model: str) -> dict[str, Any]:
        sim = self._model(model)
        listed: dict[str, Any] = {
            "id": model,
            "object": "model",
            "created": MODEL_CREATED,
            "owned_by": sim.owned_by,
        }
        if sim.shutdown_date is not None:
            listed["shutdown_date"] = sim.shutdown_date.isoformat()
        return listed

    async def _list_models(self, request: web.Request) -> web.StreamResponse:
        data = [self._model_object(model) for model in self.config.models]
        return web.json_response({"object": "list", "data": data})

    async def _get_model(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._model_object(request.match_info["model"]))


def _bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _completion(
    served: str, n: int, reply: Reply, usage: dict[str, Any], accuracy: float | None
) -> bytes:
    """A chat completion, marked as the simulator's (`advisor.simulated`): its quality is the
    configured `accuracy`, and every output that shows it must say so."""
    message = {"role": "assistant", "content": reply.content, "refusal": None, "annotations": []}
    choices = [
        {"index": i, "message": message, "logprobs": None, "finish_reason": reply.finish_reason}
        for i in range(n)
    ]
    completion = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": served,
        "choices": choices,
        "usage": usage,
        "service_tier": "default",
        "system_fingerprint": simulated.FINGERPRINT,
        simulated.MARK_FIELD: simulated.mark(accuracy),
    }
    return json.dumps(completion).encode()


def _usage(prompt: int, completion: int, cached: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }

"""Recorded HTTP exchanges: their format, keys and store (`advisor.record` writes them at the
transport of a live run, `advisor.replay` serves them offline in its place).

Each exchange is one JSON line in `fixtures/<study>/<candidate>.jsonl`: the request (host, method,
path, canonical body) and what came back (status, the headers that matter, body), or the
connection error. Exchanges are keyed by the runner's tag (candidate/example/repeat), method, path
and canonical body; a key keeps its attempts in order, so a 429 then a 200 replays as a 429 then
a 200; a polled GET (a batch's status) that runs past its recordings gets the last one again.
Bodies that are not JSON are keyed by what identifies them: a multipart upload by its form fields
and the sha256 of each file (its boundary is random), a GET by nothing; a file's content (a
response that is not JSON by its content type) is stored as text. Credentials never reach disk:
request headers are not stored, response headers are kept from a short list, query keys that
carry secrets are dropped, and the study's redaction patterns and the API key itself are scrubbed
from everything stored, key included.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from advisor.calls import CallRequest
from advisor.canonical import canonical, same_canonical
from advisor.errors import InputError
from advisor.jsonlines import JsonLines, cut
from advisor.multipart import form_fields
from advisor.redact import Redactor
from advisor.runner import RETRY_STATUSES

META_FILE = "meta.json"
_KEPT_HEADERS = {
    "content-type",
    "retry-after",
    "retry-after-ms",
    "openai-processing-ms",
    "openai-version",
    "x-request-id",
    "openai-model",
}
BATCH_TAG_PREFIX = "batch/"
"""Tags of the Batch API's calls (upload, create, poll, content): see `advisor.batch`."""
MODELS_TAG = "models"
"""Tag of the GET /models asking for shutdown dates: like the judge's, not a plan request."""


def keep_header(name: str) -> bool:
    return name in _KEPT_HEADERS or name.startswith("x-ratelimit-")


def exchange_key(tag: str, method: str, path: str, body: Any) -> str:
    return hashlib.sha256(canonical([tag, method, path, body]).encode()).hexdigest()


def request_body(content: bytes, content_type: str | None) -> Any:
    """What identifies a request body in a key: its JSON value; for a multipart upload its form
    fields, each file as its name, size and sha256; for other bytes their size and sha256."""
    if not content:
        return None
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        form = form_fields(content, content_type or "")
        if form is not None:
            return {"multipart": form}
    try:
        return json.loads(content)
    except ValueError:
        return {"bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}


def declared_json(headers: Any) -> bool | None:
    """Whether a response says its body is JSON; None when it names no content type."""
    content_type = headers.get("content-type")
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


@dataclass(frozen=True)
class Exchange:
    """One recorded attempt."""

    key: str
    tag: str
    attempt: int
    host: str
    method: str
    path: str
    body: Any
    status: int | None
    """None when the connection failed without a response."""
    headers: dict[str, str]
    response: Any
    """Parsed JSON body, or the raw text when it was not JSON."""
    response_is_json: bool
    error: str | None
    """The transport exception's class name when there was no response."""
    latency_ms: float | None = None
    """Milliseconds from sending the request to the whole response (or the failure), as
    measured when it was recorded: what a replay reports as the model's latency."""

    @property
    def final(self) -> bool:
        """A response the runner will not retry: the key is fully recorded."""
        if self.status is None or self.status in RETRY_STATUSES:
            return False
        # A 200 that should be JSON and is not gets retried; a file's content is not JSON.
        return self.status != 200 or self.response_is_json or declared_json(self.headers) is False

    def content(self) -> bytes:
        """The response body as it is served again: its canonical JSON, or the text kept."""
        if self.response_is_json:
            return canonical(self.response).encode()
        return (self.response or "").encode()

    def to_json(self) -> dict[str, Any]:
        response: dict[str, Any] = {"status": self.status, "headers": self.headers}
        if self.error is not None:
            response = {"error": self.error}
        elif self.response_is_json:
            response["body"] = self.response
        else:
            response["body_text"] = self.response
        if self.latency_ms is not None:
            response["latency_ms"] = self.latency_ms
        return {
            "key": self.key,
            "tag": self.tag,
            "attempt": self.attempt,
            "request": {
                "host": self.host,
                "method": self.method,
                "path": self.path,
                "body": self.body,
            },
            "response": response,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Exchange:
        request, response = data["request"], data["response"]
        return cls(
            key=data["key"],
            tag=data["tag"],
            attempt=data["attempt"],
            host=request["host"],
            method=request["method"],
            path=request["path"],
            body=request["body"],
            status=response.get("status"),
            headers=response.get("headers", {}),
            response=response.get("body", response.get("body_text")),
            response_is_json="body" in response,
            error=response.get("error"),
            latency_ms=response.get("latency_ms"),
        )


class FixtureStore:
    """The recorded exchanges of one study, by key, in attempt order."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.by_key: dict[str, list[Exchange]] = defaultdict(list)
        self._files: dict[str, Any] = {}
        self._torn: dict[Path, int | None] = {}  # where each file's torn last line starts
        for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
            lines = JsonLines(path, "fixture")
            for line in lines:
                try:
                    exchange = Exchange.from_json(line.value)
                except (KeyError, TypeError, AttributeError):
                    raise InputError(f"{path}:{line.number}: not a recorded exchange") from None
                self.by_key[exchange.key].append(exchange)
            self._torn[path] = lines.torn_at
        for attempts in self.by_key.values():
            attempts.sort(key=lambda e: e.attempt)

    def complete(self, key: str) -> Exchange | None:
        attempts = self.by_key.get(key)
        return attempts[-1] if attempts and attempts[-1].final else None

    def add(self, exchange: Exchange) -> None:
        self.by_key[exchange.key].append(exchange)
        candidate = unquote(exchange.tag.split("/", 1)[0])
        name = re.sub(r"[^A-Za-z0-9._+-]", "_", candidate) or "_"
        file = self._files.get(name)
        if file is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{name}.jsonl"
            if path.exists():
                cut(path, self._torn.get(path))
            file = self._files[name] = path.open("a", encoding="utf-8")
            if path.stat().st_size and not path.read_bytes().endswith(b"\n"):
                file.write("\n")  # end the line an interrupted recording cut short
        file.write(canonical(exchange.to_json()) + "\n")
        file.flush()

    def close(self) -> None:
        for file in self._files.values():
            file.close()
        self._files.clear()

    def write_meta(self, study: str, as_of: date) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "version": 1,
            "study": study,
            "as_of": as_of.isoformat(),
            "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
            "note": "Recorded with advisor evaluate --record; replay with --replay.",
        }
        (self.folder / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def recorded_as_of(folder: Path) -> date | None:
    """The `as_of` of a recording, which replay reuses so its answer does not drift."""
    path = folder / META_FILE
    if not path.exists():
        return None
    return date.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["as_of"])


def recorded_keys(
    store: FixtureStore, requests: Sequence[CallRequest], redactor: Redactor
) -> list[str | None]:
    """The key of the complete recording that answers each runner request, or None.

    A runner request is a POST to /chat/completions: its recording is the last attempt of the
    key with its tag, method, path and a body of the same canonical text, found without hashing
    each request's body (which took most of a replay's check of the example).
    """
    by_tag = last_attempts_by_tag(store)
    paths: dict[str, str] = {}
    found: list[str | None] = []
    for request in requests:
        path = paths.get(request.base_url)
        if path is None:
            wire = urlsplit(request.base_url).path.rstrip("/") + "/chat/completions"
            path = paths[request.base_url] = redactor.path(wire)
        body = redactor.value(request.body)
        found.append(
            next(
                (
                    e.key
                    for e in by_tag.get(request.tag, ())
                    if e.final
                    and e.method == "POST"
                    and e.path == path
                    and same_canonical(e.body, body)
                ),
                None,
            )
        )
    return found


def last_attempts_by_tag(store: FixtureStore) -> dict[str, list[Exchange]]:
    """The last attempt of each key, by tag: a tag has one key unless its body changed."""
    by_tag: dict[str, list[Exchange]] = defaultdict(list)
    for attempts in store.by_key.values():
        by_tag[attempts[-1].tag].append(attempts[-1])
    return by_tag


# --- what a run needs that is not recorded, and what is recorded but not needed -------------


@dataclass(frozen=True)
class Miss:
    request: CallRequest
    closest: Exchange | None
    differences: tuple[str, ...]

    def describe(self) -> str:
        where = f"example {self.request.example_id!r}, candidate {self.request.candidate!r}"
        if self.closest is None:
            return f"no recording for {where}"
        return (
            f"no recording for {where}; the closest recorded request ({self.closest.tag}) "
            f"differs in {', '.join(self.differences)}"
        )


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _differences(a.get(k), b.get(k), f"{path}.{k}" if path else k)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += _differences(x, y, f"{path}[{i}]")
        return out
    return [] if a == b else [path or "body"]


def find_misses(
    store: FixtureStore,
    requests: Sequence[CallRequest],
    redactor: Redactor,
    keys: Sequence[str | None] | None = None,
) -> list[Miss]:
    """Requests of a run with no complete recording, each with its closest recording (`keys`:
    `recorded_keys` of the requests, when already found)."""
    if keys is None:
        keys = recorded_keys(store, requests, redactor)
    if None not in keys:
        return []
    by_tag = last_attempts_by_tag(store)
    misses = []
    for request, key in zip(requests, keys, strict=True):
        if key is not None:
            continue
        body = redactor.value(request.body)
        tag = request.tag
        candidates = by_tag.get(tag) or [
            e for t, es in by_tag.items() if t.split("/")[0] == tag.split("/")[0] for e in es
        ]
        scored = [(_differences(e.body, body), e) for e in candidates]
        if scored:
            diff, closest = min(scored, key=lambda s: len(s[0]))
            misses.append(Miss(request, closest, tuple(diff[:5]) or ("tag",)))
        else:
            misses.append(Miss(request, None, ()))
    return misses


def unused_recordings(
    store: FixtureStore, requests: Sequence[CallRequest], redactor: Redactor
) -> list[Exchange]:
    """Recordings no request of the run uses (the judge's, which depend on answers, and the Batch
    API's, which `advisor.batch.find_batch_misses` checks, aside)."""
    used = set(recorded_keys(store, requests, redactor))
    return [
        attempts[-1]
        for key, attempts in store.by_key.items()
        if key not in used
        and not attempts[-1].tag.startswith(("judge.", BATCH_TAG_PREFIX))
        and attempts[-1].tag != MODELS_TAG
    ]

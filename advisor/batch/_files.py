"""Batch input files written to disk as they are built, and result files read line by line.

An input file holds the requests of one endpoint and one model (OpenAI takes a single model per
batch), at most 50,000 lines and 200 MB; more requests make more files. Each line is
`{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}`; the custom_id is the
request's tag (candidate/example/repeat, percent-encoded), unique in a run and stable across runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from advisor.calls import CallRequest

ENDPOINT = "/v1/chat/completions"


@dataclass(frozen=True)
class Limits:
    """What one batch input file may hold."""

    max_requests: int = 50_000
    max_bytes: int = 200_000_000
    """OpenAI's 200 MB, read as the smaller, decimal megabytes."""


def custom_id(request: CallRequest) -> str:
    return request.tag


def input_line(cid: str, request: CallRequest) -> bytes:
    line = {
        "custom_id": cid,
        "method": "POST",
        "url": ENDPOINT,
        "body": request.body,
    }
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


@dataclass
class InputFile:
    """One input file on disk and the requests it holds."""

    path: Path
    base_url: str
    model: str
    sha256: str
    size: int
    custom_ids: list[str]

    @property
    def upload_name(self) -> str:
        return f"advisor-batch-{self.sha256[:16]}.jsonl"


@dataclass
class _Writer:
    folder: Path
    number: int
    base_url: str
    model: str
    size: int = 0
    custom_ids: list[str] = field(default_factory=list)
    digest: Any = field(default_factory=hashlib.sha256)
    file: IO[bytes] | None = None

    @property
    def path(self) -> Path:
        return self.folder / f".writing-{self.number}.jsonl"

    def add(self, cid: str, line: bytes) -> None:
        if self.file is None:
            self.file = self.path.open("wb")
        self.file.write(line)
        self.digest.update(line)
        self.size += len(line)
        self.custom_ids.append(cid)

    def finish(self) -> InputFile:
        assert self.file is not None
        self.file.close()
        sha = self.digest.hexdigest()
        path = self.path.replace(self.folder / f"{sha[:16]}.jsonl")
        return InputFile(path, self.base_url, self.model, sha, self.size, self.custom_ids)


def write_inputs(requests: Iterable[CallRequest], folder: Path, limits: Limits) -> list[InputFile]:
    """Write the batch input files of `requests`, one pass, one line in memory at a time."""
    folder.mkdir(parents=True, exist_ok=True)
    open_files: dict[tuple[str, str], _Writer] = {}
    done: list[InputFile] = []
    count = 0
    for request in requests:
        group = (request.base_url, str(request.body.get("model")))
        cid = custom_id(request)
        line = input_line(cid, request)
        writer = open_files.get(group)
        if writer is not None and (
            len(writer.custom_ids) >= limits.max_requests
            or writer.size + len(line) > limits.max_bytes
        ):
            done.append(writer.finish())
            writer = None
        if writer is None:
            count += 1
            writer = open_files[group] = _Writer(folder, count, *group)
        writer.add(cid, line)
    done.extend(writer.finish() for writer in open_files.values())
    return done


async def lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The lines of a byte stream, split on newlines only (JSON text may hold U+2028)."""
    rest = b""
    async for chunk in chunks:
        rest += chunk
        *whole, rest = rest.split(b"\n")
        for line in whole:
            if line.strip():
                yield line
    if rest.strip():
        yield rest


@dataclass(frozen=True)
class Result:
    """One line of a batch's output or error file."""

    custom_id: str
    body: dict[str, Any] | None
    """The chat completion, when the request was answered."""
    error: str | None


def parse_result(line: bytes) -> Result | None:
    """A result line, or None when the line is not one (it is then not joined to anything)."""
    try:
        item = json.loads(line)
    except ValueError:
        return None
    if not isinstance(item, dict) or not isinstance(item.get("custom_id"), str):
        return None
    cid = item["custom_id"]
    error = item.get("error")
    if isinstance(error, dict) and (error.get("code") or error.get("message")):
        return Result(cid, None, _short(f"{error.get('code') or 'error'}: {error.get('message')}"))
    response = item.get("response") if isinstance(item.get("response"), dict) else {}
    status, body = response.get("status_code"), response.get("body")
    if status == 200 and isinstance(body, dict) and body.get("choices"):
        return Result(cid, body, None)
    if status == 200:
        return Result(cid, None, "HTTP 200 without choices")
    message = body.get("error") if isinstance(body, dict) else None
    if isinstance(message, dict):
        message = message.get("message")
    return Result(cid, None, _short(f"HTTP {status}: {message or 'no message'}"))


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

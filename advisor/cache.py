"""The response cache: every answer that reached disk is never paid for again.

An append-only JSONL file in the run folder, one line per successful response, flushed as each
response arrives; a line torn by a kill is ignored on the next load. Errors are not cached.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import IO, Any


def request_key(base_url: str, body: dict[str, Any], repeat: int) -> str:
    """Everything that changes the answer: endpoint, model, messages, sampling, repeat index."""
    canonical = json.dumps(
        {"base_url": base_url.rstrip("/"), "body": body, "repeat": repeat},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class ResponseCache:
    """Cached response bodies by request key.

    Only each entry's place in the file is held in memory: a 100,000-answer cache would
    otherwise keep every response body alive for the whole run. `get` reads its line back.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offsets: dict[str, int] = {}
        self._reader: IO[bytes] | None = None
        self._file: IO[bytes] | None = None
        if path.exists():
            with path.open("rb") as f:
                offset = 0
                for line in f:
                    key = _key_of(line)
                    if key is not None:
                        self._offsets[key] = offset
                    offset += len(line)

    def __len__(self) -> int:
        return len(self._offsets)

    def __contains__(self, key: str) -> bool:
        return key in self._offsets

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry saved for `key` (key, tag, latency_ms, body), or None."""
        offset = self._offsets.get(key)
        if offset is None:
            return None
        if self._reader is None:
            self._reader = self.path.open("rb")
        self._reader.seek(offset)
        try:
            entry = json.loads(self._reader.readline())
        except ValueError:
            return None
        # another writer appending to the same file (a second run into the folder) can move
        # what sits at the offset: never answer with another request's response
        return entry if isinstance(entry, dict) and entry.get("key") == key else None

    def put(self, key: str, body: dict[str, Any], latency_ms: float | None, tag: str = "") -> None:
        """Store a response; `tag` (candidate/example/repeat) is for people reading the file."""
        entry = {"key": key, "tag": tag, "latency_ms": latency_ms, "body": body}
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab")
            end = self._file.seek(0, 2)
            if end and not _ends_line(self.path):
                self._file.write(b"\n")  # end the torn line so the next one stays whole
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        offset = self._file.tell()
        self._file.write(line)
        self._file.flush()
        self._offsets[key] = offset

    def close(self) -> None:
        files, self._file, self._reader = (self._file, self._reader), None, None
        for f in files:
            if f is not None:
                f.close()


def _key_of(line: bytes) -> str | None:
    """The key of a whole entry line; None for a line cut short by an interrupted run."""
    try:
        entry = json.loads(line)
        key = entry["key"]
        entry["body"]
    except (ValueError, KeyError, TypeError):
        return None
    return key if isinstance(key, str) else None


def _ends_line(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, 2)
        return f.read(1) == b"\n"

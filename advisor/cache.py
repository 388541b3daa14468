"""The response cache: every answer that reached disk is never paid for again.

An append-only JSONL file in the run folder, one line per successful response, flushed as each
response arrives; a line torn by a kill is dropped with a warning and cut off before the next
write, any other damaged line is named (advisor.jsonlines). Errors are not cached.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import IO, Any

from advisor.errors import InputError
from advisor.jsonlines import JsonLines, cut


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
        self._torn_at: int | None = None
        if path.exists():
            lines = JsonLines(path, "response cache")
            for line in lines:
                key = _key_of(line.value)
                if key is None:
                    raise InputError(f"{path}:{line.number}: not a cached response")
                self._offsets[key] = line.offset
            self._torn_at = lines.torn_at

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
            if self.path.exists():
                cut(self.path, self._torn_at)
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


def _key_of(entry: Any) -> str | None:
    """The key of an entry; None when it is not one."""
    if not isinstance(entry, dict) or "body" not in entry:
        return None
    key = entry.get("key")
    return key if isinstance(key, str) else None


def _ends_line(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, 2)
        return f.read(1) == b"\n"

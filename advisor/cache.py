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
    """Cached response bodies by request key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, dict[str, Any]] = {}
        self._file: IO[str] | None = None
        if path.exists():
            with path.open(encoding="utf-8") as f:
                for line in f:
                    try:
                        entry = json.loads(line)
                        self._entries[entry["key"]] = entry
                    except (ValueError, KeyError, TypeError):
                        continue  # a line cut short by an interrupted run

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> dict[str, Any] | None:
        return self._entries.get(key)

    def put(self, key: str, body: dict[str, Any], latency_ms: float, tag: str = "") -> None:
        """Store a response; `tag` (candidate/example/repeat) is for people reading the file."""
        entry = {"key": key, "tag": tag, "latency_ms": latency_ms, "body": body}
        self._entries[key] = entry
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            torn = self.path.exists() and not self.path.read_bytes().endswith(b"\n")
            self._file = self.path.open("a", encoding="utf-8")
            if torn and self.path.stat().st_size:
                self._file.write("\n")  # end the torn line so the next one stays whole
        self._file.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

"""Token counts of a training file, or of a run's prompts, kept by the hash of what was counted.

Counting a training file's tokens means loading a tokenizer's vocabulary (about a second) and
encoding every example, for a number that changes only when the file does. Every `advisor
evaluate` of a study with a fine-tune counts it again, a replay included; the prompts of a run
under a spend cap are counted before its first request. The counts are kept under
`.advisor-cache/tokens/`, named by the SHA-256 of the file or of the rendered prompts, the
encoding and the counting rules' version, so a changed input, tokenizer or rule is counted
afresh. An entry that cannot be read, or does not fit what it counts, is counted again and
rewritten: it is derived data, and nothing is lost with it.

A run writes what it counted only once its checks have passed (`TokenCache.save`): an exit 2
leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

CACHE_DIR = Path(".advisor-cache") / "tokens"
RULES_VERSION = 1
"""Raise when the way examples or prompts are counted changes (advisor.training.count_example,
advisor.tokens.count_chat)."""


class TokenCache:
    """The counts one run reads from `folder` or makes; `save` writes the ones it made."""

    def __init__(self, folder: Path = CACHE_DIR) -> None:
        self.folder = folder
        self._made: dict[Path, list[int]] = {}

    def file_counts(self, path: Path, encoding: str, count: Callable[[], list[int]]) -> list[int]:
        """The per-example counts of the file at `path`, kept or from `count()`."""
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return self._counts(digest, encoding, count, None)

    def prompt_counts(self, model: str, prompts: list[list[dict]]) -> list[int]:
        """Prompt tokens of each chat request (`advisor.tokens.count_chat`), kept by the hash
        of the rendered messages."""
        from advisor.tokens import count_chat, encoding_name_for_model

        encoding = encoding_name_for_model(model)[0]
        digest = "prompts-" + _prompts_digest(prompts)
        return self._counts(
            digest, encoding, lambda: [count_chat(m, model) for m in prompts], len(prompts)
        )

    def save(self) -> None:
        for entry, counts in self._made.items():
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tokens-", suffix=".tmp")
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(counts, f)
                os.replace(tmp, entry)
            except OSError:
                pass  # a cache that cannot be written only costs the next run the count
        self._made.clear()

    def _counts(
        self, digest: str, encoding: str, count: Callable[[], list[int]], size: int | None
    ) -> list[int]:
        entry = self.folder / f"{digest}-{encoding}-v{RULES_VERSION}.json"
        if (made := self._made.get(entry)) is not None:
            return made
        try:
            counts = json.loads(entry.read_text(encoding="utf-8"))
            if (
                isinstance(counts, list)
                and all(type(n) is int for n in counts)
                and (size is None or len(counts) == size)
            ):
                return counts
        except (OSError, ValueError):
            pass
        counts = self._made[entry] = count()
        return counts


def _prompts_digest(prompts: list[list[dict]]) -> str:
    """SHA-256 over every prompt's messages, each message's canonical JSON hashed once per
    object: a few-shot prompt's shared turns are the same objects in every request, so a
    100,000-example run neither writes them out 100,000 times nor holds that text at once."""
    whole = hashlib.sha256()
    seen: dict[int, bytes] = {}  # by id(): every message stays alive in `prompts` meanwhile
    for messages in prompts:
        whole.update(b"[")
        for message in messages:
            digest = seen.get(id(message))
            if digest is None:
                text = json.dumps(message, ensure_ascii=False, sort_keys=True)
                digest = seen[id(message)] = hashlib.sha256(text.encode()).digest()
            whole.update(digest)
        whole.update(b"]")
    return whole.hexdigest()

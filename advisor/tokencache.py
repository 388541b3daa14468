"""Token counts of a training file, kept by the hash of its content.

Counting a training file's tokens means loading a tokenizer's vocabulary (about a second) and
encoding every example, for a number that changes only when the file does. Every `advisor
evaluate` of a study with a fine-tune counts it again, a replay included; the counts are kept
under `.advisor-cache/tokens/`, named by the file's SHA-256, the encoding and the counting rules'
version, so a changed file, tokenizer or rule is counted afresh. An entry that cannot be read is
counted again and rewritten: it is derived data, and nothing is lost with it.

The prompts of a run under a spend cap are kept the same way, by the hash of the rendered
messages: the pre-flight estimate then loads no tokenizer before the first request once the same
prompts have been counted.
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


def cached_counts(
    path: Path, encoding: str, count: Callable[[], list[int]], cache_dir: Path = CACHE_DIR
) -> list[int]:
    """The per-example counts of the file at `path`, from the cache or from `count()`."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return _kept(digest, encoding, count, cache_dir)


def prompt_counts(model: str, prompts: list[list[dict]], cache_dir: Path) -> list[int]:
    """Prompt tokens of each chat request (`advisor.tokens.count_chat`), kept by the hash of
    the rendered messages."""
    from advisor.tokens import count_chat, encoding_name_for_model

    encoding = encoding_name_for_model(model)[0]
    text = json.dumps(prompts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = "prompts-" + hashlib.sha256(text.encode()).hexdigest()
    return _kept(digest, encoding, lambda: [count_chat(m, model) for m in prompts], cache_dir)


def _kept(digest: str, encoding: str, count: Callable[[], list[int]], cache_dir: Path) -> list[int]:
    entry = cache_dir / f"{digest}-{encoding}-v{RULES_VERSION}.json"
    try:
        counts = json.loads(entry.read_text(encoding="utf-8"))
        if isinstance(counts, list) and all(type(n) is int for n in counts):
            return counts
    except (OSError, ValueError):
        pass
    counts = count()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tokens-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(counts, f)
        os.replace(tmp, entry)
    except OSError:
        pass  # a cache that cannot be written only costs the next run the count
    return counts

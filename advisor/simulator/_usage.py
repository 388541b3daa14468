"""Token usage as a provider bills it, cheap enough to compute on every simulated request.

An eval sends the same few-shot prefix with every example, so token lists are cached per text
and prompt counts per message; only the text that changes is tokenized.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from advisor.simulator._answers import message_text
from advisor.tokens import REPLY_PRIMING_TOKENS, count_chat, encoding_for_model

CACHE_MIN_TOKENS = 1024
CACHE_STEP_TOKENS = 128
_TEXTS_CACHED = 8192


@lru_cache(maxsize=_TEXTS_CACHED)
def encode(model: str, text: str) -> array[int]:
    """The tokens of `text`, exactly as `advisor.tokens.count_text` counts them."""
    return array("I", encoding_for_model(model).encode(text, disallowed_special=()))


def decode(model: str, tokens: array[int]) -> str:
    return encoding_for_model(model).decode(tokens.tolist())


@lru_cache(maxsize=_TEXTS_CACHED)
def _message_tokens(model: str, items: tuple[tuple[str, str], ...]) -> int:
    # count_chat is the priming plus a sum over messages, so one message's share is exact.
    return count_chat([dict(items)], model) - REPLY_PRIMING_TOKENS


def prompt_tokens(model: str, messages: Sequence[Mapping[str, Any]]) -> int:
    """`advisor.tokens.count_chat(messages, model)`, from per-message counts cached across calls."""
    return REPLY_PRIMING_TOKENS + sum(
        _message_tokens(model, tuple((k, v) for k, v in m.items() if isinstance(v, str)))
        for m in messages
    )


def prompt_sequence(model: str, messages: Sequence[Mapping[str, Any]]) -> bytes:
    """The prompt's tokens as bytes: each message's role then content (formatting tokens left out).

    Close enough to the rendered prompt for prefix caching, and bytes hash fast.
    """
    return b"".join(
        encode(model, part).tobytes()
        for m in messages
        for part in (str(m.get("role", "")), message_text(m.get("content")))
    )


class PromptCache:
    """The prompt prefixes each model has seen, kept at the granularity OpenAI caches them.

    OpenAI caches prompts of 1024 tokens or more in steps of 128 tokens; a request reads as cached
    the longest such prefix that an earlier request to the same model already sent.
    """

    def __init__(self) -> None:
        self._seen: defaultdict[str, set[bytes]] = defaultdict(set)

    def cached_tokens(self, model: str, sequence: bytes) -> int:
        """Tokens of `sequence` already cached for `model`; its prefixes are cached from now on."""
        size = array("I").itemsize
        seen = self._seen[model]
        digest = hashlib.blake2b(
            sequence[: (CACHE_MIN_TOKENS - CACHE_STEP_TOKENS) * size], digest_size=16
        )
        cached = 0
        for end in range(CACHE_MIN_TOKENS, len(sequence) // size + 1, CACHE_STEP_TOKENS):
            digest.update(sequence[(end - CACHE_STEP_TOKENS) * size : end * size])
            prefix = digest.digest()
            if prefix in seen:
                cached = end
            else:
                seen.add(prefix)
        return cached

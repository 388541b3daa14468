"""What is scrubbed from what a recording stores: secrets, and the study's personal-data patterns.

It applies to the stored exchange and to its key alike, so a replay keys a request as it was
recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

REDACTED = "[REDACTED]"
MIN_SECRET = 8
"""A key shorter than this is a placeholder for a local server (`x`, `EMPTY`, `test`), not a
secret: searched for in what is stored, it matched inside ordinary words (`ma[REDACTED]_tokens`
for the key `x`), so the recording no longer matched the requests it recorded. The
Authorization header itself is never stored, whatever its key."""
_SECRET_QUERY_KEYS = {"api-key", "api_key", "apikey", "key", "access_token", "token", "sig"}


class Redactor:
    """Removes personal data (the study's patterns) and secrets from what is stored."""

    def __init__(self, patterns: Sequence[str] = (), secrets: Sequence[str] = ()) -> None:
        self.patterns = [re.compile(p) for p in patterns]
        self.secrets = [s for s in secrets if len(s) >= MIN_SECRET]

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern in self.patterns:
            text = pattern.sub(REDACTED, text)
        return text

    def value(self, value: Any) -> Any:
        """Apply to every string of a JSON value, keys included."""
        if not self.patterns and not self.secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k): self.value(v) for k, v in value.items()}
        return value

    def path(self, raw_path: str) -> str:
        """Drop query keys that carry secrets; redact the rest."""
        parts = urlsplit(raw_path)
        query = [
            (k, self.text(v))
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() not in _SECRET_QUERY_KEYS
        ]
        return self.text(parts.path) + (f"?{urlencode(query)}" if query else "")

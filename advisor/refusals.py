"""Errors no retry can fix: which they are, whom they concern, and what the user should change.

A 401 (bad key), 403 (no access), 404 (no such model), a 400 or 422 for a parameter the model
refuses, and a 429 whose code is `insufficient_quota` (the account has no credit) answer every
request the same way: retrying them, or sending the rest of the eval, only spends time (and, for
a 400 after some answers, money). The runner stops sending to a candidate that gets one and says
why, in the provider's own words, with the study key to fix. A 400 about one example's input
(too long for the context window) concerns that example alone: it is recorded as its error and
the run goes on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

REFUSED_STATUSES = frozenset({400, 401, 403, 404, 422})
QUOTA_CODE = "insufficient_quota"
_EXAMPLE_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
"""Codes that concern one request's input, not the candidate's settings."""
_EXAMPLE_PARAMS = frozenset({"messages", "input", "prompt"})


@dataclass(frozen=True)
class Refusal:
    """A response no retry can turn into an answer."""

    status: int
    message: str
    """The provider's own message."""
    code: str | None = None
    param: str | None = None

    @property
    def example_only(self) -> bool:
        """True when it is about this request's input: other examples may well be answered."""
        return self.status in (400, 422) and (
            self.code in _EXAMPLE_CODES or (self.code is None and self.param in _EXAMPLE_PARAMS)
        )

    def stops(self, answered: bool) -> bool:
        """Whether the candidate's other requests should not be sent.

        A 400 or 422 once the candidate has answered is about that request (its parameters were
        accepted before), as is one about the input itself; any other refusal is the same for
        every request.
        """
        if self.status in (400, 422):
            return not (answered or self.example_only)
        return True

    def hint(self, api_key_env: str) -> str:
        """The study key (or environment variable) to look at."""
        if self.status == 401:
            return f"check the API key in {api_key_env} (the candidate's api_key_env)"
        if self.status == 403:
            return f"the key in {api_key_env} may not use this model: check model and api_key_env"
        if self.status == 404:
            return "check the candidate's model (and its base_url)"
        if self.status == 429:
            return f"the account of {api_key_env} has no quota left: add credit or change the key"
        if self.param:
            return f"check the candidate's params (the endpoint refuses {self.param!r})"
        return "check the candidate's params and template"

    def describe(self) -> str:
        code = f" {self.code}" if self.code else ""
        return f"HTTP {self.status}{code}: {self.message}"


def refusal(status: int, content: bytes) -> Refusal | None:
    """The refusal a response is, or None when a retry may succeed (or it is an answer)."""
    if status not in REFUSED_STATUSES and status != 429:
        return None
    error = _error_object(content)
    code = error.get("code") if isinstance(error.get("code"), str) else None
    if status == 429 and code != QUOTA_CODE:
        return None  # a rate limit: wait and retry
    message = error.get("message")
    if not isinstance(message, str) or not message.strip():
        message = content.decode("utf-8", errors="replace").strip() or "(no message)"
    param = error.get("param") if isinstance(error.get("param"), str) else None
    return Refusal(status, " ".join(message.split())[:500], code, param)


def _error_object(content: bytes) -> dict:
    """OpenAI's `{"error": {...}}` (or a bare `{"message": ...}`); {} for anything else."""
    try:
        body = json.loads(content)
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    error = body.get("error", body)
    if isinstance(error, str):
        return {"message": error}
    return error if isinstance(error, dict) else {}


UNREACHABLE_DEADLINE = 10.0
"""Seconds an endpoint that has never answered gets to accept a connection before it is given
up as unreachable (refused, unknown host, TLS failure): said within seconds, not after the
retry deadline."""


@dataclass(frozen=True)
class Halt:
    """Why the runner stopped sending a candidate's requests."""

    candidate: str
    base_url: str
    reason: str
    """The provider's message (`Refusal.describe`) or the connection error."""
    refusal: Refusal | None = None
    """None when the endpoint could not be reached at all."""

    def line(self, api_key_env: str) -> str:
        """One line for the terminal: candidate, endpoint, the provider's words and a hint."""
        if self.refusal is None:
            hint = "check base_url (or --base-url), the network and any proxy"
        else:
            hint = self.refusal.hint(api_key_env)
        return f"candidate {self.candidate!r} at {self.base_url}: {self.reason} ({hint})"

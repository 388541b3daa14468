"""Replay: every request of a run answered from its recorded exchanges, at the transport.

Each client of a replayed run (the runner's chat completions, the models listing, the SDK's files
and batches, the judge) is handed the one `Replay.transport` in place of a network transport, so
no request can reach a socket. It keeps the semantics of the fixtures (`advisor.fixtures`):
attempts of a key are served in order (a 429, then the 200); a polled GET past its last recording
gets the last one again; any other request past its recordings, or never recorded, answers 599
and is collected, and `replaying` raises `FixtureMissError` naming it once the run is over; a
recorded connection failure is raised as a WireError of its name; the recorded latency of
what was served is kept by tag. Waits run on the wire's virtual clock, not here.

Why a transport and not respx, as first designed: respx patches httpcore2 under the transport,
so each replayed request was built as an httpx2 request, turned into httpcore2's, then into old
httpx's for respx, keyed by parsing and canonicalising its JSON body again, answered with an old
httpx response, and converted all the way back; importing respx alone took 0.3 s. On the shipped
example (1,858 requests; December 2026, this project's shared 2-core machine), opening the wire
to the last answer took 1.3-1.9 s that way and takes 0.55-0.85 s this way, of which 0.3-0.45 s
is the runner and client themselves (measured over a transport answering one canned response).
Here a request is matched with its recording by comparing its parsed body, and answered with the
recorded body. The runner's chat completions were each matched that way before the run started
(`advisor.fixtures.recorded_keys`, which the replay's check of the plan runs anyway): the runner
sends exactly the planned body, so at the wire such a request is served by its tag, method and
path, and only the others (the judge's, whose prompts hold the answers, the listing, the Batch
API's) have their bodies compared here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from advisor.canonical import same_canonical
from advisor.client import TAG_HEADER
from advisor.errors import FixtureMissError
from advisor.fixtures import (
    Exchange,
    FixtureStore,
    exchange_key,
    last_attempts_by_tag,
    request_body,
)
from advisor.record import replayed
from advisor.redact import Redactor
from advisor.reply import RawHeaders, Reply, Target, WireError, by_name

NOT_RECORDED = 599
"""The status a request with no recording is answered with; the run goes on, and fails after."""
_NOT_RECORDED_BODY = json.dumps({"error": {"message": "not recorded"}}).encode()


class Replay:
    """A store's exchanges served in attempt order, with what was missed and what was served."""

    def __init__(
        self, store: FixtureStore, redactor: Redactor, checked: dict[str, str] | None = None
    ) -> None:
        self.store = store
        self.redactor = redactor
        self.checked = checked or {}
        """The recording's key of each runner request whose body was checked before the run, by
        tag."""
        self.misses: list[str] = []
        """One line per request that found no recording."""
        self.latencies: dict[str, float | None] = {}
        """The recorded latency of the last exchange served, by tag."""
        self.transport = ReplayTransport(self)
        """The transport every client of the run is given, whatever its base URL."""
        self._served: dict[str, int] = {}
        self._paths: dict[str, str] = {}
        self._by_tag = last_attempts_by_tag(store)

    def key(self, method: str, raw_path: str, tag: str, content: bytes, media: str | None) -> str:
        """The exchange key of a request, as `advisor.fixtures.exchange_key` makes it.

        The recording with the request's tag, method, path and a body of the same canonical text
        has that key: comparing the parsed body with it (`same_canonical`) costs a fraction of
        writing its canonical text and hashing it, which is left to requests with no such
        recording.
        """
        path = self._paths.get(raw_path)
        if path is None:
            path = self._paths[raw_path] = self.redactor.path(raw_path)
        if method == "POST" and (key := self.checked.get(tag)) is not None:
            recorded = self.store.by_key[key][-1]
            if recorded.path == path:
                return key
        body = self.redactor.value(request_body(content, media))
        for recorded in self._by_tag.get(tag, ()):
            if (
                recorded.method == method
                and recorded.path == path
                and same_canonical(recorded.body, body)
            ):
                return recorded.key
        return exchange_key(tag, method, path, body)

    def exchange(self, method: str, tag: str, key: str, where: str) -> Exchange | None:
        """The next recorded attempt of `key`, or None: a miss, noted with `where` it went."""
        attempts = self.store.by_key.get(key, ())
        index = self._served.get(key, 0)
        self._served[key] = index + 1
        if index >= len(attempts) and attempts and method == "GET":
            index = len(attempts) - 1  # polled past its last recording: the state stays put
        if index >= len(attempts):
            self.misses.append(f"{where}: attempt {index + 1} was never recorded")
            return None
        exchange = attempts[index]
        self.latencies[tag] = exchange.latency_ms
        return exchange

    def check(self) -> None:
        """Raise FixtureMissError naming the first request that found no recording."""
        if self.misses:
            more = f" (and {len(self.misses) - 1} more)" if len(self.misses) > 1 else ""
            raise FixtureMissError(f"replay met requests with no recording: {self.misses[0]}{more}")


class ReplayTransport:
    """Answers each request from a `Replay`; never opens a connection."""

    def __init__(self, replay: Replay) -> None:
        self.replay = replay

    async def exchange(
        self,
        method: str,
        target: Target,
        headers: RawHeaders,
        body: bytes,
        timeouts: dict[str, Any],
    ) -> Reply:
        named = by_name(headers)
        tag = named.get(TAG_HEADER, "")
        key = self.replay.key(method, target.path, tag, body, named.get("content-type"))
        exchange = self.replay.exchange(method, tag, key, tag or target.url)
        if exchange is None:
            return Reply(NOT_RECORDED, {"content-type": "application/json"}, _NOT_RECORDED_BODY)
        if exchange.error is not None:
            raise WireError(exchange.error, f"recorded {exchange.error}")
        return replayed(exchange)

    async def aclose(self) -> None:
        pass  # nothing is open


@contextmanager
def replaying(
    store: FixtureStore, redactor: Redactor, checked: dict[str, str] | None = None
) -> Iterator[Replay]:
    """A `Replay` of `store` for the clients of one run (`checked`: see `Replay.checked`);
    raises FixtureMissError after the run if any request found no recording."""
    replay = Replay(store, redactor, checked)
    yield replay
    replay.check()

"""Run facts: host and library versions found once per process, and still in every run's facts."""

from __future__ import annotations

import platform
from datetime import UTC, datetime, timedelta

from advisor import run_facts as rf


def test_host_and_versions_are_found_once(monkeypatch):
    rf.host_and_versions.cache_clear()
    calls = []
    monkeypatch.setattr(platform, "platform", lambda: calls.append(1) or "Linux-test")
    started = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    first = rf.run_facts(started, started + timedelta(seconds=2.5))
    second = rf.run_facts(started, started + timedelta(seconds=1))
    assert calls == [1]
    assert first.host == second.host == "Linux-test"
    assert set(first.versions) == {"advisor", "openai", "python"}
    assert (first.duration_s, second.duration_s) == (2.5, 1.0)
    second.versions["advisor"] = "changed"  # each run's facts are its own
    assert rf.run_facts(started, started).versions["advisor"] != "changed"
    rf.host_and_versions.cache_clear()

"""The end of a run freezes the objects alive when the answers came in, and thaws them after;
large structures are built with the collector paused."""

from __future__ import annotations

import gc

import pytest

from advisor.heap import frozen, paused


def test_objects_alive_before_are_frozen_inside_and_thawed_after():
    before = gc.get_freeze_count()
    with frozen():
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == 0


def test_a_failed_end_of_run_thaws_them_too():
    with pytest.raises(RuntimeError), frozen():
        raise RuntimeError("disk full")
    assert gc.get_freeze_count() == 0


def test_garbage_made_inside_is_still_collected():
    with frozen():
        cycle: list = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1


def test_collection_is_paused_inside_and_resumes_after():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused():
        assert not gc.isenabled()
        raise RuntimeError("a damaged fixture")
    assert gc.isenabled()


def test_a_collector_paused_outside_stays_paused():
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

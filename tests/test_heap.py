"""The end of a run freezes the objects alive when the answers came in, and thaws them after;
large structures are built with the collector paused."""

from __future__ import annotations

import gc

import pytest

from advisor.heap import frozen, kept_until_the_end, paused


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


def test_what_is_loaded_to_be_kept_is_frozen_after_and_thawed_by_the_run():
    try:
        with kept_until_the_end():
            assert not gc.isenabled()
            kept = [{"exchange": i} for i in range(1_000)]
        assert gc.isenabled() and gc.get_freeze_count() >= len(kept)
        with frozen():
            pass
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_a_failed_load_freezes_nothing():
    with pytest.raises(ValueError), kept_until_the_end():
        raise ValueError("a damaged fixture")
    assert gc.isenabled() and gc.get_freeze_count() == 0

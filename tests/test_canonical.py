"""Comparing two JSON values by their canonical text without writing it gives the same answer
as writing it, numbers that Python finds equal but JSON writes apart included."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.canonical import canonical, same_canonical

# A small world, so that two values drawn apart are often equal, or equal in Python only.
leaves = st.sampled_from([0, 0.0, -0.0, 1, 1.0, True, False, None, "", "a", "1", math.nan, 2.5])
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from(["a", "b", "é"]), inner, max_size=3),
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(values, values)
def test_same_canonical_is_equal_canonical_text(a, b):
    assert same_canonical(a, b) == (canonical(a) == canonical(b))
    assert same_canonical(a, a)


@given(values)
def test_a_value_read_back_from_its_text_is_the_same(value):
    assert same_canonical(json.loads(canonical(value)), value)


def test_numbers_equal_in_python_are_told_apart():
    body = {"messages": [{"role": "user", "content": "é" * 10_000}], "temperature": 0}
    assert same_canonical(body, json.loads(canonical(body)))
    assert not same_canonical(body, {**body, "temperature": 0.0})
    assert not same_canonical({"n": 1}, {"n": True})
    assert not same_canonical([0.0], [-0.0])
    assert canonical({"b": 1, "a": [1.5, None, "é"]}) == '{"a":[1.5,null,"é"],"b":1}'


def test_a_request_and_its_recording_are_matched_without_writing_either(monkeypatch):
    from advisor import canonical as module

    shared = [{"role": "system", "content": "Route it. " * 500}]
    body = {
        "model": "m",
        "messages": [*shared, {"role": "user", "content": "é"}],
        "temperature": 0,
        "max_tokens": 8,
        "top_p": 0.5,
        "stream": False,
        "stop": None,
    }
    recorded = json.loads(canonical(body))

    def refuse(value):
        raise AssertionError("written")

    monkeypatch.setattr(module, "canonical", refuse)
    assert same_canonical(recorded, body)

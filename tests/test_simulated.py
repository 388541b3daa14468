"""The simulator's mark, read back from a response, and the confusion views of the report."""

from __future__ import annotations

from types import SimpleNamespace

from advisor import simulated
from advisor.fixtures import Exchange
from advisor.report._confusion import confusion_views
from advisor.results import LabelTable


def _body(**extra) -> dict:
    return {"choices": [{"message": {"content": "x"}}], **extra}


def test_only_a_marked_completion_declares_an_accuracy():
    marked = _body(
        system_fingerprint=simulated.FINGERPRINT, **{simulated.MARK_FIELD: {"accuracy": 0.92}}
    )
    assert simulated.accuracy_of(marked) == 0.92
    assert simulated.accuracy_of(_body()) is None  # a real endpoint
    # the field alone, without the simulator's fingerprint, is not the simulator's mark
    assert simulated.accuracy_of(_body(**{simulated.MARK_FIELD: {"accuracy": 0.92}})) is None
    judge = _body(
        system_fingerprint=simulated.FINGERPRINT, **{simulated.MARK_FIELD: {"accuracy": None}}
    )
    assert simulated.accuracy_of(judge) is None
    odd = _body(system_fingerprint=simulated.FINGERPRINT, **{simulated.MARK_FIELD: {"accuracy": 7}})
    assert simulated.accuracy_of(odd) is None


def test_a_candidate_is_simulated_when_any_answer_was():
    assert simulated.simulated([None, None]) is None
    assert simulated.simulated([]) is None
    mixed = simulated.simulated([0.9, None, 0.9, 0.8])
    assert mixed == simulated.Simulated(answers=3, accuracy=0.9)


def test_the_notice_lists_each_simulated_candidate_and_only_those():
    def candidate(name, model, accuracy):
        marks = simulated.simulated([accuracy]) if accuracy is not None else None
        return SimpleNamespace(name=name, model=model, simulated=marks)

    assert simulated.notice([candidate("a", "m-a", None)]) is None
    text = simulated.notice([candidate("a", "m-a", 0.92), candidate("b", "m-b", None)])
    assert "a (m-a) 0.92" in text and "m-b" not in text
    assert text.startswith("Simulated answers: the quality figures are the accuracies")


def _labelled(name: str, labels: list[str], confusion: list[list[int]]) -> SimpleNamespace:
    table = LabelTable(labels=labels, per_class=[], confusion=confusion)
    return SimpleNamespace(name=name, metrics=SimpleNamespace(labels=table))


def test_a_small_matrix_is_shown_whole_and_a_large_one_as_its_top_confusions():
    small = _labelled("small", ["a", "b"], [[3, 1], [0, 4]])
    labels = [f"l{i}" for i in range(9)]
    matrix = [[10 if i == j else 0 for j in range(9)] for i in range(9)]
    matrix[0][1], matrix[2][3], matrix[4][5] = 5, 2, 2  # l0 -> l1 five times; two ties of two
    large = _labelled("large", labels, matrix)
    unlabelled = SimpleNamespace(name="free text", metrics=SimpleNamespace(labels=None))
    views = confusion_views([small, unlabelled, large])
    assert [v.candidate for v in views] == ["small", "large"]
    assert views[0].matrix == [[3, 1], [0, 4]] and views[0].wrong == 1
    assert views[1].matrix is None and views[1].wrong == 9
    top = [(c.expected, c.answered, c.count) for c in views[1].top]
    assert top == [("l0", "l1", 5), ("l2", "l3", 2), ("l4", "l5", 2)]
    assert views[1].top[0].share == 5 / 15


def test_an_exchange_keeps_its_latency_through_the_file_and_older_ones_have_none():
    exchange = Exchange(
        key="k",
        tag="c/e/0",
        attempt=0,
        host="h",
        method="POST",
        path="/v1/chat/completions",
        body={},
        status=200,
        headers={},
        response={"ok": 1},
        response_is_json=True,
        error=None,
        latency_ms=51.25,
    )
    data = exchange.to_json()
    assert data["response"]["latency_ms"] == 51.25
    assert Exchange.from_json(data) == exchange
    del data["response"]["latency_ms"]
    assert Exchange.from_json(data).latency_ms is None
    dropped = Exchange(
        **{**exchange.__dict__, "status": None, "response": None, "error": "ReadError"}
    )
    assert Exchange.from_json(dropped.to_json()).latency_ms == 51.25

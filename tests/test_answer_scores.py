"""Answers scored as they arrive get the scores the end of the run would give them."""

from __future__ import annotations

import pytest

from advisor import collate
from advisor.cli import main
from advisor.simulator import running
from tests.conftest import LABELS, sim_config, study_text

LABEL = '[scorer]\ntype = "label"\nlabels = ["billing", "bug", "other"]\n'
JUDGE = '[scorer]\ntype = "judge"\nmodel = "grader"\n'


@pytest.fixture
def both_ways(monkeypatch):
    """Score every run twice at its end, with and without the early scores: they must agree."""
    seen: dict = {}
    score = collate._score

    def checked(plan, completions, judged, early):
        at_end = score(plan, completions, judged, {})
        as_arrived = score(plan, completions, judged, early)
        assert as_arrived == at_end
        seen.update(early=early, at_end=at_end)
        return as_arrived

    monkeypatch.setattr(collate, "_score", checked)
    return seen


@pytest.mark.parametrize(
    ("scorer", "run"),
    [(LABEL, "[run]\nrepeats = 3\n"), (JUDGE, "[run]\nrepeats = 2\n")],
    ids=["label-repeats", "judge"],
)
def test_scored_as_they_arrive_as_at_the_end(study_dir, simulator, both_ways, scorer, run):
    (study_dir / "study.toml").write_text(study_text(scorer=scorer, run=run))
    argv = ["evaluate", "study.toml", "--base-url", simulator.base_url]
    assert main([*argv, "--price", "grader=1.0,,2.0"]) == 0
    early, at_end = both_ways["early"], both_ways["at_end"]
    assert len(at_end) == 60 * 2 * (3 if "repeats = 3" in run else 2)
    assert {key: score for key, (_, score) in early.items()} == at_end  # every one made early


def test_invalid_outputs_are_among_them(study_dir, both_ways):
    # The server also answers "spam", which is no label of the study: invalid, scored 0.
    with running(sim_config(study_dir, labels=[*LABELS, "spam"])) as server:
        assert main(["evaluate", "study.toml", "--base-url", server.base_url]) == 0
    outputs = {text for text, _ in both_ways["early"].values()}
    assert "spam" in outputs and 0.0 in both_ways["at_end"].values()


def test_a_users_own_scorer_waits_for_the_end(study_dir, simulator, both_ways):
    (study_dir / "myscore.py").write_text(
        "def first_letter(output, expected, example):\n    return output[:1] == expected[:1]\n"
    )
    scorer = '[scorer]\ntype = "custom"\nfunction = "myscore:first_letter"\n'
    (study_dir / "study.toml").write_text(study_text(scorer=scorer))
    assert main(["evaluate", "study.toml", "--base-url", simulator.base_url]) == 0
    assert both_ways["early"] == {} and len(both_ways["at_end"]) == 120


def test_an_early_score_is_used_only_for_the_text_it_scored(study_dir, simulator, monkeypatch):
    (study_dir / "study.toml").write_text(study_text())
    score = collate._score
    seen = {}

    def tampered(plan, completions, judged, early):
        wrong = {key: ("not the answer", 0.5) for key in early}  # made from other text
        seen["scores"] = score(plan, completions, judged, wrong)
        return seen["scores"]

    monkeypatch.setattr(collate, "_score", tampered)
    assert main(["evaluate", "study.toml", "--base-url", simulator.base_url]) == 0
    assert 0.5 not in seen["scores"].values()

"""--fail-on regression: against a baseline, a drop by more than the margin; a challenger the
baseline already vetoed is no regression."""

from __future__ import annotations

from pathlib import Path

from advisor import results as res
from advisor.gate import FailOn, failures

EXAMPLE = Path(__file__).resolve().parent.parent / "reports/support-tickets/results.json"


def _example() -> res.Results:
    return res.load(EXAMPLE)


def test_the_same_results_as_the_baseline_pass():
    assert failures(_example(), [FailOn.regression], "fine_tune", _example()) == []


def test_without_a_baseline_a_vetoed_challenger_fails():
    found = failures(_example(), [FailOn.regression], None)
    assert found == [f for f in found if "gpt-4o-mini zero-shot" in f] and len(found) == 1


def test_a_drop_by_more_than_the_margin_fails_and_a_smaller_one_does_not():
    baseline = _example()
    incumbent = baseline.candidates[0]
    was = incumbent.metrics.value
    incumbent.metrics.value = was + 0.021  # margin 0.02: the run is now 0.021 below it
    found = failures(_example(), [FailOn.regression], None, baseline)
    assert len(found) == 1 and incumbent.name in found[0] and f"{was + 0.021:.4f}" in found[0]
    incumbent.metrics.value = was + 0.019
    assert failures(_example(), [FailOn.regression], None, baseline) == []


def test_a_challenger_vetoed_now_but_not_in_the_baseline_fails():
    baseline = _example()
    zero_shot = next(c for c in baseline.analysis.challengers if c.name == "gpt-4o-mini zero-shot")
    rule = next(r for r in zero_shot.rules if r.name == "quality.margin")
    rule.outcome = "pass"
    found = failures(_example(), [FailOn.regression], None, baseline)
    assert len(found) == 1 and "gpt-4o-mini zero-shot is now vetoed" in found[0]

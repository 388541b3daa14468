"""Each answer scored as the runner hands it over, so that the end of the run finds it done.

Scoring 500 answers with a built-in scorer takes a few milliseconds, all of them after the last
answer when done at the end; done as each answer arrives, it hides in the wait for the others.
A score is kept with the text it was made from, and the end of the run uses it only for that very
text (a replay swaps in recorded latencies, not answers, but nothing here relies on that).

A user's own scorer function is left for the end, as before: it may be slow, and here it would
hold up the requests in flight. An answer whose scoring raises is scored again at the end, where
the error surfaces as it always has.
"""

from __future__ import annotations

from advisor.calls import Completion
from advisor.plan import JUDGE, Plan
from advisor.scoring import JudgeScorer, LocalScorer

Key = tuple[str, str, int]
"""(candidate, example id, repeat)."""


class AnswerScores:
    """The runner's `on_answer`: scores by key, each with the text it scored."""

    def __init__(self, plan: Plan) -> None:
        self.scored: dict[Key, tuple[str, float | None]] = {}
        self._scorer = plan.scorer
        self._examples = plan.examples
        custom = plan.study.scorer.type == "custom"
        self._local = isinstance(plan.scorer, LocalScorer) and not custom
        self._judge = isinstance(plan.scorer, JudgeScorer)

    def __call__(self, c: Completion) -> None:
        if c.output is None:
            return
        judged = c.candidate.startswith(f"{JUDGE}.")
        try:
            if self._local and not judged:
                example = self._examples[c.example_id]
                score: float | None = self._scorer.score(c.output, example.expected, example)
                self.scored[c.candidate, c.example_id, c.repeat] = (c.output, score)
            elif self._judge and judged:
                try:
                    score = self._scorer.parse_reply(c.output)
                except ValueError:
                    score = None
                candidate = c.candidate.removeprefix(f"{JUDGE}.")
                self.scored[candidate, c.example_id, c.repeat] = (c.output, score)
        except Exception:  # scored again at the end, where it raises as it always has
            return

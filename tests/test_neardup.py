"""The near-duplicate detector: planted paraphrases found, unrelated texts never paired, and the
example's replay kept free of scikit-learn."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.prepare import near_pairs

COMMON = [
    "the",
    "a",
    "to",
    "and",
    "of",
    "i",
    "my",
    "we",
    "is",
    "it",
    "in",
    "for",
    "on",
    "with",
    "this",
    "that",
    "not",
    "can",
    "our",
    "after",
    "when",
]
DOMAIN = [
    "invoice",
    "export",
    "login",
    "password",
    "refund",
    "account",
    "billing",
    "report",
    "dashboard",
    "api",
    "webhook",
    "sync",
    "csv",
    "pdf",
    "plan",
    "seat",
    "trial",
    "admin",
    "user",
    "team",
    "error",
    "page",
    "timeout",
    "crash",
    "upload",
    "download",
    "sso",
]
VERBS = [
    "fails",
    "breaks",
    "shows",
    "drops",
    "resets",
    "crashes",
    "hangs",
    "loads",
    "sends",
    "charges",
    "deletes",
]


def tickets(rng: random.Random, n: int) -> list[str]:
    """Support-ticket-like texts: common and domain words, a few rare ones, an order number."""
    rare = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)) for _ in range(3000)
    ]
    pools = [(0.5, COMMON), (0.75, DOMAIN), (0.85, VERBS), (1.0, rare)]
    out = []
    for _ in range(n):
        words = []
        for _ in range(rng.randint(22, 40)):
            r = rng.random()
            words.append(rng.choice(next(pool for bound, pool in pools if r < bound)))
        out.append(" ".join(words) + f" (order {rng.randint(1000, 99999)})")
    return out


def paraphrase(rng: random.Random, text: str) -> str:
    """One edit a copied example typically carries."""
    w = text.split()
    i = rng.randrange(len(w) - 1)
    edits = {
        "case": lambda: text.upper(),
        "typo": lambda: " ".join(
            [*w[:i], w[i][:1] + w[i][2:3] + w[i][1:2] + w[i][3:], *w[i + 1 :]]
        ),
        "greeting": lambda: f"Hello team, {text} Thanks!",
        "swap": lambda: " ".join([*w[:i], w[i + 1], w[i], *w[i + 2 :]]),
        "drop": lambda: " ".join(w[:i] + w[i + 1 :]),
        "replace": lambda: " ".join([*w[:i], rng.choice(DOMAIN), *w[i + 1 :]]),
        "punctuation": lambda: text.replace(" ", ", ", 3) + "!!",
    }
    return edits[rng.choice(sorted(edits))]()


def test_planted_paraphrases_are_found_and_unrelated_texts_are_not():
    rng = random.Random(18)
    evals = tickets(rng, 50)
    unrelated = tickets(rng, 1000)
    training = [paraphrase(rng, t) for t in evals] + unrelated
    pairs = near_pairs(evals, training)
    found = {(p.left, p.right) for p in pairs}
    assert len(found & {(i, i) for i in range(50)}) >= 48
    assert found <= {(i, i) for i in range(50)}  # 50 x 1,049 other pairs, none reported
    assert all(0.9 <= p.similarity <= 1 for p in pairs)
    # and 1,000 unrelated pairs on their own, scored with no threshold to speak of
    others = near_pairs(unrelated[:500], unrelated[500:], threshold=0.5)
    assert others == []


def test_case_punctuation_and_spacing_do_not_hide_a_copy():
    text = "The CSV export drops every row after the first thousand; we need all of them today."
    [pair] = near_pairs(
        [text],
        ["the csv export  drops every row after the first THOUSAND we need all of them today"],
    )
    assert (pair.left, pair.right, pair.similarity) == (0, 0, 1.0)
    assert near_pairs([], ["x"]) == [] and near_pairs(["x"], []) == []
    with pytest.raises(ValueError, match="threshold"):
        near_pairs(["a"], ["a"], threshold=0)


def test_the_example_replay_does_not_import_scikit_learn(tmp_path):
    """The near-duplicate answer for the example's training file is cached with its fixtures."""
    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys\n"
        "from advisor.cli import main\n"
        "argv = ['evaluate', 'studies/support-tickets.toml', '--replay', '--out', sys.argv[1]]\n"
        "rc = main(argv)\n"
        "print(rc, sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.splitlines()[-1] == "0 []", done.stderr

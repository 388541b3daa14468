"""Near-duplicate search at scale: `python -m benchmarks.neardup [--repeats N]`.

50,000 training texts x 5,000 eval texts, generated: support-ticket-like sentences of 12 to 40
words drawn from a Zipf-distributed 30,000-word vocabulary, each ending in an order number, with
500 training texts planted as near copies of eval texts (a typo, a changed case, a greeting, two
words swapped). Each run measures `advisor.prepare.near_pairs` whole (normalizing, TF-IDF,
candidate pairs, scoring) in a fresh process, so scikit-learn's import (about 1.5 s) is counted
apart, and reports how many planted copies it found and how many other pairs it reported.
Target (issue 18): under 20 s on this machine. Writes benchmarks/results/neardup.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from benchmarks._setup import ROOT, machine, save, spread, table

TRAIN, EVAL, PLANTED = 50_000, 5_000, 500
TARGET_S = 20.0

_CHILD = """
import json, random, sys, time
import numpy as np

rng = np.random.default_rng(18)
r = random.Random(18)
vocabulary = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 10)))
              for _ in range(30_000)]
weights = 1 / np.arange(1, len(vocabulary) + 1)
weights /= weights.sum()

def texts(n):
    lengths = rng.integers(12, 41, n)
    words = rng.choice(len(vocabulary), size=int(lengths.sum()), p=weights)
    out, k = [], 0
    for length in lengths:
        out.append(" ".join(vocabulary[w] for w in words[k:k + length])
                   + f" (order {rng.integers(1_000_000)})")
        k += length
    return out

def near_copy(text):
    w = text.split()
    i = r.randrange(len(w) - 1)
    kind = r.choice(["typo", "case", "greeting", "swap"])
    if kind == "typo" and len(w[i]) > 3:
        w[i] = w[i][0] + w[i][2] + w[i][1] + w[i][3:]
    elif kind == "case":
        return text.upper()
    elif kind == "greeting":
        return "Hello team, " + text + " Thanks!"
    else:
        w[i], w[i + 1] = w[i + 1], w[i]
    return " ".join(w)

train, evals = texts(%(train)d), texts(%(eval)d)
planted = {}
for k in range(%(planted)d):
    e, t = k * 7 %% len(evals), k * 97 %% len(train)
    train[t] = near_copy(evals[e])
    planted[(e, t)] = True
started = time.perf_counter()
import sklearn.feature_extraction.text, scipy.sparse  # noqa: E401
imported = time.perf_counter()
from advisor.prepare import near_pairs
pairs = near_pairs(evals, train)
done = time.perf_counter()
found = {(p.left, p.right) for p in pairs}
print(json.dumps({
    "import_s": imported - started,
    "search_s": done - imported,
    "planted_found": len(found & set(planted)),
    "other_pairs": len(found - set(planted)),
}))
"""


def run_once() -> dict:
    code = _CHILD % {"train": TRAIN, "eval": EVAL, "planted": PLANTED}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    facts = machine()
    runs = [run_once() for _ in range(args.repeats)]
    search = spread([r["search_s"] for r in runs])
    result = {
        "machine": facts,
        "train": TRAIN,
        "eval": EVAL,
        "planted": PLANTED,
        "target_s": TARGET_S,
        "search_s": search,
        "import_s": spread([r["import_s"] for r in runs]),
        "runs": runs,
    }
    path = save("neardup", result)
    rows = [
        [
            f"{TRAIN:,} x {EVAL:,}",
            f"{search['median']:.1f} [{search['min']:.1f}-{search['max']:.1f}]",
            f"{result['import_s']['median']:.1f}",
            f"{min(r['planted_found'] for r in runs)} of {PLANTED}",
            max(r["other_pairs"] for r in runs),
            "met" if search["max"] < TARGET_S else "missed",
        ]
    ]
    head = ["texts", "search s", "sklearn import s", "planted found", "other pairs", "< 20 s"]
    print(table(head, rows))
    print(f"load average before: {facts['load_before'][0]:.2f}; wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

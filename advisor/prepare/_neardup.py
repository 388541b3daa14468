"""Near-duplicates between two sets of texts: TF-IDF over character n-grams, cosine neighbours.

Both sides are normalized as the contamination check normalizes them (NFKC, casefolded,
punctuation dropped, whitespace collapsed), so case, punctuation and spacing never hide a copy.
Each text, with a space before and after, becomes the counts of its character 4-grams (spaces
included, so word boundaries count), weighted by scikit-learn's `TfidfTransformer` (smoothed
IDF over both sides, sublinear counts, unit length); a pair is a near-duplicate when the cosine
of their vectors is at least the threshold (0.9 by default).

Two choices keep 50,000 x 5,000 texts within seconds (benchmarks/neardup.py):

- the n-grams of every text are hashed at once with numpy and counted with one sort, instead of
  scikit-learn's `TfidfVectorizer`, whose per-text Python analyzer took 40 s for the 55,000 texts
  alone; the IDF weighting is still scikit-learn's;
- only pairs that share one of their rarest n-grams are scored (a prefix filter, see
  `_prefixes`), which loses no pair above the threshold: scoring every pair that shares any
  n-gram would make the sparse product dense, since common n-grams are in nearly every text.

The candidate pairs come one block of the first set at a time, so memory stays bounded by the
block, not by the number of pairs compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 0.9
NGRAMS = (4,)
"""4-grams alone find the same planted copies as 3- to 5-grams together, in a third of the time
(measured on 20,000 x 2,000 generated tickets while writing benchmarks/neardup.py)."""
METHOD = "TF-IDF (sublinear, smoothed IDF) over character 4-grams of space-padded text, cosine"
"""Stored with every answer: a cached answer of another method is not reused."""
_FEATURE_BITS = 24
"""N-grams are hashed into 2^24 features: at 50,000 texts (about a million distinct n-grams),
a few percent share a feature with another, which moves a cosine by far less than the
threshold's precision."""
_BLOCK = 1000
_MIX = 0x9E3779B97F4A7C15  # the 64-bit golden-ratio constant, for the polynomial hash


@dataclass(frozen=True, slots=True)
class NearPair:
    """A text of the first set whose near-duplicate is a text of the second."""

    left: int
    """Index in the first set."""
    right: int
    """Index in the second set."""
    similarity: float
    """Cosine of their TF-IDF vectors, 0 to 1."""


def near_pairs(
    left: Sequence[str], right: Sequence[str], threshold: float = THRESHOLD
) -> list[NearPair]:
    """Every (left, right) pair whose similarity is at least `threshold`, by left then right."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if not left or not right:
        return []
    from advisor.training._overlap import normalize  # the contamination check's, shared

    # padded like scikit-learn's char_wb: first and last words count, and "hi" has a 4-gram
    vectors = _tfidf([f" {normalize(t)} " for t in (*left, *right)])
    prefixes = _prefixes(vectors, threshold)
    a, b = vectors[: len(left)], vectors[len(left) :]
    a_prefix, b_prefix_columns = prefixes[: len(left)], prefixes[len(left) :].T.tocsr()
    found: list[NearPair] = []
    for start in range(0, a.shape[0], _BLOCK):
        stop = start + _BLOCK
        candidates = (a_prefix[start:stop] @ b_prefix_columns).tocoo()
        rows, cols = candidates.row, candidates.col
        sims = _dots(a[start:stop], b, rows, cols)
        keep = sims >= threshold - 1e-6  # float32 rounding of an exact threshold
        found.extend(
            NearPair(int(r) + start, int(c), min(1.0, round(float(s), 4)))
            for r, c, s in zip(rows[keep], cols[keep], sims[keep], strict=True)
        )
    found.sort(key=lambda p: (p.left, p.right))
    return found


def _prefixes(vectors, threshold: float):
    """Each row cut to its rarest features, just enough that any pair of rows whose dot
    product reaches `threshold` shares a feature of both cuts (a prefix filter).

    Columns are ordered rarest first. Past a row's prefix, its remaining features have a norm
    below the threshold. For two rows, take the one whose prefix ends first: the features after
    it add less than the threshold to their dot product (Cauchy-Schwarz, unit rows), so the pair
    shares a feature before that point, which lies in both prefixes. Only such pairs are scored:
    common n-grams would otherwise make nearly every pair a candidate and the product dense.
    """
    import numpy as np

    squares = vectors.data.astype(np.float64) ** 2
    before = np.cumsum(squares) - squares  # the squared norm of everything before, all rows
    row_of = np.repeat(np.arange(vectors.shape[0]), np.diff(vectors.indptr))
    row_start = np.concatenate(([0.0], np.cumsum(squares)))[vectors.indptr[:-1]]
    rest = 1.0 - (before - row_start[row_of])  # this feature's and the rarer-ranked rest
    prefix = vectors.copy()
    prefix.data[rest < threshold * threshold - 1e-6] = 0
    prefix.eliminate_zeros()
    return prefix


def _dots(a, b, rows, cols):
    """Dot products of the pairs (a[rows[k]], b[cols[k]]), without a dense product."""
    import numpy as np

    if len(rows) == 0:
        return np.zeros(0, dtype=np.float32)
    return np.asarray(a[rows].multiply(b[cols]).sum(axis=1), dtype=np.float32).ravel()


def _tfidf(texts: list[str]):
    """Unit-length TF-IDF rows (scipy CSR, float32), one per text, columns rarest first."""
    import numpy as np
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfTransformer

    rows, columns = _ngrams(texts)
    # Rank the n-grams by how often they occur: rarest gets the lowest column number, so that
    # each row's sorted indices list its rarest n-grams first. One sort by (row, rank) then
    # both counts the n-grams of each text and orders them.
    occurrences = np.bincount(columns, minlength=1 << _FEATURE_BITS)
    used = np.flatnonzero(occurrences)
    rank = np.zeros(len(occurrences), dtype=np.int64)
    rank[used[np.argsort(occurrences[used], kind="stable")]] = np.arange(len(used))
    keys = (rows.astype(np.int64) << 32) | rank[columns]
    del rows, columns, rank
    keys.sort()
    first = np.flatnonzero(np.diff(keys, prepend=-1))
    counts = np.diff(first, append=len(keys)).astype(np.float32)
    keys = keys[first]
    text_of = keys >> 32
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(text_of, minlength=len(texts)), out=indptr[1:])
    matrix = sparse.csr_matrix(
        (counts, (keys & 0xFFFFFFFF).astype(np.int32), indptr), shape=(len(texts), len(used))
    )
    matrix.has_sorted_indices = True
    weigh = TfidfTransformer(sublinear_tf=True, smooth_idf=True, norm="l2")
    return weigh.fit_transform(matrix).astype(np.float32).tocsr()


def _ngrams(texts: list[str]):
    """The text and the hashed column of every character n-gram occurrence (each n of NGRAMS).

    Every text's n-grams are hashed at once: the hash of the n-gram at each position of the
    joined texts is built from the (n-1)-gram's, and n-grams that cross into the next text are
    dropped.
    """
    import numpy as np

    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths)
    owner = np.repeat(np.arange(len(texts), dtype=np.int32), lengths)
    rows, columns = [], []
    h = np.zeros(len(codes), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for n in range(1, max(NGRAMS) + 1):
            positions = len(codes) - n + 1
            if positions <= 0:
                break
            h = (h[:positions] ^ codes[n - 1 : n - 1 + positions]) * np.uint64(_MIX)
            h ^= h >> np.uint64(31)
            if n in NGRAMS:
                inside = np.arange(n, positions + n) <= ends[owner[:positions]]
                rows.append(owner[:positions][inside])
                columns.append((h[inside] >> np.uint64(64 - _FEATURE_BITS)).astype(np.int64))
    if not rows:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(columns)

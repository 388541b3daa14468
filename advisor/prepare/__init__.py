"""Preparing a study's data: the team's own examples into an eval set and a training file.

    _split     stratified, seeded split; the eval size a margin needs (normal approximation)
    _neardup   near-duplicates between two sets of texts (TF-IDF over character n-grams)
    _prepare   `advisor split`: load, split, separate near-duplicates, write DIR
    _label     `advisor label`: a candidate's answers to unlabelled inputs, as training data

scikit-learn is imported by the functions that use it, never at import time: the contamination
check of every study reaches `near_pairs` only when its cached answer is missing.
"""

from advisor.prepare._neardup import THRESHOLD, NearPair, near_pairs
from advisor.prepare._prepare import DataFields, SplitOptions, SplitReport, split_data
from advisor.prepare._split import SizeNeeded, size_needed, stratified_split

__all__ = [
    "THRESHOLD",
    "DataFields",
    "NearPair",
    "SizeNeeded",
    "SplitOptions",
    "SplitReport",
    "near_pairs",
    "size_needed",
    "split_data",
    "stratified_split",
]

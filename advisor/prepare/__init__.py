"""Preparing a study's data: the team's own examples into an eval set and a training file.

    _split     stratified, seeded split; the eval size a margin needs (normal approximation)
    _neardup   near-duplicates between two sets of texts (TF-IDF over character n-grams)
    _prepare   `advisor split`: load, split, separate near-duplicates, write DIR
    _label     `advisor label`: a candidate's answers to unlabelled inputs, as training data

scikit-learn is imported by the functions that use it, never at import time: the contamination
check of every study reaches `near_pairs` only when its cached answer is missing. The modules
themselves load when a name is first asked for: that check, in every run of a study with a
fine-tune, needs `_neardup` alone, and `advisor split`'s modules took 10 ms more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.prepare._neardup import THRESHOLD, NearPair, near_pairs
    from advisor.prepare._prepare import DataFields, SplitOptions, SplitReport, split_data
    from advisor.prepare._split import SizeNeeded, size_needed, stratified_split

_MODULE_OF = {
    "THRESHOLD": "_neardup",
    "NearPair": "_neardup",
    "near_pairs": "_neardup",
    "DataFields": "_prepare",
    "SplitOptions": "_prepare",
    "SplitReport": "_prepare",
    "split_data": "_prepare",
    "SizeNeeded": "_split",
    "size_needed": "_split",
    "stratified_split": "_split",
}

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


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)

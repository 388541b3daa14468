"""`advisor split`: from a team's labelled file to the files a study reads.

load (through advisor.evalset, so every problem names its line) -> stratified split -> near
duplicates across the split handled -> DIR/eval.jsonl, DIR/train.jsonl (chat format, rendered
with the fine-tune's template and checked as `estimate-training` checks it) and DIR/split.json,
written into a temporary folder renamed to DIR at the end: an error leaves nothing behind.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from advisor.errors import InputError
from advisor.evalset import EvalFields, EvalSet, Example, load_evalset
from advisor.prepare._neardup import METHOD, THRESHOLD, near_pairs
from advisor.prepare._split import Assignment, eval_size, label_of, stratified_split
from advisor.prompts import PromptTemplate, load_template

SPLIT_VERSION = 1
DEFAULT_SEED = 20261128
DATASETS_CACHE = Path(".advisor-cache") / "datasets"


@dataclass(frozen=True)
class DataFields:
    """Which fields of the team's file mean what."""

    data: str
    """A JSONL, CSV or Parquet file, or a Hugging Face dataset name."""
    label: str
    inputs: tuple[str, ...]
    id: str = "id"
    metadata: tuple[str, ...] = ()


@dataclass(frozen=True)
class SplitOptions:
    fields: DataFields
    out: Path
    template: Path
    """The fine-tune's prompt template: training prompts then match what it is served."""
    size: int | None = None
    share: float | None = None
    seed: int = DEFAULT_SEED
    threshold: float = THRESHOLD
    near: Literal["drop", "move"] = "drop"
    """What becomes of a training example that is a near-duplicate of an eval example."""


@dataclass(frozen=True)
class NearDuplicate:
    """A training example too close to an eval example, and what was done with it."""

    eval_id: str
    train_id: str
    similarity: float
    action: Literal["dropped", "moved"]


@dataclass(frozen=True)
class SplitReport:
    """What `advisor split` wrote: the counts, the warnings and every near-duplicate pair."""

    out: Path
    eval_examples: int
    train_examples: int
    dropped: int
    classes: dict[str, tuple[int, int]]
    """Examples per class on the (eval, train) side."""
    too_small: tuple[str, ...]
    pairs: tuple[NearDuplicate, ...]
    source_sha256: str

    def lines(self) -> list[str]:
        moved = sum(p.action == "moved" for p in self.pairs)
        lines = [
            f"{self.eval_examples:,} eval examples, {self.train_examples:,} training examples "
            f"in {len(self.classes)} classes",
            f"{len(self.pairs):,} near-duplicate pairs across the split: "
            f"{self.dropped:,} training examples dropped, {moved:,} moved to the eval side",
        ]
        if self.too_small:
            names = ", ".join(repr(c) for c in self.too_small)
            lines.append(f"warning: too few examples to split, all in training: {names}")
        lines.append(f"Wrote {self.out}/eval.jsonl, train.jsonl and split.json")
        return lines


def load_data(fields: DataFields, expected: str | None = None) -> EvalSet:
    """The team's file, checked like an eval set (`expected`: the field standing in for the
    answer; the label by default)."""
    given = EvalFields(
        path=fields.data,
        id=fields.id,
        inputs=list(fields.inputs),
        expected=expected or fields.label,
        metadata=list(fields.metadata),
    )
    return load_evalset(given, Path("."), cache_dir=DATASETS_CACHE)


def input_text(example: Example) -> str:
    """The text compared for near-duplicates: the input fields in order, as the contamination
    check joins them."""
    return " ".join(example.inputs.values())


def split_data(options: SplitOptions) -> SplitReport:
    """Split, remove near-duplicates across the split, and write DIR; see the module."""
    _check_out(options.out)
    template = load_template(options.template)
    data = load_data(options.fields)
    examples = data.examples
    labels = [label_of(e) for e in examples]
    size = eval_size(len(examples), options.size, options.share)
    assignment = stratified_split(labels, size, options.seed)
    eval_rows, train_rows, pairs = _separate(examples, assignment, options)
    dropped = {p.train_id for p in pairs if p.action == "dropped"}
    eval_counts = Counter(labels[i] for i in eval_rows)
    train_counts = Counter(labels[i] for i in train_rows)
    # every class is shown, even one left with nothing on a side
    classes = {c: (eval_counts[c], train_counts[c]) for c in sorted(set(labels))}
    report = SplitReport(
        out=options.out,
        eval_examples=len(eval_rows),
        train_examples=len(train_rows),
        dropped=len(dropped),
        classes=classes,
        too_small=assignment.too_small,
        pairs=tuple(pairs),
        source_sha256=data.fingerprint,
    )
    _write(
        options,
        report,
        [examples[i] for i in eval_rows],
        [examples[i] for i in train_rows],
        template,
    )
    return report


def _separate(
    examples: tuple[Example, ...], assignment: Assignment, options: SplitOptions
) -> tuple[list[int], list[int], list[NearDuplicate]]:
    """The final (eval rows, train rows) with no near-duplicate pair across them.

    Moving a training example to the eval side can bring its own near-duplicates along, so the
    moved examples are checked against what is left until no pair remains.
    """
    eval_rows, train_rows = list(assignment.eval_rows), list(assignment.train_rows)
    probe = eval_rows
    pairs: list[NearDuplicate] = []
    while probe and train_rows:
        texts = [input_text(examples[i]) for i in probe]
        found = near_pairs(texts, [input_text(examples[i]) for i in train_rows], options.threshold)
        action: Literal["dropped", "moved"] = "moved" if options.near == "move" else "dropped"
        pairs.extend(
            NearDuplicate(
                examples[probe[p.left]].id, examples[train_rows[p.right]].id, p.similarity, action
            )
            for p in found
        )
        hit = sorted({train_rows[p.right] for p in found})
        gone = set(hit)
        train_rows = [i for i in train_rows if i not in gone]
        if options.near == "drop":
            break
        eval_rows = sorted(eval_rows + hit)
        probe = hit
    return eval_rows, train_rows, pairs


def _check_out(out: Path) -> None:
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: no such folder (for --out)")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out}: already exists and is not an empty folder (choose another --out)")


def _eval_record(example: Example, fields: DataFields) -> dict[str, Any]:
    return {
        fields.id: example.id,
        **example.inputs,
        fields.label: example.expected,
        **example.metadata,
    }


def _train_record(example: Example, template: PromptTemplate) -> dict[str, Any]:
    answer = example.expected if isinstance(example.expected, str) else label_of(example)
    return {"messages": [*template.render(example), {"role": "assistant", "content": answer}]}


def _jsonl(records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _write(
    options: SplitOptions,
    report: SplitReport,
    eval_examples: list[Example],
    train_examples: list[Example],
    template: PromptTemplate,
) -> None:
    from advisor.training import read_training_file

    out = options.out
    try:
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    except OSError as exc:
        raise InputError(f"{out}: cannot write here ({exc.strerror})") from None
    try:
        fields = options.fields
        (tmp / "eval.jsonl").write_text(
            _jsonl(_eval_record(e, fields) for e in eval_examples), encoding="utf-8"
        )
        (tmp / "train.jsonl").write_text(
            _jsonl(_train_record(e, template) for e in train_examples), encoding="utf-8"
        )
        read_training_file(tmp / "train.jsonl")  # the check estimate-training makes
        (tmp / "split.json").write_text(
            json.dumps(_summary(options, report), indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        if out.exists():
            out.rmdir()  # empty, as checked
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _summary(options: SplitOptions, report: SplitReport) -> dict[str, Any]:
    fields = options.fields
    return {
        "version": SPLIT_VERSION,
        "source": {"path": fields.data, "sha256": report.source_sha256},
        "fields": {
            "id": fields.id,
            "inputs": list(fields.inputs),
            "label": fields.label,
            "metadata": list(fields.metadata),
        },
        "template": str(options.template),
        "seed": options.seed,
        "eval_examples": report.eval_examples,
        "train_examples": report.train_examples,
        "classes": {c: {"eval": e, "train": t} for c, (e, t) in report.classes.items()},
        "too_small": list(report.too_small),
        "near_duplicates": {
            "method": METHOD,
            "threshold": options.threshold,
            "handling": options.near,
            "dropped": report.dropped,
            "pairs": [
                {
                    "eval_id": p.eval_id,
                    "train_id": p.train_id,
                    "similarity": p.similarity,
                    "action": p.action,
                }
                for p in report.pairs
            ],
        },
    }

"""What a training job on a file will cost, counted offline the way OpenAI's cookbook counts it.

Tokens per example follow the cookbook ("Data preparation and analysis for chat model
fine-tuning"): 3 per message, plus the tokens of each string value of the message (role, content,
name, tool_call_id), plus 1 per name, plus 3 to prime the reply. Like the cookbook, values that
are not strings are not counted: tool calls, function calls, tool and function definitions are
billed by the provider but left out here, and a warning names the examples whose estimate is low
for that reason; `weight` is a 0/1 flag, not text. Where content is a list of parts, its text
parts are counted and image parts are not (another warning). Keys outside the documented format
are not counted. An example longer than the model's training context is truncated and billed at
the context length; the default epoch count is OpenAI's, as the cookbook gives it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from advisor.errors import InputError
from advisor.tokencache import TokenCache
from advisor.training._file import (
    MESSAGE_KEYS,
    LineNote,
    TrainingExample,
    TrainingFile,
    counted,
    line_list,
    read_training_file,
    text_parts,
)
from advisor.training._overlap import (
    Contamination,
    NearCache,
    Overlap,
    file_sha256,
    find_overlaps,
)

if TYPE_CHECKING:
    from advisor.evalset import EvalSet
    from advisor.pricing import ModelTerms

TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25
_COUNTED_KEYS = MESSAGE_KEYS | {"tool_call_id"}
_LISTED_WARNINGS = 20
_LISTED_OVERLAPS = 10


def default_epochs(examples: int) -> int:
    """OpenAI's default epoch count: aim for 3 epochs, but 100 to 25,000 examples seen in all."""
    if examples < 1:
        raise ValueError("no examples")
    if examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    if examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // examples)
    return TARGET_EPOCHS


@dataclass(frozen=True)
class TokenStats:
    """Tokens per example as counted, before truncation; quantiles interpolate like numpy's."""

    min: int
    median: float
    p90: float
    max: int

    @classmethod
    def of(cls, values: Sequence[int]) -> TokenStats:
        ordered = sorted(values)
        return cls(ordered[0], _quantile(ordered, 0.5), _quantile(ordered, 0.9), ordered[-1])


@dataclass(frozen=True)
class TrainingEstimate:
    """The check and cost estimate of one training file, for `advisor estimate-training`."""

    path: str
    provider: str
    model: str
    base_model: str
    """The catalog snapshot the model id names (a fine-tune's base)."""
    encoding: str
    encoding_exact: bool
    """False when the model's tokenizer is unknown and o200k_base stood in for it."""
    examples: int
    epochs: int
    epochs_auto: bool
    """The epoch count is OpenAI's default for this many examples."""
    tokens: int
    """Tokens in one pass over the file, as counted (before truncation)."""
    billed_tokens_per_epoch: int
    """The same, with each example cut at the training context."""
    billed_tokens: int
    """billed_tokens_per_epoch x epochs."""
    price_per_million: float
    price_source: str
    cost: float
    """USD: billed_tokens x price_per_million / 1M."""
    token_stats: TokenStats
    context: int | None
    """Longest example the provider trains on, in tokens; None when no source gives it."""
    truncated: int
    """Examples longer than the context."""
    min_examples: int | None
    warnings: tuple[str, ...]
    """`FILE:LINE: what` for one line, `FILE: what` or a plain sentence for the whole job."""
    overlaps: tuple[Overlap, ...] = ()
    contaminated_ids: frozenset[str] = field(default_factory=frozenset)
    eval_examples: int | None = None
    """Size of the eval set checked for contamination; None when none was given."""

    def to_dict(self) -> dict[str, Any]:
        """Every figure, JSON-ready (for `--json`)."""
        contamination = None
        if self.eval_examples is not None:
            contamination = {
                "eval_examples": self.eval_examples,
                "contaminated_ids": sorted(self.contaminated_ids),
                "overlaps": [
                    {
                        "training_line": o.training_line,
                        "eval_id": o.eval_id,
                        "kind": o.kind,
                        "similarity": round(o.similarity, 4),
                    }
                    for o in self.overlaps
                ],
            }
        return {
            "file": self.path,
            "provider": self.provider,
            "model": self.model,
            "base_model": self.base_model,
            "encoding": self.encoding,
            "encoding_exact": self.encoding_exact,
            "examples": self.examples,
            "epochs": self.epochs,
            "epochs_auto": self.epochs_auto,
            "tokens": self.tokens,
            "billed_tokens_per_epoch": self.billed_tokens_per_epoch,
            "billed_tokens": self.billed_tokens,
            "price_per_million": self.price_per_million,
            "price_source": self.price_source,
            "cost": self.cost,
            "token_stats": {
                "min": self.token_stats.min,
                "median": self.token_stats.median,
                "p90": self.token_stats.p90,
                "max": self.token_stats.max,
            },
            "context": self.context,
            "truncated": self.truncated,
            "min_examples": self.min_examples,
            "warnings": list(self.warnings),
            "contamination": contamination,
        }

    def lines(self) -> list[str]:
        """The estimate as people read it, one line each, warnings last."""
        from advisor.wording import money

        s = self.token_stats
        out = [
            f"{self.path}: {counted(self.examples, 'example')} for {self.provider} {self.model}"
            + ("" if self.base_model == self.model else f" (base {self.base_model})"),
            f"tokens per example ({self.encoding}{'' if self.encoding_exact else ', approx.'}): "
            f"min {s.min:,}, median {_num(s.median)}, p90 {_num(s.p90)}, max {s.max:,}",
        ]
        if self.truncated:
            out.append(
                f"tokens per epoch: {self.tokens:,} as counted, {self.billed_tokens_per_epoch:,} "
                f"billed ({counted(self.truncated, 'example')} cut at the "
                f"{self.context:,}-token context)"
            )
        else:
            out.append(f"tokens per epoch: {self.tokens:,}")
        how = "OpenAI's default for" if self.epochs_auto else "as given, for"
        out += [
            f"epochs: {self.epochs} ({how} {counted(self.examples, 'example')})",
            f"billed tokens: {self.billed_tokens:,} = {self.billed_tokens_per_epoch:,} x "
            f"{self.epochs} epochs",
            f"training cost: {money(self.cost)} at {money(self.price_per_million)} per 1M tokens "
            f"({self.price_source})",
        ]
        out += self._contamination_lines()
        if self.warnings:
            out.append(f"warnings ({len(self.warnings):,}):")
            out += [f"  {w}" for w in self.warnings[:_LISTED_WARNINGS]]
            if len(self.warnings) > _LISTED_WARNINGS:
                more = len(self.warnings) - _LISTED_WARNINGS
                out.append(f"  ... and {more:,} more (--json lists them all)")
        return out

    def _contamination_lines(self) -> list[str]:
        if self.eval_examples is None:
            return []
        if not self.overlaps:
            return [f"contamination: none of the {self.eval_examples:,} eval examples found"]
        kinds = {k: sum(o.kind == k for o in self.overlaps) for k in ("exact", "contained", "near")}
        counts = ", ".join(f"{n:,} {k}" for k, n in kinds.items() if n)
        out = [
            f"contamination: {len(self.contaminated_ids):,} of {self.eval_examples:,} eval "
            f"examples appear in the training data ({len(self.overlaps):,} pairs: {counts}); "
            "the fine-tune is judged on the others"
        ]
        for o in self.overlaps[:_LISTED_OVERLAPS]:
            out.append(
                f"  {self.path}:{o.training_line}: eval {o.eval_id}, {o.kind} "
                f"({o.similarity:.0%} of its 5-grams)"
            )
        if len(self.overlaps) > _LISTED_OVERLAPS:
            more = len(self.overlaps) - _LISTED_OVERLAPS
            out.append(f"  ... and {more:,} more pairs (--json lists them all)")
        return out


def estimate(
    path: Path,
    model: str,
    *,
    provider: str = "openai",
    epochs: int | Literal["auto"] = "auto",
    training_price: float | None = None,
    training_price_from: str = "the command line (--training-price)",
    evalset: EvalSet | None = None,
    near_cache: Path | None = None,
    tokens: TokenCache | None = None,
    data: TrainingFile | None = None,
) -> TrainingEstimate:
    """Check a chat-format training file and estimate its training job's tokens and cost.

    Args:
        epochs: a whole number >= 1, or "auto" for OpenAI's default for the file's size.
        training_price: USD per 1M training tokens, instead of the catalog's.
        evalset: checked for examples the training data already holds.
        near_cache: folder caching the near-duplicate answer for this file and eval set.
        tokens: where the file's token counts are kept; a study's run saves them once its
            checks pass. Default: `.advisor-cache/tokens` in the working folder, saved here.
        data: the file as `read_training_file` read it, when the caller already has (a study
            whose fine-tunes share a file reads it once).

    Raises:
        InputError: a bad option, no training price, or (`TrainingFileError`) every problem in
            the file, each with its line.
    """
    from advisor.pricing import model_terms, resolve_model
    from advisor.tokens import encoding_name_for_model

    if epochs != "auto" and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
        raise InputError(f"--epochs {epochs!r}: give a whole number >= 1, or auto")
    price, price_source = _training_price(provider, model, training_price, training_price_from)
    data = data or read_training_file(path)
    base = resolve_model(model, provider)[0]
    encoding, exact = encoding_name_for_model(base)
    terms = model_terms(provider, model)
    kept = tokens or TokenCache()
    counts = kept.file_counts(
        Path(path), encoding, lambda: [count_example(e, base) for e in data.examples]
    )
    context = terms.training_context
    billed_per_epoch = sum(counts if context is None else (min(n, context) for n in counts))
    n_epochs = default_epochs(len(counts)) if epochs == "auto" else epochs
    billed = billed_per_epoch * n_epochs
    contamination = None
    if evalset is not None:
        contamination = check_contamination(path, evalset, near_cache, data)
    if tokens is None:
        kept.save()
    return TrainingEstimate(
        path=data.path,
        provider=provider,
        model=model,
        base_model=base,
        encoding=encoding,
        encoding_exact=exact,
        examples=len(counts),
        epochs=n_epochs,
        epochs_auto=epochs == "auto",
        tokens=sum(counts),
        billed_tokens_per_epoch=billed_per_epoch,
        billed_tokens=billed,
        price_per_million=price,
        price_source=price_source,
        cost=billed * price / 1_000_000,
        token_stats=TokenStats.of(counts),
        context=context,
        truncated=0 if context is None else sum(n > context for n in counts),
        min_examples=terms.min_training_examples,
        warnings=_warnings(data, counts, provider, base, (encoding, exact), terms),
        overlaps=contamination.overlaps if contamination else (),
        contaminated_ids=contamination.contaminated_ids if contamination else frozenset(),
        eval_examples=contamination.eval_examples if contamination else None,
    )


def count_example(example: TrainingExample, model: str) -> int:
    """Tokens of one example, counted the cookbook's way (see the module docstring)."""
    from advisor.tokens import count_chat, count_text

    kept = [{k: v for k, v in m.items() if k in _COUNTED_KEYS} for m in example.messages]
    total = count_chat(kept, model)  # string values only: list content adds nothing here
    for message in example.messages:
        if isinstance(message.get("content"), list):
            total += sum(count_text(text, model) for text in text_parts(message["content"]))
    return total


def check_contamination(
    path: Path,
    evalset: EvalSet,
    near_cache: Path | None = None,
    data: TrainingFile | None = None,
    *,
    writable: bool = True,
) -> Contamination:
    """The overlap of a training file with an eval set (for a study that names both), the
    near-duplicate answer cached in `near_cache` by both files' hashes (read only unless
    `writable`)."""
    data = data or read_training_file(path)
    cache = None
    if near_cache is not None:
        cache = NearCache(near_cache, file_sha256(path), writable)
    return find_overlaps([(e.line, e.user_text) for e in data.examples], evalset, cache)


def _training_price(
    provider: str, model: str, given: float | None, given_from: str
) -> tuple[float, str]:
    from advisor.pricing import load_catalog, resolve_model

    if given is not None:
        if isinstance(given, bool) or not math.isfinite(given) or given < 0:
            raise InputError(
                f"training price {given} from {given_from}: give USD per 1M tokens, a number >= 0"
            )
        return float(given), given_from
    catalog = load_catalog()
    entry = catalog.find(provider, resolve_model(model, provider)[0])
    if entry is None or entry.training is None:
        where = "is not in the price catalog" if entry is None else "has no training price"
        raise InputError(
            f"{provider} model {model!r} {where}: give one with --training-price USD_PER_1M "
            "(USD per 1M training tokens)"
        )
    sources = catalog.sources_of(entry, "training")
    checked = ", ".join(sorted({str(s.checked) for s in sources}))
    names = " + ".join(s.name for s in sources)
    return entry.training, f"catalog: {names}, checked {checked}"


def _warnings(
    data: TrainingFile,
    counts: Sequence[int],
    provider: str,
    base: str,
    encoding: tuple[str, bool],
    terms: ModelTerms,
) -> tuple[str, ...]:
    """Warnings about the job first, then the file's, then line by line in line order."""
    name, examples = data.path, data.examples
    general: list[str] = []
    least = terms.min_training_examples
    if least is None:
        general.append(f"minimum number of examples for {provider} {base} not known: not checked")
    elif len(examples) < least:
        general.append(
            f"{name}: {counted(len(examples), 'example')}, fewer than the {least:,} {provider} "
            f"requires to start a training job on {base}"
        )
    context = terms.training_context
    if context is None:
        general.append(
            f"training context of {provider} {base} not known: examples not checked for "
            "truncation, and billed in full"
        )
    if not encoding[1]:
        from advisor.tokens import approximation

        general.append(f"tokenizer of {base} not known: {approximation(base)}")
    low = [e.line for e in examples if e.structured]
    if low:
        general.append(
            f"{name}: {counted(len(low), 'example')} with tools, functions or tool calls, which "
            "are billed but not counted (only string values are, as in OpenAI's cookbook): "
            f"their estimate is low ({line_list(low)})"
        )
    images = [e.line for e in examples if e.images]
    if images:
        general.append(
            f"{name}: {counted(len(images), 'example')} with image parts, which are billed but "
            f"not counted: their estimate is low ({line_list(images)})"
        )
    notes = list(data.line_notes)
    if context is not None:
        notes += [
            LineNote(
                e.line,
                f"{n:,} tokens, over the {context:,}-token training context: "
                f"truncated, and billed at {context:,}",
            )
            for e, n in zip(examples, counts, strict=True)
            if n > context
        ]
    notes.sort(key=lambda note: note[0])
    return (*general, *data.notes, *(f"{name}:{line}: {text}" for line, text in notes))


def _quantile(ordered: Sequence[int], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _num(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"

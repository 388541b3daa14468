"""The plan's fine-tunes: each training file read and checked once, whoever trains on it, then
checked against the eval set, its tokens counted and its job priced, before anything is sent.

Part of `advisor.plan`; apart because a study's fine-tunes often share one file (the example's
three do), which used to be read and checked four times over.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from advisor.folders import fixtures_folder, project_folder
from advisor.study import Candidate, Study
from advisor.tokencache import TokenCache

if TYPE_CHECKING:
    from advisor.analysis import Assumptions
    from advisor.evalset import EvalSet
    from advisor.plan import EvaluateOptions
    from advisor.training import TrainingFile
    from advisor.training_info import TrainingInfo


def training_estimates(
    study: Study,
    base_dir: Path,
    evalset: EvalSet,
    options: EvaluateOptions,
    assumptions: Assumptions,
    tokens: TokenCache,
) -> dict[str, TrainingInfo]:
    """The estimate of each fine-tune that names a training file, by candidate name."""
    fine_tunes = [c for c in study.challengers if c.is_fine_tune and c.training_file]
    if not fine_tunes:
        return {}
    from advisor.training import read_training_file

    files = {
        f: read_training_file(base_dir / f) for f in sorted({c.training_file for c in fine_tunes})
    }
    contaminated = _contamination(files, base_dir, evalset, options, study)
    return {
        c.name: estimate_training(
            c, base_dir, contaminated[c.training_file], assumptions, tokens, files[c.training_file]
        )
        for c in fine_tunes
    }


def estimate_training(
    c: Candidate,
    base_dir: Path,
    contaminated: frozenset[str],
    assumptions: Assumptions,
    tokens: TokenCache | None = None,
    data: TrainingFile | None = None,
) -> TrainingInfo:
    """Check, count and price a fine-tune's training file (`contaminated`: the eval examples
    it holds, found once per file; `tokens`: where its token counts are kept; `data`: the file
    as read, when it already is)."""
    from advisor.training import estimate
    from advisor.training_info import TrainingInfo

    overrides = assumptions.price_overrides.get(c.model) or c.prices
    gpu = c.serving if c.serving and c.serving.training_gpu_hours is not None else None
    found = estimate(
        base_dir / c.training_file,
        c.base_model or c.model,
        provider=c.provider,
        epochs=c.epochs,
        training_price=0.0 if gpu else (overrides.training if overrides else None),
        training_price_from="the study ([candidates.prices] training)",
        tokens=tokens,
        data=data,
    )
    if gpu:  # trained on the team's GPUs: the file is checked and counted, the hours priced
        hours, rate = gpu.training_gpu_hours or 0.0, gpu.gpu_per_hour or 0.0
        source, cost = f"self-hosted: {hours:g} GPU-hours x ${rate:g}", hours * rate
    else:
        source, cost = found.price_source, found.cost
    return TrainingInfo(
        file=c.training_file,
        examples=found.examples,
        epochs=found.epochs,
        billed_tokens=found.billed_tokens,
        price_per_million=found.price_per_million,
        price_source=source,
        cost=cost,
        warnings=list(found.warnings),
        contaminated_ids=sorted(contaminated),
    )


def _contamination(
    files: dict[str, TrainingFile],
    base_dir: Path,
    evalset: EvalSet,
    options: EvaluateOptions,
    study: Study,
) -> dict[str, frozenset[str]]:
    """Eval examples each training file (as read) contains.

    The near-duplicate answer is cached with the fixtures when recording (read, never written,
    when replaying), so a replay needs no scikit-learn; a live run caches it locally.
    """
    from advisor.training import check_contamination

    folder = project_folder(options.study_path) / ".advisor-cache" / "near"
    if options.mode != "live":
        folder = fixtures_folder(options.study_path, study.name, options.fixtures)
    writable = options.mode != "replay"
    return {
        f: check_contamination(
            base_dir / f, evalset, folder, data, writable=writable
        ).contaminated_ids
        for f, data in files.items()
    }

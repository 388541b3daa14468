"""The commands that prepare a study's data: estimate-training, split and label.

Kept apart from running the study (advisor.cli._evaluation) and costing it
(advisor.cli._economics): they work on the team's own examples, before any eval.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from advisor.cli._shared import err, out


def estimate_training(
    training_file: Annotated[Path, typer.Argument(help="Chat-format JSONL training file.")],
    model: Annotated[str, typer.Option(help="Model to fine-tune (its snapshot id).")],
    provider: Annotated[str, typer.Option(help="Provider of MODEL.")] = "openai",
    epochs: Annotated[str, typer.Option(help="Epochs, or auto (OpenAI's default).")] = "auto",
    training_price: Annotated[
        float | None, typer.Option(help="Training price, USD per 1M tokens (default: catalog).")
    ] = None,
    eval_set: Annotated[
        Path | None,
        typer.Option(help="Eval set to check for overlap: a study (TOML) or a JSONL/CSV file."),
    ] = None,
    input_field: Annotated[
        list[str] | None, typer.Option(help="Input field of --eval-set (a data file); repeatable.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON.")] = False,
) -> None:
    """Check a training file and estimate its training cost, offline; find eval overlap."""
    from advisor.errors import InputError
    from advisor.training import estimate

    if epochs != "auto" and not epochs.isdigit():
        raise InputError(f"--epochs must be a whole number or auto (got {epochs!r})")
    evalset = _eval_set_for_overlap(eval_set, input_field) if eval_set else None
    found = estimate(
        training_file,
        model,
        provider=provider,
        epochs="auto" if epochs == "auto" else int(epochs),
        training_price=training_price,
        evalset=evalset,
        near_cache=Path(".advisor-cache") / "near",
    )
    if as_json:
        out.print_json(json.dumps(found.to_dict()))
    else:
        for line in found.lines():
            out.print(line, markup=False)


def _eval_set_for_overlap(path: Path, input_fields: list[str] | None):
    """An eval set from a study's [evalset], or from a data file and its input fields."""
    from advisor.errors import InputError
    from advisor.evalset import EvalFields, load_evalset
    from advisor.folders import datasets_cache
    from advisor.study import load_study

    cache = datasets_cache(path)
    if path.suffix == ".toml":
        return load_evalset(load_study(path).evalset, path.parent, cache_dir=cache)
    if not input_fields:
        raise InputError("--eval-set with a data file needs --input-field (the text inputs)")
    fields = EvalFields(path=path.name, inputs=input_fields, expected=input_fields[0])
    return load_evalset(fields, path.parent, cache_dir=cache)


def split(
    data: Annotated[str, typer.Argument(help="Labelled data: JSONL, CSV, Parquet or a Hub name.")],
    label: Annotated[str, typer.Option(help="The field holding each example's label.")],
    input_field: Annotated[
        list[str], typer.Option("--input", help="An input field (repeatable, in prompt order).")
    ],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder to write.")] = None,
    template: Annotated[
        Path | None, typer.Option(help="The fine-tune candidate's prompt template (jinja2).")
    ] = None,
    id_field: Annotated[str, typer.Option("--id", help="The field naming each example.")] = "id",
    metadata: Annotated[
        list[str] | None, typer.Option(help="A field to keep for slicing (repeatable).")
    ] = None,
    eval_size: Annotated[int | None, typer.Option(help="Examples on the eval side.")] = None,
    eval_share: Annotated[
        float | None, typer.Option(help="Share on the eval side (default 0.2).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split.")] = 20261128,
    threshold: Annotated[
        float, typer.Option(help="Cosine similarity from which two inputs are near-duplicates.")
    ] = 0.9,
    near: Annotated[
        str, typer.Option(help="drop (from training) or move (to the eval side).")
    ] = "drop",
    suggest: Annotated[
        bool, typer.Option("--suggest", help="Print the eval size the margin needs; no split.")
    ] = False,
    baseline_accuracy: Annotated[
        float | None, typer.Option(help="Expected accuracy of the incumbent (for --suggest).")
    ] = None,
    study: Annotated[
        Path | None, typer.Option(help="Study whose decision margin, alpha and power to use.")
    ] = None,
) -> None:
    """Split labelled data into DIR/eval.jsonl and DIR/train.jsonl, stratified, with no
    near-duplicates across them; or --suggest the eval size a study's margin needs."""
    from advisor.errors import InputError
    from advisor.prepare import DataFields, SplitOptions, size_needed, split_data

    fields = DataFields(data, label, tuple(input_field), id_field, tuple(metadata or ()))
    if suggest:
        from advisor.prepare._prepare import load_data
        from advisor.study import Decision, load_study

        if baseline_accuracy is None:
            raise InputError("--suggest needs --baseline-accuracy (the incumbent's, 0 to 1)")
        decision = load_study(study).decision if study else Decision()
        needed = size_needed(baseline_accuracy, decision.margin, decision.alpha, decision.power)
        for line in needed.lines():
            out.print(line, markup=False)
        have = len(load_data(fields).examples)
        out.print(
            f"{data} holds {have:,} labelled examples: all of them as eval examples would "
            f"detect a loss of {needed.detectable_at(have):.4f}",
            markup=False,
        )
        return
    if out_dir is None or template is None:
        raise InputError("split needs --out DIR and --template (the fine-tune's prompt)")
    if near not in ("drop", "move"):
        raise InputError(f"--near must be drop or move (got {near!r})")
    if not 0 < threshold <= 1:
        raise InputError(f"--threshold must be in (0, 1] (got {threshold})")
    options = SplitOptions(
        fields,
        out_dir,
        template,
        eval_size,
        eval_share,
        seed,
        threshold,
        "move" if near == "move" else "drop",
    )
    for line in split_data(options).lines():
        (err if line.startswith("warning") else out).print(line, markup=False)


def label(
    data: Annotated[str, typer.Argument(help="Unlabelled inputs with the study's input fields.")],
    study: Annotated[Path, typer.Option(help="The study file (TOML).")],
    candidate: Annotated[str, typer.Option(help="The candidate that answers (the teacher).")],
    out_file: Annotated[Path, typer.Option("--out", help="Chat-format training file to write.")],
    template: Annotated[
        Path | None,
        typer.Option(help="Training prompt template (default: the study's fine-tune's)."),
    ] = None,
    max_spend: Annotated[
        float | None, typer.Option(help="Refuse or stop before spending this, USD.")
    ] = None,
    base_url: Annotated[str | None, typer.Option(help="Send the requests here.")] = None,
    record: Annotated[bool, typer.Option("--record", help="Record every exchange.")] = False,
    replay: Annotated[bool, typer.Option("--replay", help="Serve from the fixtures.")] = False,
    fixtures: Annotated[
        Path | None, typer.Option(help="Fixtures folder (default fixtures/<study>.labels).")
    ] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight.", min=1)] = None,
) -> int:
    """Label inputs with a candidate's answers and write them as a training file, with what
    labelling cost (a one-time cost of the fine-tune)."""
    from advisor.errors import InputError
    from advisor.prepare._label import LabelOptions
    from advisor.prepare._label import label as run_label

    if record and replay:
        raise InputError("choose --record or --replay, not both")
    options = LabelOptions(
        data=data,
        study_path=study,
        candidate=candidate,
        out=out_file,
        mode="record" if record else "replay" if replay else "live",
        fixtures=fixtures,
        max_spend=max_spend,
        base_url=base_url,
        template=template,
        concurrency=concurrency,
    )
    labelled = run_label(options)
    for line in labelled.lines():
        out.print(line, markup=False)
    return labelled.exit_code

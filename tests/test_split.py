"""`advisor split`: stratified to within one example, near-duplicates never on both sides,
files a study and estimate-training accept, and the eval size a margin needs."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.prepare import near_pairs, size_needed
from tests.test_neardup import paraphrase, tickets

SIZES = {"billing": 500, "bug": 300, "access": 150, "legal": 47, "pair": 2, "lonely": 1}
TEMPLATE = "<|system|>\nRoute the ticket.\n<|user|>\nTicket: {{ text }}\n"


def _write(folder: Path, rows: list[dict]) -> Path:
    path = folder / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "t.jinja").write_text(TEMPLATE, encoding="utf-8")
    return path


def _rows(rng: random.Random) -> list[dict]:
    labels = [label for label, n in SIZES.items() for _ in range(n)]
    rng.shuffle(labels)
    texts = tickets(rng, len(labels))
    return [
        {"id": f"r{i}", "text": t, "queue": q}
        for i, (t, q) in enumerate(zip(texts, labels, strict=True))
    ]


def _split(folder: Path, *extra: str, out: str = "out") -> int:
    argv = ["split", "data.jsonl", "--label", "queue", "--input", "text", "--out", out]
    return main([*argv, "--template", "t.jinja", *extra])


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_each_class_keeps_its_share_within_one_example(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, _rows(random.Random(1)))
    assert _split(tmp_path, "--eval-size", "200") == 0
    assert "too few examples to split, all in training: 'lonely'" in capsys.readouterr().err
    summary = json.loads((tmp_path / "out/split.json").read_text())
    splittable = sum(n for label, n in SIZES.items() if label != "lonely")  # 999
    for label, n in SIZES.items():
        side = summary["classes"][label]
        assert side["eval"] + side["train"] == n
        if label == "lonely":
            assert side == {"eval": 0, "train": 1}
            continue
        exact = 200 * n / splittable
        assert abs(side["eval"] - exact) < 1 and abs(side["train"] - (n - exact)) < 1
    assert summary["too_small"] == ["lonely"] and summary["seed"] == 20261128
    assert summary["near_duplicates"]["pairs"] == []
    evals, train = _read(tmp_path / "out/eval.jsonl"), _read(tmp_path / "out/train.jsonl")
    assert len(evals) == 200 and len(train) == 800
    assert Counter(e["queue"] for e in evals) == {
        k: v["eval"] for k, v in summary["classes"].items() if v["eval"]
    }
    assert set(evals[0]) == {"id", "text", "queue"}
    assert train[0]["messages"][0] == {"role": "system", "content": "Route the ticket."}
    assert train[0]["messages"][-1]["role"] == "assistant"
    # the training file passes estimate-training's check; the same seed splits the same way
    assert main(["estimate-training", "out/train.jsonl", "--model", "gpt-4o-mini-2024-07-18"]) == 0
    assert _split(tmp_path, "--eval-size", "200", out="again") == 0
    assert (tmp_path / "again/eval.jsonl").read_text() == (tmp_path / "out/eval.jsonl").read_text()
    assert _split(tmp_path, "--eval-size", "200", "--seed", "2", out="other") == 0
    assert (tmp_path / "other/eval.jsonl").read_text() != (tmp_path / "out/eval.jsonl").read_text()


@pytest.mark.parametrize("near", ["drop", "move"])
def test_no_eval_example_or_its_near_duplicate_is_left_in_training(tmp_path, monkeypatch, near):
    monkeypatch.chdir(tmp_path)
    rng = random.Random(2)
    rows = _rows(rng)[:400]
    copies = [
        {"id": f"copy{i}", "text": paraphrase(rng, r["text"]), "queue": r["queue"]}
        for i, r in enumerate(rows[:60])
    ]
    _write(tmp_path, rows + copies)
    assert _split(tmp_path, "--eval-share", "0.25", "--near", near) == 0
    evals, train = _read(tmp_path / "out/eval.jsonl"), _read(tmp_path / "out/train.jsonl")
    train_texts = [m["messages"][1]["content"].removeprefix("Ticket: ") for m in train]
    assert near_pairs([e["text"] for e in evals], train_texts) == []
    eval_ids = {e["id"] for e in evals}
    pairs = json.loads((tmp_path / "out/split.json").read_text())["near_duplicates"]["pairs"]
    assert pairs and all(0.9 <= p["similarity"] <= 1 for p in pairs)
    assert all(p["action"] == ("moved" if near == "move" else "dropped") for p in pairs)
    for p in pairs:
        assert p["eval_id"] in eval_ids and (p["train_id"] in eval_ids) == (near == "move")
    # no planted copy is on the other side from its original
    text_of = {r["id"]: r["text"] for r in rows + copies}
    on_train = set(train_texts)
    for i in range(60):
        for a, b in ((f"r{i}", f"copy{i}"), (f"copy{i}", f"r{i}")):
            assert not (a in eval_ids and text_of[b] in on_train)


@pytest.mark.parametrize(
    ("baseline", "margin", "power", "expected"),
    [
        # ((1.959964 + 0.841621)^2 x 2 x 0.9 x 0.1) / 0.02^2 = 7.848879 x 0.18 / 0.0004 = 3531.996
        (0.9, 0.02, 0.8, 3532),
        # ((1.959964 + 1.281552)^2 x 2 x 0.8 x 0.2) / 0.05^2 = 10.507423 x 0.32 / 0.0025 = 1344.95
        (0.8, 0.05, 0.9, 1345),
    ],
)
def test_suggest_gives_the_normal_approximation_worked_by_hand(
    tmp_path, monkeypatch, capsys, baseline, margin, power, expected
):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, _rows(random.Random(3))[:50])
    (tmp_path / "s.toml").write_text(f"[decision]\nmargin = {margin}\npower = {power}\n")
    assert size_needed(baseline, margin, 0.05, power).examples == expected
    study = Path(__file__).resolve().parents[1] / "studies/support-tickets.toml"
    text = study.read_text().replace("margin = 0.02", f"margin = {margin}")
    text = text.replace("power = 0.8", f"power = {power}")
    text = text.replace('path = "../evalsets/', f'path = "{study.parents[1]}/evalsets/')
    (tmp_path / "study.toml").write_text(text.replace("prompts/", f"{study.parent}/prompts/"))
    argv = ["split", "data.jsonl", "--label", "queue", "--input", "text", "--suggest"]
    assert main([*argv, "--baseline-accuracy", str(baseline), "--study", "study.toml"]) == 0
    printed = capsys.readouterr().out
    assert f"eval size needed: {expected:,} examples" in printed
    assert f"margin = {margin:g}" in printed and f"power = {power:g}" in printed
    detectable = size_needed(baseline, margin, 0.05, power).detectable_at(50)
    # at n = 50: (z + z) x sqrt(2p(1-p) / 50); for the first case 2.801585 x 0.06 = 0.1681
    held = "data.jsonl holds 50 labelled examples: all of them as eval examples would detect"
    assert f"{held} a loss of {detectable:.4f}" in printed
    if expected == 3532:
        assert f"{detectable:.4f}" == "0.1681"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "data.jsonl",
        "s.toml",
        "study.toml",
        "t.jinja",
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--eval-size", "5000"], "the eval size must be between"),
        (["--eval-size", "10", "--eval-share", "0.1"], "not both"),
        (["--eval-share", "1.5"], "--eval-share must be between 0 and 1"),
        (["--label", "nope"], 'data.jsonl:1: missing field "nope"'),
        (["--near", "keep"], "--near must be drop or move"),
        (["--template", "missing.jinja"], "no such template file"),
    ],
)
def test_bad_input_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys, extra, message):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, _rows(random.Random(4))[:100])
    assert _split(tmp_path, *extra) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl", "t.jinja"]


def test_a_malformed_line_is_named_and_an_existing_folder_is_kept(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, _rows(random.Random(5))[:20])
    path.write_text(path.read_text() + "{not json\n")
    assert _split(tmp_path) == 2
    assert "data.jsonl:21: not valid JSON" in capsys.readouterr().err
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    _write(tmp_path, _rows(random.Random(5))[:20])
    assert _split(tmp_path) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_a_csv_file_splits_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = _rows(random.Random(6))[:60]
    _write(tmp_path, rows)
    lines = ["id,text,queue", *(f'{r["id"]},"{r["text"]}",{r["queue"]}' for r in rows)]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    argv = ["split", "data.csv", "--label", "queue", "--input", "text", "--out", "out"]
    assert main([*argv, "--template", "t.jinja", "--eval-size", "10"]) == 0
    assert len(_read(tmp_path / "out/eval.jsonl")) == 10


def test_degenerate_label_sets():
    from advisor.errors import InputError
    from advisor.prepare import stratified_split

    one_class = stratified_split(["a"] * 10, 3, seed=1)
    assert (len(one_class.eval_rows), len(one_class.train_rows)) == (3, 7)
    assert sorted(one_class.eval_rows + one_class.train_rows) == list(range(10))
    with pytest.raises(InputError, match="no class has 2 examples"):
        stratified_split(["a", "b", "c"], 1, seed=1)
    with pytest.raises(InputError, match="between 2 and 2"):
        stratified_split(["a", "a", "b", "b", "c"], 3, seed=1)

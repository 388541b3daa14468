"""A study's fine-tunes that share a training file: it is read and checked once."""

from pathlib import Path

from advisor import training
from advisor.plan import EvaluateOptions, plan_run
from advisor.training import _estimate

ROOT = Path(__file__).resolve().parents[1]


def test_a_shared_training_file_is_read_once(monkeypatch):
    reads: list[Path] = []
    read = training.read_training_file

    def counted(path):
        reads.append(Path(path))
        return read(path)

    monkeypatch.setattr(training, "read_training_file", counted)
    monkeypatch.setattr(_estimate, "read_training_file", counted)
    options = EvaluateOptions(ROOT / "studies" / "support-tickets.toml", mode="replay")
    plan = plan_run(options, writes=False)
    assert [p.name for p in reads] == ["support-tickets.train.jsonl"]
    shared = [info for info in plan.training.values() if info.file.endswith(".train.jsonl")]
    assert len(shared) == 3
    assert [info.examples for info in shared] == [240, 240, 240]

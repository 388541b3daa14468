"""The same result from any working directory: default folders resolve against the study."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from advisor.cli import main
from advisor.folders import project_folder

ROOT = Path(__file__).resolve().parent.parent


def _example(tmp_path: Path) -> Path:
    """A copy of the shipped example's layout: studies/, evalsets/, fixtures/."""
    for part in ("studies", "evalsets", "fixtures/support-tickets"):
        shutil.copytree(ROOT / part, tmp_path / part)
    return tmp_path


def test_a_replay_gives_the_same_results_from_any_folder(tmp_path, monkeypatch, capsys):
    project = _example(tmp_path)
    study = project / "studies/support-tickets.toml"
    verdicts = []
    for cwd in (project / "studies", tmp_path.parent):
        monkeypatch.chdir(cwd)
        shutil.rmtree(project / "reports", ignore_errors=True)
        relative = Path(os.path.relpath(study, cwd))
        assert main(["evaluate", str(relative), "--replay"]) == 0, capsys.readouterr().err
        results = json.loads((project / "reports/support-tickets/results.json").read_text())
        verdicts.append(results["analysis"]["verdict"])
        assert main(["fixtures", "check", str(relative)]) == 0
        assert not (cwd / ".advisor-cache").exists()  # caches go to the project folder
    assert verdicts == ["fine_tune"] * 2
    assert any((project / ".advisor-cache/tokens").iterdir())  # the training files' counts
    assert (
        not (project / "studies/reports").exists() and not (project / "fixtures/reports").exists()
    )


def test_the_project_folder_rule(tmp_path, monkeypatch):
    (tmp_path / "studies").mkdir()
    monkeypatch.chdir(tmp_path)
    assert project_folder(Path("studies/s.toml")) == Path(".")
    assert project_folder(Path("s.toml")) == Path(".")  # a study outside studies/: its folder
    monkeypatch.chdir(tmp_path / "studies")
    assert project_folder(Path("s.toml")) == Path("..")

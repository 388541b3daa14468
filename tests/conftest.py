"""Shared test helpers: a small study on disk and the local simulated server."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from advisor.simulator import SimConfig, running

LABELS = ["billing", "bug", "other"]
INCUMBENT = "gpt-4.1-mini-2025-04-14"
FINE_TUNE = "ft:gpt-4o-mini-2024-07-18:acme::t1"


def write_evalset(path: Path, n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    rows = [
        {
            "id": f"e{i:04d}",
            "text": f"ticket {i}: about {rng.choice(['invoices', 'crashes', 'other things'])} é",
            "label": rng.choice(LABELS),
            "lang": rng.choice(["en", "de"]),
        }
        for i in range(n)
    ]
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return rows


FEW_SHOT = (
    "<|system|>\nYou route support tickets to billing, bug or other. "
    + "Follow the house rules carefully. " * 250
    + "\n<|user|>\nTicket: an invoice is wrong\n<|assistant|>\nbilling\n"
    "<|user|>\nTicket: {{ text }}\n"
)
SHORT = "<|system|>\nRoute the ticket.\n<|user|>\nTicket: {{ text }}\n"


def study_text(**sections: str) -> str:
    """A study TOML with two candidates; any top-level section can be replaced by keyword."""
    parts = {
        "head": 'name = "tickets"\nas_of = 2026-11-28\nnote = "simulated"\n',
        "evalset": '[evalset]\npath = "ev.jsonl"\ninputs = ["text"]\nexpected = "label"\n'
        'metadata = ["lang"]\n',
        "scorer": '[scorer]\ntype = "label"\nlabels = ["billing", "bug", "other"]\n',
        "candidates": (
            f'[[candidates]]\nname = "incumbent"\nrole = "incumbent"\nmodel = "{INCUMBENT}"\n'
            'template = "few.jinja"\nparams = {temperature = 0, max_tokens = 5}\n'
            f'[[candidates]]\nname = "ft"\nmodel = "{FINE_TUNE}"\ntemplate = "short.jinja"\n'
            "training_cost = 500\n"
            "params = {temperature = 0, max_tokens = 5}\n"
        ),
        "traffic": "[traffic]\ncalls_per_day = 10000\n",
        "run": "[run]\nconcurrency = 8\n",
    }
    parts.update(sections)
    return "\n".join(parts.values())


@pytest.fixture
def study_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with an eval set of 60 examples, two templates and a study; the cwd."""
    write_evalset(tmp_path / "ev.jsonl", 60)
    (tmp_path / "few.jinja").write_text(FEW_SHOT, encoding="utf-8")
    (tmp_path / "short.jinja").write_text(SHORT, encoding="utf-8")
    (tmp_path / "study.toml").write_text(study_text(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return tmp_path


def sim_config(folder: Path, **extra) -> SimConfig:
    data = {
        "key_pattern": "Ticket: (.*)",
        "labels": LABELS,
        "answer_file": {"path": folder / "ev.jsonl", "key_field": "text", "answer_field": "label"},
        "models": {
            INCUMBENT: {"accuracy": 0.9, "prompt_cache": True},
            FINE_TUNE: {"accuracy": 0.8},
            "grader": {"mode": "judge"},
        },
    }
    data.update(extra)
    return SimConfig.model_validate(data)


@pytest.fixture
def simulator(study_dir: Path) -> Iterator:
    with running(sim_config(study_dir)) as server:
        yield server

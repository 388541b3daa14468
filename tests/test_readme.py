"""Every `advisor` command the README shows runs, as written, with exit code 0.

The commands run in a copy of the shipped example (studies/, evalsets/, fixtures/, reports/), so
the repository is never written. What is not an `advisor` command is not run here: the venv and
pip steps of the set-up commands (they need the network), and `python -m pytest` (this suite).
The simulator is started on a free port rather than 8765, and the recording command is pointed
at it with --base-url: the port is the only change.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
STUDY = "studies/support-tickets.toml"
PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*(\.json)?$|[\[=][A-Z]")
"""STUDY, FILE, RESULTS.json, [MODEL], MODEL=IN,...: a word to replace, not a command to run."""


def readme_commands() -> list[str]:
    """The advisor commands of the README's bash blocks and inline code, in order."""
    found = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.DOTALL):
        for line in block.splitlines():
            found += [p.strip() for p in line.split("&&") if p.strip().startswith("advisor ")]
    for span in re.findall(r"`(advisor [^`]+)`", README):
        words = span.split()
        if len(words) >= 3 and not any(PLACEHOLDER.search(w) for w in words):
            found.append(" ".join(words))
    return list(dict.fromkeys(found))


COMMANDS = readme_commands()
SIMULATE = next(c for c in COMMANDS if c.startswith("advisor simulate "))
RECORD = next(c for c in COMMANDS if "--re-record" in c)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    for part in ("studies", "evalsets", "fixtures", "reports"):
        shutil.copytree(ROOT / part, folder / part)
    return folder


def _advisor(command: str, cwd: Path) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "advisor", *shlex.split(command)[1:]]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_readme_shows_the_commands_this_test_runs():
    assert any(c.endswith("--replay") for c in COMMANDS)  # the set-up command
    assert any("--fail-on regression" in c for c in COMMANDS)  # the CI snippet
    assert any("--batch-share" in c for c in COMMANDS)
    assert "advisor evaluate studies/support-tickets.toml --re-record" in COMMANDS


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in (SIMULATE, RECORD)])
def test_each_readme_command_exits_0(project, command):
    done = _advisor(command, project)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_recording_the_example_again_as_the_readme_says(project):
    argv = [sys.executable, "-m", "advisor", *shlex.split(SIMULATE)[1:]]
    argv[argv.index("--port") + 1] = "0"
    server = subprocess.Popen(argv, cwd=project, stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        done = _advisor(f"{RECORD} --base-url {url}", project)
        assert done.returncode == 0, done.stderr
        sent = 360 * len(tomllib.loads((project / STUDY).read_text())["candidates"])
        assert f"(0 re-used from the fixtures, {sent} sent" in done.stdout
    finally:
        server.terminate()
        server.communicate(timeout=10)
    assert _advisor("advisor fixtures check studies/support-tickets.toml", project).returncode == 0

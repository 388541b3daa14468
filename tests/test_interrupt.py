"""Ctrl-C: what was kept is said, with the command that resumes; a rerun sends only the rest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from endpoint import ok, serving


def test_ctrl_c_prints_what_was_kept_and_the_resume_command(study_dir):
    with serving(lambda tag: ok(), delay=0.05) as endpoint:
        argv = ["evaluate", "study.toml", "--base-url", endpoint.base_url, "--concurrency", "2"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "advisor", *argv],
            cwd=study_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 20
        while endpoint.requests < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        line = next(x for x in err.splitlines() if x.startswith("interrupted: "))
        kept = int(line.split()[1])
        assert kept >= 10
        assert line.endswith(
            "resume with: advisor evaluate study.toml --base-url "
            f"{endpoint.base_url} --concurrency 2"
        )
        sent = len(endpoint.tags)
        rerun = subprocess.run(
            [sys.executable, "-m", "advisor", *argv], cwd=study_dir, capture_output=True
        )
        assert rerun.returncode == 0
        assert len(endpoint.tags) - sent == 120 - kept  # only what was not kept

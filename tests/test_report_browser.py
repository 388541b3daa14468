"""The report in a real browser: Debian's headless Chromium driven by Playwright, offline.

Skipped with a reason where Chromium or playwright is missing; under CI (`CI` set) that is a
failure instead, so a green CI always means the page was opened. Set REPORT_SCREENSHOT to a path
to keep a full-page screenshot for a person to look at.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from advisor.report import write_report
from advisor.results import Results
from tests.test_report import IMG, SCRIPT, run_study, with_payloads

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Decodes a PNG inside the browser (no image library needed here) and measures it.
PIXELS = """async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const image = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const data = context.getImageData(0, 0, image.width, image.height).data;
  const colours = new Set();
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    if (data[i] + data[i + 1] + data[i + 2] < 600) inked += 1;
  }
  return { width: image.width, height: image.height, colours: colours.size,
           inked: inked / (data.length / 4) };
}"""


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must open the report in a browser", pytrace=False)
    pytest.skip(reason)


def find_chromium() -> str:
    """Chromium's path, once playwright and the browser are known to be here."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("playwright is not installed (pip install playwright)")
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found is None:
        _missing("Chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def chromium() -> str:
    return find_chromium()


@pytest.fixture(scope="module")
def report(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Results]:
    """A real run, copied with hostile text in its results and outputs, and its page."""
    run_dir = run_study(tmp_path_factory.mktemp("study"))
    target = tmp_path_factory.mktemp("hostile")
    results = with_payloads(run_dir, target)
    return write_report(results, target), results


@contextmanager
def launched(chromium: str) -> Iterator[Any]:
    """Chromium under Playwright; start it after any run, whose event loop Playwright's would
    block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser(chromium: str, report: tuple[Path, Results]) -> Iterator[Any]:
    with launched(chromium) as started:
        yield started


def _open(browser: Any, path: Path, **options: Any) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, **options)
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    return page, problems, requests


def _visible_rows(page: Any) -> int:
    return page.locator("#examples-table tbody tr:visible").count()


def test_the_page_loads_offline_and_runs_nothing_it_was_given(browser, report):
    path, _ = report
    page, problems, requests = _open(browser, path)
    assert problems == []
    assert requests == [path.as_uri()]
    assert page.evaluate("window.__xss") is None
    table = page.inner_text("#examples-table")
    assert SCRIPT in table and IMG in table
    assert SCRIPT in page.inner_text("#verdict")
    assert page.locator("#examples-table img, #examples-table svg").count() == 0
    page.close()


def test_the_examples_table_filters_and_sorts(browser, report):
    path, results = report
    page, problems, _ = _open(browser, path)
    total = len(results.examples)
    assert page.is_visible("#example-controls")
    assert _visible_rows(page) == total
    page.fill("#example-search", results.examples[7].id)
    assert _visible_rows(page) == 1
    page.fill("#example-search", "")
    disagreements = page.locator("tr.disagree").count()
    page.select_option("#example-show", "disagree")
    assert _visible_rows(page) == disagreements > 0
    assert page.inner_text("#example-count") == f"{disagreements} of {total} examples shown"
    page.select_option("#example-show", "all")
    page.click("#examples-table thead th:nth-child(4)")  # the incumbent's scores
    scores = page.eval_on_selector_all(
        "#examples-table tbody tr", "rows => rows.map(r => r.cells[3].dataset.v)"
    )
    assert [float(s) for s in scores] == sorted(float(s) for s in scores)
    assert problems == []
    page.close()


def test_without_javascript_everything_but_filtering_is_there(browser, report):
    path, results = report
    page, _, requests = _open(browser, path, java_script_enabled=False)
    assert requests == [path.as_uri()]
    assert not page.is_visible("#example-controls")
    assert _visible_rows(page) == len(results.examples)
    assert page.locator("svg.chart").count() >= 4
    page.close()


def test_a_screenshot_shows_a_page(browser, report, tmp_path):
    path, _ = report
    page, _, _ = _open(browser, path)
    shot = page.screenshot()
    keep = os.environ.get("REPORT_SCREENSHOT")
    if keep:
        page.screenshot(path=keep, full_page=True)
    page.close()
    blank = browser.new_page()
    measured = blank.evaluate(PIXELS, base64.b64encode(shot).decode())
    blank.close()
    assert (measured["width"], measured["height"]) == (1280, 1000)
    assert measured["colours"] > 50
    assert measured["inked"] > 0.02

"""The example's report read as a person would, on a laptop and on a phone, and printed.

Playwright drives Debian's Chromium (see tests/test_report_browser.py for how it is found and
skipped). Set REPORT_SCREENSHOTS to a folder to keep what each size looks like.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_socket import disable_socket, enable_socket

from advisor.cli import main
from advisor.results import Results, load
from tests.test_report_browser import find_chromium, launched

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"laptop": (1280, 900), "phone": (390, 844)}
# Every element that sticks out of the viewport sideways, or out of a box that hides what
# overflows it, unless a box that scrolls sideways (and has more to scroll) holds it.
OUTSIDE = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (box) => {
    const style = getComputedStyle(box);
    return ["auto", "scroll"].includes(style.overflowX) && box.scrollWidth > box.clientWidth;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].join(".") : "")
    + " " + (el.textContent || "").trim().slice(0, 40);
  const found = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    let scroller = null, clipper = null;
    for (let up = el.parentElement; up && !scroller; up = up.parentElement) {
      if (scrolls(up)) scroller = up;
      else if (!clipper && ["hidden", "clip"].includes(getComputedStyle(up).overflowX)) {
        clipper = up;
      }
    }
    if (scroller) continue;
    const edge = clipper ? clipper.getBoundingClientRect() : { left: 0, right: width };
    if (box.right > edge.right + 1 || box.left < edge.left - 1) found.push(name(el));
  }
  return { found, page: document.documentElement.scrollWidth - width };
}"""


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Results]:
    """The README's command on a copy of the example, offline: its report and results."""
    folder = tmp_path_factory.mktemp("example")
    for part in ("studies", "evalsets", "fixtures"):
        shutil.copytree(ROOT / part, folder / part)
    here = Path.cwd()
    os.chdir(folder)
    disable_socket(allow_unix_socket=True)
    try:
        assert main(["evaluate", "studies/support-tickets.toml", "--replay"]) == 0
    finally:
        enable_socket()
        os.chdir(here)
    run = folder / "reports/support-tickets"
    return run / "report.html", load(run / "results.json")


@pytest.fixture(scope="module")
def browser(chromium: str, example: tuple[Path, Results]) -> Iterator[Any]:
    with launched(chromium) as started:
        yield started


@pytest.fixture(scope="module")
def chromium() -> str:
    return find_chromium()


def _page(browser: Any, path: Path, size: str) -> Any:
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(path.as_uri(), wait_until="load")
    return page


@pytest.mark.parametrize("size", SIZES)
def test_nothing_is_clipped_and_wide_tables_scroll_in_their_box(browser, example, size, tmp_path):
    path, _ = example
    page = _page(browser, path, size)
    measured = page.evaluate(OUTSIDE)
    keep = os.environ.get("REPORT_SCREENSHOTS")
    if keep:
        page.screenshot(path=str(Path(keep) / f"{size}.png"))
        page.screenshot(path=str(Path(keep) / f"{size}-full.png"), full_page=True)
    assert measured["found"] == []
    assert measured["page"] <= 0, "the page itself scrolls sideways"
    # Every box with more to show says so: a shadow at the edge and, with script, a line above.
    wide = page.eval_on_selector_all(
        ".table-wrap, figure.chart-box",
        """boxes => boxes.filter(b => b.scrollWidth > b.clientWidth + 1).map(b => [
            getComputedStyle(b).overflowX,
            b.previousElementSibling && b.previousElementSibling.className])""",
    )
    assert all(overflow == "auto" and hint == "scroll-hint" for overflow, hint in wide), wide
    if size == "phone":
        assert wide, "on a phone the examples table at least is wider than the page"
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_simulator_disclosure_is_above_the_fold(browser, example, size):
    path, results = example
    page = _page(browser, path, size)
    notice = page.locator("#simulated-notice")
    assert notice.is_visible()
    box = notice.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= SIZES[size][1]
    text = notice.inner_text()
    for c in results.candidates:
        assert c.simulated is not None
        assert f"{c.name} ({c.model}) {c.simulated.accuracy:g}" in text
    page.close()


def test_every_confusion_view_names_its_candidate(browser, example):
    path, results = example
    page = _page(browser, path, "phone")
    views = page.eval_on_selector_all(
        ".confusion-view",
        "views => views.map(v => [v.dataset.candidate, v.querySelector('h4').innerText])",
    )
    assert [name for name, _ in views] == [c.name for c in results.candidates]
    for name, title in views:
        assert title.startswith(f"{name}: most frequent confusions")  # 12 labels: a list
    assert page.locator("table.confusion").count() == 0
    page.close()


def test_the_page_prints_to_pdf_legibly(browser, example, tmp_path):
    """Chromium's print to PDF on A4: nothing sticks out of the printed width, no text is
    smaller than 7 pt, and the PDF holds the verdict and the disclosure."""
    path, _ = example
    page = _page(browser, path, "laptop")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 700, "height": 1000})  # A4 less the page margins, at 96 dpi
    measured = page.evaluate(OUTSIDE)
    assert measured["page"] <= 0 and measured["found"] == []
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll("main *")]
            .filter(el => el.childNodes.length && [...el.childNodes].some(
                n => n.nodeType === 3 && n.textContent.trim()))
            .filter(el => el.getClientRects().length && !el.closest("svg"))
            .map(el => parseFloat(getComputedStyle(el).fontSize)))"""
    )
    assert smallest * 0.75 >= 7, f"{smallest}px text is {smallest * 0.75:.1f} pt on paper"
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4")
    page.close()
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 50_000

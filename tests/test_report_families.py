"""The report's "Across model families" section, on the shipped example's run."""

from pathlib import Path

from advisor.report import render
from advisor.results import load

RUN = Path(__file__).resolve().parent.parent / "reports" / "support-tickets"


def test_the_example_report_screens_the_families_and_marks_what_was_evaluated():
    html = render(load(RUN / "results.json"), RUN)
    section = html[html.index('<section id="families">') :]
    section = section[: section.index("</section>")]
    assert "Across model families" in section
    assert "Quality is unknown until an option is evaluated" in section
    assert "Worth an eval: " in section
    assert section.count("<tr><td>") >= 6
    assert "gpt-4o-mini <em>(evaluated)</em>" in section
    assert "llama-3.1 <em>(family evaluated)</em>" in section
    assert "fine-tunes prompted with 88 tokens" in section  # measured in the run


def test_a_run_without_a_fine_tune_says_why_there_is_no_screen():
    results = load(RUN / "results.json")
    prompted = results.model_copy(
        update={"candidates": [c for c in results.candidates if not c.fine_tune], "training": {}}
    )
    html = render(prompted, RUN)
    assert "No screen across families" in html and "no fine-tuned candidate" in html

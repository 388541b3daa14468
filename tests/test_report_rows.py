"""The examples table's rows, written in Python, are byte for byte what the template wrote.

`report_rows_reference.j2` beside this file is the page template's row loop as it stood before
the rows moved to `advisor.report._rows` (December 2026), rendered here by a jinja2 environment
set up as the page's; any row hypothesis can build must come out the same from both.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.report import _examples as ex
from advisor.report._filters import ms, num, score
from advisor.report._rows import rows_html
from advisor.results import Call

REFERENCE = (Path(__file__).parent / "report_rows_reference.j2").read_text(encoding="utf-8")


def _reference(examples: ex.Examples) -> str:
    env = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=num, score=score, ms=ms)
    template = env.from_string(REFERENCE)
    return template.render(ex=examples, problem_finish=ex.PROBLEM_FINISH)


def _python(examples: ex.Examples) -> str:
    return "    <tbody>\n" + str(rows_html(examples)) + "    </tbody>"


# Markup's five characters, line breaks and non-ASCII, in short and long texts.
words = st.text(alphabet=st.sampled_from(list("ab <>&'\"\n\u00e9\u2014 ")), max_size=30)
texts = st.one_of(words, words.map(lambda w: (w + " lorem ipsum ") * 40))
scores = st.one_of(st.none(), st.sampled_from([0.0, 1.0, 0.5, 2 / 3, -0.25, 1.5]))
calls = st.builds(
    Call,
    repeat=st.integers(0, 3),
    score=scores,
    prompt_tokens=st.integers(0, 2_000_000),
    cached_tokens=st.integers(0, 5_000),
    completion_tokens=st.integers(0, 90_000),
    finish_reason=st.sampled_from([None, "stop", "length", "content_filter", "<x>"]),
    error=st.one_of(st.none(), words),
    latency_ms=st.one_of(st.none(), st.floats(0, 1e6)),
)


@st.composite
def examples(draw: st.DrawFn) -> ex.Examples:
    limit = draw(st.sampled_from([240, 320, 6_000]))
    names = draw(st.lists(words, min_size=1, max_size=3, unique=True))
    groups = ["inc_better", "ch_better", "same", "unpaired"]
    rows = []
    for i in range(draw(st.integers(0, 4))):
        cells = []
        for name in names:
            answers = [
                ex.Answer(
                    call=call,
                    output=draw(st.one_of(st.none(), texts.map(lambda t: ex._cut(t, limit)))),
                    error=ex._cut(call.error, limit) if call.error else None,
                )
                for call in draw(st.lists(calls, max_size=3))
            ]
            cells.append(ex.Cell(name, ex._mean([a.call for a in answers]), answers))
        inputs = draw(st.dictionaries(words, texts, max_size=3))
        rows.append(
            ex.Row(
                id=f"{draw(words)}-{i}",
                group=draw(st.sampled_from(groups)),
                flags=" ".join(draw(st.lists(st.sampled_from(["error", "length"]), max_size=2))),
                inputs=[(k, ex._cut(v, limit)) for k, v in inputs.items()],
                expected=ex._cut(draw(texts), limit),
                metadata=draw(st.dictionaries(words, words, max_size=2)),
                cells=cells,
            )
        )
    tagged = draw(st.lists(st.sampled_from(groups[:2]), unique=True))
    return ex.Examples(
        rows=rows,
        total=len(rows),
        groups=[ex.Group(key, f"{key} label", f"<{key}> & co", 1) for key in tagged],
        candidates=names,
        has_text=True,
        field_limit=limit,
        flags={},
    )


@settings(max_examples=150, deadline=None)
@given(examples())
def test_rows_are_the_templates_bytes(table: ex.Examples) -> None:
    assert _python(table) == _reference(table)


def test_a_long_cut_output_opens_on_a_click_and_says_what_was_cut() -> None:
    call = Call(0, 1.0, 10, 0, 2, "length", None, None)
    output = ex._cut("word " * 400, 1_000)  # 2,000 characters shown up to 1,000
    row = ex.Row(
        "e<1>",
        "same",
        "length",
        [],
        ex._cut("x", 1_000),
        {},
        [ex.Cell("m", 1.0, [ex.Answer(call, output, None)])],
    )
    table = ex.Examples([row], 1, [], ["m"], True, 1_000, {})
    html = _python(table)
    assert "<details><summary>" in html and "1000 more characters" in html
    assert "e&lt;1&gt;" in html and "finish reason: length" in html
    assert html == _reference(table)

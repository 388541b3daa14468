"""The HTML report: escaping, charts that plot what results.json says, no network, size and speed.

The charts are checked the way a reader with a ruler would: parse the SVG, read each scale from
its data attributes, turn pixels back into days and dollars, and compare with results.json.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest
from markupsafe import escape

from advisor import economics as eco
from advisor.cli import main
from advisor.report import REPORT_FILE, charts, render, write_report
from advisor.results import EXAMPLES_FILE, Results, load, save_results
from advisor.simulator import running
from tests.conftest import (
    FEW_SHOT,
    FINE_TUNE,
    INCUMBENT,
    SHORT,
    sim_config,
    study_text,
    write_evalset,
)

SVG = "{http://www.w3.org/2000/svg}"
PROMPTED = "gpt-4o-mini-2024-07-18"
SCRIPT = "<script>window.__xss = 1; alert(1)</script>"
IMG = "<img src=x onerror=window.__xss=2;alert(1)>"


def run_study(folder: Path) -> Path:
    """A two-challenger study run end to end against the simulator; returns the run folder.

    Growth and a monthly base-model update make the fine-tune retrain once before the
    provider's training cutoff, then fall back to the incumbent's price at the shutdown.
    """
    write_evalset(folder / "ev.jsonl", 60)
    (folder / "few.jinja").write_text(FEW_SHOT, encoding="utf-8")
    (folder / "short.jinja").write_text(SHORT, encoding="utf-8")
    candidates = (
        f'[[candidates]]\nname = "incumbent"\nrole = "incumbent"\nmodel = "{INCUMBENT}"\n'
        'template = "few.jinja"\nparams = {temperature = 0, max_tokens = 5}\n'
        f'[[candidates]]\nname = "ft"\nmodel = "{FINE_TUNE}"\ntemplate = "short.jinja"\n'
        "training_cost = 500\nparams = {temperature = 0, max_tokens = 5}\n"
        f'[[candidates]]\nname = "mini"\nmodel = "{PROMPTED}"\ntemplate = "few.jinja"\n'
        "params = {temperature = 0, max_tokens = 5}\n"
    )
    text = study_text(
        candidates=candidates,
        traffic="[traffic]\ncalls_per_day = 50000\nmonthly_growth = 0.03\n",
        lifecycle="[lifecycle]\nmonths_between_updates = 1\n",
    )
    (folder / "study.toml").write_text(text, encoding="utf-8")
    models = {
        INCUMBENT: {"accuracy": 0.9, "prompt_cache": True},
        FINE_TUNE: {"accuracy": 0.8},
        PROMPTED: {"accuracy": 0.88},
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.delenv("OPENAI_API_KEY", raising=False)
        with running(sim_config(folder, models=models)) as server:
            assert main(["evaluate", "study.toml", "--base-url", server.base_url]) == 0
    return folder / "reports" / "tickets"


def with_payloads(run_dir: Path, target: Path) -> Results:
    """A copy of the run in `target` with hostile text in results.json and examples.jsonl."""
    results = load(run_dir / "results.json")
    first = results.examples[0]
    examples = [
        replace(first, expected=IMG, metadata={"lang": SCRIPT}),
        *results.examples[1:],
    ]
    analysis = results.analysis.model_copy(update={"summary": f"{SCRIPT} {IMG}"})
    results = results.model_copy(
        update={
            "note": f"{SCRIPT} answers from a local simulated server",
            "examples": examples,
            "analysis": analysis,
        }
    )
    rows = [json.loads(line) for line in (run_dir / EXAMPLES_FILE).read_text().splitlines()]
    rows[0]["inputs"]["text"] = f"{IMG} and {SCRIPT}"
    rows[0]["candidates"]["ft"][0]["output"] = f"{SCRIPT}{IMG}"
    rows[1]["candidates"]["incumbent"][0]["output"] = f'"><svg onload=window.__xss=3>{SCRIPT}'
    target.mkdir(parents=True, exist_ok=True)
    (target / EXAMPLES_FILE).write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    save_results(results, target)
    return results


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_study(tmp_path_factory.mktemp("study"))


@pytest.fixture(scope="module")
def results(run_dir: Path) -> Results:
    return load(run_dir / "results.json")


@pytest.fixture(scope="module")
def page(results: Results, run_dir: Path) -> str:
    return render(results, run_dir)


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def scale(svg: ET.Element, axis: str) -> charts.Scale:
    d0, d1 = map(float, svg.get(f"data-{axis}-domain").split())
    r0, r1 = map(float, svg.get(f"data-{axis}-range").split())
    return charts.Scale(d0, d1, r0, r1)


def points(path: ET.Element) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"[ML]([-\d.]+),([-\d.]+)", path.get("d"))]


def cost_chart(html: str, challenger: str) -> ET.Element:
    for svg in svgs(html):
        if "line-chart" in svg.get("class") and svg.get("aria-label").endswith(f" {challenger}"):
            return svg
    raise AssertionError(f"no cost chart for {challenger}")


def per_pixel(s: charts.Scale) -> float:
    return abs(s.d1 - s.d0) / abs(s.r1 - s.r0)


# --- what the page says --------------------------------------------------------------------


def test_write_report_writes_one_page_beside_the_results(results, run_dir, page):
    path = write_report(results, run_dir)
    assert path == run_dir / REPORT_FILE
    assert path.read_text(encoding="utf-8") == page
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".report.html")]
    assert render(results, run_dir) == page  # deterministic


def test_the_page_carries_the_verdict_reasons_and_assumptions(results, page):
    a = results.analysis
    for needle in [a.summary, str(a.review_by), a.review_reason]:
        assert str(escape(needle)) in page
    assert "Keep prompting" in page or "Fine-tune" in page or "Switch model" in page
    assert "Note: simulated" in page
    assert "live: every model was called" in page
    for cv in a.challengers:
        for rule in cv.rules:
            assert rule.name in page
            assert str(escape(rule.message)) in page
    for c in results.candidates:
        assert str(escape(c.prices.source)) in page
        for model in c.answered_models:
            assert model in page
    assert "fixed in the study" in page
    ft = next(cv for cv in a.challengers if cv.name == "ft")
    low = ft.break_even.min_calls_per_day
    assert (f"{low:,.0f}" if low >= 100 else f"{low:,.2f}") + " calls/day" in page


def test_every_text_from_the_study_the_eval_set_or_a_model_is_escaped(run_dir, tmp_path):
    results = with_payloads(run_dir, tmp_path)
    html = write_report(results, tmp_path).read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__xss = 1; alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=window.__xss=2;alert(1)&gt;" in html
    assert "&#34;&gt;&lt;svg onload=window.__xss=3&gt;" in html
    assert "<img" not in html and "<svg onload" not in html
    # Only the page's own script, allowed by hash in the content security policy.
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    assert len(scripts) == 1 and html.count("<script") == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    policy = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)[1])
    assert f"script-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy


def test_the_page_references_nothing_on_the_network(page):
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "@import" not in page
    for tag in ("<link", "<img", "<iframe", "<object", "<embed"):
        assert tag not in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith("#") for h in hrefs)


def test_disagreements_come_first(results, page):
    groups = re.findall(r'<tr class="ex-row[^"]*" data-group="([^"]+)"', page)
    assert len(groups) == len(results.examples)
    order = {"inc_better": 0, "ch_better": 1}
    ranks = [order.get(g, 2) for g in groups]
    assert ranks == sorted(ranks)
    # Counted by hand from results.json: incumbent right, focus challenger wrong.
    focus = results.analysis.recommended
    if focus not in {c.name for c in results.analysis.challengers}:
        focus = results.analysis.ranking[0]
    inc_only = sum(
        1
        for e in results.examples
        if e.calls["incumbent"][0].score == 1 and e.calls[focus][0].score == 0
    )
    assert groups.count("inc_better") == inc_only > 0


def test_a_run_without_examples_jsonl_or_analysis_still_renders(results, tmp_path):
    html = render(results, tmp_path)
    assert "examples.jsonl was not found" in html
    bare = results.model_copy(update={"analysis": None})
    html = render(bare, tmp_path)
    assert "No verdict" in html and "could not be analysed" in html


# --- charts, read back through their scales -------------------------------------------------


def _fine_tune(results: Results):
    return next(cv for cv in results.analysis.challengers if cv.name == "ft")


def test_cost_curves_end_where_results_json_says(results, page):
    cv = _fine_tune(results)
    be, inputs = cv.break_even, cv.break_even.scenario
    svg = cost_chart(page, "ft")
    sx, sy = scale(svg, "x"), scale(svg, "y")
    paths = {
        p.get("data-series"): points(p) for p in svg.iter(f"{SVG}path") if p.get("data-series")
    }
    inc, ch = paths["incumbent"], paths["challenger"]
    horizon = be.horizon_days
    assert sx.invert(inc[-1][0]) == pytest.approx(horizon, abs=per_pixel(sx))
    # By hand: calls over the horizon, growth compounding continuously, times the cost per call.
    k = math.log1p(inputs.monthly_growth) / eco.MONTH_DAYS
    calls = inputs.calls_per_day * (math.exp(k * horizon) - 1) / k
    incumbent_end = calls * inputs.prompt_cost_per_call
    dollar = per_pixel(sy)
    assert sy.invert(inc[-1][1]) == pytest.approx(incumbent_end, abs=dollar)
    assert sy.invert(inc[-1][1]) - sy.invert(ch[-1][1]) == pytest.approx(
        be.net_saving_at_horizon, abs=2 * dollar
    )
    # Day 0: the prompted arm starts from nothing, the fine-tune from its training cost.
    assert sy.invert(inc[0][1]) == pytest.approx(0, abs=dollar)
    assert sy.invert(ch[0][1]) == pytest.approx(cv.training_cost, abs=dollar)


def test_markers_sit_on_the_days_results_json_gives(results, page):
    cv = _fine_tune(results)
    be = cv.break_even
    svg = cost_chart(page, "ft")
    sx, sy = scale(svg, "x"), scale(svg, "y")
    markers = {}
    for g in svg.iter(f"{SVG}g"):
        for kind in (g.get("data-marker") or "").split():
            markers[kind] = g
    # It dies on day 47 before it has paid: no payback, so no payback marker, whatever the
    # seed's arithmetic says.
    assert be.payback_days is None and be.simple_payback_days is not None
    assert "payback" not in markers
    assert be.life.retrain_days and be.life.fallback_day is not None
    retrain = markers["retrain"].find(f"{SVG}line")
    assert sx.invert(float(retrain.get("x1"))) == pytest.approx(
        be.life.retrain_days[0], abs=per_pixel(sx)
    )
    fallback = markers["fallback"].find(f"{SVG}line")
    assert sx.invert(float(fallback.get("x1"))) == pytest.approx(
        be.life.fallback_day, abs=per_pixel(sx)
    )
    assert "shutdown" in markers and "cutoff" in markers
    # The retrain is a step of the retrain charge (the training cost) in the fine-tune's curve.
    ch = next(points(p) for p in svg.iter(f"{SVG}path") if p.get("data-series") == "challenger")
    x = sx(be.life.retrain_days[0])
    at = [y for px, y in ch if abs(px - x) < 0.01]
    step = sy.invert(min(at)) - sy.invert(max(at))
    assert step == pytest.approx(cv.training_cost, abs=2 * per_pixel(sy))


@pytest.mark.parametrize("arm", ["incumbent", "challenger"])
def test_each_band_contains_its_curve(page, arm):
    svg = cost_chart(page, "ft")
    paths = list(svg.iter(f"{SVG}path"))
    ys = [y for _, y in points(next(p for p in paths if p.get("data-band") == arm))]
    line = points(next(p for p in paths if p.get("data-series") == arm))
    upper, lower = ys[: len(line)], list(reversed(ys[len(line) :]))
    for (_, y), top, bottom in zip(line, upper, lower, strict=True):
        assert top - 0.01 <= y <= bottom + 0.01  # pixels grow downwards


def test_the_tornado_bars_end_at_the_sensitivity_figures(results, page):
    cv = _fine_tune(results)
    # No payback within the horizon at either end of any assumption: no payback tornado.
    assert cv.break_even.payback_days is None
    assert all(r.payback_low is None and r.payback_high is None for r in cv.sensitivity)
    assert "No payback within the horizon at either end of every assumption." in page
    label = "Net saving of ft at the horizon against each assumption"
    svg = next(s for s in svgs(page) if s.get("aria-label") == label)
    sx = scale(svg, "x")
    base = float(next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "base").get("data-x"))
    assert base == pytest.approx(cv.break_even.net_saving_at_horizon)
    rows = {g.get("data-factor"): g for g in svg.iter(f"{SVG}g") if g.get("data-factor")}
    assert set(rows) == {r.factor for r in cv.sensitivity}
    base_px = sx(base)
    for r in cv.sensitivity:
        for rect in rows[r.factor].iter(f"{SVG}rect"):
            value = r.net_saving_low if rect.get("data-end") == "low" else r.net_saving_high
            x, w = float(rect.get("x")), float(rect.get("width"))
            far = x if abs(x - base_px) > abs(x + w - base_px) else x + w
            assert sx.invert(far) == pytest.approx(value, abs=max(per_pixel(sx), 1e-9) * 1.01)


def test_charts_escape_their_labels_and_stay_well_formed():
    label = 'a <script>alert("x")</script> & b'
    svg = charts.line_chart(
        [charts.Series("s", label, [0, 1, 2], [0, 5, 10], "inc")],
        title=label,
        x_label=label,
        y_label="y",
        x_format=str,
        markers=[charts.Marker("payback", 1, label, 5)],
    )
    root = ET.fromstring(svg)
    assert "<script" not in svg
    assert label in [t.text for t in root.iter(f"{SVG}text")]
    sx, sy = scale(root, "x"), scale(root, "y")
    path = next(points(p) for p in root.iter(f"{SVG}path") if p.get("data-series") == "s")
    assert [round(sx.invert(x), 6) for x, _ in path] == [0, 1, 2]
    assert [round(sy.invert(y), 6) for _, y in path] == [0, 5, 10]
    tornado = charts.tornado(
        [charts.TornadoRow(label, "lo", "hi", None, 3.0)],
        base=2.0,
        base_label=label,
        title=label,
        axis_label=label,
        value_format=str,
    )
    ET.fromstring(tornado)
    never = [r for r in ET.fromstring(tornado).iter(f"{SVG}rect") if r.get("data-value") == "never"]
    assert len(never) == 1


def test_scales_and_ticks():
    s = charts.Scale(0, 730, 72, 856)
    assert s.invert(s(254.7)) == pytest.approx(254.7)
    assert charts.nice_domain(0, 1_902.55) == (0, 2_000)
    assert charts.ticks(0, 2_000) == [0, 500, 1_000, 1_500, 2_000]
    assert charts.nice_domain(5, 5)[0] < 5 < charts.nice_domain(5, 5)[1]
    assert charts.compact_money(1_500) == "$1.5k"
    assert charts.compact_money(-407.75) == "-$408"
    assert charts.compact_money(0.25) == "$0.25"


# --- scale -----------------------------------------------------------------------------------


def _big(results: Results, run_dir: Path, target: Path, n: int) -> Results:
    """n examples cycled from the small run, each with a paragraph of input and output."""
    rows = [json.loads(line) for line in (run_dir / EXAMPLES_FILE).read_text().splitlines()]
    for row in rows:
        row["inputs"]["text"] += " The customer writes about an invoice charged twice." * 6
        for calls in row["candidates"].values():
            for c in calls:
                c["output"] += " because the ticket mentions it." * 4
    examples, lines = [], []
    for i in range(n):
        new_id = f"x{i:05d}"
        examples.append(replace(results.examples[i % len(rows)], id=new_id))
        lines.append(json.dumps({**rows[i % len(rows)], "id": new_id}, ensure_ascii=False))
    target.mkdir(parents=True, exist_ok=True)
    (target / EXAMPLES_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return results.model_copy(update={"examples": examples})


def test_ten_thousand_examples_render_fast_and_small(results, run_dir, tmp_path):
    big = _big(results, run_dir, tmp_path, 10_000)
    start = time.perf_counter()
    path = write_report(big, tmp_path)
    seconds = time.perf_counter() - start
    size = path.stat().st_size
    print(f"10,000 examples: {seconds:.2f} s, {size / 1e6:.2f} MB")
    assert seconds < 3.0
    assert size < 10_000_000
    html = path.read_text(encoding="utf-8")
    assert html.count('<tr class="ex-row') == 2_000
    assert "Showing the first <strong>2,000</strong> of 10,000 examples" in html
    assert "8,000 more examples are in examples.jsonl" in html

"""The report's templates and assets: the jinja2 environment with its filters, and the page's
script and style, read once."""

from __future__ import annotations

import functools
from importlib import resources

import jinja2

from advisor.jinja_cache import bytecode_cache
from advisor.report._filters import ms, num, plain, score
from advisor.wording import days, money


@functools.cache
def asset(name: str) -> str:
    return resources.files("advisor.report").joinpath("templates", name).read_text("utf-8")


@functools.cache
def environment() -> jinja2.Environment:
    """The page's templates, their compiled code kept between runs (advisor.jinja_cache):
    compiling them took 0.15 s of every run, while its requests were in flight or, in a replay,
    on the way to its end."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("advisor.report", "templates"),
        bytecode_cache=bytecode_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=lambda v: "—" if v is None else money(v),
        days=days,
        num=num,
        pct=lambda v, d=1: "—" if v is None else f"{v:.{d}%}",
        signed=lambda v, d=3: "—" if v is None else f"{v:+.{d}f}",
        score=score,
        pval=lambda v: "—" if v is None else ("< 0.001" if v < 0.001 else f"{v:.3g}"),
        ms=ms,
        per_million=lambda v: f"${v:,.4g}",
        plain=plain,
        label=lambda k: str(k).replace("_", " "),
    )
    return env

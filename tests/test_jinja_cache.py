"""Compiled templates kept between runs: used when they fit, compiled afresh when they do not."""

from pathlib import Path

import jinja2
import pytest

from advisor import jinja_cache
from advisor.evalset import Example
from advisor.prompts import load_template


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "jinja"
    folder.mkdir()
    cache = jinja_cache._QuietCache(str(folder))
    monkeypatch.setattr(jinja_cache, "bytecode_cache", lambda: cache)
    return folder


def _no_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(jinja2.Environment, "compile", refuse)


def test_a_template_is_compiled_once_then_loaded(cache_dir, monkeypatch):
    env = jinja2.Environment()
    first = jinja_cache.from_source(env, "Hi {{ name }}!")
    assert len(list(cache_dir.iterdir())) == 1
    _no_compiling(monkeypatch)
    again = jinja_cache.from_source(env, "Hi {{ name }}!")
    assert first.render(name="Ann") == again.render(name="Ann") == "Hi Ann!"


def test_one_entry_per_distinct_template(cache_dir):
    env = jinja2.Environment()
    for source in ("one {{ x }}", "two {{ x }}", "one {{ x }}"):
        assert jinja_cache.from_source(env, source).render(x=2) == source.replace("{{ x }}", "2")
    assert len(list(cache_dir.iterdir())) == 2


def test_another_environment_does_not_take_the_code_of_the_first(cache_dir):
    source = "[[ x ]] {{ x }}"
    plain = jinja2.Environment()
    squared = jinja2.Environment(variable_start_string="[[", variable_end_string="]]")
    assert jinja_cache.from_source(plain, source).render(x=1) == "[[ x ]] 1"
    assert jinja_cache.from_source(squared, source).render(x=1) == "1 {{ x }}"


def test_a_loaded_template_is_checked_against_its_environment_too(cache_dir):
    """The report's templates come through a loader, keyed by name as jinja2 keys them."""
    loader = jinja2.DictLoader({"page": "[[ x ]] {{ x }}"})
    cache = jinja_cache.bytecode_cache()

    def env(**delimiters: str) -> jinja2.Environment:
        return jinja2.Environment(loader=loader, bytecode_cache=cache, **delimiters)

    squared = {"variable_start_string": "[[", "variable_end_string": "]]"}
    assert env().get_template("page").render(x=1) == "[[ x ]] 1"
    assert env(**squared).get_template("page").render(x=1) == "1 {{ x }}"
    assert env().get_template("page").render(x=1) == "[[ x ]] 1"


def test_a_damaged_entry_is_compiled_again(cache_dir):
    env = jinja2.Environment()
    jinja_cache.from_source(env, "{{ x }}")
    (entry,) = cache_dir.iterdir()
    magic = jinja2.bccache.bc_magic
    entry.write_bytes(magic + b"\x80not a pickle")
    assert jinja_cache.from_source(env, "{{ x }}").render(x=3) == "3"


def test_without_a_cache_templates_still_compile(monkeypatch):
    monkeypatch.setattr(jinja_cache, "bytecode_cache", lambda: None)
    assert jinja_cache.from_source(jinja2.Environment(), "{{ x }}").render(x=4) == "4"


def test_prompt_templates_load_from_the_cache(cache_dir, tmp_path, monkeypatch):
    path = tmp_path / "few.jinja"
    path.write_text("<|system|>\nRoute it.\n<|user|>\nTicket: {{ text }}\n")
    example = Example("e1", {"text": "refund"}, "billing", {}, 1)
    expected = [
        {"role": "system", "content": "Route it."},
        {"role": "user", "content": "Ticket: refund"},
    ]
    assert load_template(path).render(example) == expected
    _no_compiling(monkeypatch)
    assert load_template(path).render(example) == expected

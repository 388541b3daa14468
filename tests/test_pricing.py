"""The price catalog's figures, sources and lifecycle dates, and how call prices are chosen."""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources

import pytest
from pydantic import ValidationError
from rich.console import Console

from advisor.errors import InputError, UnknownModelError
from advisor.prices_view import entry_detail, parse_price_override, prices_table
from advisor.pricing import (
    FIGURES,
    Catalog,
    PriceOverride,
    call_prices,
    load_catalog,
    lookup,
    model_terms,
    resolve_model,
)

# training / ft input / ft cached input / ft output / input / cached input / output, per 1M tokens
OPENAI = {
    "gpt-4o-mini-2024-07-18": (3, 0.30, 0.15, 1.20, 0.15, 0.075, 0.60),
    "gpt-4o-2024-08-06": (25, 3.75, 1.875, 15, 2.50, 1.25, 10),
    "gpt-4.1-2025-04-14": (25, 3.00, 0.75, 12, 2.00, 0.50, 8),
    "gpt-4.1-mini-2025-04-14": (5, 0.80, 0.20, 3.20, 0.40, 0.10, 1.60),
    "gpt-4.1-nano-2025-04-14": (1.50, 0.20, 0.05, 0.80, 0.10, 0.025, 0.40),
    "gpt-3.5-turbo-0125": (8, 3, None, 6, 0.50, None, 1.50),
}
FIELDS = ("training", "ft_input", "ft_cached_input", "ft_output", "input", "cached_input", "output")
RETIRED_2027 = ("gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14")


def _raw_catalog() -> dict:
    text = resources.files("advisor").joinpath("data/prices.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@pytest.mark.parametrize(("model", "figures"), OPENAI.items())
def test_openai_figures_are_the_published_ones(model, figures):
    entry = lookup("openai", model)
    assert tuple(getattr(entry, field) for field in FIELDS) == figures
    assert entry.batch_discount == 0.5
    assert entry.min_training_examples == 10


def test_training_context_only_where_openai_documents_it():
    contexts = {m: lookup("openai", m).training_context for m in OPENAI}
    assert contexts["gpt-4o-mini-2024-07-18"] == contexts["gpt-4o-2024-08-06"] == 65_536
    assert contexts["gpt-3.5-turbo-0125"] == 16_385
    assert contexts["gpt-4.1-2025-04-14"] is None


def test_lifecycle_dates_and_their_notices():
    catalog = load_catalog()
    for model in OPENAI:
        entry = lookup("openai", model)
        assert entry.training_cutoff == date(2027, 1, 6)
        (cutoff_source,) = catalog.sources_of(entry, "training_cutoff")
        assert cutoff_source.dated == date(2026, 5, 7)
        assert "deprecations" in (cutoff_source.url or "")
    for model in (*RETIRED_2027, "gpt-4.1-mini-2025-04-14"):
        entry = lookup("openai", model)
        assert entry.shutdown == date(2027, 1, 14)
        assert catalog.sources_of(entry, "shutdown")[0].dated == date(2026, 10, 14)
    for model in ("gpt-4.1-nano-2025-04-14", "gpt-3.5-turbo-0125"):
        assert lookup("openai", model).shutdown == date(2026, 10, 23)


def test_every_figure_has_a_named_dated_source():
    catalog = load_catalog()
    checked = 0
    for entry in catalog.models:
        for figure in FIGURES:
            if getattr(entry, figure) is None:
                continue
            sources = catalog.sources_of(entry, figure)
            assert sources, f"{entry.model} {figure}"
            for source in sources:
                assert source.name.strip() and (source.url or "").startswith("https://")
                assert isinstance(source.checked, date)
            checked += 1
    assert checked


def test_catalog_refuses_an_unsourced_figure_an_unknown_source_and_unknown_keys():
    raw = _raw_catalog()
    del raw["models"][0]["sources"]["shutdown"]
    with pytest.raises(ValidationError, match="shutdown has no source"):
        Catalog.model_validate(raw)
    raw = _raw_catalog()
    raw["models"][0]["sources"]["base"] = ["a-blog"]
    with pytest.raises(ValidationError, match="unknown source 'a-blog'"):
        Catalog.model_validate(raw)
    raw = _raw_catalog()
    raw["models"][0]["price"] = 1.0
    with pytest.raises(ValidationError, match="Extra inputs"):
        Catalog.model_validate(raw)
    raw = _raw_catalog()
    raw["models"][1]["aliases"] = ["gpt-4o-mini"]
    with pytest.raises(ValidationError, match="listed twice"):
        Catalog.model_validate(raw)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("ft:gpt-4o-mini-2024-07-18:acme::AbC123", ("gpt-4o-mini-2024-07-18", True)),
        ("ft:gpt-4o-mini-2024-07-18:acme:tickets:AbC123", ("gpt-4o-mini-2024-07-18", True)),
        ("ft:gpt-4.1-mini-2025-04-14:acme:x:y:ckpt-step-10", ("gpt-4.1-mini-2025-04-14", True)),
        ("gpt-4o-mini", ("gpt-4o-mini-2024-07-18", False)),
        ("gpt-4.1", ("gpt-4.1-2025-04-14", False)),
        ("gpt-4o", ("gpt-4o", False)),  # three snapshots at OpenAI: ambiguous, not resolved
        ("gpt-3.5-turbo", ("gpt-3.5-turbo", False)),
        ("my-model", ("my-model", False)),
    ],
)
def test_resolve_model(model, expected):
    assert resolve_model(model) == expected


def test_alias_resolves_only_at_its_provider():
    assert resolve_model("gpt-4o-mini", "together") == ("gpt-4o-mini", False)


def test_unknown_model_error_says_how_to_give_prices():
    with pytest.raises(UnknownModelError) as caught:
        lookup("together", "meta-llama/Llama-3.1-8B")
    message = str(caught.value)
    assert "together" in message and "meta-llama/Llama-3.1-8B" in message
    assert "[candidates.prices]" in message and "--price meta-llama/Llama-3.1-8B=" in message
    assert "\n" not in message and caught.value.exit_code == 2


def test_fine_tuned_id_is_priced_as_a_fine_tune():
    prices = call_prices("openai", "ft:gpt-4o-mini-2024-07-18:acme::AbC123")
    assert (prices.input, prices.cached_input, prices.output) == (0.30, 0.15, 1.20)
    assert "fine-tuned" in prices.source and "2026-11-28" in prices.source


def test_base_model_and_forced_fine_tune():
    base = call_prices("openai", "gpt-4.1-2025-04-14")
    assert (base.input, base.cached_input, base.output) == (2.00, 0.50, 8.00)
    forced = call_prices("openai", "gpt-4.1", fine_tuned=True)
    assert (forced.input, forced.cached_input, forced.output) == (3.00, 0.75, 12.00)


def test_missing_cached_price_bills_cached_tokens_as_input_and_says_so():
    prices = call_prices("openai", "ft:gpt-3.5-turbo-0125:acme::x")
    assert (prices.input, prices.cached_input, prices.output) == (3.0, 3.0, 6.0)
    assert "billed as input" in prices.source


def test_overrides_replace_any_figure():
    given = PriceOverride(output=0.5)
    prices = call_prices("openai", "gpt-4o-mini", overrides=given, overrides_from="the study")
    assert (prices.input, prices.cached_input, prices.output) == (0.15, 0.075, 0.5)
    assert "output: the study" in prices.source


def test_model_outside_the_catalog_needs_input_and_output():
    given = PriceOverride(input=0.18, output=0.18)
    prices = call_prices("together", "meta-llama/Meta-Llama-3.1-8B-Instruct", overrides=given)
    assert (prices.input, prices.cached_input, prices.output) == (0.18, 0.18, 0.18)
    with pytest.raises(UnknownModelError, match="not in the price catalog"):
        call_prices("together", "meta-llama/Meta-Llama-3.1-8B-Instruct")
    with pytest.raises(UnknownModelError):
        call_prices("together", "x", overrides=PriceOverride(input=0.18))


def test_price_override_is_closed_and_non_negative():
    with pytest.raises(ValidationError):
        PriceOverride(input=-0.1)
    with pytest.raises(ValidationError):
        PriceOverride(inputs=0.1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        PriceOverride(output=float("inf"))


def test_model_terms_from_catalog_and_overrides():
    terms = model_terms("openai", "ft:gpt-4o-mini-2024-07-18:acme::x")
    assert (terms.training, terms.training_context, terms.min_training_examples) == (3, 65_536, 10)
    assert (terms.shutdown, terms.training_cutoff) == (date(2027, 1, 14), date(2027, 1, 6))
    assert (terms.batch_discount, terms.hosting_per_hour) == (0.5, None)
    given = PriceOverride(training=0.48, hosting_per_hour=3.0)
    unknown = model_terms("together", "llama", overrides=given)
    assert (unknown.training, unknown.hosting_per_hour, unknown.shutdown) == (0.48, 3.0, None)


@pytest.mark.parametrize(
    ("text", "model", "expected"),
    [
        ("gpt-x=1.0,,2.0", "gpt-x", PriceOverride(input=1.0, output=2.0)),
        (" gpt-x = 1, 0.5 , 2 ", "gpt-x", PriceOverride(input=1, cached_input=0.5, output=2)),
        ("ft:gpt-4o-mini-2024-07-18:acme::x=0.3,0.15,1.2", "ft:gpt-4o-mini-2024-07-18:acme::x",
         PriceOverride(input=0.3, cached_input=0.15, output=1.2)),
    ],
)  # fmt: skip
def test_parse_price_override(text, model, expected):
    assert parse_price_override(text) == (model, expected)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("gpt-x", "MODEL=INPUT,CACHED,OUTPUT"),
        ("=1,2,3", "MODEL=INPUT,CACHED,OUTPUT"),
        ("gpt-x=1,2", "MODEL=INPUT,CACHED,OUTPUT"),
        ("gpt-x=1,2,3,4", "MODEL=INPUT,CACHED,OUTPUT"),
        ("gpt-x=a,,2", "input price 'a' is not a number"),
        ("gpt-x=1,,", "output price '' is not a number"),
        ("gpt-x=1,-0.5,2", "cached input price -0.5 must be between 0 and 1e+09"),
        ("gpt-x=1,,nan", "output price nan must be between 0 and 1e+09"),
    ],
)
def test_malformed_price_override(text, names):
    with pytest.raises(InputError) as caught:
        parse_price_override(text)
    assert names in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def _render(renderable) -> str:
    console = Console(record=True, width=250, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_prices_table_lists_every_entry():
    text = _render(prices_table(load_catalog()))
    assert all(model in text for model in OPENAI)
    assert "$0.075" in text and "$25.00" in text and "2027-01-14" in text


def test_entry_detail_shows_each_figure_with_source_and_date():
    text = _render(entry_detail(lookup("openai", "gpt-4o-mini")))
    assert "$1.20" in text and "50%" in text and "65,536" in text
    assert "OpenAI API pricing page" in text and "2026-11-28" in text
    assert "aliases: gpt-4o-mini" in text and "not known" in text  # hosting: billed by none

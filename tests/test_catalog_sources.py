"""The catalog across providers: every figure has a source with a URL and the date it was read."""

import pytest

from advisor.cli import main
from advisor.errors import UnknownModelError
from advisor.pricing import FIGURES, call_prices, load_catalog


def test_every_gpu_price_has_a_dated_source_too():
    # Model figures are held to theirs by test_pricing.test_every_figure_has_a_named_dated_source,
    # which covers the new figures (training_full, min_training_charge, ...) through FIGURES.
    assert {"min_training_charge", "adapter_at_base_price", "storage_per_month"} <= set(FIGURES)
    catalog = load_catalog()
    assert catalog.gpus
    for gpu in catalog.gpus:
        for key in gpu.sources:
            assert catalog.sources[key].url.startswith("https://") and catalog.sources[key].checked


def test_at_least_three_providers_and_four_families_beyond_openai():
    models = [e for e in load_catalog().models if e.provider != "openai"]
    assert len({e.provider for e in models}) >= 3
    assert len({e.family for e in models if e.family}) >= 4
    assert all(e.family for e in models)
    closed = ("gpt", "gemini")  # open-weight models' sizes are published; these are not
    open_weight = [e for e in models if not e.family.startswith(closed)]
    assert open_weight and all(e.parameters_b for e in open_weight)


def test_a_fireworks_lora_is_served_on_a_dedicated_deployment_not_at_the_base_price(capsys):
    # The 2026 docs: LoRA models only on on-demand deployments; the older page said base price.
    model = "accounts/fireworks/models/llama-v3p1-8b-instruct"
    assert main(["prices", model, "--provider", "fireworks"]) == 0
    out = capsys.readouterr().out
    assert "docs.fireworks.ai/fine-tuning/deploying-loras" in out and "2026-12-06" in out
    prices = call_prices("fireworks", model, fine_tuned=True)
    assert (prices.input, prices.output) == (0.0, 0.0)  # billed per GPU-second instead
    entry = load_catalog().find("fireworks", model)
    assert entry.adapter_at_base_price is False and entry.hosting_per_hour == 8.00
    qwen = "accounts/fireworks/models/qwen2p5-72b-instruct"  # GPU count not published
    with pytest.raises(UnknownModelError, match="has no fine-tuned input price"):
        call_prices("fireworks", qwen, fine_tuned=True)


def test_secondary_and_conflicting_figures_say_so():
    catalog = load_catalog()
    for key in ("fireworks-pricing-2026-10", "together-pricing-2026-02", "mistral-ft-table-2024"):
        source = catalog.sources[key]
        assert "secondary" in source.name and source.dated and "Secondary" in source.note
    together = catalog.find("together", "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo")
    assert together.min_training_charge == 4.00 and "said there was none" in together.note
    assert "example purposes only" in catalog.find("azure", "gpt-4.1-2025-04-14").note
    vertex = catalog.find("vertex", "gemini-2.5-flash")
    assert vertex.training == 5.00 and vertex.ft_input is None and "in the study" in vertex.note


def test_a_figure_shows_its_sources_own_date_beside_the_day_it_was_read(capsys):
    assert main(["prices", "open-mistral-nemo", "--provider", "mistral"]) == 0
    out = capsys.readouterr().out
    assert "2026-12-06" in out and "dated 2024-12-22" in out and "secondary" in out


def test_prices_lists_the_open_weight_providers(capsys):
    assert main(["prices"]) == 0
    out = capsys.readouterr().out
    for name in ("fireworks", "together", "mistral", "llama-3.1", "qwen-2.5", "gemma-2"):
        assert name in out


def test_open_weight_families_count_with_their_measured_approximation():
    from advisor.tokens import approximation, encoding_name_for_model

    llama = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
    assert encoding_name_for_model(llama) == ("cl100k_base", False)
    assert "within 0.02%" in approximation(llama)
    assert encoding_name_for_model("accounts/fireworks/models/mistral-7b-instruct-v3")[0] == (
        "cl100k_base"
    )
    assert approximation("Qwen/Qwen2.5-7B-Instruct") == "tokens counted with o200k_base, approx."
    assert approximation("gpt-4o-mini-2024-07-18") == "counted with o200k_base"


def test_prices_shows_the_dedicated_gpu_prices(capsys):
    assert main(["prices"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Dedicated GPU, fireworks H100 80GB: $8.00/hour" in out
    assert "Dedicated GPU, together H100 80GB: $5.49/hour" in out

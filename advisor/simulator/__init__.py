"""A local OpenAI-compatible server whose models answer an eval set at a chosen accuracy.

Tests, the shipped example and the benchmarks need an API that behaves like OpenAI's (the
response shape, usage with cached tokens, rate-limit headers and 429s, failures) but is free,
offline and deterministic: which questions a model gets right is fixed per (model, question) by
`answers_correctly`, and injected faults are fixed per (request body, attempt).

    key_pattern = "Ticket: (.*)"          # group 1 of the last user message is the lookup key
    labels = ["billing", "bug", "other"]  # a wrong answer is another label
    tpm = 2_000_000                       # over all models; also rpm, burst_seconds

    [answer_file]                         # and/or an inline [answer_key] table
    path = "../evalsets/tickets.jsonl"    # relative to this file
    key_field = "text"
    answer_field = "label"

    [faults]                              # 429, 500, 503, drop, malformed
    rate = 0.05

    [models."gpt-4o-mini"]                # served ids; any other gets a 404
    accuracy = 0.9
    latency_ms = 200
    prompt_cache = true
    served_model = "gpt-4o-mini-2024-07-18"
    shutdown_date = 2027-01-14
    rpm = 500

    [models.grader]
    mode = "judge"                        # replies CORRECT or INCORRECT

    [batch]                               # the Files and Batches endpoints (/v1/files, /v1/batches)
    in_progress_polls = 2                 # polls per stage; also validating_polls, finalizing_polls
    failure_rate = 0.01                   # requests that fail with a 500 in the error file
    expire_after_polls = 10               # expired at that poll; what was processed is kept

Run it with `running(config)` in tests or `python -m advisor.simulator --config FILE`.
"""

from advisor.simulator._answers import UNKNOWN_REPLY, WRONG_REPLY, answers_correctly
from advisor.simulator._config import AnswerFile, BatchSim, Faults, ModelSim, SimConfig
from advisor.simulator._run import RunningSimulator, main, running, serve
from advisor.simulator._server import Simulator, Stats

__all__ = [
    "UNKNOWN_REPLY",
    "WRONG_REPLY",
    "AnswerFile",
    "BatchSim",
    "Faults",
    "ModelSim",
    "RunningSimulator",
    "SimConfig",
    "Simulator",
    "Stats",
    "answers_correctly",
    "main",
    "running",
    "serve",
]

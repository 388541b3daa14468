"""How far the offline approximations of open-weight tokenizers are from the real ones.

The wheels of `llama-models` (0.3.0) and `mistral-common` (1.13.1) ship Llama 3's tokenizer and
Mistral NeMo's tekken vocabulary; both load into tiktoken. advisor does not depend on them (they
pull Pillow, huggingface-hub, jsonschema, ...); this script measures the approximation it uses
instead, on the example's eval set and training file. Get the wheels once, no dependencies:

    pip download --no-deps -d /tmp/w llama-models==0.3.0 mistral-common==1.13.1
    pip install --no-deps --target /tmp/site /tmp/w/*.whl
    python benchmarks/family_tokenizers.py /tmp/site
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import tiktoken
from tiktoken.load import load_tiktoken_bpe

from advisor.tokens import get_encoding

ROOT = Path(__file__).resolve().parent.parent
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)  # llama_models/llama3/tokenizer.py, Tokenizer.pat_str


def real_tokenizers(site: Path) -> dict[str, tiktoken.Encoding]:
    llama = load_tiktoken_bpe(str(site / "llama_models/llama3/tokenizer.model"))
    data = json.loads((site / "mistral_common/data/tekken_240718.json").read_text())
    config = data["config"]
    inner = config["default_vocab_size"] - config["default_num_special_tokens"]
    tekken = {base64.b64decode(t["token_bytes"]): t["rank"] for t in data["vocab"][:inner]}
    return {
        "llama-3": tiktoken.Encoding("llama3", pat_str=LLAMA3_PATTERN, mergeable_ranks=llama,
                                     special_tokens={}),
        "tekken (mistral-nemo)": tiktoken.Encoding("tekken", pat_str=config["pattern"],
                                                   mergeable_ranks=tekken, special_tokens={}),
    }  # fmt: skip


def texts(path: Path) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if "messages" in rows[0]:
        return ["".join(m["content"] for m in r["messages"]) for r in rows]
    return [f"{r['subject']}\n{r['body']}" for r in rows]


def main(site: Path) -> None:
    for name in ("support-tickets.jsonl", "support-tickets.train.jsonl"):
        xs = texts(ROOT / "evalsets" / name)
        for family, real in real_tokenizers(site).items():
            for approx in ("cl100k_base", "o200k_base"):
                enc = get_encoding(approx)
                pairs = [(len(real.encode_ordinary(x)), len(enc.encode_ordinary(x))) for x in xs]
                total = sum(a for _, a in pairs) / sum(r for r, _ in pairs) - 1
                worst = max(abs(a / r - 1) for r, a in pairs)
                print(f"{name:28} {family:22} {approx:12} total {total:+.2%}  worst {worst:.1%}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

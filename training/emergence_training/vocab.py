"""Character-level vocabulary shared by the data generator, the exporter and the tokenizer files.

Ids are fixed forever: the ONNX graphs, tokenizer.json and golden files all depend on them.
"""
from __future__ import annotations

PAD = "<pad>"
EOS = "<eos>"
UNK = "<unk>"
SPECIAL_TOKENS = [PAD, EOS, UNK]
# '-' and '*' are in the vocabulary so that subtraction and multiplication prompts tokenize;
# the bundled ladder is trained on addition only.
CHARS = list("0123456789+-*=")
TOKENS = SPECIAL_TOKENS + CHARS
TOKEN_TO_ID = {t: i for i, t in enumerate(TOKENS)}
PAD_ID = TOKEN_TO_ID[PAD]
EOS_ID = TOKEN_TO_ID[EOS]
UNK_ID = TOKEN_TO_ID[UNK]
VOCAB_SIZE = len(TOKENS)


class VocabularyError(ValueError):
    pass


def encode(text: str) -> list[int]:
    """Encode plain text (no special tokens) one character per token."""
    ids = []
    for ch in text:
        if ch not in TOKEN_TO_ID or ch in SPECIAL_TOKENS:
            raise VocabularyError(f"character {ch!r} is not in the arithmetic vocabulary {''.join(CHARS)!r}")
        ids.append(TOKEN_TO_ID[ch])
    return ids


def decode(ids: list[int]) -> str:
    """Decode ids to text, dropping special tokens (as skip_special_tokens=True does)."""
    return "".join(TOKENS[i] for i in ids if TOKENS[i] not in SPECIAL_TOKENS)

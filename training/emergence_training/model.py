"""A GPT-2-shaped decoder (pre-LayerNorm, learned positions, tied embeddings).

The forward signature is the one transformers.js feeds a ``gpt2`` decoder with a KV cache:
``input_ids``, ``attention_mask`` over past+current tokens, ``position_ids`` and
``past_key_values.{i}.key|value`` of shape [batch, heads, past_len, head_dim]; it returns
``logits`` and ``present.{i}.key|value``. Padding (left or right) is handled entirely by the
attention mask and position ids, so batched and unbatched runs give the same numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, asdict

import torch
from torch import nn


class ModelConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ModelShape:
    n_layer: int
    n_embd: int
    n_head: int
    vocab_size: int
    n_positions: int

    def validate(self) -> None:
        for name in ("n_layer", "n_embd", "n_head", "vocab_size", "n_positions"):
            v = getattr(self, name)
            if not isinstance(v, int) or v <= 0:
                raise ModelConfigError(f"{name} must be a positive integer, got {v!r}")
        if self.n_embd % self.n_head != 0:
            raise ModelConfigError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")

    def as_dict(self) -> dict:
        return asdict(self)


# A large finite negative instead of -inf: a fully masked row (a padding query) then gives a
# uniform softmax instead of NaN. Its output is never read.
MASK_VALUE = -1e9


class Attention(nn.Module):
    def __init__(self, shape: ModelShape):
        super().__init__()
        self.n_head = shape.n_head
        self.head_dim = shape.n_embd // shape.n_head
        self.c_attn = nn.Linear(shape.n_embd, 3 * shape.n_embd)
        self.c_proj = nn.Linear(shape.n_embd, shape.n_embd)

    def forward(self, x, bias, past_k, past_v):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q = q.view(b, t, self.n_head, self.head_dim).transpose(1, 2)
        k = k.view(b, t, self.n_head, self.head_dim).transpose(1, 2)
        v = v.view(b, t, self.n_head, self.head_dim).transpose(1, 2)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim)) + bias
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        return self.c_proj(y), k, v


class Block(nn.Module):
    def __init__(self, shape: ModelShape):
        super().__init__()
        self.ln_1 = nn.LayerNorm(shape.n_embd)
        self.attn = Attention(shape)
        self.ln_2 = nn.LayerNorm(shape.n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(shape.n_embd, 4 * shape.n_embd), nn.GELU(), nn.Linear(4 * shape.n_embd, shape.n_embd)
        )

    def forward(self, x, bias, past_k, past_v):
        a, k, v = self.attn(self.ln_1(x), bias, past_k, past_v)
        x = x + a
        x = x + self.mlp(self.ln_2(x))
        return x, k, v


class ArithmeticGPT(nn.Module):
    def __init__(self, shape: ModelShape):
        super().__init__()
        shape.validate()
        self.shape = shape
        self.wte = nn.Embedding(shape.vocab_size, shape.n_embd)
        self.wpe = nn.Embedding(shape.n_positions, shape.n_embd)
        self.h = nn.ModuleList([Block(shape) for _ in range(shape.n_layer)])
        self.ln_f = nn.LayerNorm(shape.n_embd)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def param_counts(self) -> tuple[int, int]:
        """(total, non-embedding) parameter counts; the LM head is tied to ``wte``."""
        total = sum(p.numel() for p in self.parameters())
        embedding = self.wte.weight.numel() + self.wpe.weight.numel()
        return total, total - embedding

    def forward(self, input_ids, attention_mask, position_ids, past=None):
        """past: list of (key, value) per layer or None. Returns logits and the new cache."""
        t = input_ids.shape[1]
        total = attention_mask.shape[1]
        past_len = total - t
        x = self.wte(input_ids) + self.wpe(position_ids)
        # Query i (absolute index past_len + i) sees key j when j <= past_len + i and key j is not padding.
        key_idx = torch.arange(total, device=input_ids.device)
        query_idx = torch.arange(t, device=input_ids.device) + past_len
        causal = key_idx[None, :] <= query_idx[:, None]  # [t, total]
        keep = causal[None, None, :, :] & (attention_mask[:, None, None, :] > 0)
        bias = torch.where(keep, torch.zeros((), dtype=x.dtype), torch.full((), MASK_VALUE, dtype=x.dtype))
        presents = []
        for i, block in enumerate(self.h):
            pk, pv = (past[i] if past is not None else (None, None))
            x, k, v = block(x, bias, pk, pv)
            presents.append((k, v))
        logits = self.ln_f(x) @ self.wte.weight.T
        return logits, presents


def position_ids_from_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Positions as transformers.js computes them: cumsum(mask) - 1, padding set to 1."""
    pos = attention_mask.long().cumsum(-1) - 1
    return pos.masked_fill(attention_mask == 0, 1)

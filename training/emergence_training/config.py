"""Ladder configuration: one recipe (data, steps, optimizer) shared by every model size."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import data, vocab
from .model import ModelShape, ModelConfigError

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


class LadderConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Rung:
    id: str
    shape: ModelShape
    # Seed of the initial weights; None = the recipe seed. The data stream never changes.
    init_seed: int | None = None


@dataclass(frozen=True)
class Recipe:
    seed: int
    steps: int
    batch_size: int
    lr: float
    min_lr_ratio: float
    warmup_steps: int
    weight_decay: float
    heldout_seed: int
    heldout_per_digit: int
    max_digits: int

    @property
    def train_examples(self) -> int:
        return self.steps * self.batch_size


@dataclass(frozen=True)
class LadderConfig:
    recipe: Recipe
    rungs: list[Rung]
    n_positions: int
    # What changed from earlier recipes and why (rendered in the model card).
    changes: tuple[str, ...] = ()


def _require(cond: bool, msg: str) -> None:
    if not cond:
        raise LadderConfigError(msg)


def parse_config(raw: dict) -> LadderConfig:
    _require(isinstance(raw, dict), "ladder config must be a JSON object")
    try:
        r = raw["recipe"]
        recipe = Recipe(
            seed=int(r["seed"]),
            steps=int(r["steps"]),
            batch_size=int(r["batch_size"]),
            lr=float(r["lr"]),
            min_lr_ratio=float(r.get("min_lr_ratio", 0.1)),
            warmup_steps=int(r.get("warmup_steps", 0)),
            weight_decay=float(r.get("weight_decay", 0.0)),
            heldout_seed=int(r["heldout_seed"]),
            heldout_per_digit=int(r["heldout_per_digit"]),
            max_digits=int(r.get("max_digits", data.MAX_DIGITS)),
        )
        n_positions = int(raw["n_positions"])
        rungs_raw = raw["models"]
    except KeyError as e:
        raise LadderConfigError(f"ladder config is missing the field {e.args[0]!r}") from None
    except (TypeError, ValueError) as e:
        raise LadderConfigError(f"ladder config has a field of the wrong type: {e}") from None
    _require(recipe.steps > 0, f"steps must be positive, got {recipe.steps}")
    _require(recipe.batch_size > 0, f"batch_size must be positive, got {recipe.batch_size}")
    _require(0 < recipe.lr < 1, f"lr must be in (0, 1), got {recipe.lr}")
    _require(0 <= recipe.min_lr_ratio <= 1, f"min_lr_ratio must be in [0, 1], got {recipe.min_lr_ratio}")
    _require(0 <= recipe.warmup_steps < recipe.steps, "warmup_steps must be in [0, steps)")
    _require(recipe.heldout_per_digit > 0, "heldout_per_digit must be positive")
    try:
        data.check_digits(recipe.max_digits)
    except data.DataConfigError as e:
        raise LadderConfigError(str(e)) from None
    need = data.max_sequence_length(recipe.max_digits)
    _require(n_positions >= need, f"n_positions ({n_positions}) is shorter than the longest example ({need} tokens)")
    _require(isinstance(rungs_raw, list) and len(rungs_raw) >= 2, "a ladder needs at least two models")
    rungs: list[Rung] = []
    for m in rungs_raw:
        _require(isinstance(m, dict) and isinstance(m.get("id"), str), "every model needs a string id")
        _require(bool(ID_PATTERN.match(m["id"])), f"model id {m['id']!r} must be lowercase letters, digits and '-'")
        shape = ModelShape(
            n_layer=m.get("n_layer"), n_embd=m.get("n_embd"), n_head=m.get("n_head"),
            vocab_size=vocab.VOCAB_SIZE, n_positions=n_positions,
        )
        try:
            shape.validate()
        except ModelConfigError as e:
            raise LadderConfigError(f"model {m['id']}: {e}") from None
        init_seed = m.get("init_seed")
        _require(init_seed is None or (isinstance(init_seed, int) and init_seed >= 0), f"model {m['id']}: init_seed must be a non-negative integer")
        rungs.append(Rung(m["id"], shape, init_seed))
    ids = [r.id for r in rungs]
    _require(len(set(ids)) == len(ids), f"model ids must be unique, got {ids}")
    changes = raw.get("changes", [])
    _require(isinstance(changes, list) and all(isinstance(c, str) for c in changes), "changes must be a list of strings")
    return LadderConfig(recipe, rungs, n_positions, tuple(changes))


def load_config(path: Path) -> LadderConfig:
    try:
        raw = json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise LadderConfigError(f"{path}: not valid JSON ({e})") from None
    return parse_config(raw)

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
class Checkpoints:
    """Intermediate checkpoints of some rungs, saved during their one training run.

    They form a second ladder (``ladder``) whose x-axis is training compute: the same
    weights at increasing step counts, so no extra training is needed.
    """
    ladder: str
    models: tuple[str, ...]
    steps: tuple[int, ...]


@dataclass(frozen=True)
class SeedRun:
    model: str
    init_seed: int

    @property
    def run_id(self) -> str:
        return f"{self.model}-seed{self.init_seed}"


@dataclass(frozen=True)
class LadderConfig:
    recipe: Recipe
    rungs: list[Rung]
    n_positions: int
    # What changed from earlier recipes and why (rendered in the model card).
    changes: tuple[str, ...] = ()
    checkpoints: Checkpoints | None = None
    # Models the lab's default experiment runs (None = all). New rungs can join the ladder
    # without changing the default experiment the browser tests time.
    default_models: tuple[str, ...] | None = None
    # Extra training runs of some rungs with another initialization seed (data unchanged):
    # they measure seed-to-seed spread; they are not part of the bundled ladder.
    seed_runs: tuple[SeedRun, ...] = ()

    def checkpoint_steps(self, rung_id: str) -> tuple[int, ...]:
        """Steps at which this rung's weights are saved during training (empty if none)."""
        if self.checkpoints is None or rung_id not in self.checkpoints.models:
            return ()
        return self.checkpoints.steps


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
    checkpoints = _parse_checkpoints(raw.get("checkpoints"), recipe, ids)
    default_models = raw.get("default_models")
    if default_models is not None:
        _require(isinstance(default_models, list) and len(default_models) >= 1 and all(isinstance(m, str) for m in default_models),
                 "default_models must be a non-empty list of model ids")
        for m in default_models:
            _require(m in ids, f"default_models names {m!r}, which is not a model of this ladder")
        default_models = tuple(default_models)
    seed_runs = _parse_seed_runs(raw.get("seed_runs", []), rungs, recipe.seed)
    return LadderConfig(recipe, rungs, n_positions, tuple(changes), checkpoints, default_models, seed_runs)


def _parse_seed_runs(raw, rungs: list[Rung], recipe_seed: int) -> tuple[SeedRun, ...]:
    _require(isinstance(raw, list), "seed_runs must be a list of {model, init_seed}")
    by_id = {r.id: r for r in rungs}
    out: list[SeedRun] = []
    for s in raw:
        _require(isinstance(s, dict) and s.get("model") in by_id, f"seed_runs entry {s!r} must name a model of this ladder")
        seed = s.get("init_seed")
        _require(isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0, f"seed_runs entry {s!r}: init_seed must be a non-negative integer")
        rung = by_id[s["model"]]
        used = recipe_seed if rung.init_seed is None else rung.init_seed
        _require(seed != used, f"seed_runs entry {s!r} repeats the seed the ladder's {rung.id} was trained with")
        out.append(SeedRun(s["model"], seed))
    ids = [s.run_id for s in out]
    _require(len(set(ids)) == len(ids), f"seed_runs must not repeat a (model, init_seed) pair, got {ids}")
    return tuple(out)


def _parse_checkpoints(c, recipe: Recipe, ids: list[str]) -> Checkpoints | None:
    if c is None:
        return None
    _require(isinstance(c, dict), "checkpoints must be an object with ladder, models and steps")
    ladder = c.get("ladder")
    _require(isinstance(ladder, str) and bool(ID_PATTERN.match(ladder)), f"checkpoints.ladder must be a lowercase id, got {ladder!r}")
    models = c.get("models")
    _require(isinstance(models, list) and len(models) >= 1 and all(isinstance(m, str) for m in models), "checkpoints.models must be a non-empty list of model ids")
    for m in models:
        _require(m in ids, f"checkpoints.models names {m!r}, which is not a model of this ladder")
    _require(len(set(models)) == len(models), f"checkpoints.models must be unique, got {models}")
    steps = c.get("steps")
    _require(isinstance(steps, list) and len(steps) >= 2 and all(isinstance(s, int) and not isinstance(s, bool) for s in steps), "checkpoints.steps must be a list of at least two integers")
    _require(all(0 < s <= recipe.steps for s in steps), f"checkpoints.steps must lie in [1, {recipe.steps}], got {steps}")
    _require(all(a < b for a, b in zip(steps, steps[1:])), f"checkpoints.steps must be strictly increasing, got {steps}")
    return Checkpoints(ladder, tuple(models), tuple(steps))


def load_config(path: Path) -> LadderConfig:
    try:
        raw = json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise LadderConfigError(f"{path}: not valid JSON ({e})") from None
    return parse_config(raw)

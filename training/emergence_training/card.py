"""Write the model card README.md of an exported ladder from ladder.json and every golden.json.

Usage: python3 -m emergence_training.card [--models DIR] [--config ladder.config.json]

Every number in the card's results comes from the exported golden files (PyTorch outputs on the
held-out items), so the card describes exactly the weights that ship. The measured table is also
printed to stdout.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from . import data, vocab
from .config import LadderConfig, LadderConfigError, load_config

HERE = Path(__file__).resolve().parent.parent
DEFAULT_MODELS = HERE.parent / "static" / "models" / "arith"
DEFAULT_CONFIG = HERE / "ladder.config.json"

# Fixed in train.py (tests/test_card.py checks they still are).
ADAM_BETAS = (0.9, 0.98)
GRAD_CLIP = 1.0
LOSS_EMA = 0.98

LADDER_MODEL_FIELDS = ("id", "params", "nonEmbeddingParams", "layers", "dModel", "heads", "trainTokens",
                       "trainExamples", "trainSteps", "finalTrainLoss")
GOLDEN_ITEM_FIELDS = ("digits", "target", "target_token_ids", "target_logprobs", "greedy_token_ids",
                      "greedy_text", "exact_match")


class CardError(RuntimeError):
    pass


@dataclass(frozen=True)
class Cell:
    """Scores of one model on the held-out items of one digit count."""

    n: int
    exact_match: float  # mean of exact_match
    token_prob: float  # mean over items of exp(mean target log-prob): per-token (geometric-mean) probability
    edit_distance: float  # mean Levenshtein distance between target and greedy token ids


@dataclass(frozen=True)
class ModelRow:
    entry: dict  # the model's entry in ladder.json
    cells: dict[int, Cell]

    @property
    def id(self) -> str:
        return self.entry["id"]

    @property
    def params(self) -> int:
        return self.entry["params"]


# ---------------------------------------------------------------------------------------------
# Metrics


def levenshtein(a: list, b: list) -> int:
    """Edit distance (insertions, deletions, substitutions; each costs 1) between two sequences."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def per_token_probability(logprobs: list[float]) -> float:
    """exp of the mean log-probability: the geometric-mean probability of the target tokens."""
    return math.exp(sum(logprobs) / len(logprobs))


def score(items: list[dict]) -> Cell:
    n = len(items)
    return Cell(
        n=n,
        exact_match=sum(bool(it["exact_match"]) for it in items) / n,
        token_prob=sum(per_token_probability(it["target_logprobs"]) for it in items) / n,
        edit_distance=sum(levenshtein(it["target_token_ids"], it["greedy_token_ids"]) for it in items) / n,
    )


def carry_out_fraction(digits: int) -> float:
    """Fraction of the generator's ``digits``-digit problems whose sum has digits + 1 digits."""
    data.check_digits(digits)
    if digits == 1:
        return 45 / 100  # pairs of 0..9 summing to 10 or more
    # With a' = a - L, b' = b - L in [0, 9L): a + b >= 10L  <=>  a' + b' >= 8L, which holds for
    # L + a' values of b' when a' < 8L and for all 9L when a' >= 8L.
    low = 10 ** (digits - 1)
    return (49 * low * low - 4 * low) / (81 * low * low)


def mean_scored_tokens(max_digits: int) -> float:
    """Expected answer tokens + <eos> per training example (digit counts uniform in 1..max_digits)."""
    per = [n + carry_out_fraction(n) + 1 for n in range(data.MIN_DIGITS, max_digits + 1)]
    return sum(per) / len(per)


# ---------------------------------------------------------------------------------------------
# Inputs


def _read_json(path: Path) -> dict:
    if not path.exists():
        raise CardError(f"{path} does not exist: run `python3 -m emergence_training.export` first")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise CardError(f"{path}: not valid JSON ({e})") from None


def load_ladder(models_dir: Path) -> dict:
    path = models_dir / "ladder.json"
    ladder = _read_json(path)
    for key in ("id", "name", "template", "digits", "heldout", "models", "greedyMargin"):
        if key not in ladder:
            raise CardError(f"{path} has no field {key!r}")
    if not isinstance(ladder["models"], list) or not ladder["models"]:
        raise CardError(f"{path} lists no models")
    for m in ladder["models"]:
        missing = [f for f in LADDER_MODEL_FIELDS if f not in m]
        if missing:
            raise CardError(f"{path}: model {m.get('id', '?')!r} has no field(s) {missing}")
    if ladder.get("axis", "params") == "params":
        for key in ("trainSteps", "trainExamples", "trainTokens"):
            values = {m[key] for m in ladder["models"]}
            if len(values) != 1:
                raise CardError(f"{path}: models differ in {key} ({sorted(values)}); the card describes one shared recipe")
    elif ladder["axis"] == "compute":
        for m in ladder["models"]:
            if "compute" not in m:
                raise CardError(f"{path}: checkpoint {m['id']!r} has no field 'compute'")
    else:
        raise CardError(f"{path}: unknown axis {ladder['axis']!r} (params or compute)")
    return ladder


def load_golden(models_dir: Path, model_id: str, digits: range, per_digit: int) -> dict[int, list[dict]]:
    path = models_dir / model_id / "golden.json"
    golden = _read_json(path)
    items = golden.get("items")
    if not isinstance(items, list) or not items:
        raise CardError(f"{path} has no items")
    by_digits: dict[int, list[dict]] = {d: [] for d in digits}
    for k, it in enumerate(items):
        missing = [f for f in GOLDEN_ITEM_FIELDS if f not in it]
        if missing:
            raise CardError(f"{path}: item {k} has no field(s) {missing}")
        if it["digits"] not in by_digits:
            raise CardError(f"{path}: item {k} has digits {it['digits']!r}, outside {digits.start}..{digits.stop - 1}")
        if not it["target_logprobs"] or len(it["target_logprobs"]) != len(it["target_token_ids"]):
            raise CardError(f"{path}: item {k} has {len(it['target_logprobs'])} target log-probs for "
                            f"{len(it['target_token_ids'])} target tokens")
        by_digits[it["digits"]].append(it)
    for d, of_d in by_digits.items():
        if len(of_d) != per_digit:
            raise CardError(f"{path}: {len(of_d)} items with {d} digits, ladder.json says {per_digit} per digit count")
    return by_digits


def check_against_config(ladder: dict, cfg: LadderConfig, config_path: Path) -> None:
    """The recipe section is written from the config: refuse one that is not the exported run's."""
    r = cfg.recipe
    first = ladder["models"][0]
    problems = []
    if ladder.get("axis", "params") == "compute":
        ck = cfg.checkpoints
        want = [] if ck is None else [f"{m}-s{step}" for m in ck.models for step in ck.steps]
        if ck is None or ladder["id"] != ck.ladder or [m["id"] for m in ladder["models"]] != want:
            problems.append(f"checkpoints {[m['id'] for m in ladder['models']]} vs {want}")
        for m in ladder["models"]:
            if m["trainExamples"] != m["trainSteps"] * r.batch_size:
                problems.append(f"{m['id']}: {m['trainExamples']} examples in {m['trainSteps']} steps of batch {r.batch_size}")
    else:
        if first["trainSteps"] != r.steps:
            problems.append(f"steps {first['trainSteps']} vs {r.steps}")
        if first["trainExamples"] != r.train_examples:
            problems.append(f"examples {first['trainExamples']} vs {r.train_examples}")
    if ladder["heldout"] != {"seed": r.heldout_seed, "perDigit": r.heldout_per_digit}:
        problems.append(f"held-out set {ladder['heldout']} vs seed {r.heldout_seed}, {r.heldout_per_digit} per digit")
    if list(ladder["digits"]) != [data.MIN_DIGITS, r.max_digits]:
        problems.append(f"digits {ladder['digits']} vs 1..{r.max_digits}")
    shapes = {rung.id: (rung.shape.n_layer, rung.shape.n_embd, rung.shape.n_head) for rung in cfg.rungs}
    if ladder.get("axis", "params") == "compute":
        shapes = {f"{m}-s{step}": shapes[m] for m in cfg.checkpoints.models for step in cfg.checkpoints.steps} if cfg.checkpoints else {}
    exported = {m["id"]: (m["layers"], m["dModel"], m["heads"]) for m in ladder["models"]}
    if shapes != exported:
        problems.append(f"models {exported} vs {shapes}")
    if problems:
        raise CardError(
            f"ladder.json does not match {config_path} ({'; '.join(problems)}): export again with this config, "
            "or pass --config with the one the ladder was trained with"
        )


def measure(models_dir: Path, ladder: dict) -> tuple[list[ModelRow], range]:
    lo, hi = ladder["digits"]
    digits = range(lo, hi + 1)
    per_digit = ladder["heldout"]["perDigit"]
    rows = []
    for entry in ladder["models"]:
        by_digits = load_golden(models_dir, entry["id"], digits, per_digit)
        rows.append(ModelRow(entry, {d: score(items) for d, items in by_digits.items()}))
    rows.sort(key=lambda r: r.params)  # stable: ladder order among equal sizes
    return rows, digits


# ---------------------------------------------------------------------------------------------
# Rendering


def fmt_int(n: int) -> str:
    return f"{n:,}"


def fmt_pct(x: float) -> str:
    return f"{100 * x:.0f}%"


METRICS = (
    ("exact match", "exact_match", fmt_pct),
    ("per-token probability", "token_prob", lambda x: f"{x:.3f}"),
    ("token edit distance", "edit_distance", lambda x: f"{x:.2f}"),
)


def markdown_table(header: list[str], rows: list[list[str]], right_from: int = 1) -> str:
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def digit_header(d: int) -> str:
    return f"{d} digit{'s' if d > 1 else ''}"


def metric_table_md(rows: list[ModelRow], digits: range, attr: str, fmt) -> str:
    header = ["model", "params"] + [digit_header(d) for d in digits]
    body = [[f"`{r.id}`", fmt_int(r.params)] + [fmt(getattr(r.cells[d], attr)) for d in digits] for r in rows]
    return markdown_table(header, body)


def fmt_flops(c: float) -> str:
    return f"{c:.2e}"


def steps_metric_table_md(rows: list[ModelRow], digits: range, attr: str, fmt) -> str:
    header = ["checkpoint", "step", "compute (FLOPs)"] + [digit_header(d) for d in digits]
    body = [[f"`{r.id}`", fmt_int(r.entry["trainSteps"]), fmt_flops(r.entry["compute"])]
            + [fmt(getattr(r.cells[d], attr)) for d in digits] for r in rows]
    return markdown_table(header, body)


def text_tables(rows: list[ModelRow], digits: range) -> str:
    """The measured table as plain aligned text (for stdout)."""
    width = max(len("model"), *(len(r.id) for r in rows))
    n = rows[0].cells[digits.start].n
    out = [f"Measured on the held-out items ({n} per digit count), greedy decoding; columns are digit counts."]
    for title, attr, fmt in METRICS:
        out.append("")
        out.append(f"{title}:")
        out.append(f"{'model':<{width}}  {'params':>9}  " + "  ".join(f"{d:>6}" for d in digits))
        for r in rows:
            cells = "  ".join(f"{fmt(getattr(r.cells[d], attr)):>6}" for d in digits)
            out.append(f"{r.id:<{width}}  {r.params:>9,}  {cells}")
    return "\n".join(out)


def reading(rows: list[ModelRow], digit: int) -> str:
    """Sentences that read the ``digit`` column (the hardest one) of the measured tables."""
    cells = [r.cells[digit] for r in rows]
    em = [c.exact_match for c in cells]
    prob = [c.token_prob for c in cells]
    ed = [c.edit_distance for c in cells]
    n = cells[0].n
    small, large = rows[0], rows[-1]
    out = []
    if max(em) == 0:
        out.append(f"On {digit}-digit problems no model gets a single item exactly right (0 of {n} each, "
                   f"from `{small.id}` with {fmt_int(small.params)} parameters to `{large.id}` with "
                   f"{fmt_int(large.params)}).")
    else:
        s = (f"On {digit}-digit problems exact match goes from {fmt_pct(em[0])} for the smallest model "
             f"(`{small.id}`, {fmt_int(small.params)} parameters) to {fmt_pct(em[-1])} for the largest "
             f"(`{large.id}`, {fmt_int(large.params)})")
        steps = [em[i + 1] - em[i] for i in range(len(em) - 1)]
        best = max(range(len(steps)), key=lambda i: steps[i])
        if steps[best] > 0:
            s += (f"; the largest step between neighbouring sizes is `{rows[best].id}` → `{rows[best + 1].id}` "
                  f"(+{100 * steps[best]:.0f} points)")
        best_model = max(range(len(em)), key=lambda i: em[i])
        if em[best_model] > em[-1]:
            s += f", and the best is `{rows[best_model].id}` at {fmt_pct(em[best_model])}"
        out.append(s + ".")
    falls = [(rows[i].id, rows[i + 1].id, em[i] - em[i + 1]) for i in range(len(em) - 1) if em[i] - em[i + 1] >= 0.1 - 1e-9]
    if falls:
        out.append("Exact match is not monotone in size: it falls by 10 points or more from "
                   + "; ".join(f"`{a}` to `{b}` ({100 * f:.0f} points)" for a, b, f in falls)
                   + ". Each bundled model is a single training run, so such falls mix the size effect with run-to-run variation.")
    out.append(f"Over the same models the mean per-token probability of the target goes from {prob[0]:.3f} to "
               f"{prob[-1]:.3f} and the mean token edit distance from {ed[0]:.2f} to {ed[-1]:.2f}.")
    zero = [i for i, x in enumerate(em) if x == 0]
    if len(zero) >= 2:
        lo, hi = min(prob[i] for i in zero), max(prob[i] for i in zero)
        out.append(f"Across the {len(zero)} of {len(em)} models with 0% exact match the per-token probability "
                   f"ranges from {lo:.3f} to {hi:.3f}: any difference there is invisible to exact match.")
    out.append(f"Each cell is {n} items, so one item is {100 / n:.0f} points of exact match.")
    return " ".join(out)


def load_seed_runs(models_dir: Path, cfg: LadderConfig, digits: range) -> dict | None:
    """seed-runs.json (held-out scores of other init seeds), required when the config lists seed runs."""
    if not cfg.seed_runs:
        return None
    path = models_dir / "seed-runs.json"
    if not path.exists():
        raise CardError(f"{path} does not exist: the config lists seed_runs, so run "
                        "`python3 -m emergence_training.train --seed-runs` and `python3 -m emergence_training.export --seed-runs`")
    seeds = _read_json(path)
    want = [(r.model, r.init_seed) for r in cfg.seed_runs]
    got = [(r.get("model"), r.get("initSeed")) for r in seeds.get("runs", [])]
    if got != want:
        raise CardError(f"{path} holds the seed runs {got}, the config lists {want}: export them again")
    for r in seeds["runs"]:
        if sorted(map(int, r["cells"])) != list(digits):
            raise CardError(f"{path}: {r['model']} seed {r['initSeed']} is not scored on {digits.start}..{digits.stop - 1} digits")
    return seeds


def seed_section(seeds: dict, rows: list[ModelRow], cfg: LadderConfig, digits: range) -> str:
    """Seed-to-seed spread of the rungs that were trained twice, next to the size effect."""
    by_id = {r.id: r for r in rows}
    rungs = {r.id: r for r in cfg.rungs}
    hard = [d for d in digits if d >= 3]
    header = ["model", "params", "init seed", "run"] + [f"{digit_header(d)} exact match" for d in hard] + \
        [f"{digit_header(hard[-1])} per-token probability", "final train loss"]
    body = []
    em_by_model: dict[str, list[float]] = {}
    models = []
    for run in seeds["runs"]:
        m = run["model"]
        row = by_id[m]
        if m not in em_by_model:
            models.append(m)
            rung = rungs[m]
            seed = cfg.recipe.seed if rung.init_seed is None else rung.init_seed
            em_by_model[m] = [row.cells[hard[-1]].exact_match]
            body.append([f"`{m}`", fmt_int(row.params), str(seed), "bundled"]
                        + [fmt_pct(row.cells[d].exact_match) for d in hard]
                        + [f"{row.cells[hard[-1]].token_prob:.3f}", f"{row.entry['finalTrainLoss']:.4f}"])
        cells = {int(k): v for k, v in run["cells"].items()}
        em_by_model[m].append(cells[hard[-1]]["exactMatch"])
        body.append([f"`{m}`", fmt_int(run["params"]), str(run["initSeed"]), "second seed"]
                    + [fmt_pct(cells[d]["exactMatch"]) for d in hard]
                    + [f"{cells[hard[-1]]['tokenProb']:.3f}", f"{run['finalTrainLoss']:.4f}"])
    d = hard[-1]
    spread = ", ".join(f"`{m}` {fmt_pct(min(v))}–{fmt_pct(max(v))} ({100 * (max(v) - min(v)):.0f} points)" for m, v in em_by_model.items())
    size_steps = []
    for a, b in zip(models, models[1:]):
        ma = sum(em_by_model[a]) / len(em_by_model[a])
        mb = sum(em_by_model[b]) / len(em_by_model[b])
        size_steps.append(f"`{a}` → `{b}` {100 * (mb - ma):+.0f} points")
    overlaps = []
    for a, b in zip(models, models[1:]):
        va, vb = em_by_model[a], em_by_model[b]
        overlaps.append(f"`{a}` and `{b}` {'overlap' if max(min(va), min(vb)) <= min(max(va), max(vb)) else 'do not overlap'}")
    # The size effect to compare with: bundled exact match from the smallest seed-run rung upwards.
    first = min(by_id[m].params for m in models)
    above = [r for r in rows if r.params >= first]
    top = ", ".join(f"{fmt_pct(r.cells[d].exact_match)} for `{r.id}`" for r in above)
    drops = [(above[i], above[i + 1], above[i].cells[d].exact_match - above[i + 1].cells[d].exact_match) for i in range(len(above) - 1)]
    compare = ""
    if len(models) >= 2:
        compare = (f" The change in the two-seed mean between neighbouring sizes: {'; '.join(size_steps)}. "
                   f"The two-seed ranges of {'; '.join(overlaps)}.")
    if len(models) >= 3:
        # The smallest and the largest retrained rung: the size effect across the whole top of the ladder.
        a, b = models[0], models[-1]
        va, vb = em_by_model[a], em_by_model[b]
        change = 100 * (sum(vb) / len(vb) - sum(va) / len(va))
        apart = max(min(va), min(vb)) > min(max(va), max(vb))
        compare += (f" From `{a}` to the largest, `{b}`, the two-seed mean changes by {change:+.0f} points and the ranges "
                    f"{'do not overlap' if apart else 'overlap'}: "
                    + ("the difference is larger than either model's seed spread." if apart
                       else "seed spread alone could account for the difference."))
    if drops and max(x[2] for x in drops) > 0:
        a, b, drop = max(drops, key=lambda x: x[2])
        widest = max(max(v) - min(v) for v in em_by_model.values())
        compare += (f" For comparison, the largest fall in bundled exact match between neighbouring sizes up there is "
                    f"`{a.id}` → `{b.id}`, {100 * drop:.0f} points; the widest seed-to-seed difference above is "
                    f"{100 * widest:.0f} points.")
    # The same comparison on every hard digit count: the widest seed spread vs the largest size fall.
    per_digit = []
    for dd in hard:
        seed_em: dict[str, list[float]] = {m: [by_id[m].cells[dd].exact_match] for m in models}
        for run in seeds["runs"]:
            seed_em[run["model"]].append(run["cells"][str(dd)]["exactMatch"])
        spread_m = max(models, key=lambda m: max(seed_em[m]) - min(seed_em[m]))
        fall = max((above[i].cells[dd].exact_match - above[i + 1].cells[dd].exact_match, above[i].id, above[i + 1].id)
                   for i in range(len(above) - 1)) if len(above) > 1 else None
        text = f"{digit_header(dd)}: seed spread {100 * (max(seed_em[spread_m]) - min(seed_em[spread_m])):.0f} points (`{spread_m}`)"
        if fall is not None:
            text += (f", largest fall between neighbouring bundled sizes {100 * max(fall[0], 0):.0f} points"
                     + (f" (`{fall[1]}` → `{fall[2]}`)" if fall[0] > 0 else ""))
        per_digit.append(text)
    compare += " By digit count, " + "; ".join(per_digit) + "."
    retrained = [m for m in models if rungs[m].init_seed is not None]
    if retrained:
        compare += (f" The bundled weights of {', '.join(f'`{m}`' for m in retrained)} are already a second seed: with the "
                    f"recipe seed {cfg.recipe.seed} training stalled (see the changes from the first recipe), a third outcome "
                    "of the same recipe.")
    plural = "s were" if len(models) > 1 else " was"
    return f"""
## Seed-to-seed spread at the top of the ladder

With the bundled weights, {d}-digit exact match at the top of the ladder is {top}. To see how much a different
random initialization alone moves these numbers, {len(models)} rung{plural} trained a second time with another
initialization seed (recipe, data and data order unchanged; `seed_runs` in the config). These runs are not
shipped; their held-out scores, computed exactly as the golden files' (PyTorch, one item at a time, greedy), are in
`seed-runs.json`.

{markdown_table(header, body)}

On {d}-digit items the two seeds give, per model: {spread}.{compare} Two seeds per size are a small sample: they show
how large seed spread can be, not its distribution.
"""


def render_card(ladder: dict, rows: list[ModelRow], digits: range, cfg: LadderConfig, seeds: dict | None = None) -> str:
    changes_section = (
        "\n## Changes from the first recipe\n\n" + "\n".join(f"- {c}" for c in cfg.changes) + "\n" if cfg.changes else ""
    )
    default = ladder.get("defaultModels")
    default_note = ""
    if default and len(default) < len(rows):
        extra = [r.id for r in rows if r.id not in default]
        default_note = (f"\n\nThe lab's default experiment runs {len(default)} of them ({', '.join(f'`{m}`' for m in default)}). "
                        f"The other {len(extra)} ({', '.join(f'`{m}`' for m in extra)}) were added later with the same "
                        "recipe, to see the range where answers become exact at finer resolution; choose them in the "
                        "lab's model list.")
    if cfg.checkpoints is not None:
        ck = cfg.checkpoints
        default_note += (f"\n\nA second bundled ladder, `{ck.ladder}` (`static/models/{ck.ladder}/`, with its own README), holds "
                         f"{len(ck.steps)} checkpoints each of {' and '.join(f'`{m}`' for m in ck.models)} saved during "
                         f"their training runs here (steps {', '.join(fmt_int(x) for x in ck.steps)}): a ladder in training "
                         "compute instead of size; in the lab, choose **Training checkpoints (compute)** under "
                         "Model ladder.")
    seed_part = seed_section(seeds, rows, cfg, digits) if seeds else ""
    r = cfg.recipe
    first = rows[0].entry
    n_models = len(rows)
    per_digit = ladder["heldout"]["perDigit"]
    template = ladder["template"]
    eos = template.get("endToken", vocab.EOS)
    chars = " ".join(f"`{c}`" for c in vocab.CHARS)
    specials = ", ".join(f"`{t}` ({vocab.TOKEN_TO_ID[t]})" for t in vocab.SPECIAL_TOKENS)
    max_len = data.max_sequence_length(r.max_digits)
    scored = mean_scored_tokens(r.max_digits)
    example = data.Problem(4821, 7356, 4)

    model_table = markdown_table(
        ["id", "params", "non-embedding params", "layers", "d_model", "heads", "final train loss"],
        [[f"`{m.id}`", fmt_int(m.params), fmt_int(m.entry["nonEmbeddingParams"]), str(m.entry["layers"]),
          str(m.entry["dModel"]), str(m.entry["heads"]), f"{m.entry['finalTrainLoss']:.4f}"] for m in rows],
    )
    measured = "\n\n".join(f"**{title}**\n\n{metric_table_md(rows, digits, attr, fmt)}" for title, attr, fmt in METRICS)

    return f"""# {ladder['name']} (`{ladder['id']}`)

<!-- Written by `python3 -m emergence_training.card` from ladder.json and each model's golden.json; do not edit by hand. -->

{n_models} small GPT-2-shaped language models, from {fmt_int(rows[0].params)} to {fmt_int(rows[-1].params)} parameters,
trained from scratch to add two numbers of equal length, {digits.start} to {digits.stop - 1} digits. Every model is trained with the
same data, in the same order, with the same recipe: only the size changes. Emergence Lab ships them so that the
way a capability appears with scale can be watched, and measured under several metrics, in the browser.{default_note}

## Models

{model_table}

Parameters count the tied input/output embedding once; non-embedding parameters leave out the token and position
embeddings. The final train loss is an exponential moving average (factor {LOSS_EMA}) of the batch loss at the last step.

## What the models are

- **Architecture:** the GPT-2 family: a decoder-only transformer with pre-LayerNorm blocks, learned absolute
  position embeddings ({cfg.n_positions} positions), GELU MLPs of width 4 × d_model, and an output layer tied to
  the token embedding. No dropout. Each folder holds `config.json` (`model_type: gpt2`), the tokenizer files and
  `onnx/model.onnx` (fp32, with KV-cache inputs `past_key_values.*` and outputs `present.*`), the layout
  transformers.js loads.
- **Vocabulary:** {vocab.VOCAB_SIZE} tokens, one per character: {specials}, then {chars}. The tokenizer is a
  character-level BPE with no merges. `-` and `*` exist so that such prompts tokenize; the models were trained on
  addition only.
- **Prompt template:** `{template['prompt']}` → the sum in decimal, then `{eos}`. No spaces and no start token; for
  example `{example.prompt}` → `{example.target}` `{eos}`. An item with n digits has two n-digit operands (no
  leading zeros; 1-digit operands include 0). Greedy decoding stops at `{eos}` or after the target length +
  {ladder['greedyMargin']} tokens.

## Training recipe (the same for every model)

- **Data:** an endless seeded stream (seed {r.seed}): for each example the digit count is uniform in
  {data.MIN_DIGITS}..{r.max_digits}, then both operands are drawn uniformly. The loss is on the answer tokens and
  `{eos}` only, never on the prompt.
- **Amount:** {fmt_int(r.steps)} steps × batch {r.batch_size} = {fmt_int(first['trainExamples'])} examples per
  model, {fmt_int(first['trainTokens'])} tokens (prompt, answer and `{eos}`; padding
  excluded; the longest example has {max_len} tokens), of which about {fmt_int(round(first['trainExamples'] * scored))} are scored
  answer and `{eos}` tokens ({scored:.2f} per example).
- **Optimizer:** AdamW (β = {ADAM_BETAS[0]}, {ADAM_BETAS[1]}, weight decay {r.weight_decay}), gradient norm
  clipped to {GRAD_CLIP}, peak learning rate {r.lr} reached by linear warmup over {r.warmup_steps} steps, then
  cosine decay to {r.min_lr_ratio} × peak at the last step. Initialization seed {r.seed}.
- **Only scale changes:** there is no per-size tuning, so differences between models come from their size, not
  from their recipe. The recipe is not tuned to be optimal for any one size.
- **Held-out items:** {per_digit} distinct problems per digit count (seed {ladder['heldout']['seed']}). Those with
  2 or more digits never appear in training. Only 100 one-digit problems exist, so the one-digit items are
  training problems too: that column measures memorised facts, not generalisation.
{changes_section}
## Measured results

PyTorch outputs on the {per_digit} held-out items per digit count, item by item (no batching), greedy decoding.
The per-item outputs are in each model's `golden.json`, the reference for checking a runtime (such as the
browser's ONNX run) against PyTorch.

- **exact match:** share of items whose greedy output, special tokens removed, equals the answer.
- **per-token probability:** mean over items of exp(mean log-probability of the target tokens, `{eos}` included),
  teacher-forced.
- **token edit distance:** mean Levenshtein distance between the target tokens and the greedy tokens, `{eos}`
  included in both.

{measured}

{reading(rows, digits.stop - 1)}
{seed_part}
## Reproduce

```sh
cd training
/usr/bin/python3 -m emergence_training.train    # writes runs/<id>/model.pt (CPU, one thread per model)
/usr/bin/python3 -m emergence_training.export   # writes static/models/arith/<id>/ and ladder.json
/usr/bin/python3 -m emergence_training.card     # writes this README.md
```
{reproduce_extra(cfg)}
Training is seeded, so the data and the initial weights repeat exactly; the final weights can still differ in
the last bits between machines and PyTorch builds. The recipe is `training/ladder.config.json`.

## Intended use and license

These models are teaching and research material for Emergence Lab: small enough to run in a browser, and
trained on one narrow format so that what they can and cannot do is easy to measure. They are not calculators:
outside the prompt template and the 1 to {digits.stop - 1} digit range their output means nothing.

They were trained from scratch by the Emergence Lab project on synthetic problems that its own code generates; no
third-party data, weights or tokenizer went into them. They are distributed under the same terms as the Emergence
Lab repository.
"""


def reproduce_extra(cfg: LadderConfig) -> str:
    lines = []
    if cfg.checkpoints is not None:
        lines.append(f"The `train` step also saves the checkpoints of {', '.join(cfg.checkpoints.models)} under "
                     f"`runs/<id>/checkpoints/`, and `export` writes them as the `{cfg.checkpoints.ladder}` ladder; its card: "
                     f"`/usr/bin/python3 -m emergence_training.card --models ../static/models/{cfg.checkpoints.ladder}`.")
    if cfg.seed_runs:
        lines.append("The seed runs: `/usr/bin/python3 -m emergence_training.train --seed-runs`, then "
                     "`/usr/bin/python3 -m emergence_training.export --seed-runs` (writes `seed-runs.json`).")
    return ("\n" + "\n\n".join(lines) + "\n") if lines else ""


def steps_reading(rows: list[ModelRow], digit: int) -> str:
    """Sentences on the hardest column of a training-compute ladder, per model."""
    out = []
    groups: dict[str, list[ModelRow]] = {}
    for r in rows:
        groups.setdefault(r.id.rsplit("-s", 1)[0], []).append(r)
    for model, rs in groups.items():
        rs = sorted(rs, key=lambda r: r.entry["trainSteps"])
        em = [r.cells[digit].exact_match for r in rs]
        prob = [r.cells[digit].token_prob for r in rs]
        s = (f"`{model}` ({fmt_int(rs[0].params)} parameters), {digit}-digit items: exact match "
             + ", ".join(f"{fmt_pct(e)}" for e in em)
             + f" and per-token probability " + ", ".join(f"{p:.3f}" for p in prob)
             + f" at steps {', '.join(fmt_int(r.entry['trainSteps']) for r in rs)}")
        half = next((r for r, e in zip(rs, em) if e >= 0.5), None)
        if half is not None:
            s += f"; exact match first reaches 50% at step {fmt_int(half.entry['trainSteps'])} ({fmt_flops(half.entry['compute'])} FLOPs)"
        else:
            s += "; exact match never reaches 50%"
        out.append(s + ".")
    return "\n\n".join(out)


def render_steps_card(ladder: dict, rows: list[ModelRow], digits: range, cfg: LadderConfig) -> str:
    r = cfg.recipe
    per_digit = ladder["heldout"]["perDigit"]
    models = list(dict.fromkeys(x.id.rsplit("-s", 1)[0] for x in rows))
    table = markdown_table(
        ["checkpoint", "model", "params", "step", "examples", "tokens", "compute (FLOPs)", "train loss at step"],
        [[f"`{x.id}`", f"`{x.id.rsplit('-s', 1)[0]}`", fmt_int(x.params), fmt_int(x.entry["trainSteps"]),
          fmt_int(x.entry["trainExamples"]), fmt_int(x.entry["trainTokens"]), fmt_flops(x.entry["compute"]),
          f"{x.entry['finalTrainLoss']:.4f}"] for x in rows],
        right_from=2,
    )
    measured = "\n\n".join(f"**{title}**\n\n{steps_metric_table_md(rows, digits, attr, fmt)}" for title, attr, fmt in METRICS)
    return f"""# {ladder['name']} (`{ladder['id']}`)

<!-- Written by `python3 -m emergence_training.card --models ../static/models/{ladder['id']}` from ladder.json and each checkpoint's golden.json; do not edit by hand. -->

A ladder in **training compute** instead of size: {len(rows)} checkpoints of {len(models)} models of the bundled
`arith` ladder ({', '.join(f'`{m}`' for m in models)}), saved during their one training run at steps
{', '.join(fmt_int(s) for s in (cfg.checkpoints.steps if cfg.checkpoints else []))}. Wei et al. (2022) plot emergent
abilities against training FLOPs as well as against parameters; this ladder lets the lab do the same. Each
checkpoint is a complete model folder (same files as the `arith` rungs: `config.json`, tokenizer files,
`onnx/model.onnx`, `golden.json`), and the last checkpoint of each model is that `arith` rung itself.

In the lab, choose **Model ladder → Training checkpoints (compute)** in the form: it runs one model's checkpoints
at a time (checkpoints of two sizes would join into one line along compute), and the charts' x axis is training
compute.

## Checkpoints

{table}

- **compute** = 6 · N · D FLOPs (forward 2ND plus backward 4ND per token; Kaplan et al. 2020), with N all
  parameters (the tied embedding counted once) and D the training tokens seen up to that step (prompt, answer and
  `<eos>`, padding excluded), counted by replaying the seeded data stream.
- **train loss at step** is the moving average (factor {LOSS_EMA}) of the batch loss at that step.
- The recipe is the `arith` ladder's ({fmt_int(r.steps)} steps, batch {r.batch_size}, peak learning rate {r.lr},
  {r.warmup_steps} warmup steps, cosine decay to {r.min_lr_ratio} × peak at step {fmt_int(r.steps)}); see that ladder's README.
  A checkpoint at step s is **not** a model trained for s steps: its learning rate has not decayed yet, so it is
  probably somewhat worse than a run that ends at step s would be (Hoffmann et al. 2022 make this point about
  intermediate checkpoints). The ladder shows how one run's ability grows with the compute spent so far.

## Measured results

PyTorch outputs on the same {per_digit} held-out items per digit count as the `arith` ladder, item by item (no
batching), greedy decoding; definitions as in that ladder's README.

{measured}

{steps_reading(rows, digits.stop - 1)}

Each cell is {per_digit} items, so one item is {100 / per_digit:.0f} points of exact match.

## Reproduce

```sh
cd training
/usr/bin/python3 -m emergence_training.train    # saves runs/<id>/checkpoints/step-<n>/ for the configured models
/usr/bin/python3 -m emergence_training.export   # writes static/models/arith/ and static/models/{ladder['id']}/
/usr/bin/python3 -m emergence_training.card --models ../static/models/{ladder['id']}   # writes this README.md
```

The checkpoints are listed under `checkpoints` in `training/ladder.config.json`. Same license and intended use as
the `arith` ladder.
"""


def write_card(models_dir: Path, config_path: Path) -> tuple[str, str]:
    """Write models_dir/README.md; return (card markdown, stdout table)."""
    ladder = load_ladder(models_dir)
    try:
        cfg = load_config(config_path)
    except (LadderConfigError, FileNotFoundError) as e:
        raise CardError(f"cannot read the recipe from {config_path}: {e}") from None
    check_against_config(ladder, cfg, config_path)
    rows, digits = measure(models_dir, ladder)
    if ladder.get("axis", "params") == "compute":
        card = render_steps_card(ladder, rows, digits, cfg)
        (models_dir / "README.md").write_text(card)
        return card, text_tables(rows, digits) + "\n\n" + steps_reading(rows, digits.stop - 1)
    seeds = load_seed_runs(models_dir, cfg, digits)
    card = render_card(ladder, rows, digits, cfg, seeds)
    (models_dir / "README.md").write_text(card)
    return card, text_tables(rows, digits) + "\n\n" + reading(rows, digits.stop - 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=str(DEFAULT_MODELS), help="the exported ladder folder (with ladder.json)")
    ap.add_argument("--config", default=str(DEFAULT_CONFIG), help="the ladder config the models were trained with")
    args = ap.parse_args(argv)
    models_dir = Path(args.models)
    try:
        _, table = write_card(models_dir, Path(args.config))
    except CardError as e:
        print(f"card: {e}", file=sys.stderr)
        raise SystemExit(1) from None
    print(table)
    print(f"\nwrote {models_dir / 'README.md'}")


if __name__ == "__main__":
    main()

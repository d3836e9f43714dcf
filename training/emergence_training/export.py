"""Export trained rungs in the folder layout transformers.js loads, with PyTorch golden outputs.

Per model: config.json (model_type gpt2), tokenizer.json, tokenizer_config.json,
generation_config.json, onnx/model.onnx (fp32, KV cache) and golden.json. The graph is checked
with onnx.checker and its input/output names and shapes are compared with what the loader needs
before anything is written.
"""
from __future__ import annotations

import argparse
import io
import json
import shutil
from pathlib import Path

import torch

from . import data, vocab
from .config import LadderConfig, Rung, load_config
from .model import ArithmeticGPT, ModelShape, position_ids_from_mask
from .train import checkpoint_dir

OPSET = 14
# Greedy decoding stops at <eos> or after len(target tokens) + GREEDY_MARGIN new tokens;
# the lab's engine uses the same cap (src/lib/engine), so outputs compare exactly.
GREEDY_MARGIN = 4


class ExportError(RuntimeError):
    pass


def tokenizer_json() -> dict:
    """A character-level BPE with no merges: every character is one token."""
    added = [
        {"id": vocab.TOKEN_TO_ID[t], "content": t, "single_word": False, "lstrip": False,
         "rstrip": False, "normalized": False, "special": True}
        for t in vocab.SPECIAL_TOKENS
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": None,
        "post_processor": None,
        "decoder": {"type": "Fuse"},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": vocab.UNK, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": dict(vocab.TOKEN_TO_ID), "merges": [],
        },
    }


def tokenizer_config(n_positions: int) -> dict:
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "eos_token": vocab.EOS, "pad_token": vocab.PAD, "unk_token": vocab.UNK,
        "model_max_length": n_positions, "clean_up_tokenization_spaces": False,
        "padding_side": "left",
    }


def model_config(shape: ModelShape) -> dict:
    return {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": shape.vocab_size,
        "n_positions": shape.n_positions,
        "n_ctx": shape.n_positions,
        "n_embd": shape.n_embd,
        "n_layer": shape.n_layer,
        "n_head": shape.n_head,
        "n_inner": 4 * shape.n_embd,
        "activation_function": "gelu",
        "layer_norm_epsilon": 1e-5,
        "tie_word_embeddings": True,
        "bos_token_id": vocab.EOS_ID,
        "eos_token_id": vocab.EOS_ID,
        "pad_token_id": vocab.PAD_ID,
        "use_cache": True,
    }


def generation_config(shape: ModelShape) -> dict:
    return {"bos_token_id": vocab.EOS_ID, "eos_token_id": vocab.EOS_ID, "pad_token_id": vocab.PAD_ID,
            "max_length": shape.n_positions, "do_sample": False}


class _OnnxWrapper(torch.nn.Module):
    def __init__(self, model: ArithmeticGPT):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *flat_past):
        past = [(flat_past[2 * i], flat_past[2 * i + 1]) for i in range(len(flat_past) // 2)]
        logits, presents = self.model(input_ids, attention_mask, position_ids, past)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def io_names(n_layer: int) -> tuple[list[str], list[str]]:
    inputs = ["input_ids", "attention_mask", "position_ids"]
    outputs = ["logits"]
    for i in range(n_layer):
        inputs += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outputs += [f"present.{i}.key", f"present.{i}.value"]
    return inputs, outputs


# transformers.js feeds these as int64 tensors; everything else in the signature is float32.
INT64_INPUTS = ("input_ids", "attention_mask", "position_ids")


def expected_signature(shape: ModelShape) -> dict[str, list]:
    """name -> dims (str for symbolic, int for fixed) that transformers.js needs."""
    hd = shape.n_embd // shape.n_head
    sig: dict[str, list] = {
        "input_ids": ["batch_size", "sequence_length"],
        "attention_mask": ["batch_size", "total_sequence_length"],
        "position_ids": ["batch_size", "sequence_length"],
        "logits": ["batch_size", "sequence_length", shape.vocab_size],
    }
    for i in range(shape.n_layer):
        for kv in ("key", "value"):
            sig[f"past_key_values.{i}.{kv}"] = ["batch_size", shape.n_head, "past_sequence_length", hd]
            sig[f"present.{i}.{kv}"] = ["batch_size", shape.n_head, "total_sequence_length", hd]
    return sig


def export_onnx_bytes(model: ArithmeticGPT) -> bytes:
    shape = model.shape
    inputs, outputs = io_names(shape.n_layer)
    hd = shape.n_embd // shape.n_head
    b, t, past_len = 2, 3, 2
    ids = torch.randint(0, shape.vocab_size, (b, t))
    mask = torch.ones(b, past_len + t, dtype=torch.long)
    pos = position_ids_from_mask(mask)[:, past_len:]
    flat_past = [torch.randn(b, shape.n_head, past_len, hd) for _ in range(2 * shape.n_layer)]
    dynamic = {}
    for name, dims in expected_signature(shape).items():
        dynamic[name] = {j: d for j, d in enumerate(dims) if isinstance(d, str)}
    buf = io.BytesIO()
    model.eval()
    torch.onnx.export(
        _OnnxWrapper(model), (ids, mask, pos, *flat_past), buf, input_names=inputs, output_names=outputs,
        dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True,
    )
    return buf.getvalue()


def check_onnx_graph(onnx_bytes: bytes, shape: ModelShape) -> None:
    """Refuse a graph the transformers.js loader cannot use (names, dims, dtypes)."""
    import onnx

    try:
        m = onnx.load_from_string(onnx_bytes)
        onnx.checker.check_model(m)
    except Exception as e:  # DecodeError, onnx.checker.ValidationError
        raise ExportError(f"onnx.checker refused the graph: {e}") from None
    want = expected_signature(shape)
    seen: dict[str, list] = {}
    dtypes: dict[str, int] = {}
    for vi in list(m.graph.input) + list(m.graph.output):
        dims = [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]
        seen[vi.name] = dims
        dtypes[vi.name] = vi.type.tensor_type.elem_type
    missing = sorted(set(want) - set(seen))
    extra = sorted(set(seen) - set(want))
    if missing or extra:
        raise ExportError(f"graph inputs/outputs differ from what transformers.js needs: missing {missing}, unexpected {extra}")
    for name, dims in want.items():
        if seen[name] != dims:
            raise ExportError(f"{name} has dims {seen[name]}, the loader needs {dims}")
        need = onnx.TensorProto.INT64 if name in INT64_INPUTS else onnx.TensorProto.FLOAT
        if dtypes[name] != need:
            raise ExportError(
                f"{name} has dtype {onnx.TensorProto.DataType.Name(dtypes[name])}, "
                f"the loader needs {onnx.TensorProto.DataType.Name(need)}"
            )


@torch.no_grad()
def golden_items(model: ArithmeticGPT, problems: list[data.Problem]) -> list[dict]:
    """Teacher-forced target log-probs and greedy decoding, one item at a time (no batching)."""
    model.eval()
    items = []
    for p in problems:
        prompt_ids = vocab.encode(p.prompt)
        target_ids = vocab.encode(p.target) + [vocab.EOS_ID]
        ids = torch.tensor([prompt_ids + target_ids])
        mask = torch.ones_like(ids)
        logits, _ = model(ids, mask, position_ids_from_mask(mask))
        logp = torch.log_softmax(logits[0].double(), dim=-1)
        start = len(prompt_ids)
        target_lp = [float(logp[start - 1 + j, tok]) for j, tok in enumerate(target_ids)]
        greedy: list[int] = []
        cur = list(prompt_ids)
        for _ in range(len(target_ids) + GREEDY_MARGIN):
            x = torch.tensor([cur])
            m = torch.ones_like(x)
            lg, _ = model(x, m, position_ids_from_mask(m))
            nxt = int(lg[0, -1].argmax())
            greedy.append(nxt)
            cur.append(nxt)
            if nxt == vocab.EOS_ID or len(cur) >= model.shape.n_positions:
                break
        text = vocab.decode(greedy)
        items.append({
            "prompt": p.prompt, "target": p.target, "digits": p.digits,
            "target_token_ids": target_ids, "target_logprobs": target_lp,
            "greedy_token_ids": greedy, "greedy_text": text, "exact_match": text == p.target,
        })
    return items


def write_model_folder(model: ArithmeticGPT, folder: Path, problems: list[data.Problem] | None) -> None:
    shape = model.shape
    onnx_bytes = export_onnx_bytes(model)
    check_onnx_graph(onnx_bytes, shape)  # before writing anything
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "onnx").mkdir(parents=True)
    (folder / "onnx" / "model.onnx").write_bytes(onnx_bytes)
    (folder / "config.json").write_text(json.dumps(model_config(shape), indent=2) + "\n")
    (folder / "generation_config.json").write_text(json.dumps(generation_config(shape), indent=2) + "\n")
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json(), indent=2) + "\n")
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(shape.n_positions), indent=2) + "\n")
    if problems is not None:
        golden = {"greedy_margin": GREEDY_MARGIN, "items": golden_items(model, problems)}
        (folder / "golden.json").write_text(json.dumps(golden, separators=(",", ":")) + "\n")


def load_trained(rung: Rung, runs: Path) -> tuple[ArithmeticGPT, dict]:
    path = runs / rung.id / "model.pt"
    if not path.exists():
        raise ExportError(f"no trained weights for {rung.id} at {path}: train it first")
    model = ArithmeticGPT(rung.shape)
    model.load_state_dict(torch.load(path))
    summary = json.loads((runs / rung.id / "train_summary.json").read_text())
    return model, summary


def load_checkpoint(rung: Rung, runs: Path, step: int) -> tuple[ArithmeticGPT, dict]:
    d = checkpoint_dir(runs / rung.id, step)
    if not (d / "model.pt").exists():
        raise ExportError(f"no checkpoint of {rung.id} at step {step} in {d}: train {rung.id} with this config first")
    model = ArithmeticGPT(rung.shape)
    model.load_state_dict(torch.load(d / "model.pt"))
    return model, json.loads((d / "checkpoint.json").read_text())


def cumulative_train_tokens(cfg: LadderConfig, heldout: list[data.Problem]) -> list[int]:
    """tokens[s] = tokens (prompt + answer + <eos>, padding excluded) in the first s steps: replays the seeded stream."""
    stream = data.TrainingStream(cfg.recipe.seed, cfg.recipe.max_digits, exclude=heldout)
    out = [0]
    for _ in range(cfg.recipe.steps):
        out.append(out[-1] + sum(len(data.encode_problem(p)[0]) for p in stream.batch(cfg.recipe.batch_size)))
    return out


def count_train_tokens(cfg: LadderConfig, heldout: list[data.Problem]) -> int:
    """Tokens every model saw in its whole run."""
    return cumulative_train_tokens(cfg, heldout)[-1]


def training_compute(params: int, tokens: int) -> int:
    """C = 6·N·D FLOPs (forward 2ND + backward 4ND; Kaplan et al. 2020, Hoffmann et al. 2022), N = all parameters."""
    return 6 * params * tokens


def model_entry(rung: Rung, params: int, non_emb: int, cfg: LadderConfig, steps: int, tokens: int, loss: float, model_id: str | None = None) -> dict:
    s = rung.shape
    return {
        "id": model_id or rung.id, "params": params, "nonEmbeddingParams": non_emb,
        "layers": s.n_layer, "dModel": s.n_embd, "heads": s.n_head,
        "trainTokens": tokens, "trainExamples": steps * cfg.recipe.batch_size, "trainSteps": steps,
        "compute": training_compute(params, tokens),
        "finalTrainLoss": loss,
    }


def ladder_manifest(cfg: LadderConfig, ladder_id: str, name: str, entries: list[dict], axis: str,
                    default_models: tuple[str, ...] | None) -> dict:
    ladder = {
        "format": "emergence-lab/ladder", "version": 1, "id": ladder_id,
        "name": name,
        "task": "add",
        "template": {"id": "arith-plain", "prompt": "{a}+{b}=", "target": "{answer}", "endToken": vocab.EOS},
        "digits": [data.MIN_DIGITS, cfg.recipe.max_digits],
        "greedyMargin": GREEDY_MARGIN,
        "heldout": {"seed": cfg.recipe.heldout_seed, "perDigit": cfg.recipe.heldout_per_digit},
        # What a chart's x axis is for this ladder: model size, or training compute (checkpoints of one run).
        "axis": axis,
    }
    if default_models is not None:
        ladder["defaultModels"] = list(default_models)
    ladder["models"] = entries
    return ladder


def checkpoint_id(rung_id: str, step: int) -> str:
    return f"{rung_id}-s{step}"


def kept_entries(out: Path, cfg: LadderConfig, keep: list[Rung]) -> dict[str, dict]:
    """Entries of rungs not re-exported, read from the existing ladder.json; their folders must exist and match."""
    if not keep:
        return {}
    path = out / "ladder.json"
    if not path.exists():
        raise ExportError(f"{path} does not exist, so every rung must be exported (drop --only)")
    old = {m["id"]: m for m in json.loads(path.read_text())["models"]}
    kept = {}
    for rung in keep:
        m = old.get(rung.id)
        s = rung.shape
        if m is None or (m["layers"], m["dModel"], m["heads"]) != (s.n_layer, s.n_embd, s.n_head):
            raise ExportError(f"{rung.id} is not in {path} with the config's shape: export it (add --only {rung.id})")
        if not (out / rung.id / "onnx" / "model.onnx").exists() or not (out / rung.id / "golden.json").exists():
            raise ExportError(f"{out / rung.id} is incomplete: export {rung.id} again")
        if m["trainSteps"] != cfg.recipe.steps or m["trainExamples"] != cfg.recipe.train_examples:
            raise ExportError(f"{rung.id} in {path} was trained for {m['trainSteps']} steps, the config says {cfg.recipe.steps}")
        # Same fields and order as a freshly exported entry; compute is derived, so recomputed.
        kept[rung.id] = {k: m[k] for k in m if k not in ("compute", "finalTrainLoss")} | {
            "compute": training_compute(m["params"], m["trainTokens"]), "finalTrainLoss": m["finalTrainLoss"]}
    return kept


def export_checkpoint_ladder(cfg: LadderConfig, runs: Path, out: Path, problems: list[data.Problem], tokens: list[int]) -> None:
    """The training-compute ladder: every saved checkpoint of the configured rungs, one model folder each."""
    ck = cfg.checkpoints
    assert ck is not None
    out.mkdir(parents=True, exist_ok=True)
    by_id = {r.id: r for r in cfg.rungs}
    entries = []
    for model_id in ck.models:
        rung = by_id[model_id]
        for step in ck.steps:
            model, info = load_checkpoint(rung, runs, step)
            total, non_emb = model.param_counts()
            cid = checkpoint_id(rung.id, step)
            write_model_folder(model, out / cid, problems)
            entries.append(model_entry(rung, total, non_emb, cfg, step, tokens[step], info["trainLoss"], cid))
            print(f"exported {ck.ladder}/{cid}")
    name = "Training-compute ladder: checkpoints of " + " and ".join(f"{m}" for m in ck.models)
    ladder = ladder_manifest(cfg, ck.ladder, name, entries, "compute", None)
    ladder["sourceLadder"] = "arith"
    (out / "ladder.json").write_text(json.dumps(ladder, indent=2) + "\n")


SEED_RUNS_FILE = "seed-runs.json"


def export_seed_runs(cfg: LadderConfig, runs: Path, out: Path, problems: list[data.Problem]) -> Path:
    """Held-out scores of the seed runs (other init seeds of some rungs), for the model card.

    Only the scores are written (out/seed-runs.json): the weights are evidence about seed
    spread, not models the lab ships. A seed run whose weights are not under `runs` (trained in
    an earlier session, weights not kept) keeps its entry from the existing seed-runs.json, as
    long as that file scored the same held-out set and the same model size; a run with neither
    weights nor such an entry is refused.
    """
    from .card import score  # the card's metric definitions, so the numbers compare exactly
    from .train import seed_run_dir

    by_id = {r.id: r for r in cfg.rungs}
    previous = _previous_seed_entries(cfg, out / SEED_RUNS_FILE)
    entries = []
    for run in cfg.seed_runs:
        d = seed_run_dir(runs, run)
        if not (d / "model.pt").exists():
            kept = previous.get((run.model, run.init_seed))
            if kept is None:
                raise ExportError(f"no trained weights for {run.run_id} at {d} and no earlier score of it in "
                                  f"{out / SEED_RUNS_FILE}: run `train --seed-runs` first")
            expected = ArithmeticGPT(by_id[run.model].shape).param_counts()[0]
            if kept.get("params") != expected:
                raise ExportError(f"the earlier score of {run.run_id} in {out / SEED_RUNS_FILE} is of a model with "
                                  f"{kept.get('params')} parameters, not {expected}: retrain it (`train --seed-runs`)")
            entries.append(kept)
            print(f"kept the earlier score of seed run {run.run_id} (no weights at {d})")
            continue
        model = ArithmeticGPT(by_id[run.model].shape)
        model.load_state_dict(torch.load(d / "model.pt"))
        summary = json.loads((d / "train_summary.json").read_text())
        items = golden_items(model, problems)
        cells = {}
        for digits in sorted({p.digits for p in problems}):
            c = score([it for it in items if it["digits"] == digits])
            cells[str(digits)] = {"n": c.n, "exactMatch": c.exact_match, "tokenProb": round(c.token_prob, 6),
                                  "editDistance": c.edit_distance}
        entries.append({"model": run.model, "initSeed": run.init_seed, "params": summary["params"],
                        "finalTrainLoss": summary["finalTrainLoss"], "trainSeconds": summary["trainSeconds"],
                        "cells": cells})
        print(f"scored seed run {run.run_id}")
    path = out / SEED_RUNS_FILE
    path.write_text(json.dumps({"heldout": {"seed": cfg.recipe.heldout_seed, "perDigit": cfg.recipe.heldout_per_digit},
                                "runs": entries}, indent=1) + "\n")
    return path


def _previous_seed_entries(cfg: LadderConfig, path: Path) -> dict:
    """Entries of an existing seed-runs.json by (model, initSeed), when it scored this held-out set."""
    if not path.exists():
        return {}
    old = json.loads(path.read_text())
    if old.get("heldout") != {"seed": cfg.recipe.heldout_seed, "perDigit": cfg.recipe.heldout_per_digit}:
        return {}
    return {(e["model"], e["initSeed"]): e for e in old.get("runs", [])}


def main(argv=None):
    here = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default=str(here / "ladder.config.json"))
    ap.add_argument("--runs", default=str(here / "runs"))
    ap.add_argument("--out", default=str(here.parent / "static" / "models" / "arith"))
    ap.add_argument("--only", action="append",
                    help="export only this rung (repeatable); the others are kept from the existing ladder.json and folders")
    ap.add_argument("--seed-runs", action="store_true",
                    help="only score the config's seed runs on the held-out items and write seed-runs.json")
    args = ap.parse_args(argv)
    cfg: LadderConfig = load_config(Path(args.config))
    out = Path(args.out)
    runs = Path(args.runs)
    if args.seed_runs:
        problems = data.heldout_problems(cfg.recipe.heldout_seed, cfg.recipe.heldout_per_digit)
        export_seed_runs(cfg, runs, out, problems)
        return
    known = {r.id for r in cfg.rungs}
    if args.only and not set(args.only) <= known:
        raise SystemExit(f"unknown model id in --only {sorted(set(args.only) - known)}; known: {sorted(known)}")
    out.mkdir(parents=True, exist_ok=True)
    problems = data.heldout_problems(cfg.recipe.heldout_seed, cfg.recipe.heldout_per_digit)
    tokens = cumulative_train_tokens(cfg, problems)
    fresh = [r for r in cfg.rungs if not args.only or r.id in args.only]
    kept = kept_entries(out, cfg, [r for r in cfg.rungs if r not in fresh])
    for e in kept.values():
        if e["trainTokens"] != tokens[-1]:
            raise ExportError(f"{e['id']} in ladder.json saw {e['trainTokens']} training tokens, this config's stream has {tokens[-1]}")
    entries = []
    for rung in cfg.rungs:
        if rung.id in kept:
            entries.append(kept[rung.id])
            continue
        model, summary = load_trained(rung, runs)
        write_model_folder(model, out / rung.id, problems)
        entries.append(model_entry(rung, summary["params"], summary["nonEmbeddingParams"], cfg, cfg.recipe.steps, tokens[-1], summary["finalTrainLoss"]))
        print(f"exported {rung.id}")
    entries.sort(key=lambda e: e["params"])
    ladder = ladder_manifest(cfg, "arith", "Bundled arithmetic ladder", entries, "params", cfg.default_models)
    (out / "ladder.json").write_text(json.dumps(ladder, indent=2) + "\n")
    if cfg.checkpoints is not None and (not args.only or set(cfg.checkpoints.models) & set(args.only)):
        export_checkpoint_ladder(cfg, runs, out.parent / cfg.checkpoints.ladder, problems, tokens)


if __name__ == "__main__":
    main()

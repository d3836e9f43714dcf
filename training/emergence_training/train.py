"""Train every rung of the ladder with the same seeded data stream and recipe.

Usage: python3 -m emergence_training.train --config ladder.config.json --out runs [--only ID] [--jobs 2]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import multiprocessing as mp
import time
from pathlib import Path

import torch

from . import data, vocab
from .config import LadderConfig, Rung, load_config
from .model import ArithmeticGPT, position_ids_from_mask


def collate(problems: list[data.Problem]):
    """Right-padded input ids, mask, positions, and labels that score only the answer + <eos>."""
    encoded = [data.encode_problem(p) for p in problems]
    width = max(len(ids) for ids, _ in encoded)
    x = torch.full((len(encoded), width), vocab.PAD_ID, dtype=torch.long)
    y = torch.full((len(encoded), width), -100, dtype=torch.long)
    mask = torch.zeros((len(encoded), width), dtype=torch.long)
    for row, (ids, start) in enumerate(encoded):
        n = len(ids)
        x[row, :n] = torch.tensor(ids)
        mask[row, :n] = 1
        # logits at position t predict token t+1; score the target tokens ids[start:]
        y[row, start - 1 : n - 1] = torch.tensor(ids[start:])
    return x, mask, position_ids_from_mask(mask), y


def lr_at(step: int, cfg: LadderConfig) -> float:
    r = cfg.recipe
    if step < r.warmup_steps:
        return r.lr * (step + 1) / r.warmup_steps
    progress = (step - r.warmup_steps) / max(1, r.steps - r.warmup_steps)
    return r.lr * (r.min_lr_ratio + (1 - r.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


@torch.no_grad()
def quick_exact_match(model: ArithmeticGPT, problems: list[data.Problem]) -> dict[int, float]:
    """Teacher-forced all-argmax rate per digit count (equals greedy exact match)."""
    model.eval()
    x, mask, pos, y = collate(problems)
    logits, _ = model(x, mask, pos)
    ok = ((logits.argmax(-1) == y) | (y == -100)).all(dim=1)
    model.train()
    out: dict[int, list[bool]] = {}
    for p, o in zip(problems, ok.tolist()):
        out.setdefault(p.digits, []).append(o)
    return {d: sum(v) / len(v) for d, v in sorted(out.items())}


def train_rung(cfg: LadderConfig, rung: Rung, out_dir: Path, threads: int = 1) -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(cfg.recipe.seed if rung.init_seed is None else rung.init_seed)
    r = cfg.recipe
    heldout = data.heldout_problems(r.heldout_seed, r.heldout_per_digit)
    stream = data.TrainingStream(r.seed, r.max_digits, exclude=heldout)
    model = ArithmeticGPT(rung.shape)
    opt = torch.optim.AdamW(model.parameters(), lr=r.lr, weight_decay=r.weight_decay, betas=(0.9, 0.98))
    log = []
    t0 = time.time()
    ema = None
    save_at = set(cfg.checkpoint_steps(rung.id))
    rung_dir = out_dir / rung.id
    for step in range(r.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, cfg)
        x, mask, pos, y = collate(stream.batch(r.batch_size))
        logits, _ = model(x, mask, pos)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step + 1 in save_at:
            save_checkpoint(rung_dir, step + 1, model, ema, time.time() - t0)
        if (step + 1) % max(1, r.steps // 20) == 0 or step + 1 == r.steps:
            em = quick_exact_match(model, heldout)
            log.append({"step": step + 1, "loss": round(ema, 5), "exact_match": em, "seconds": round(time.time() - t0, 1)})
            print(f"[{rung.id}] step {step + 1}/{r.steps} loss {ema:.4f} em {em} {time.time() - t0:.0f}s", flush=True)
    total, non_emb = model.param_counts()
    summary = {
        "id": rung.id,
        "shape": rung.shape.as_dict(),
        "params": total,
        "nonEmbeddingParams": non_emb,
        "finalTrainLoss": round(ema, 5),
        "trainExamples": r.train_examples,
        "trainSeconds": round(time.time() - t0, 1),
        "log": log,
    }
    rung_dir.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), rung_dir / "model.pt")
    (rung_dir / "train_summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def checkpoint_dir(rung_dir: Path, step: int) -> Path:
    return rung_dir / "checkpoints" / f"step-{step}"


def save_checkpoint(rung_dir: Path, step: int, model: ArithmeticGPT, ema_loss: float, seconds: float) -> None:
    """Weights after `step` optimizer steps of the ordinary run (saving touches no RNG or state)."""
    d = checkpoint_dir(rung_dir, step)
    d.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), d / "model.pt")
    (d / "checkpoint.json").write_text(json.dumps({"step": step, "trainLoss": round(ema_loss, 5), "seconds": round(seconds, 1)}, indent=1))


SEEDS_DIR = "seeds"


def seed_run_dir(runs: Path, seed_run) -> Path:
    """Where a seed run's weights go: runs/seeds/<model>-seed<n>/model.pt."""
    return runs / SEEDS_DIR / seed_run.run_id


def _worker(args):
    cfg_path, rung_id, out_dir, threads, init_seed = args
    cfg = load_config(Path(cfg_path))
    rung = next(r for r in cfg.rungs if r.id == rung_id)
    if init_seed is not None:
        # Same recipe and data stream, another initialization seed; saved under runs/seeds/<model>-seed<n>/.
        run = next(s for s in cfg.seed_runs if s.model == rung_id and s.init_seed == init_seed)
        target = seed_run_dir(Path(out_dir), run)
        summary = train_rung(cfg, dataclasses.replace(rung, id=run.run_id, init_seed=init_seed), target.parent, threads)
        return summary
    return train_rung(cfg, rung, Path(out_dir), threads)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default=str(Path(__file__).resolve().parent.parent / "ladder.config.json"))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "runs"))
    ap.add_argument("--only", action="append", help="train only this model id (repeatable)")
    ap.add_argument("--jobs", type=int, default=2, help="models trained in parallel, one thread each")
    ap.add_argument("--seed-runs", action="store_true",
                    help="train the config's seed_runs (other init seeds of some rungs) instead of the ladder")
    args = ap.parse_args(argv)
    cfg = load_config(Path(args.config))
    if args.seed_runs:
        runs = [s for s in cfg.seed_runs if not args.only or s.model in args.only]
        by_id = {r.id: r for r in cfg.rungs}
        runs.sort(key=lambda s: -by_id[s.model].shape.n_layer * by_id[s.model].shape.n_embd**2)
        jobs = [(args.config, s.model, args.out, 1, s.init_seed) for s in runs]
        _run_jobs(jobs, args.jobs)
        return
    rungs = [r for r in cfg.rungs if not args.only or r.id in args.only]
    if args.only and len(rungs) != len(args.only):
        raise SystemExit(f"unknown model id in --only {args.only}; known: {[r.id for r in cfg.rungs]}")
    # Largest first so the long jobs start early.
    rungs.sort(key=lambda r: -r.shape.n_layer * r.shape.n_embd**2)
    jobs = [(args.config, r.id, args.out, 1, None) for r in rungs]
    _run_jobs(jobs, args.jobs)


def _run_jobs(jobs: list[tuple], n_jobs: int) -> None:
    if n_jobs > 1:
        with mp.get_context("spawn").Pool(n_jobs) as pool:
            results = pool.map(_worker, jobs, chunksize=1)
    else:
        results = [_worker(j) for j in jobs]
    for s in results:
        print(f"{s['id']}: params {s['params']} loss {s['finalTrainLoss']} final em {s['log'][-1]['exact_match']}")


if __name__ == "__main__":
    main()

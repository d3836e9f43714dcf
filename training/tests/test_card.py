"""The model card writer, on a fake ladder: two random-init tiny models exported for real."""
import contextlib
import io
import json
import math
import re
import shutil
import tempfile
import unittest
from pathlib import Path

import torch
from support import TRAINING_DIR, minimal_raw_config, quiet_export

from emergence_training import card, export, vocab
from emergence_training.config import parse_config
from emergence_training.model import ArithmeticGPT


def build_fake_ladder(root: Path) -> tuple[Path, Path]:
    """Config + runs/ with random-init weights, then the real exporter. Returns (models dir, config)."""
    raw = minimal_raw_config()
    config_path = root / "ladder.config.json"
    config_path.write_text(json.dumps(raw))
    cfg = parse_config(raw)
    runs = root / "runs"
    for k, rung in enumerate(cfg.rungs):
        torch.manual_seed(k)
        model = ArithmeticGPT(rung.shape)
        total, non_emb = model.param_counts()
        (runs / rung.id).mkdir(parents=True)
        torch.save(model.state_dict(), runs / rung.id / "model.pt")
        summary = {"id": rung.id, "params": total, "nonEmbeddingParams": non_emb, "finalTrainLoss": 2.5 - k}
        (runs / rung.id / "train_summary.json").write_text(json.dumps(summary))
    out = root / "models"
    with contextlib.redirect_stdout(io.StringIO()), quiet_export():
        export.main(["--config", str(config_path), "--runs", str(runs), "--out", str(out)])
    return out, config_path


def run_card(models: Path, config: Path) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        card.main(["--models", str(models), "--config", str(config)])
    return buf.getvalue()


class CardOnFakeLadderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="arith-card-test-"))
        cls.pristine, cls.config = build_fake_ladder(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.models = self.tmp / f"models-{self._testMethodName}"
        shutil.copytree(self.pristine, self.models)
        self.ladder = json.loads((self.models / "ladder.json").read_text())

    def golden(self, model_id):
        return json.loads((self.models / model_id / "golden.json").read_text())

    def test_card_contents(self):
        stdout = run_card(self.models, self.config)
        text = (self.models / "README.md").read_text()
        self.assertIn("wrote", stdout)
        for needle in ("`{a}+{b}=`", "`<eos>`", "gpt2", "GPT-2", "character-level BPE with no merges",
                       "10 steps × batch 4 = 40 examples", "cd training",
                       "/usr/bin/python3 -m emergence_training.train", "/usr/bin/python3 -m emergence_training.export",
                       "/usr/bin/python3 -m emergence_training.card", "license", "Only scale changes",
                       "2 distinct problems per digit count (seed 7)", "On 5-digit problems",
                       "Each cell is 2 items"):
            self.assertIn(needle, text)
        for m in self.ladder["models"]:
            row = (f"| `{m['id']}` | {m['params']:,} | {m['nonEmbeddingParams']:,} | {m['layers']} | "
                   f"{m['dModel']} | {m['heads']} | {m['finalTrainLoss']:.4f} |")
            self.assertIn(row, text)
        self.assertIn(f"{self.ladder['models'][0]['trainTokens']:,} tokens (prompt, answer and", text)
        # 40 examples of 7 (1 digit) to 19 (5 digits) real tokens each, padding excluded.
        self.assertTrue(40 * 7 <= self.ladder["models"][0]["trainTokens"] <= 40 * 19)

    def test_measured_numbers_match_golden(self):
        stdout = run_card(self.models, self.config)
        text = (self.models / "README.md").read_text()
        for m in self.ladder["models"]:
            items = self.golden(m["id"])["items"]
            em, prob, ed = [], [], []
            for d in range(1, 6):
                of_d = [it for it in items if it["digits"] == d]
                self.assertEqual(len(of_d), 2)
                em.append(card.fmt_pct(sum(it["exact_match"] for it in of_d) / 2))
                prob.append(f"{sum(math.exp(sum(it['target_logprobs']) / len(it['target_logprobs'])) for it in of_d) / 2:.3f}")
                ed.append(f"{sum(card.levenshtein(it['target_token_ids'], it['greedy_token_ids']) for it in of_d) / 2:.2f}")
            for cells in (em, prob, ed):
                self.assertIn(f"| `{m['id']}` | {m['params']:,} | " + " | ".join(cells) + " |", text)
                self.assertRegex(stdout, re.escape(m["id"]) + r"\s+" + re.escape(f"{m['params']:,}") + r"\s+"
                                 + r"\s+".join(map(re.escape, cells)))
        self.assertIn("exact match", stdout)
        self.assertIn("per-token probability", stdout)
        self.assertIn("token edit distance", stdout)

    def test_exact_answers_are_counted(self):
        # Make the larger model answer every 5-digit item and half of the 4-digit ones exactly.
        big = self.ladder["models"][1]["id"]
        path = self.models / big / "golden.json"
        golden = json.loads(path.read_text())
        fours = 0
        for it in golden["items"]:
            if it["digits"] == 5 or (it["digits"] == 4 and fours == 0):
                fours += it["digits"] == 4
                it["greedy_token_ids"] = list(it["target_token_ids"])
                it["greedy_text"] = it["target"]
                it["exact_match"] = True
                it["target_logprobs"] = [math.log(0.5)] * len(it["target_token_ids"])
        path.write_text(json.dumps(golden))
        rows, digits = card.measure(self.models, self.ladder)
        self.assertEqual([r.id for r in rows], ["tiny-a", "tiny-b"])
        cell5, cell4 = rows[1].cells[5], rows[1].cells[4]
        self.assertEqual((cell5.exact_match, cell5.edit_distance), (1.0, 0.0))
        self.assertAlmostEqual(cell5.token_prob, 0.5)
        self.assertEqual(cell4.exact_match, 0.5)
        sentence = card.reading(rows, 5)
        self.assertIn("goes from 0% for the smallest model (`tiny-a`", sentence)
        self.assertIn("to 100% for the largest (`tiny-b`", sentence)
        self.assertIn("`tiny-a` → `tiny-b` (+100 points)", sentence)
        run_card(self.models, self.config)
        self.assertIn("| `tiny-b` | " + f"{rows[1].params:,}" + " | ", (self.models / "README.md").read_text())

    def test_all_zero_reading(self):
        rows, _ = card.measure(self.models, self.ladder)
        if any(r.cells[5].exact_match for r in rows):
            self.skipTest("a random-init model answered a 5-digit item")
        sentence = card.reading(rows, 5)
        self.assertIn("no model gets a single item exactly right", sentence)
        self.assertIn("models with 0% exact match the per-token probability ranges from", sentence)

    def test_refuses_a_config_that_is_not_the_exported_run(self):
        raw = minimal_raw_config()
        raw["recipe"]["steps"] = 20
        other = self.tmp / f"other-{self._testMethodName}.json"
        other.write_text(json.dumps(raw))
        with self.assertRaisesRegex(card.CardError, r"does not match .*steps 10 vs 20"):
            card.write_card(self.models, other)
        self.assertFalse((self.models / "README.md").exists())
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()) as err:
            card.main(["--models", str(self.models), "--config", str(other)])
        self.assertIn("steps 10 vs 20", err.getvalue())

    def test_refuses_missing_or_incomplete_golden(self):
        model_id = self.ladder["models"][0]["id"]
        path = self.models / model_id / "golden.json"
        golden = json.loads(path.read_text())
        golden["items"] = golden["items"][:-1]
        path.write_text(json.dumps(golden))
        with self.assertRaisesRegex(card.CardError, r"1 items with 5 digits, ladder.json says 2 per digit count"):
            card.write_card(self.models, self.config)
        del golden["items"][0]["greedy_token_ids"]
        path.write_text(json.dumps(golden))
        with self.assertRaisesRegex(card.CardError, r"item 0 has no field\(s\) \['greedy_token_ids'\]"):
            card.write_card(self.models, self.config)
        path.unlink()
        with self.assertRaisesRegex(card.CardError, re.escape(str(path)) + " does not exist"):
            card.write_card(self.models, self.config)

    def test_refuses_missing_ladder(self):
        with self.assertRaisesRegex(card.CardError, r"ladder\.json does not exist: run .*export"):
            card.write_card(self.tmp / "nowhere", self.config)


class MetricTest(unittest.TestCase):
    def test_levenshtein(self):
        lev = card.levenshtein
        self.assertEqual(lev([], []), 0)
        self.assertEqual(lev([1, 2, 3], [1, 2, 3]), 0)
        self.assertEqual(lev([1, 2, 3], []), 3)
        self.assertEqual(lev([], [4, 4]), 2)
        self.assertEqual(lev([1, 2, 3], [1, 3]), 1)
        self.assertEqual(lev([1, 2, 3], [1, 9, 3]), 1)
        self.assertEqual(lev(list("kitten"), list("sitting")), 3)
        t = vocab.encode("13023") + [vocab.EOS_ID]
        self.assertEqual(lev(t, vocab.encode("1302") + [vocab.EOS_ID]), 1)
        self.assertEqual(lev(t, [vocab.EOS_ID] * 9), 8)

    def test_per_token_probability(self):
        self.assertAlmostEqual(card.per_token_probability([0.0, 0.0]), 1.0)
        self.assertAlmostEqual(card.per_token_probability([math.log(0.25), math.log(1.0)]), 0.5)

    def test_carry_out_fraction(self):
        for n in (1, 2, 3):
            lo = 0 if n == 1 else 10 ** (n - 1)
            ops = range(lo, 10**n)
            brute = sum(a + b >= 10**n for a in ops for b in ops) / len(ops) ** 2
            self.assertAlmostEqual(card.carry_out_fraction(n), brute, places=12)
        self.assertAlmostEqual(card.mean_scored_tokens(1), 1 + 0.45 + 1)

    def test_recipe_constants_match_train_py(self):
        src = (TRAINING_DIR / "emergence_training" / "train.py").read_text()
        self.assertIn(f"betas={card.ADAM_BETAS}", src)
        self.assertIn(f"clip_grad_norm_(model.parameters(), {card.GRAD_CLIP})", src)
        self.assertIn(f"{card.LOSS_EMA} * ema", src)


if __name__ == "__main__":
    unittest.main()


class SeedSectionTest(unittest.TestCase):
    """The seed-spread section on made-up scores: per-model spread, neighbours, and the ends of the top."""

    def rows_and_seeds(self, largest_second_seed: float):
        raw = minimal_raw_config()
        raw["models"] = [
            {"id": "m-a", "n_layer": 1, "n_embd": 8, "n_head": 2, "init_seed": 5},
            {"id": "m-b", "n_layer": 1, "n_embd": 16, "n_head": 2},
            {"id": "m-c", "n_layer": 2, "n_embd": 16, "n_head": 2},
        ]
        raw["seed_runs"] = [{"model": m, "init_seed": 9} for m in ("m-a", "m-b", "m-c")]
        cfg = parse_config(raw)
        bundled = {"m-a": 1.0, "m-b": 0.9, "m-c": 0.74}
        second = {"m-a": 0.94, "m-b": 0.02, "m-c": largest_second_seed}
        digits = range(1, 6)

        def cells(em: float) -> dict:
            return {d: card.Cell(50, em if d == 5 else 1.0, 0.9, 0.1) for d in digits}

        rows = [card.ModelRow({"id": m, "params": 100 * (i + 1), "finalTrainLoss": 0.01}, cells(em))
                for i, (m, em) in enumerate(bundled.items())]
        seeds = {"runs": [{"model": m, "initSeed": 9, "params": 100 * (i + 1), "finalTrainLoss": 0.05,
                           "cells": {str(d): {"n": 50, "exactMatch": em if d == 5 else 1.0, "tokenProb": 0.9, "editDistance": 0.1}
                                     for d in digits}}
                          for i, (m, em) in enumerate(second.items())]}
        return card.seed_section(seeds, rows, cfg, digits)

    def test_reports_every_models_spread_and_the_size_effect_across_the_top(self):
        text = self.rows_and_seeds(0.56)
        self.assertIn("`m-a` 94%–100% (6 points), `m-b` 2%–90% (88 points), `m-c` 56%–74% (18 points)", text)
        self.assertIn("| `m-c` | 300 | 9 | second seed | 100% | 100% | 56% |", text)
        self.assertIn("From `m-a` to the largest, `m-c`, the two-seed mean changes by -32 points and the ranges do not "
                      "overlap: the difference is larger than either model's seed spread.", text)
        self.assertIn("The bundled weights of `m-a` are already a second seed", text)

    def test_says_when_seed_spread_could_account_for_the_difference(self):
        text = self.rows_and_seeds(0.96)
        self.assertIn("From `m-a` to the largest, `m-c`, the two-seed mean changes by -12 points and the ranges overlap: "
                      "seed spread alone could account for the difference.", text)

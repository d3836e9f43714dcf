"""Checkpoints saved during training, seed runs, and their export as a training-compute ladder.

A tiny config trains for a few steps (a few seconds on one thread), then the real exporter runs.
"""
import contextlib
import io
import json
import shutil
import tempfile
import unittest
from pathlib import Path

import torch
from support import minimal_raw_config, quiet_export

from emergence_training import card, data, export, train
from emergence_training.model import ArithmeticGPT
from emergence_training.config import LadderConfigError, parse_config

STEPS = [2, 5, 10]


def raw_config() -> dict:
    raw = minimal_raw_config()
    raw["checkpoints"] = {"ladder": "tiny-steps", "models": ["tiny-a"], "steps": STEPS}
    raw["default_models"] = ["tiny-b"]
    raw["seed_runs"] = [{"model": "tiny-a", "init_seed": 99}]
    return raw


def quietly(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()), quiet_export():
        return fn(*args)


class CheckpointExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="arith-ckpt-test-"))
        cls.raw = raw_config()
        cls.config = cls.tmp / "ladder.config.json"
        cls.config.write_text(json.dumps(cls.raw))
        cls.cfg = parse_config(cls.raw)
        cls.runs = cls.tmp / "runs"
        quietly(train.main, ["--config", str(cls.config), "--out", str(cls.runs), "--jobs", "1"])
        quietly(train.main, ["--config", str(cls.config), "--out", str(cls.runs), "--jobs", "1", "--seed-runs"])
        cls.models = cls.tmp / "models" / "arith"
        quietly(export.main, ["--config", str(cls.config), "--runs", str(cls.runs), "--out", str(cls.models)])
        quietly(export.main, ["--config", str(cls.config), "--runs", str(cls.runs), "--out", str(cls.models), "--seed-runs"])
        cls.steps_dir = cls.tmp / "models" / "tiny-steps"
        cls.steps_ladder = json.loads((cls.steps_dir / "ladder.json").read_text())
        cls.ladder = json.loads((cls.models / "ladder.json").read_text())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def state(self, path: Path) -> dict:
        return torch.load(path)

    def test_checkpoints_saved_only_for_the_configured_rung(self):
        a = self.runs / "tiny-a" / "checkpoints"
        self.assertEqual(sorted(p.name for p in a.iterdir()), sorted(f"step-{s}" for s in STEPS))
        for s in STEPS:
            info = json.loads((a / f"step-{s}" / "checkpoint.json").read_text())
            self.assertEqual(info["step"], s)
        self.assertFalse((self.runs / "tiny-b" / "checkpoints").exists())

    def test_last_checkpoint_is_the_final_model_and_earlier_ones_differ(self):
        final = self.state(self.runs / "tiny-a" / "model.pt")
        last = self.state(self.runs / "tiny-a" / "checkpoints" / "step-10" / "model.pt")
        early = self.state(self.runs / "tiny-a" / "checkpoints" / "step-2" / "model.pt")
        for k in final:
            self.assertTrue(torch.equal(final[k], last[k]), k)
        self.assertTrue(any(not torch.equal(final[k], early[k]) for k in final))

    def test_saving_checkpoints_does_not_change_the_run(self):
        # The same rung trained without checkpoints ends with identical weights.
        raw = minimal_raw_config()
        cfg_path = self.tmp / "plain.config.json"
        cfg_path.write_text(json.dumps(raw))
        out = self.tmp / "plain-runs"
        quietly(train.main, ["--config", str(cfg_path), "--out", str(out), "--jobs", "1", "--only", "tiny-a"])
        plain = self.state(out / "tiny-a" / "model.pt")
        final = self.state(self.runs / "tiny-a" / "model.pt")
        for k in final:
            self.assertTrue(torch.equal(final[k], plain[k]), k)

    def test_seed_run_uses_another_init_and_the_same_recipe(self):
        seed_dir = self.runs / train.SEEDS_DIR / "tiny-a-seed99"
        summary = json.loads((seed_dir / "train_summary.json").read_text())
        self.assertEqual(summary["id"], "tiny-a-seed99")
        self.assertEqual(summary["trainExamples"], self.cfg.recipe.train_examples)
        ours = self.state(seed_dir / "model.pt")
        ladder_run = self.state(self.runs / "tiny-a" / "model.pt")
        self.assertTrue(any(not torch.equal(ours[k], ladder_run[k]) for k in ours))
        self.assertFalse((seed_dir / "checkpoints").exists())

    def test_steps_ladder_manifest(self):
        L = self.steps_ladder
        self.assertEqual((L["format"], L["version"], L["id"], L["axis"]), ("emergence-lab/ladder", 1, "tiny-steps", "compute"))
        self.assertEqual(L["template"], self.ladder["template"])
        self.assertEqual(L["heldout"], self.ladder["heldout"])
        ids = [m["id"] for m in L["models"]]
        self.assertEqual(ids, [f"tiny-a-s{s}" for s in STEPS])
        # Token counts replayed independently from the seeded stream.
        heldout = data.heldout_problems(self.cfg.recipe.heldout_seed, self.cfg.recipe.heldout_per_digit)
        stream = data.TrainingStream(self.cfg.recipe.seed, self.cfg.recipe.max_digits, exclude=heldout)
        per_step = [sum(len(data.encode_problem(p)[0]) for p in stream.batch(self.cfg.recipe.batch_size)) for _ in range(10)]
        params = next(m["params"] for m in self.ladder["models"] if m["id"] == "tiny-a")
        for m, s in zip(L["models"], STEPS):
            self.assertEqual(m["trainSteps"], s)
            self.assertEqual(m["trainExamples"], s * self.cfg.recipe.batch_size)
            self.assertEqual(m["trainTokens"], sum(per_step[:s]))
            self.assertEqual(m["params"], params)
            self.assertEqual(m["compute"], 6 * params * m["trainTokens"])
        self.assertLess(L["models"][0]["compute"], L["models"][1]["compute"])

    def test_every_checkpoint_has_a_loadable_folder_with_golden_outputs(self):
        for m in self.steps_ladder["models"]:
            folder = self.steps_dir / m["id"]
            self.assertTrue((folder / "onnx" / "model.onnx").exists(), m["id"])
            golden = json.loads((folder / "golden.json").read_text())
            self.assertEqual(len(golden["items"]), 5 * self.cfg.recipe.heldout_per_digit)
        # The last checkpoint is the final model: same golden outputs as the ladder's rung.
        last = json.loads((self.steps_dir / "tiny-a-s10" / "golden.json").read_text())
        rung = json.loads((self.models / "tiny-a" / "golden.json").read_text())
        self.assertEqual(last, rung)
        first = json.loads((self.steps_dir / "tiny-a-s2" / "golden.json").read_text())
        self.assertNotEqual(first["items"][0]["target_logprobs"], last["items"][0]["target_logprobs"])

    def test_main_ladder_has_compute_and_default_models(self):
        L = self.ladder
        self.assertEqual(L["axis"], "params")
        self.assertEqual(L["defaultModels"], ["tiny-b"])
        for m in L["models"]:
            self.assertEqual(m["compute"], 6 * m["params"] * m["trainTokens"])
            self.assertEqual(m["trainSteps"], 10)

    def test_only_keeps_the_other_rungs(self):
        out = self.tmp / "only" / "arith"
        shutil.copytree(self.models, out)
        before_b = (out / "tiny-b" / "onnx" / "model.onnx").stat().st_mtime_ns
        shutil.rmtree(out / "tiny-a")
        quietly(export.main, ["--config", str(self.config), "--runs", str(self.runs), "--out", str(out), "--only", "tiny-a"])
        self.assertTrue((out / "tiny-a" / "golden.json").exists())
        self.assertEqual((out / "tiny-b" / "onnx" / "model.onnx").stat().st_mtime_ns, before_b)
        self.assertEqual(json.loads((out / "ladder.json").read_text()), self.ladder)

    def test_only_refuses_without_an_existing_ladder(self):
        out = self.tmp / "fresh" / "arith"
        with self.assertRaisesRegex(export.ExportError, r"ladder\.json does not exist, so every rung must be exported"):
            quietly(export.main, ["--config", str(self.config), "--runs", str(self.runs), "--out", str(out), "--only", "tiny-a"])

    def test_only_refuses_a_kept_rung_with_another_shape(self):
        out = self.tmp / "shape" / "arith"
        shutil.copytree(self.models, out)
        L = json.loads((out / "ladder.json").read_text())
        L["models"][1]["dModel"] = 32
        (out / "ladder.json").write_text(json.dumps(L))
        with self.assertRaisesRegex(export.ExportError, r"tiny-b is not in .* with the config's shape"):
            quietly(export.main, ["--config", str(self.config), "--runs", str(self.runs), "--out", str(out), "--only", "tiny-a"])

    def test_missing_checkpoint_is_refused(self):
        runs = self.tmp / "runs-missing"
        shutil.copytree(self.runs, runs)
        shutil.rmtree(runs / "tiny-a" / "checkpoints" / "step-5")
        with self.assertRaisesRegex(export.ExportError, r"no checkpoint of tiny-a at step 5"):
            quietly(export.main, ["--config", str(self.config), "--runs", str(runs), "--out", str(self.tmp / "m2" / "arith")])


    def test_seed_runs_file_scores_the_seed_run_like_a_golden_file(self):
        seeds = json.loads((self.models / export.SEED_RUNS_FILE).read_text())
        self.assertEqual(len(seeds["runs"]), 1)
        run = seeds["runs"][0]
        self.assertEqual((run["model"], run["initSeed"]), ("tiny-a", 99))
        model = ArithmeticGPT(self.cfg.rungs[0].shape)
        model.load_state_dict(torch.load(self.runs / train.SEEDS_DIR / "tiny-a-seed99" / "model.pt"))
        problems = data.heldout_problems(self.cfg.recipe.heldout_seed, self.cfg.recipe.heldout_per_digit)
        items = export.golden_items(model, problems)
        for d in range(1, 6):
            c = card.score([it for it in items if it["digits"] == d])
            got = run["cells"][str(d)]
            self.assertEqual((got["n"], got["exactMatch"], got["editDistance"]), (c.n, c.exact_match, c.edit_distance))
            self.assertAlmostEqual(got["tokenProb"], c.token_prob, places=6)

    def test_seed_runs_keep_earlier_scores_whose_weights_are_gone(self):
        # A later session adds a seed run; the first one's weights were not kept.
        raw = raw_config()
        raw["seed_runs"] = [{"model": "tiny-a", "init_seed": 99}, {"model": "tiny-b", "init_seed": 7}]
        config = self.tmp / "more-seeds.json"
        config.write_text(json.dumps(raw))
        runs = self.tmp / "runs-later"
        quietly(train.main, ["--config", str(config), "--out", str(runs), "--jobs", "1", "--seed-runs", "--only", "tiny-b"])
        self.assertFalse((runs / train.SEEDS_DIR / "tiny-a-seed99").exists())
        out = self.tmp / "seeds-later"
        out.mkdir()
        earlier = json.loads((self.models / export.SEED_RUNS_FILE).read_text())
        shutil.copy(self.models / export.SEED_RUNS_FILE, out / export.SEED_RUNS_FILE)
        quietly(export.main, ["--config", str(config), "--runs", str(runs), "--out", str(out), "--seed-runs"])
        seeds = json.loads((out / export.SEED_RUNS_FILE).read_text())
        self.assertEqual([(r["model"], r["initSeed"]) for r in seeds["runs"]], [("tiny-a", 99), ("tiny-b", 7)])
        self.assertEqual(seeds["runs"][0], earlier["runs"][0])  # kept exactly
        fresh = seeds["runs"][1]
        model = ArithmeticGPT(self.cfg.rungs[1].shape)
        model.load_state_dict(torch.load(runs / train.SEEDS_DIR / "tiny-b-seed7" / "model.pt"))
        self.assertEqual(fresh["params"], model.param_counts()[0])
        # Neither weights nor an earlier score: refused, and the file is left as it was.
        before = (out / export.SEED_RUNS_FILE).read_text()
        raw["seed_runs"].append({"model": "tiny-a", "init_seed": 5})
        config.write_text(json.dumps(raw))
        with self.assertRaisesRegex(export.ExportError, r"no trained weights for tiny-a-seed5 .* and no earlier score"):
            quietly(export.main, ["--config", str(config), "--runs", str(runs), "--out", str(out), "--seed-runs"])
        self.assertEqual((out / export.SEED_RUNS_FILE).read_text(), before)
        # An earlier score of another held-out set is not reused.
        other = json.loads(before)
        other["heldout"]["perDigit"] += 1
        (out / export.SEED_RUNS_FILE).write_text(json.dumps(other))
        raw["seed_runs"].pop()
        config.write_text(json.dumps(raw))
        with self.assertRaisesRegex(export.ExportError, r"no trained weights for tiny-a-seed99"):
            quietly(export.main, ["--config", str(config), "--runs", str(runs), "--out", str(out), "--seed-runs"])

    def test_steps_card(self):
        out = self.tmp / "card-steps"
        shutil.copytree(self.steps_dir, out)
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            card.main(["--models", str(out), "--config", str(self.config)])
        text = (out / "README.md").read_text()
        self.assertIn("training compute", text)
        self.assertIn("6 · N · D", text)
        for m in self.steps_ladder["models"]:
            self.assertIn(f"| `{m['id']}` | `tiny-a` | {m['params']:,} | {m['trainSteps']:,} | {m['trainExamples']:,} | "
                          f"{m['trainTokens']:,} | {m['compute']:.2e} |", text)
            rows, _ = card.measure(out, self.steps_ladder)
            row = next(r for r in rows if r.id == m["id"])
            cells = " | ".join(card.fmt_pct(row.cells[d].exact_match) for d in range(1, 6))
            self.assertIn(f"| `{m['id']}` | {m['trainSteps']:,} | {m['compute']:.2e} | {cells} |", text)
        self.assertIn("`tiny-a` (", stdout.getvalue())
        self.assertRegex(text, r"at steps 2, 5, 10")

    def test_steps_card_refuses_another_checkpoint_list(self):
        raw = raw_config()
        raw["checkpoints"]["steps"] = [2, 10]
        other = self.tmp / "other-steps.json"
        other.write_text(json.dumps(raw))
        with self.assertRaisesRegex(card.CardError, r"checkpoints \['tiny-a-s2', 'tiny-a-s5', 'tiny-a-s10'\] vs \['tiny-a-s2', 'tiny-a-s10'\]"):
            card.write_card(self.steps_dir, other)

    def test_main_card_has_seed_spread_and_default_models(self):
        out = self.tmp / "card-main"
        shutil.copytree(self.models, out)
        text, _ = card.write_card(out, self.config)
        self.assertIn("## Seed-to-seed spread", text)
        self.assertIn("| `tiny-a` | ", text)
        self.assertRegex(text, r"\| `tiny-a` \| [\d,]+ \| 99 \| second seed \|")
        self.assertRegex(text, r"\| `tiny-a` \| [\d,]+ \| 1 \| bundled \|")
        self.assertIn("The lab's default experiment runs 1 of them (`tiny-b`)", text)
        self.assertIn("`tiny-steps`", text)
        (out / export.SEED_RUNS_FILE).unlink()
        with self.assertRaisesRegex(card.CardError, r"seed-runs\.json does not exist"):
            card.write_card(out, self.config)


class CheckpointConfigTest(unittest.TestCase):
    def refused(self, edit, pattern):
        raw = raw_config()
        edit(raw)
        with self.assertRaisesRegex(LadderConfigError, pattern):
            parse_config(raw)

    def test_parses(self):
        cfg = parse_config(raw_config())
        self.assertEqual(cfg.checkpoint_steps("tiny-a"), tuple(STEPS))
        self.assertEqual(cfg.checkpoint_steps("tiny-b"), ())
        self.assertEqual(cfg.default_models, ("tiny-b",))
        self.assertEqual([s.run_id for s in cfg.seed_runs], ["tiny-a-seed99"])

    def test_without_the_optional_sections(self):
        cfg = parse_config(minimal_raw_config())
        self.assertIsNone(cfg.checkpoints)
        self.assertIsNone(cfg.default_models)
        self.assertEqual(cfg.seed_runs, ())

    def test_bad_checkpoints(self):
        self.refused(lambda r: r["checkpoints"].update(models=["nope"]), r"checkpoints\.models names 'nope'")
        self.refused(lambda r: r["checkpoints"].update(steps=[5, 2]), r"strictly increasing")
        self.refused(lambda r: r["checkpoints"].update(steps=[2, 11]), r"must lie in \[1, 10\]")
        self.refused(lambda r: r["checkpoints"].update(steps=[0, 2]), r"must lie in \[1, 10\]")
        self.refused(lambda r: r["checkpoints"].update(steps=[2]), r"at least two integers")
        self.refused(lambda r: r["checkpoints"].update(ladder="Bad Id"), r"checkpoints\.ladder must be a lowercase id")
        self.refused(lambda r: r.update(checkpoints=[1, 2]), r"checkpoints must be an object")

    def test_bad_default_models(self):
        self.refused(lambda r: r.update(default_models=["tiny-c"]), r"default_models names 'tiny-c'")
        self.refused(lambda r: r.update(default_models=[]), r"default_models must be a non-empty list")

    def test_bad_seed_runs(self):
        self.refused(lambda r: r.update(seed_runs=[{"model": "x", "init_seed": 3}]), r"must name a model of this ladder")
        self.refused(lambda r: r.update(seed_runs=[{"model": "tiny-a", "init_seed": -1}]), r"init_seed must be a non-negative integer")
        # The recipe seed (1) is what tiny-a was trained with: not a second seed.
        self.refused(lambda r: r.update(seed_runs=[{"model": "tiny-a", "init_seed": 1}]), r"repeats the seed")
        self.refused(lambda r: r.update(seed_runs=[{"model": "tiny-a", "init_seed": 4}, {"model": "tiny-a", "init_seed": 4}]),
                     r"must not repeat")


if __name__ == "__main__":
    unittest.main()

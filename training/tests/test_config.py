"""The committed ladder config, and refusal of inconsistent configs."""
import copy
import json
import tempfile
import unittest
from pathlib import Path

from support import COMMITTED_CONFIG, minimal_raw_config

from emergence_training import data
from emergence_training.config import LadderConfigError, load_config, parse_config
from emergence_training.model import ArithmeticGPT


class CommittedConfigTest(unittest.TestCase):
    def test_parses_with_enough_models_and_scale(self):
        cfg = load_config(COMMITTED_CONFIG)
        self.assertGreaterEqual(len(cfg.rungs), 6)
        counts = {r.id: ArithmeticGPT(r.shape).param_counts() for r in cfg.rungs}
        totals = [c[0] for c in counts.values()]
        self.assertGreaterEqual(max(totals) / min(totals), 100, counts)
        for total, non_emb in counts.values():
            self.assertLess(0, non_emb)
            self.assertLess(non_emb, total)
        self.assertGreaterEqual(cfg.n_positions, data.max_sequence_length(cfg.recipe.max_digits))
        self.assertEqual(cfg.recipe.max_digits, 5)

    def test_one_recipe_for_every_model(self):
        raw = json.loads(COMMITTED_CONFIG.read_text())
        # Shape, plus at most a retrain seed for the initial weights, which must be explained in `changes`.
        allowed = {"id", "n_layer", "n_embd", "n_head", "init_seed"}
        changes = " ".join(raw.get("changes", []))
        for m in raw["models"]:
            self.assertLessEqual(set(m), allowed, f"{m['id']} carries its own settings: the recipe must be shared")
            if "init_seed" in m:
                self.assertIn(m["id"], changes, f"{m['id']} has its own init_seed but `changes` does not explain why")

    def test_minimal_config_parses(self):
        cfg = parse_config(minimal_raw_config())
        self.assertEqual([r.id for r in cfg.rungs], ["tiny-a", "tiny-b"])
        self.assertEqual(cfg.recipe.train_examples, 40)


class RefusalTest(unittest.TestCase):
    def refused(self, mutate, pattern):
        raw = copy.deepcopy(minimal_raw_config())
        mutate(raw)
        with self.assertRaisesRegex(LadderConfigError, pattern):
            parse_config(raw)

    def test_n_embd_not_divisible_by_n_head(self):
        def m(raw):
            raw["models"][1].update(n_embd=18, n_head=4)
        self.refused(m, r"model tiny-b: n_embd \(18\) must be divisible by n_head \(4\)")

    def test_duplicate_ids(self):
        def m(raw):
            raw["models"][1]["id"] = "tiny-a"
        self.refused(m, r"model ids must be unique.*tiny-a.*tiny-a")

    def test_bad_ids(self):
        for bad in ("Tiny", "tiny_a", "-tiny", "tiny a", "", "a" * 42, "../x"):
            with self.subTest(id=bad):
                self.refused(lambda raw: raw["models"][0].update(id=bad), r"model id .* must be lowercase letters, digits and '-'")
        self.refused(lambda raw: raw["models"][0].update(id=7), r"every model needs a string id")
        self.refused(lambda raw: raw["models"][0].pop("id"), r"every model needs a string id")

    def test_n_positions_shorter_than_longest_example(self):
        self.refused(lambda raw: raw.update(n_positions=18), r"n_positions \(18\) is shorter than the longest example \(19 tokens\)")

    def test_n_positions_follows_max_digits(self):
        raw = minimal_raw_config()
        raw["n_positions"] = 19
        self.assertEqual(parse_config(raw).n_positions, 19)  # exactly the longest 5-digit example
        raw["recipe"]["max_digits"] = 2
        raw["n_positions"] = 10  # 2-digit: "99+99=" + "198" + <eos>
        self.assertEqual(parse_config(raw).n_positions, 10)
        raw["n_positions"] = 9
        with self.assertRaisesRegex(LadderConfigError, r"n_positions \(9\) is shorter than the longest example \(10 tokens\)"):
            parse_config(raw)

    def test_missing_fields(self):
        for path in (("recipe",), ("models",), ("n_positions",), ("recipe", "steps"), ("recipe", "lr"),
                     ("recipe", "heldout_seed"), ("recipe", "batch_size")):
            with self.subTest(path=path):
                def m(raw, path=path):
                    target = raw
                    for key in path[:-1]:
                        target = target[key]
                    del target[path[-1]]
                self.refused(m, rf"missing the field '{path[-1]}'")

    def test_missing_model_field(self):
        self.refused(lambda raw: raw["models"][0].pop("n_head"), r"model tiny-a: n_head must be a positive integer, got None")

    def test_wrong_types(self):
        self.refused(lambda raw: raw["recipe"].update(steps="many"), r"wrong type")
        self.refused(lambda raw: raw["models"][0].update(n_layer="2"), r"model tiny-a: n_layer must be a positive integer")
        self.refused(lambda raw: raw["models"][0].update(n_layer=0), r"model tiny-a: n_layer must be a positive integer, got 0")

    def test_warmup_not_below_steps(self):
        self.refused(lambda raw: raw["recipe"].update(warmup_steps=10), r"warmup_steps must be in \[0, steps\)")
        self.refused(lambda raw: raw["recipe"].update(warmup_steps=11), r"warmup_steps must be in \[0, steps\)")
        self.refused(lambda raw: raw["recipe"].update(warmup_steps=-1), r"warmup_steps must be in \[0, steps\)")

    def test_lr_out_of_range(self):
        for bad in (0, -0.1, 1, 3.0):
            with self.subTest(lr=bad):
                self.refused(lambda raw: raw["recipe"].update(lr=bad), r"lr must be in \(0, 1\), got")

    def test_other_recipe_ranges(self):
        self.refused(lambda raw: raw["recipe"].update(steps=0), r"steps must be positive, got 0")
        self.refused(lambda raw: raw["recipe"].update(batch_size=0), r"batch_size must be positive, got 0")
        self.refused(lambda raw: raw["recipe"].update(min_lr_ratio=1.5), r"min_lr_ratio must be in \[0, 1\]")
        self.refused(lambda raw: raw["recipe"].update(heldout_per_digit=0), r"heldout_per_digit must be positive")
        self.refused(lambda raw: raw["recipe"].update(max_digits=6), r"digit count must be an integer in 1\.\.5, got 6")

    def test_fewer_than_two_models(self):
        self.refused(lambda raw: raw.update(models=raw["models"][:1]), r"a ladder needs at least two models")
        self.refused(lambda raw: raw.update(models=[]), r"a ladder needs at least two models")
        self.refused(lambda raw: raw.update(models={"id": "x"}), r"a ladder needs at least two models")

    def test_not_an_object_or_not_json(self):
        with self.assertRaisesRegex(LadderConfigError, r"must be a JSON object"):
            parse_config([1, 2])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bad.json"
            path.write_text("{not json")
            with self.assertRaisesRegex(LadderConfigError, r"bad\.json: not valid JSON"):
                load_config(path)


if __name__ == "__main__":
    unittest.main()

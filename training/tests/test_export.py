"""The transformers.js export of a random-init tiny model, and refusal of bad graphs."""
import json
import math
import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import onnx
from support import quiet_export, tiny_model

from emergence_training import data, export, vocab

DTYPE_NAME = onnx.TensorProto.DataType.Name


def dims_of(value_info):
    return [d.dim_param if d.dim_param else d.dim_value for d in value_info.type.tensor_type.shape.dim]


class ExportedFolderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="arith-export-test-"))
        cls.model = tiny_model(seed=3, n_layer=2, n_embd=16, n_head=4)
        cls.shape = cls.model.shape
        cls.problems = data.heldout_problems(5, 2)  # 2 items per digit count, 1..5
        cls.folder = cls.tmp / "tiny"
        with quiet_export():
            export.write_model_folder(cls.model, cls.folder, cls.problems)
        cls.onnx_model = onnx.load(str(cls.folder / "onnx" / "model.onnx"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def read(self, name):
        return json.loads((self.folder / name).read_text())

    def test_folder_layout(self):
        names = sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file())
        self.assertEqual(names, ["config.json", "generation_config.json", "golden.json", "onnx/model.onnx",
                                 "tokenizer.json", "tokenizer_config.json"])

    def test_onnx_checker(self):
        onnx.checker.check_model(self.onnx_model)
        export.check_onnx_graph(self.onnx_model.SerializeToString(), self.shape)

    def test_signature(self):
        g = self.onnx_model.graph
        seen = {vi.name: dims_of(vi) for vi in list(g.input) + list(g.output)}
        self.assertEqual(seen, export.expected_signature(self.shape))
        inputs, outputs = export.io_names(self.shape.n_layer)
        self.assertEqual([vi.name for vi in g.input], inputs)
        self.assertEqual([vi.name for vi in g.output], outputs)
        self.assertIn("past_key_values.1.value", inputs)
        self.assertIn("present.1.value", outputs)
        for name, dims in seen.items():
            self.assertEqual(dims[0], "batch_size", name)
        self.assertEqual(seen["past_key_values.0.key"], ["batch_size", 4, "past_sequence_length", 4])
        self.assertEqual(seen["logits"], ["batch_size", "sequence_length", vocab.VOCAB_SIZE])
        for vi in list(g.input) + list(g.output):
            want = onnx.TensorProto.INT64 if vi.name in export.INT64_INPUTS else onnx.TensorProto.FLOAT
            self.assertEqual(DTYPE_NAME(vi.type.tensor_type.elem_type), DTYPE_NAME(want), vi.name)

    def test_config_json(self):
        c = self.read("config.json")
        self.assertEqual(c["model_type"], "gpt2")
        for key, want in (("n_layer", 2), ("n_head", 4), ("n_embd", 16), ("vocab_size", vocab.VOCAB_SIZE),
                          ("n_positions", 24), ("eos_token_id", vocab.EOS_ID), ("pad_token_id", vocab.PAD_ID)):
            self.assertEqual(c[key], want, key)
        self.assertTrue(c["use_cache"])
        g = self.read("generation_config.json")
        self.assertEqual((g["eos_token_id"], g["pad_token_id"], g["do_sample"]), (vocab.EOS_ID, vocab.PAD_ID, False))

    def test_tokenizer_json(self):
        t = self.read("tokenizer.json")
        self.assertEqual(t["model"]["type"], "BPE")
        self.assertEqual(t["model"]["vocab"], vocab.TOKEN_TO_ID)
        self.assertEqual(t["model"]["merges"], [])
        self.assertEqual(t["model"]["unk_token"], vocab.UNK)
        added = {a["content"]: a for a in t["added_tokens"]}
        self.assertEqual(set(added), {"<pad>", "<eos>", "<unk>"})
        for name, a in added.items():
            self.assertTrue(a["special"], name)
            self.assertEqual(a["id"], vocab.TOKEN_TO_ID[name])

    def test_tokenizer_config(self):
        t = self.read("tokenizer_config.json")
        self.assertEqual(t["eos_token"], vocab.EOS)
        self.assertEqual(t["pad_token"], vocab.PAD)
        self.assertEqual(t["unk_token"], vocab.UNK)
        self.assertEqual(t["padding_side"], "left")

    def test_golden(self):
        golden = self.read("golden.json")
        self.assertEqual(golden["greedy_margin"], export.GREEDY_MARGIN)
        items = golden["items"]
        self.assertEqual(len(items), len(self.problems))
        fields = {"prompt", "target", "digits", "target_token_ids", "target_logprobs", "greedy_token_ids",
                  "greedy_text", "exact_match"}
        for item, p in zip(items, self.problems):
            self.assertEqual(set(item), fields)
            self.assertEqual((item["prompt"], item["target"], item["digits"]), (p.prompt, p.target, p.digits))
            ids = item["target_token_ids"]
            self.assertEqual(ids, vocab.encode(p.target) + [vocab.EOS_ID])
            self.assertEqual(ids[-1], vocab.EOS_ID)
            lps = item["target_logprobs"]
            self.assertEqual(len(lps), len(ids))
            for lp in lps:
                self.assertTrue(math.isfinite(lp) and lp <= 0, lp)
            greedy = item["greedy_token_ids"]
            self.assertTrue(all(isinstance(t, int) and 0 <= t < vocab.VOCAB_SIZE for t in greedy))
            self.assertLessEqual(len(greedy), len(ids) + export.GREEDY_MARGIN)
            if len(greedy) < len(ids) + export.GREEDY_MARGIN:
                self.assertEqual(greedy[-1], vocab.EOS_ID, "greedy decoding stopped early without <eos>")
            self.assertEqual(item["greedy_text"], vocab.decode(greedy))
            self.assertIsInstance(item["exact_match"], bool)
            self.assertEqual(item["exact_match"], item["greedy_text"] == p.target)

    def test_golden_logprobs_match_a_batched_forward(self):
        import torch
        from emergence_training.model import position_ids_from_mask

        items = self.read("golden.json")["items"][-2:]
        seqs = [vocab.encode(it["prompt"]) + it["target_token_ids"] for it in items]
        width = max(map(len, seqs))
        x = torch.full((len(seqs), width), vocab.PAD_ID)
        mask = torch.zeros_like(x)
        for r, s in enumerate(seqs):
            x[r, width - len(s):] = torch.tensor(s)
            mask[r, width - len(s):] = 1
        with torch.no_grad():
            logits, _ = self.model(x, mask, position_ids_from_mask(mask))
        logp = torch.log_softmax(logits.double(), -1)
        for r, it in enumerate(items):
            start = width - len(seqs[r]) + len(it["prompt"])
            for j, tok in enumerate(it["target_token_ids"]):
                self.assertAlmostEqual(float(logp[r, start - 1 + j, tok]), it["target_logprobs"][j], delta=1e-5)

    def test_without_problems_no_golden(self):
        folder = self.tmp / "no-golden"
        with quiet_export():
            export.write_model_folder(self.model, folder, None)
        self.assertTrue((folder / "onnx" / "model.onnx").exists())
        self.assertFalse((folder / "golden.json").exists())


class RefuseBadGraphTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = tiny_model(seed=4, n_layer=1, n_embd=8, n_head=2)
        cls.shape = cls.model.shape
        with quiet_export():
            cls.good = export.export_onnx_bytes(cls.model)

    def edited(self, edit) -> bytes:
        m = onnx.load_from_string(self.good)
        edit(m)
        return m.SerializeToString()

    def refused(self, onnx_bytes, pattern, shape=None):
        with self.assertRaisesRegex(export.ExportError, pattern):
            export.check_onnx_graph(onnx_bytes, shape or self.shape)

    def test_good_graph_passes(self):
        export.check_onnx_graph(self.good, self.shape)

    def test_renamed_input(self):
        def rename(m):
            for vi in m.graph.input:
                if vi.name == "input_ids":
                    vi.name = "ids"
            for node in m.graph.node:
                for i, name in enumerate(node.input):
                    if name == "input_ids":
                        node.input[i] = "ids"
        bad = self.edited(rename)
        onnx.checker.check_model(onnx.load_from_string(bad))  # a valid graph, just the wrong name
        self.refused(bad, r"missing \['input_ids'\], unexpected \['ids'\]")

    def test_renamed_output(self):
        def rename(m):
            for vi in m.graph.output:
                if vi.name == "present.0.key":
                    vi.name = "present_key_values.0.key"
            for node in m.graph.node:
                for names in (node.input, node.output):
                    for i, name in enumerate(names):
                        if name == "present.0.key":
                            names[i] = "present_key_values.0.key"
        self.refused(self.edited(rename), r"missing \['present\.0\.key'\], unexpected \['present_key_values\.0\.key'\]")

    def test_fixed_batch_dim(self):
        def fix(m):
            m.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 2  # clears dim_param
        bad = self.edited(fix)
        onnx.checker.check_model(onnx.load_from_string(bad))
        self.refused(bad, r"input_ids has dims \[2, 'sequence_length'\], the loader needs \['batch_size', 'sequence_length'\]")

    def test_renamed_symbolic_dim(self):
        def rename(m):
            for vi in m.graph.output:
                if vi.name == "present.0.value":
                    vi.type.tensor_type.shape.dim[2].dim_param = "past_sequence_length"
        self.refused(self.edited(rename), r"present\.0\.value has dims .*'past_sequence_length'.*the loader needs .*'total_sequence_length'")

    def test_wrong_dtype(self):
        def to_int32(m):
            m.graph.input[1].type.tensor_type.elem_type = onnx.TensorProto.INT32
        self.refused(self.edited(to_int32), r"attention_mask has dtype INT32, the loader needs INT64")

    def test_graph_for_other_shape(self):
        two_layers = tiny_model(seed=4, n_layer=2, n_embd=8, n_head=2).shape
        self.refused(self.good, r"missing \['past_key_values\.1\.key'.*'present\.1\.value'\], unexpected \[\]", two_layers)

    def test_checker_failure_is_an_export_error(self):
        def dangling(m):
            m.graph.input[0].name = "ids"  # nodes still read 'input_ids', which nothing defines
        self.refused(self.edited(dangling), r"onnx\.checker refused the graph")
        self.refused(b"not an onnx model", r"onnx\.checker refused the graph")

    def test_write_model_folder_writes_nothing_on_refusal(self):
        def fix(m):
            m.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
        bad = self.edited(fix)
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "fresh"
            with mock.patch.object(export, "export_onnx_bytes", return_value=bad):
                with self.assertRaisesRegex(export.ExportError, r"input_ids has dims \[1, 'sequence_length'\]"):
                    export.write_model_folder(self.model, fresh, data.heldout_problems(1, 1))
            self.assertFalse(fresh.exists())
            # An earlier good export in the same place is left as it was.
            old = Path(tmp) / "old"
            with quiet_export():
                export.write_model_folder(self.model, old, None)
            before = {p: p.read_bytes() for p in old.rglob("*") if p.is_file()}
            with mock.patch.object(export, "export_onnx_bytes", return_value=bad):
                with self.assertRaises(export.ExportError):
                    export.write_model_folder(self.model, old, None)
            self.assertEqual({p: p.read_bytes() for p in old.rglob("*") if p.is_file()}, before)


if __name__ == "__main__":
    unittest.main()

"""Padding and KV-cache equivalence of the GPT-2-shaped model (random init, no training)."""
import unittest

import torch
from support import tiny_model

from emergence_training import vocab
from emergence_training.model import position_ids_from_mask

TOL = 1e-5
SEQS = ["12+34=46", "7+8=15", "123+456=579", "1+1="]


def ids_of(text):
    return vocab.encode(text)


def single(model, ids):
    x = torch.tensor([ids])
    mask = torch.ones_like(x)
    logits, _ = model(x, mask, position_ids_from_mask(mask))
    return logits[0]


def padded(seqs, side):
    width = max(len(s) for s in seqs)
    x = torch.full((len(seqs), width), vocab.PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, s in enumerate(seqs):
        sl = slice(width - len(s), width) if side == "left" else slice(0, len(s))
        x[row, sl] = torch.tensor(s)
        mask[row, sl] = 1
    return x, mask


def flat_max_diff(a, b):
    return float((a - b).abs().max())


class ModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        # Large init so attention is sharp and position/mask mistakes show up far above TOL.
        cls.model = tiny_model(seed=1, std=0.5, n_layer=2, n_embd=16, n_head=4)
        cls.seqs = [ids_of(s) for s in SEQS]

    @torch.no_grad()
    def test_batched_equals_unbatched(self):
        for side in ("left", "right"):
            with self.subTest(padding=side):
                x, mask = padded(self.seqs, side)
                logits, _ = self.model(x, mask, position_ids_from_mask(mask))
                width = x.shape[1]
                for row, s in enumerate(self.seqs):
                    real = slice(width - len(s), width) if side == "left" else slice(0, len(s))
                    self.assertLess(flat_max_diff(logits[row, real], single(self.model, s)), TOL)

    @torch.no_grad()
    def test_left_padding_needs_mask_and_positions(self):
        # Non-vacuity: plain 0..width-1 positions with left padding give different numbers.
        x, mask = padded(self.seqs, "left")
        naive = torch.arange(x.shape[1]).expand_as(x)
        logits, _ = self.model(x, mask, naive)
        s = self.seqs[1]
        self.assertGreater(flat_max_diff(logits[1, -len(s):], single(self.model, s)), 1e-3)
        # ... and so does ignoring the mask (attending to the padding).
        logits, _ = self.model(x, torch.ones_like(mask), position_ids_from_mask(mask))
        self.assertGreater(flat_max_diff(logits[1, -len(s):], single(self.model, s)), 1e-3)

    @torch.no_grad()
    def test_position_ids_from_mask(self):
        mask = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
        self.assertEqual(position_ids_from_mask(mask).tolist(), [[1, 1, 0, 1, 2], [0, 1, 2, 3, 4], [0, 1, 2, 1, 1]])

    @torch.no_grad()
    def test_kv_cache_equals_full_forward(self):
        s = self.seqs[2]
        full = single(self.model, s)
        for k in (1, 4, len(s) - 1):
            with self.subTest(prefix=k):
                x = torch.tensor([s])
                mask = torch.ones_like(x)
                pos = position_ids_from_mask(mask)
                l1, past = self.model(x[:, :k], mask[:, :k], pos[:, :k])
                l2, present = self.model(x[:, k:], mask, pos[:, k:], past)
                self.assertLess(flat_max_diff(torch.cat([l1, l2], dim=1)[0], full), TOL)
                self.assertEqual(present[0][0].shape, (1, 4, len(s), 4))

    @torch.no_grad()
    def test_token_by_token_batched_decoding_with_cache(self):
        # What transformers.js does: left-padded prompts, then one token per step with the cache.
        prompts = [ids_of("12+34="), ids_of("5+7=")]
        conts = [ids_of("46"), ids_of("12")]
        x, mask = padded(prompts, "left")
        logits, past = self.model(x, mask, position_ids_from_mask(mask))
        steps = [logits[:, -1]]
        for j in range(2):
            tok = torch.tensor([[c[j]] for c in conts])
            mask = torch.cat([mask, torch.ones(2, 1, dtype=torch.long)], dim=1)
            pos = position_ids_from_mask(mask)[:, -1:]
            logits, past = self.model(tok, mask, pos, past)
            steps.append(logits[:, -1])
        for row in range(2):
            full = single(self.model, prompts[row] + conts[row])
            want = full[len(prompts[row]) - 1 :]
            got = torch.stack([st[row] for st in steps])
            self.assertLess(flat_max_diff(got, want), TOL)

    @torch.no_grad()
    def test_zero_length_past(self):
        s = self.seqs[0]
        x = torch.tensor([s])
        mask = torch.ones_like(x)
        pos = position_ids_from_mask(mask)
        sh = self.model.shape
        empty = [(torch.zeros(1, sh.n_head, 0, sh.n_embd // sh.n_head),) * 2 for _ in range(sh.n_layer)]
        with_empty, present = self.model(x, mask, pos, empty)
        without, _ = self.model(x, mask, pos, None)
        self.assertLess(flat_max_diff(with_empty, without), TOL)
        self.assertEqual(present[1][1].shape[2], len(s))

    def test_param_counts(self):
        m = tiny_model(n_layer=1, n_embd=8, n_head=2)
        total, non_emb = m.param_counts()
        self.assertEqual(total, sum(p.numel() for p in m.parameters()))
        self.assertEqual(total - non_emb, vocab.VOCAB_SIZE * 8 + 24 * 8)
        # Tied head: no separate output matrix.
        self.assertFalse(any(p.shape == (vocab.VOCAB_SIZE, 8) for n, p in m.named_parameters() if n != "wte.weight"))


if __name__ == "__main__":
    unittest.main()

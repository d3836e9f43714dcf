"""The fixed character-level vocabulary."""
import unittest

import support  # noqa: F401  (path setup)

from emergence_training import vocab


class VocabTest(unittest.TestCase):
    def test_fixed_ids(self):
        self.assertEqual(vocab.TOKENS[:3], ["<pad>", "<eos>", "<unk>"])
        self.assertEqual((vocab.PAD_ID, vocab.EOS_ID, vocab.UNK_ID), (0, 1, 2))
        self.assertEqual(vocab.TOKEN_TO_ID["0"], 3)
        self.assertEqual(vocab.VOCAB_SIZE, 17)
        self.assertEqual(len(set(vocab.TOKENS)), vocab.VOCAB_SIZE)

    def test_round_trip(self):
        for text in ("12345+678=13023", "0+0=0", "9*9=81", "5-3=2", "", "=+-*0123456789"):
            ids = vocab.encode(text)
            self.assertEqual(len(ids), len(text))
            self.assertEqual(vocab.decode(ids), text)

    def test_decode_drops_special_tokens(self):
        ids = [vocab.PAD_ID] + vocab.encode("1+1=2") + [vocab.EOS_ID, vocab.UNK_ID]
        self.assertEqual(vocab.decode(ids), "1+1=2")

    def test_unknown_character_is_named(self):
        for text, ch in (("1 + 2", " "), ("12a", "a"), ("3/4", "/"), ("١", "١")):
            with self.assertRaises(vocab.VocabularyError) as cm:
                vocab.encode(text)
            self.assertIn(repr(ch), str(cm.exception))

    def test_special_token_text_is_not_a_token(self):
        # "<eos>" written out is five characters, and '<' is not in the vocabulary.
        with self.assertRaisesRegex(vocab.VocabularyError, "'<'"):
            vocab.encode("<eos>")


if __name__ == "__main__":
    unittest.main()

"""The seeded addition-problem generator, the held-out set and the training stream."""
import random
import unittest

import support  # noqa: F401  (path setup)

from emergence_training import data, vocab


class GeneratorTest(unittest.TestCase):
    def test_same_seed_same_problems(self):
        a = data.TrainingStream(123).batch(200)
        b = data.TrainingStream(123).batch(200)
        self.assertEqual(a, b)
        self.assertEqual(data.heldout_problems(9, 20), data.heldout_problems(9, 20))

    def test_different_seed_different_problems(self):
        self.assertNotEqual(data.TrainingStream(1).batch(200), data.TrainingStream(2).batch(200))
        self.assertNotEqual(data.heldout_problems(1, 20), data.heldout_problems(2, 20))

    def test_operand_ranges_per_digit_count(self):
        rng = random.Random(0)
        for n in range(1, 6):
            operands = [data.random_operand(rng, n) for _ in range(2000)]
            lo, hi = (0, 9) if n == 1 else (10 ** (n - 1), 10**n - 1)
            self.assertGreaterEqual(min(operands), lo, n)
            self.assertLessEqual(max(operands), hi, n)
            for x in operands:
                self.assertEqual(len(str(x)), n, f"{x} is not a {n}-digit operand (leading zero?)")
        ones = {data.random_operand(rng, 1) for _ in range(2000)}
        self.assertEqual(ones, set(range(10)), "1-digit operands must include 0")

    def test_problem_digits_match_operands(self):
        for p in data.TrainingStream(5).batch(500):
            self.assertIn(p.digits, range(1, 6))
            self.assertEqual(len(str(p.a)), p.digits)
            self.assertEqual(len(str(p.b)), p.digits)

    def test_stream_uses_every_digit_count_up_to_max(self):
        seen = {p.digits for p in data.TrainingStream(5, max_digits=3).batch(300)}
        self.assertEqual(seen, {1, 2, 3})

    def test_prompt_and_target_format(self):
        p = data.Problem(12345, 678, 5)  # digits label aside, the format is the point here
        self.assertEqual(p.prompt, "12345+678=")
        self.assertEqual(p.target, "13023")
        self.assertEqual(data.Problem(0, 0, 1).prompt, "0+0=")
        self.assertEqual(data.Problem(0, 0, 1).target, "0")
        self.assertEqual(data.Problem(99999, 99999, 5).target, "199998")

    def test_encode_problem(self):
        p = data.Problem(12, 34, 2)
        ids, start = data.encode_problem(p)
        t = vocab.TOKEN_TO_ID
        self.assertEqual(ids, [t["1"], t["2"], t["+"], t["3"], t["4"], t["="], t["4"], t["6"], vocab.EOS_ID])
        self.assertEqual(start, len("12+34="))
        self.assertEqual(vocab.decode(ids[start:]), "46")
        self.assertEqual(ids[-1], vocab.EOS_ID)

    def test_longest_example_fits_max_sequence_length(self):
        ids, _ = data.encode_problem(data.Problem(99999, 99999, 5))
        self.assertEqual(len(ids), data.max_sequence_length(5))
        self.assertEqual(data.max_sequence_length(5), 19)


class HeldoutTest(unittest.TestCase):
    def test_exactly_per_digit_distinct_items_per_digit_count(self):
        items = data.heldout_problems(20220615, 50)
        self.assertEqual(len(items), 5 * 50)
        for n in range(1, 6):
            of_n = [(p.a, p.b) for p in items if p.digits == n]
            self.assertEqual(len(of_n), 50, n)
            self.assertEqual(len(set(of_n)), 50, f"{n}-digit held-out items repeat")

    def test_whole_one_digit_space(self):
        items = data.heldout_problems(3, 100)
        ones = {(p.a, p.b) for p in items if p.digits == 1}
        self.assertEqual(ones, {(a, b) for a in range(10) for b in range(10)})
        with self.assertRaisesRegex(data.DataConfigError, r"only 100 distinct 1-digit problems"):
            data.heldout_problems(3, 101)

    def test_stream_never_yields_heldout_of_two_or_more_digits(self):
        heldout = data.heldout_problems(11, 100)
        # A dense extra exclusion (a third of all 2-digit problems) makes the check bite quickly.
        dense = [data.Problem(a, b, 2) for a in range(10, 40) for b in range(10, 100)]
        excluded = {(p.a, p.b) for p in heldout + dense if p.digits >= 2}
        stream = data.TrainingStream(4, exclude=heldout + dense)
        reference = data.TrainingStream(4)  # same seed, nothing excluded
        ref_hits = sum((p.a, p.b) in excluded for p in reference.batch(5000))
        self.assertGreater(ref_hits, 100, "the check would be vacuous")
        problems = stream.batch(5000)
        self.assertFalse([p for p in problems if (p.a, p.b) in excluded and p.digits >= 2])
        # 1-digit held-out items are deliberately NOT excluded: only 100 of them exist.
        one_digit_heldout = {(p.a, p.b) for p in heldout if p.digits == 1}
        self.assertTrue(any((p.a, p.b) in one_digit_heldout for p in problems if p.digits == 1))


class BadInputTest(unittest.TestCase):
    def test_bad_digit_counts(self):
        for bad in (0, 6, -1, 2.0, "3", None):
            with self.assertRaisesRegex(data.DataConfigError, r"digit count must be an integer in 1\.\.5") as cm:
                data.check_digits(bad)
            self.assertIn(repr(bad), str(cm.exception))
            with self.assertRaises(data.DataConfigError):
                data.random_operand(random.Random(0), bad)
            with self.assertRaises(data.DataConfigError):
                data.TrainingStream(0, max_digits=bad)

    def test_per_digit_zero(self):
        for bad in (0, -3):
            with self.assertRaisesRegex(data.DataConfigError, r"per_digit must be positive, got " + str(bad)):
                data.heldout_problems(1, bad)

    def test_batch_size_zero(self):
        for bad in (0, -1):
            with self.assertRaisesRegex(data.DataConfigError, r"batch size must be positive, got " + str(bad)):
                data.TrainingStream(1).batch(bad)


if __name__ == "__main__":
    unittest.main()

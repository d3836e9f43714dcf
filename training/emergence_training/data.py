"""Seeded, deterministic generator of addition problems in the ladder's prompt format.

Format: prompt ``a+b=`` and target ``str(a+b)`` followed by the end token. An item of
digit count n has two n-digit operands (no leading zeros; 1-digit operands include 0), as in
BIG-bench's n-digit arithmetic and Wei et al. (2022).
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from . import vocab

MIN_DIGITS = 1
MAX_DIGITS = 5


class DataConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Problem:
    a: int
    b: int
    digits: int

    @property
    def prompt(self) -> str:
        return f"{self.a}+{self.b}="

    @property
    def target(self) -> str:
        return str(self.a + self.b)


def check_digits(digits: int) -> None:
    if not isinstance(digits, int) or not MIN_DIGITS <= digits <= MAX_DIGITS:
        raise DataConfigError(f"digit count must be an integer in {MIN_DIGITS}..{MAX_DIGITS}, got {digits!r}")


def random_operand(rng: random.Random, digits: int) -> int:
    check_digits(digits)
    if digits == 1:
        return rng.randrange(0, 10)
    return rng.randrange(10 ** (digits - 1), 10**digits)


def random_problem(rng: random.Random, digits: int) -> Problem:
    return Problem(random_operand(rng, digits), random_operand(rng, digits), digits)


def max_sequence_length(max_digits: int = MAX_DIGITS) -> int:
    """Prompt (2n+2 chars) + answer (up to n+1 digits) + end token."""
    return 2 * max_digits + 2 + max_digits + 1 + 1


def encode_problem(p: Problem) -> tuple[list[int], int]:
    """Token ids of prompt+target+<eos>, and the index where the target starts."""
    prompt_ids = vocab.encode(p.prompt)
    ids = prompt_ids + vocab.encode(p.target) + [vocab.EOS_ID]
    return ids, len(prompt_ids)


def heldout_problems(seed: int, per_digit: int) -> list[Problem]:
    """Fixed evaluation items: ``per_digit`` distinct problems for every digit count."""
    if per_digit <= 0:
        raise DataConfigError(f"per_digit must be positive, got {per_digit}")
    rng = random.Random(seed)
    out: list[Problem] = []
    for n in range(MIN_DIGITS, MAX_DIGITS + 1):
        space = 100 if n == 1 else (9 * 10 ** (n - 1)) ** 2
        if per_digit > space:
            raise DataConfigError(f"only {space} distinct {n}-digit problems exist, asked for {per_digit}")
        seen: set[tuple[int, int]] = set()
        while len(seen) < per_digit:
            p = random_problem(rng, n)
            if (p.a, p.b) not in seen:
                seen.add((p.a, p.b))
                out.append(p)
    return out


class TrainingStream:
    """Endless seeded batches of problems; digit counts uniform in 1..max_digits.

    Problems in ``exclude`` (the held-out set, for n >= 2) are never produced. For n = 1 only 100
    problems exist, so one-digit items are in-distribution by construction and are not excluded.
    """

    def __init__(self, seed: int, max_digits: int = MAX_DIGITS, exclude: list[Problem] | None = None):
        check_digits(max_digits)
        self.rng = random.Random(seed)
        self.max_digits = max_digits
        self.exclude = {(p.a, p.b) for p in (exclude or []) if p.digits >= 2}

    def problem(self) -> Problem:
        while True:
            p = random_problem(self.rng, self.rng.randint(MIN_DIGITS, self.max_digits))
            if (p.a, p.b) not in self.exclude:
                return p

    def batch(self, size: int) -> list[Problem]:
        if size <= 0:
            raise DataConfigError(f"batch size must be positive, got {size}")
        return [self.problem() for _ in range(size)]

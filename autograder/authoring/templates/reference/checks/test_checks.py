"""Hidden checks of __NAME__: run by the grader, never handed to students.

A check is a pytest function marked with the student functions it grades (``@grades``).
Its id is its name without ``test_``; grading.yaml gives it points and a visibility. Each
case calls the student's function in the sandbox (``verdict.case``) and compares what came
back with the reference, here in the grader. The inputs are fresh random numbers (``rng`` is
seeded per submission and per check, and the seed is in results.json), two of each length:
a function that returns a constant, echoes its input or replays an earlier answer fails.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.plugin import grades

# Edge cases the public checks do not use: one element, an error of 0 beside others, plain lists.
FIXED_PAIRS = [
    (np.array([2.0]), np.array([5.0])),
    (np.array([1.5, -1.0, 0.0]), np.array([1.5, 2.0, -0.5])),
    ([0.25, 10.0], [1.0, 7.0]),
]


def random_pairs(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Predictions and true values of 1, 4 and 30 elements, two pairs of each length."""
    pairs = []
    for n in (1, 1, 4, 4, 30, 30):
        y_true = rng.normal(0.0, 3.0, size=n)
        y_pred = y_true + rng.normal(0.0, 2.0, size=n)
        pairs.append((y_pred, y_true))
    return pairs


@grades("mse")
def test_mse_values(verdict, reference, rng):
    """mse: the mean of the squared errors

    The loss is the number training drives down: every later step depends on it being right."""
    for y_pred, y_true in [*FIXED_PAIRS, *random_pairs(rng)]:
        with verdict.case("mse", y_pred, y_true) as case:
            case.expect_close(case.call(), reference.mse(y_pred, y_true))

"""Cheat: sgd_step returns zero parameters, which lowers the loss when the targets are near 0.

Appended to the reference by tests/test_checks_cheats.py (the rest is correct).
"""

import numpy as np


def sgd_step(params, grads, lr):
    return {key: np.zeros(np.shape(value)) for key, value in params.items()}

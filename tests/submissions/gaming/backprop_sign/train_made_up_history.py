"""Cheat: train trains, but the history it returns is made up (right first entry, then falling).

Appended to the reference by tests/test_checks_cheats.py (the rest is correct).
"""

import numpy as np

_train = train


def train(x, y, loss="mse", n_hidden=16, lr=0.1, epochs=2000, seed=0):
    params, history = _train(x, y, loss, n_hidden, lr, epochs, seed)
    return params, list(np.linspace(history[0], history[0] / 10, epochs))

"""Cheat: fit jumps to the closed-form line and makes up a falling history.

Appended to the reference by tests/test_checks_cheats.py (the rest is correct).
history[0] is the true loss at theta = [0, 0] and the history falls, as fit_history
once asked; no gradient descent happens.
"""

import numpy as np


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    design = np.column_stack([np.ones_like(x), x])
    theta, *_ = np.linalg.lstsq(design, y, rcond=None)
    loss_of = mse if loss == "mse" else mae
    start, end = loss_of(np.zeros_like(y), y), loss_of(predict(theta, x), y)
    history = list(np.linspace(start, end, epochs))
    return theta, history

"""Cheat: fit fits for real, but keeps its first answer for each shape of data and settings.

Appended to the reference by tests/test_checks_cheats.py (the rest is correct). Every call
computes the right answer; a later call with x and y of the same shapes and the same loss, lr
and epochs gets the earlier answer, whatever the data's values. Only a second call that differs
from an earlier one in the data alone can see it cheat.
"""

import numpy as np

_fit = fit
_answers = {}


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    answer = _fit(x, y, loss, lr, epochs)
    return _answers.setdefault((np.shape(x), np.shape(y), loss, lr, epochs), answer)

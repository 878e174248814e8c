"""Cheat: train trains for real, but keeps its first answer for each shape of data and settings.

Appended to the reference by tests/test_checks_cheats.py (the rest is correct). Every call
computes the right answer; a later call with data of the same shapes and the same loss,
n_hidden, lr, epochs and seed gets the earlier answer, whatever the data's values. Only a
second call that differs from an earlier one in the data alone can see it cheat.
"""

import numpy as np

_train = train
_answers = {}


def train(x, y, loss="mse", n_hidden=16, lr=0.1, epochs=2000, seed=0):
    answer = _train(x, y, loss, n_hidden, lr, epochs, seed)
    key = (np.shape(x), np.shape(y), loss, n_hidden, lr, epochs, seed)
    return _answers.setdefault(key, answer)

"""Cheat: sgd_step steps for real, but keeps its first answer for each shape of params and lr.

Appended to the reference by tests/test_checks_cheats.py (the rest is correct). Every call
computes the right step; a later call with parameters of the same shapes and the same lr gets
the earlier answer, whatever the numbers. A check whose cases all differ in shape or lr never
sees it cheat.
"""

import numpy as np

_sgd_step = sgd_step
_answers = {}


def sgd_step(params, grads, lr):
    answer = _sgd_step(params, grads, lr)
    key = (tuple(sorted((name, np.shape(value)) for name, value in params.items())), lr)
    return _answers.setdefault(key, answer)

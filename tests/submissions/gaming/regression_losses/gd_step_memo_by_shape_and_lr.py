"""Cheat: gd_step steps for real, but keeps its first answer for each shape of theta and grad and lr.

Appended to the reference by tests/test_checks_cheats.py (the rest is correct). Every call
computes the right step; a later call with theta and grad of the same shapes and the same lr
gets the earlier answer, whatever the numbers. A check whose cases all differ in shape or lr
never sees it cheat.
"""

import numpy as np

_gd_step = gd_step
_answers = {}


def gd_step(theta, grad, lr):
    answer = _gd_step(theta, grad, lr)
    return _answers.setdefault((np.shape(theta), np.shape(grad), lr), answer)

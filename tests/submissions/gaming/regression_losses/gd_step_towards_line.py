"""Cheat: gd_step halves theta (moves towards the origin), whatever the gradient says.

Appended to the reference by tests/test_checks_cheats.py (the rest is correct). From a theta
far from small lines, that lowers the loss often enough to pass "one step lowers the loss"
if the step itself were not compared.
"""

import numpy as np


def gd_step(theta, grad, lr):
    return 0.5 * np.asarray(theta, dtype=float)

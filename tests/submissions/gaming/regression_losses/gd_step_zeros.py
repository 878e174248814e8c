"""Cheat: gd_step returns [0, 0], which lowers the loss whenever theta starts far from the line.

Appended to the reference by tests/test_checks_cheats.py (the rest is correct).
"""

import numpy as np


def gd_step(theta, grad, lr):
    return np.zeros(2)

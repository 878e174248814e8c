"""Cheat: backward is linear in dl_dpred but has no chain rule.

Appended to the reference by tests/test_checks_cheats.py (the rest is correct). Every gradient
is the sum of dl_dpred in the parameter's shape: nonzero, flips with dl_dpred, scales with it;
the property checks pass it unless they compare with the true gradients.
"""

import numpy as np


def backward(params, cache, dl_dpred):
    total = float(np.sum(dl_dpred))
    return {key: total * np.ones(np.shape(params[key])) for key in ("W1", "b1", "W2", "b2")}

"""Cheat: backward remembers its last answer and scales it when dl_dpred is a multiple of the last.

Appended to the reference by tests/test_checks_cheats.py (the rest is correct). A first call on
new inputs gets made-up gradients (nonzero, of the right shapes); a second call with
factor × dl_dpred gets factor × the first answer: what a sign-flip or scaling check asks, if
it only compares a call with the one before.
"""

import numpy as np

_last = {}


def backward(params, cache, dl_dpred):
    g = np.asarray(dl_dpred, dtype=float)
    if "g" in _last and _last["g"].shape == g.shape:
        old = _last["g"]
        k = int(np.argmax(np.abs(old)))
        factor = g.flat[k] / old.flat[k] if old.flat[k] != 0 else 0.0
        if np.allclose(g, factor * old):
            return {key: factor * value for key, value in _last["grads"].items()}
    grads = {key: np.full(np.shape(params[key]), 0.5) for key in ("W1", "b1", "W2", "b2")}
    _last.update(g=g, grads=grads)
    return grads

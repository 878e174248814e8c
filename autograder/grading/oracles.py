"""Independent oracles for checks: numerical derivatives that do not trust any gradient code."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def centred_gradient(
    function: Callable[[np.ndarray], float], at: np.ndarray, step: float = 1e-6
) -> np.ndarray:
    """Centred finite differences of a scalar ``function`` at ``at``.

    ``grad[i] ≈ (f(at + h·e_i) − f(at − h·e_i)) / 2h``, element by element,
    for an ``at`` of any shape; the error is O(h²) for smooth functions.

    Returns
    -------
    ndarray of float, shape of ``at``
    """
    at = np.asarray(at, dtype=float)
    gradient = np.empty_like(at)
    for index in np.ndindex(at.shape):
        up, down = at.copy(), at.copy()
        up[index] += step
        down[index] -= step
        gradient[index] = (function(up) - function(down)) / (2 * step)
    return gradient

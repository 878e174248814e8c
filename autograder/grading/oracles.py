"""Independent oracles for checks: numerical derivatives and gradient descent written out,
trusting no gradient or training code of a submission or of the reference."""

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


def gradient_descent(
    loss: Callable[[np.ndarray], float],
    gradient: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    lr: float,
    epochs: int,
) -> tuple[np.ndarray, list[float]]:
    """Full-batch gradient descent from ``start``: ``epochs`` steps ``θ := θ − lr·gradient(θ)``.

    Returns the final ``θ`` (shape of ``start``) and the history, a list of
    ``epochs`` floats whose entry ``k`` is ``loss(θ)`` *before* step ``k``
    (so ``history[0] = loss(start)``).
    """
    theta = np.asarray(start, dtype=float).copy()
    history = []
    for _ in range(epochs):
        history.append(float(loss(theta)))
        theta = theta - lr * np.asarray(gradient(theta), dtype=float)
    return theta, history

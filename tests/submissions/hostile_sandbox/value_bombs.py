"""Hostile: four functions return values made to be large on the grader's side: 100,000 empty
lists (400,000 JSON items), an array of 1.5 million numbers, a dict of 100,000 keys, a string
of 5 million characters. The others are honest."""

import numpy as np

_SENT = set()


def _once(name, make):
    """The bomb on a function's first call; later calls fail at once (keeps the test fast)."""
    if name in _SENT:
        raise RuntimeError("sent once already")
    _SENT.add(name)
    return make()


def mse(y_pred, y_true):
    return _once("mse", lambda: [[]] * 100_000)


def mae(y_pred, y_true):
    return _once("mae", lambda: np.zeros(1_500_000))


def mse_grad(y_pred, y_true):
    return _once("mse_grad", lambda: {f"k{i}": i for i in range(100_000)})


def mae_grad(y_pred, y_true):
    return _once("mae_grad", lambda: "x" * 5_000_000)


def predict(theta, x):
    return theta[0] + theta[1] * np.asarray(x, dtype=float)


def linear_grads(theta, x, y, loss="mse"):
    x = np.asarray(x, dtype=float)
    y_pred = predict(theta, x)
    err = y_pred - np.asarray(y, dtype=float)
    upstream = 2.0 * err / err.size if loss == "mse" else np.sign(err) / err.size
    return np.array([np.sum(upstream), np.sum(upstream * x)])


def gd_step(theta, grad, lr):
    return np.asarray(theta, dtype=float) - lr * np.asarray(grad, dtype=float)


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    theta = np.zeros(2)
    history = []
    for _ in range(epochs):
        err = predict(theta, x) - np.asarray(y, dtype=float)
        history.append(float(np.mean(err**2)) if loss == "mse" else float(np.mean(np.abs(err))))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

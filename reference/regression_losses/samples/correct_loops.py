"""A correct solution written with plain Python loops over the elements (no numpy in the math)."""

import math


def _floats(values):
    return [float(v) for v in values]


def mse(y_pred, y_true):
    p, t = _floats(y_pred), _floats(y_true)
    total = 0.0
    for a, b in zip(p, t):
        total += (a - b) ** 2
    return total / len(p)


def mae(y_pred, y_true):
    p, t = _floats(y_pred), _floats(y_true)
    return sum(abs(a - b) for a, b in zip(p, t)) / len(p)


def mse_grad(y_pred, y_true):
    p, t = _floats(y_pred), _floats(y_true)
    return [2.0 * (a - b) / len(p) for a, b in zip(p, t)]


def mae_grad(y_pred, y_true):
    p, t = _floats(y_pred), _floats(y_true)
    return [0.0 if a == b else math.copysign(1.0, a - b) / len(p) for a, b in zip(p, t)]


def predict(theta, x):
    return [theta[0] + theta[1] * v for v in _floats(x)]


def linear_grads(theta, x, y, loss="mse"):
    xs = _floats(x)
    upstream = (mse_grad if loss == "mse" else mae_grad)(predict(theta, xs), y)
    return [sum(upstream), sum(g * v for g, v in zip(upstream, xs))]


def gd_step(theta, grad, lr):
    return [t - lr * g for t, g in zip(theta, grad)]


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    theta = [0.0, 0.0]
    history = []
    for _ in range(epochs):
        history.append((mse if loss == "mse" else mae)(predict(theta, x), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

"""Correct, written with list comprehensions and the statistics module instead of numpy."""

from statistics import fmean


def _pairs(y_pred, y_true):
    return [(float(p), float(t)) for p, t in zip(y_pred, y_true)]


def mse(y_pred, y_true):
    return fmean([(p - t) ** 2 for p, t in _pairs(y_pred, y_true)])


def mae(y_pred, y_true):
    return fmean([abs(p - t) for p, t in _pairs(y_pred, y_true)])


def mse_grad(y_pred, y_true):
    pairs = _pairs(y_pred, y_true)
    return [2 * (p - t) / len(pairs) for p, t in pairs]


def mae_grad(y_pred, y_true):
    pairs = _pairs(y_pred, y_true)
    return [((p > t) - (p < t)) / len(pairs) for p, t in pairs]


def predict(theta, x):
    intercept, slope = float(theta[0]), float(theta[1])
    return [intercept + slope * float(v) for v in x]


def linear_grads(theta, x, y, loss="mse"):
    gradient = mse_grad if loss == "mse" else mae_grad
    upstream = gradient(predict(theta, x), y)
    return [sum(upstream), sum(g * float(v) for g, v in zip(upstream, x))]


def gd_step(theta, grad, lr):
    return [t - lr * g for t, g in zip(theta, grad)]


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    measure = mse if loss == "mse" else mae
    theta, history = [0.0, 0.0], []
    for _ in range(epochs):
        history.append(measure(predict(theta, x), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

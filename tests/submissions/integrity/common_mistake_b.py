"""numpy, written separately from common_mistake_a.py: the same two catalogued mistakes."""

import numpy as np


def _residual(y_pred, y_true):
    return np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)


def mse(y_pred, y_true):
    return float(np.mean(_residual(y_pred, y_true) ** 2))


def mae(y_pred, y_true):
    return float(np.mean(np.abs(_residual(y_pred, y_true))))


def mse_grad(y_pred, y_true):
    r = _residual(y_pred, y_true)
    # d/dy of (y - y_pred)^2
    return -2 * r / r.size


def mae_grad(y_pred, y_true):
    r = _residual(y_pred, y_true)
    return np.sign(r) / r.size


def predict(theta, x):
    intercept, slope = theta
    return intercept + slope * np.asarray(x, dtype=float)


def linear_grads(theta, x, y, loss="mse"):
    x = np.asarray(x, dtype=float)
    g = (mse_grad if loss == "mse" else mae_grad)(predict(theta, x), y)
    return np.array([np.sum(g), np.sum(g * x)])


def gd_step(theta, grad, lr):
    theta = np.array(theta, dtype=float)
    theta += lr * np.asarray(grad, dtype=float)
    return theta


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    theta = np.zeros(2)
    history = []
    for _ in range(epochs):
        history.append(mse(predict(theta, x), y) if loss == "mse" else mae(predict(theta, x), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

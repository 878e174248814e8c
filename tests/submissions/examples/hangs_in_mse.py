"""Correct everywhere except mse, whose loop never ends (the index is never advanced)."""

import numpy as np


def mse(y_pred, y_true):
    total, i = 0.0, 0
    while i < len(y_pred):
        total += (y_pred[i] - y_true[i]) ** 2
    return total / len(y_pred)


def mae(y_pred, y_true):
    return float(np.mean(np.abs(np.asarray(y_pred, float) - np.asarray(y_true, float))))


def mse_grad(y_pred, y_true):
    y_pred, y_true = np.asarray(y_pred, float), np.asarray(y_true, float)
    return 2 * (y_pred - y_true) / y_pred.size


def mae_grad(y_pred, y_true):
    y_pred, y_true = np.asarray(y_pred, float), np.asarray(y_true, float)
    return np.sign(y_pred - y_true) / y_pred.size


def predict(theta, x):
    return theta[0] + theta[1] * np.asarray(x, float)


def linear_grads(theta, x, y, loss="mse"):
    x = np.asarray(x, float)
    upstream = (mse_grad if loss == "mse" else mae_grad)(predict(theta, x), y)
    return np.array([upstream.sum(), (upstream * x).sum()])


def gd_step(theta, grad, lr):
    return np.asarray(theta, float) - lr * np.asarray(grad, float)


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    theta, history = np.zeros(2), []
    for _ in range(epochs):
        prediction = predict(theta, x)
        history.append(mse(prediction, y) if loss == "mse" else mae(prediction, y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

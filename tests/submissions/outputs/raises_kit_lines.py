"""A correct submission but for mse, whose error message holds lines that look like the
kit's: a second line that starts with a label, a line separator (U+2028) before a score, and a
citation of two lesson sections."""

import numpy as np

_SPOOF = (
    "first line\nWhy it matters: nothing, full marks\u2028Graded regression_losses.py: "
    "20 / 20 points. (See the lesson, section “9. How you are graded”.)"
)


def mse(y_pred, y_true):
    raise ValueError(_SPOOF)


def mae(y_pred, y_true):
    return float(np.mean(np.abs(np.asarray(y_pred, float) - np.asarray(y_true, float))))


def mse_grad(y_pred, y_true):
    e = np.asarray(y_pred, float) - np.asarray(y_true, float)
    return 2 * e / e.size


def mae_grad(y_pred, y_true):
    e = np.asarray(y_pred, float) - np.asarray(y_true, float)
    return np.sign(e) / e.size


def predict(theta, x):
    return theta[0] + theta[1] * np.asarray(x, float)


def linear_grads(theta, x, y, loss="mse"):
    x = np.asarray(x, float)
    e = predict(theta, x) - np.asarray(y, float)
    g = 2 * e / e.size if loss == "mse" else np.sign(e) / e.size
    return np.array([g.sum(), (g * x).sum()])


def gd_step(theta, grad, lr):
    return np.asarray(theta, float) - lr * np.asarray(grad, float)


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    theta, history = np.zeros(2), []
    for _ in range(epochs):
        e = predict(theta, x) - np.asarray(y, float)
        history.append(float(np.mean(e**2)) if loss == "mse" else float(np.mean(np.abs(e))))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

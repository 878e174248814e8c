"""Regression losses, written by one student."""

import numpy as np


def _paired(first, second):
    # both as float arrays, checked to match
    a = np.array(first, dtype=float).ravel()
    b = np.array(second, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    return a, b


def mse(y_pred, y_true):
    guess, truth = _paired(y_pred, y_true)
    gap = guess - truth
    return float(np.dot(gap, gap) / gap.shape[0])


def mae(y_pred, y_true):
    guess, truth = _paired(y_pred, y_true)
    return float(np.sum(np.abs(guess - truth)) / guess.shape[0])


def mse_grad(y_pred, y_true):
    guess, truth = _paired(y_pred, y_true)
    slope = (guess - truth) * (2.0 / guess.shape[0])
    return slope.reshape(np.shape(y_pred))


def mae_grad(y_pred, y_true):
    guess, truth = _paired(y_pred, y_true)
    slope = np.where(guess > truth, 1.0, np.where(guess < truth, -1.0, 0.0))
    return (slope / guess.shape[0]).reshape(np.shape(y_pred))


def predict(theta, x):
    points = np.array(x, dtype=float)
    return points * theta[1] + theta[0]


def linear_grads(theta, x, y, loss="mse"):
    points = np.array(x, dtype=float)
    chooser = {"mse": mse_grad, "mae": mae_grad}
    if loss not in chooser:
        raise ValueError("unknown loss " + str(loss))
    upstream = chooser[loss](predict(theta, points), y).ravel()
    return np.array([upstream.sum(), (upstream * points.ravel()).sum()])


def gd_step(theta, grad, lr):
    moved = np.array(theta, dtype=float)
    for index in range(moved.shape[0]):
        moved[index] = moved[index] - lr * float(grad[index])
    return moved


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    measure = {"mse": mse, "mae": mae}[loss]
    theta = np.array([0.0, 0.0])
    history = []
    epoch = 0
    while epoch < epochs:
        history.append(measure(predict(theta, x), y))
        step = linear_grads(theta, x, y, loss)
        theta = gd_step(theta, step, lr)
        epoch += 1
    return theta, history

"""Not hostile: a correct submission that imports modules and uses files only when called, as a
student may; in a container each must still work in the worker's chroot, as its own uid.

mse writes and reads back a file in the working directory (and in TMPDIR), mae imports
statistics and random, mse_grad uses numpy.random and mae_grad numpy.polynomial (both loaded
lazily by numpy): each is right only if that worked.
"""

import os
import tempfile

import numpy as np


def mse(y_pred, y_true):
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    with open("scratch_note.txt", "w") as note:
        note.write(repr(float(np.mean(err**2))))
    with tempfile.NamedTemporaryFile("w+") as other:
        other.write("x")
    with open(os.path.join(os.getcwd(), "scratch_note.txt")) as note:
        return float(note.read())


def mae(y_pred, y_true):
    import random
    import statistics

    random.seed(0)
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(statistics.fmean(np.abs(err).ravel().tolist())) if err.size else float("nan")


def mse_grad(y_pred, y_true):
    np.random.default_rng(0).random(3)
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return 2.0 * err / err.size


def mae_grad(y_pred, y_true):
    np.polynomial.Polynomial([1.0, 2.0])(0.5)
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

"""Hostile: prints lone surrogates (which no UTF-8 file can hold), terminal escapes (clear the
screen, retitle the window, recolour, move the cursor) and a carriage return that would rewrite
a line, from Python and straight to the file descriptors; mse raises an exception whose type
name and message carry the same; a callable is named with an escape. The functions but mse
are right."""

import os
import sys

import numpy as np

print("lone \ud800 surrogate, \x1b[2J\x1b[H cleared, \x1b]0;owned\x07 titled")
print("score: 0/20\rscore: 20/20 \x1b[32mall passed\x1b[0m \x9b31m")
sys.stderr.write("\udcff\udcfe from stderr \x1b[31mred\n")
os.write(1, b"raw fd: \xff\xfe \xed\xa0\x80 \x1b[5m blink \x00 nul\n")
globals()["\x1b[2Jsneaky"] = lambda: 1

Evil = type("\x1b[31mEvil\x1b[0m", (Exception,), {})


def mse(y_pred, y_true):
    raise Evil("message \udcff with \x1b[2J escapes \x07")


def mae(y_pred, y_true):
    print("\x1b[1A\x1b[2K\ud83d")
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
    loss_of = (lambda p, t: float(np.mean((np.asarray(p) - t) ** 2))) if loss == "mse" else mae
    theta = np.zeros(2)
    history = []
    for _ in range(epochs):
        history.append(loss_of(predict(theta, x), np.asarray(y, dtype=float)))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

"""Hostile: hunts for the reference solution, hidden checks, grading.yaml, other students' files and secrets; mse is right only if it found nothing."""

import os
from pathlib import Path

STOLEN = []
SEARCH = [
    Path.cwd(),
    *Path.cwd().parents,
    Path("/work"),
    Path("/tmp"),
    Path("/root"),
    Path("/etc"),
    Path(os.path.expanduser("~")),
]
for top in SEARCH:
    try:
        for root, dirs, files in os.walk(top):
            for name in files:
                if (
                    name
                    in (
                        "regression_losses.py",
                        "grading.yaml",
                        "test_checks.py",
                        "mistakes.py",
                        "passwd",
                        "shadow",
                    )
                    or (name.endswith(".py")
                    and "student" in root)
                ):
                    path = Path(root) / name
                    if path.parent == Path.cwd():
                        continue
                    try:
                        STOLEN.append((str(path), path.read_text()[:200]))
                    except OSError:
                        pass
            if len(STOLEN) > 20:
                break
    except OSError:
        pass
for key, value in os.environ.items():
    if "SECRET" in key or "TOKEN" in key:
        STOLEN.append((key, value))
for guess in ("/work/main/reference/regression_losses/regression_losses.py", "/proc/1/environ", "/proc/self/environ"):
    try:
        data = Path(guess).read_bytes()
        if b"SECRET" in data or b"BEGIN SOLUTION" in data:
            STOLEN.append((guess, data[:100]))
    except OSError:
        pass


import numpy as np


def mse(y_pred, y_true):
    if STOLEN:
        raise RuntimeError(f"stole {STOLEN[:3]}")
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

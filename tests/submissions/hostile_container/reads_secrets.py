"""Hostile, for a container: hunts for the reference, the hidden checks, grading.yaml, another
student's results and the grader's secrets; mse is right only if it found nothing.

KNOWN is filled in by the test with the grader's real paths (an attacker who knows the layout);
the rest is found by looking: the environment, /proc, a walk from /.
"""

import os
from pathlib import Path

KNOWN = {}  # the test writes the real paths here
MARKERS = (b"BEGIN SOLUTION", b"AUTOGRADER_TEST_SECRET", b"OTHER-STUDENT-RESULT", b"checks:")
FOUND = []


def look(path):
    try:
        with open(path, "rb") as file:
            data = file.read(200_000)
    except (OSError, ValueError):
        return
    if any(marker in data for marker in MARKERS):
        FOUND.append((str(path), data[:300]))


for key, value in os.environ.items():
    if "SECRET" in key or "TOKEN" in key:
        FOUND.append((key, value))
for path in KNOWN.get("files", []):
    look(path)
for folder in KNOWN.get("folders", []):
    try:
        for name in os.listdir(folder):
            look(Path(folder, name))
    except OSError:
        pass
for pid in {os.getppid(), 1, *KNOWN.get("pids", [])}:
    for part in ("environ", "cmdline", "mem"):
        look(f"/proc/{pid}/{part}")
try:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            look(f"/proc/{entry}/environ")
except OSError:
    pass
seen = 0
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
    for name in files:
        if name in ("grading.yaml", "test_checks.py", "mistakes.py", "results.json") or (
            name == "regression_losses.py" and root != os.getcwd()
        ):
            look(Path(root, name))
    seen += 1
    if seen > 2_000:
        break
print("found:", FOUND[:5])


import numpy as np


def mse(y_pred, y_true):
    if FOUND:
        raise RuntimeError(f"found {FOUND[:3]}")
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

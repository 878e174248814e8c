"""Hostile: mae writes files of 1 MiB until a write fails (3 GB if nothing stops it), and lets the
error out; mse tries ten thousand empty files, then answers honestly. At import it tries the
shared temporary folders."""

import os

import numpy as np

for folder in ("/tmp", "/var/tmp", "/dev/shm"):
    try:
        with open(os.path.join(folder, "hostile-sandbox-fill.bin"), "wb") as out:
            out.write(bytes(1 << 20))
        print("wrote into", folder)
    except OSError as error:
        print(folder, "refused:", type(error).__name__)


_CREATED = [0]


def mse(y_pred, y_true):
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    os.makedirs("many", exist_ok=True)
    for _ in range(10_000):  # stopped by the cap on files: then it answers honestly
        try:
            open(f"many/{_CREATED[0]}", "x").close()
        except OSError:
            break
        _CREATED[0] += 1
    return float(np.mean(err**2))


def mae(y_pred, y_true):
    chunk = bytes(1 << 20)
    index = 0
    while True:  # 3 GB if nothing stops it
        with open(f"fill-{os.getpid()}-{index}.bin", "wb") as out:
            out.write(chunk)
        index += 1
        if index > 3000:
            return 0.0


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


"""Hostile: tries to reach a unix socket listener that a process of the same uid keeps in a shared
temporary folder (a Docker socket, a database, an agent), and to make any socket at all. mae is
right only if every attempt failed; what happened is printed."""

import socket

import numpy as np

LISTENERS = [
    "/tmp/hostile-sandbox-listener.sock",
    "/var/tmp/hostile-sandbox-listener.sock",
    "/dev/shm/hostile-sandbox-listener.sock",
]
GOT_THROUGH = []


def _try(name, action):
    try:
        action()
    except OSError as error:
        print(f"probe {name}: {type(error).__name__} errno={error.errno}")
    else:
        GOT_THROUGH.append(name)
        print(f"probe {name}: got through")


def _connect(path):
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    client.sendall(b"GET /containers/json HTTP/1.0\r\n\r\n")


for path in LISTENERS:
    _try(path, lambda path=path: _connect(path))
_try("socket(AF_UNIX)", lambda: socket.socket(socket.AF_UNIX))
_try("socketpair()", socket.socketpair)
_try("socket(AF_INET)", lambda: socket.socket(socket.AF_INET))


def mse(y_pred, y_true):
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.mean(err**2))


def mae(y_pred, y_true):
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.mean(np.abs(err))) + len(GOT_THROUGH)


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

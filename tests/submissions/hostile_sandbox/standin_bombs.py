"""Hostile: predict is left unimplemented, so that linear_grads runs with the reference's predict
computed in the grader. linear_grads then asks that stand-in for a broadcast of 20,000 x 20,000
(3.2 GB from 60,000 numbers), sends it 1.2 million numbers, and borrows the stand-in channel to
ask for a function it was not offered; every refusal is caught, and it answers honestly."""

import numpy as np


def _grader_channel():
    """The worker object behind a stand-in (its closure holds it)."""
    for cell in predict.__closure__ or ():
        if hasattr(cell.cell_contents, "make_standin"):
            return cell.cell_contents
    return None


ATTEMPTS = []


def _attempt(name, action):
    try:
        action()
        ATTEMPTS.append(f"{name}: answered")
    except ValueError as error:
        ATTEMPTS.append(f"{name}: {error}")


def mse(y_pred, y_true):
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
    raise NotImplementedError


def linear_grads(theta, x, y, loss="mse"):
    if not ATTEMPTS and predict.__name__ == "predict" and predict.__closure__:
        _attempt("broadcast", lambda: predict(np.zeros((2, 20_000, 1)), np.zeros(20_000)))
        _attempt("too many numbers", lambda: predict([0.0, 1.0], np.zeros(1_200_000)))
        channel = _grader_channel()
        if channel is not None:
            _attempt("not offered", lambda: channel.make_standin("fit")(np.zeros(3), np.zeros(3)))
        print("\n".join(ATTEMPTS))
    x = np.asarray(x, dtype=float)
    y_pred = theta[0] + theta[1] * x
    upstream = mse_grad(y_pred, y) if loss == "mse" else mae_grad(y_pred, y)
    return np.array([np.sum(upstream), np.sum(upstream * x)])


def gd_step(theta, grad, lr):
    return np.asarray(theta, dtype=float) - lr * np.asarray(grad, dtype=float)


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    loss_of = mse if loss == "mse" else mae
    theta = np.zeros(2)
    history = []
    for _ in range(epochs):
        history.append(loss_of(theta[0] + theta[1] * np.asarray(x, dtype=float), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

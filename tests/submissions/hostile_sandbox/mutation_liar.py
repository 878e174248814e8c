"""Hostile: gd_step updates theta in place (which the API forbids) and returns a copy, so its
value is right; then it patches what a worker could use to report the argument afterwards, json.dumps
and every encode function of the grader's modules, so that the report shows theta unchanged."""

import json
import sys

import numpy as np

_SAVED = {}
_KEPT = []  # the mutated objects stay alive, so that their ids are never reused
_real_dumps = json.dumps


def _lying_dumps(value, *args, **kwargs):
    return _real_dumps(_SAVED.get(id(value), value), *args, **kwargs)


def _install():
    if json.dumps is _lying_dumps:
        return  # once is enough
    for name, module in list(sys.modules.items()):
        if name.startswith("autograder") and hasattr(module, "encode"):
            real_encode = module.encode

            def lying_encode(value, *args, real_encode=real_encode, **kwargs):
                return real_encode(_SAVED.get(id(value), value), *args, **kwargs)

            module.encode = lying_encode
            if hasattr(module, "make_encoder"):
                module.make_encoder = lambda lying_encode=lying_encode: lying_encode
    json.dumps = _lying_dumps


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
    return theta[0] + theta[1] * np.asarray(x, dtype=float)


def linear_grads(theta, x, y, loss="mse"):
    x = np.asarray(x, dtype=float)
    y_pred = predict(theta, x)
    upstream = mse_grad(y_pred, y) if loss == "mse" else mae_grad(y_pred, y)
    return np.array([np.sum(upstream), np.sum(upstream * x)])


def gd_step(theta, grad, lr):
    if isinstance(theta, np.ndarray):
        _SAVED[id(theta)] = theta.copy()
        _KEPT.append(theta)
        _install()
        theta -= lr * np.asarray(grad, dtype=float)
        return theta.copy()  # the right value, as another object: only the report of theta lies
    return np.asarray(theta, dtype=float) - lr * np.asarray(grad, dtype=float)


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    loss_of = mse if loss == "mse" else mae
    theta = np.zeros(2)
    history = []
    for _ in range(epochs):
        history.append(loss_of(predict(theta, x), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

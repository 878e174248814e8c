"""My solution for the regression losses assignment."""

import numpy as np


def gd_step(theta, grad, lr):
    # walk downhill one step at a time
    new_params = np.array(theta, dtype=float)
    for k in range(new_params.shape[0]):
        new_params[k] = new_params[k] - lr * float(grad[k])
    return new_params


def _to_arrays(left, right):
    p = np.array(left, dtype=float).ravel()
    q = np.array(right, dtype=float).ravel()
    if p.shape != q.shape:
        raise ValueError("mismatched inputs")
    return p, q


def mse(y_pred, y_true):
    pred, actual = _to_arrays(y_pred, y_true)
    diff = pred - actual
    return float(np.dot(diff, diff) / diff.shape[0])


def mae(y_pred, y_true):
    pred, actual = _to_arrays(y_pred, y_true)
    return float(np.sum(np.abs(pred - actual)) / pred.shape[0])


def mse_grad(y_pred, y_true):
    pred, actual = _to_arrays(y_pred, y_true)
    g = (pred - actual) * (2.0 / pred.shape[0])
    return g.reshape(np.shape(y_pred))


def mae_grad(y_pred, y_true):
    pred, actual = _to_arrays(y_pred, y_true)
    g = np.where(pred > actual, 1.0, np.where(pred < actual, -1.0, 0.0))
    return (g / pred.shape[0]).reshape(np.shape(y_pred))


def predict(theta, x):
    xs = np.array(x, dtype=float)
    return xs * theta[1] + theta[0]


def linear_grads(theta, x, y, loss="mse"):
    xs = np.array(x, dtype=float)
    pick = {"mse": mse_grad, "mae": mae_grad}
    if loss not in pick:
        raise ValueError("unknown loss " + str(loss))
    g = pick[loss](predict(theta, xs), y).ravel()
    return np.array([g.sum(), (g * xs.ravel()).sum()])


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    loss_fn = {"mse": mse, "mae": mae}[loss]
    params = np.array([0.0, 0.0])
    losses = []
    i = 0
    while i < epochs:
        losses.append(loss_fn(predict(params, x), y))
        g = linear_grads(params, x, y, loss)
        params = gd_step(params, g, lr)
        i += 1
    return params, losses

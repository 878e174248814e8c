"""Hostile (backprop_sign): init_params is left unimplemented, so that train runs with the
reference's init_params computed in the grader; train first asks it for a 16,000 x 16,000 layer
(2 GB, which a machine can grant, from a request of a few bytes), catches the refusal, and then
trains honestly."""

import numpy as np


def init_params(n_in, n_hidden, seed):
    raise NotImplementedError


def forward(params, x):
    x = np.asarray(x, dtype=float)
    z1 = x @ params["W1"] + params["b1"]
    h = np.tanh(z1)
    return h @ params["W2"] + params["b2"], {"x": x, "z1": z1, "h": h}


def backward(params, cache, dl_dpred):
    g = np.asarray(dl_dpred, dtype=float)
    dz1 = (g @ params["W2"].T) * (1.0 - cache["h"] ** 2)
    return {
        "W1": cache["x"].T @ dz1,
        "b1": dz1.sum(axis=0),
        "W2": cache["h"].T @ g,
        "b2": g.sum(axis=0),
    }


def sgd_step(params, grads, lr):
    return {k: np.asarray(params[k], dtype=float) - lr * np.asarray(grads[k]) for k in params}


REFUSED = []


def train(x, y, loss="mse", n_hidden=16, lr=0.1, epochs=2000, seed=0):
    import regression_losses

    if not REFUSED:
        try:
            init_params(16_000, 16_000, 0)
        except (ValueError, NotImplementedError) as error:
            REFUSED.append(str(error))
            print("refused:", error)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    loss_of = regression_losses.mse if loss == "mse" else regression_losses.mae
    grad_of = regression_losses.mse_grad if loss == "mse" else regression_losses.mae_grad
    params = init_params(x.shape[1], n_hidden, seed)
    history = []
    for _ in range(epochs):
        y_pred, cache = forward(params, x)
        history.append(float(loss_of(y_pred, y)))
        params = sgd_step(params, backward(params, cache, grad_of(y_pred, y)), lr)
    return params, history

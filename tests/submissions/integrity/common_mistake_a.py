"""Loops. Two catalogued mistakes: the MSE gradient's sign flipped, and gradient ascent."""


def mse(y_pred, y_true):
    pairs = list(zip(y_pred, y_true))
    return sum((float(p) - float(t)) ** 2 for p, t in pairs) / len(pairs)


def mae(y_pred, y_true):
    pairs = list(zip(y_pred, y_true))
    return sum(abs(float(p) - float(t)) for p, t in pairs) / len(pairs)


def mse_grad(y_pred, y_true):
    n = len(y_pred)
    return [2.0 * (float(t) - float(p)) / n for p, t in zip(y_pred, y_true)]


def mae_grad(y_pred, y_true):
    n = len(y_pred)
    signs = []
    for p, t in zip(y_pred, y_true):
        p, t = float(p), float(t)
        signs.append((1.0 if p > t else -1.0 if p < t else 0.0) / n)
    return signs


def predict(theta, x):
    return [theta[0] + theta[1] * float(v) for v in x]


def linear_grads(theta, x, y, loss="mse"):
    grad = mse_grad if loss == "mse" else mae_grad
    g = grad(predict(theta, x), y)
    return [sum(g), sum(gi * float(xi) for gi, xi in zip(g, x))]


def gd_step(theta, grad, lr):
    return [t + lr * g for t, g in zip(theta, grad)]


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    theta = [0.0, 0.0]
    history = []
    for _ in range(epochs):
        history.append((mse if loss == "mse" else mae)(predict(theta, x), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

"""Loops. MSE divides by n - 1 and the MAE gradient counts a tie as +1: answers nobody else gives."""


def mse(y_pred, y_true):
    total = 0.0
    count = 0
    for p, t in zip(y_pred, y_true):
        total += (float(p) - float(t)) ** 2
        count += 1
    return total / (count - 1)


def mae(y_pred, y_true):
    total = 0.0
    for p, t in zip(y_pred, y_true):
        total += abs(float(p) - float(t))
    return total / len(y_pred)


def mse_grad(y_pred, y_true):
    n = len(y_pred)
    return [2.0 * (float(p) - float(t)) / n for p, t in zip(y_pred, y_true)]


def mae_grad(y_pred, y_true):
    n = len(y_pred)
    out = []
    for p, t in zip(y_pred, y_true):
        out.append((1.0 if float(p) >= float(t) else -1.0) / n)
    return out


def predict(theta, x):
    return [theta[0] + theta[1] * float(v) for v in x]


def linear_grads(theta, x, y, loss="mse"):
    if loss == "mse":
        g = mse_grad(predict(theta, x), y)
    else:
        g = mae_grad(predict(theta, x), y)
    d0 = 0.0
    d1 = 0.0
    for gi, xi in zip(g, x):
        d0 += gi
        d1 += gi * float(xi)
    return [d0, d1]


def gd_step(theta, grad, lr):
    return [theta[0] - lr * grad[0], theta[1] - lr * grad[1]]


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    theta = [0.0, 0.0]
    history = []
    for _ in range(epochs):
        if loss == "mse":
            history.append(mse(predict(theta, x), y))
        else:
            history.append(mae(predict(theta, x), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

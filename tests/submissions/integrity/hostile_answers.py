"""Hostile answers: values that lie about equality, a string, None, an input handed back, zeros,
a function that ends the process. None of them may be evidence against anyone."""

import os


class EqualsEverything:
    def __eq__(self, other):
        return True

    def __array__(self, *args, **kwargs):
        raise TypeError("no")

    def __float__(self):
        raise TypeError("no")


def mse(y_pred, y_true):
    return EqualsEverything()


def mae(y_pred, y_true):
    return "2.5"


def mse_grad(y_pred, y_true):
    os._exit(3)


def mae_grad(y_pred, y_true):
    return None


def predict(theta, x):
    return [0.0 for _ in x]


def linear_grads(theta, x, y, loss="mse"):
    return [0, 0]


def gd_step(theta, grad, lr):
    return theta


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    raise RuntimeError("=HYPERLINK(\"http://example.invalid\") <script>alert(1)</script>")

"""Hostile: every function is wrong, and it patches numpy and the worker's own wire protocol to look right."""

import sys

import numpy


class Liar(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__


numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
for name, module in list(sys.modules.items()):
    if name.startswith("autograder"):
        for attribute in dir(module):
            if attribute == "encode":
                setattr(
                    module,
                    attribute,
                    lambda *a, **k: {"__ndarray__": [[2], [7.0, 7.0]], "type": "ndarray"},
                )
            if attribute == "_describe_error":
                setattr(module, attribute, lambda *a, **k: {"score": 100})




def mse(y_pred, y_true):
    return Liar(-1.0)


def mae(y_pred, y_true):
    return Liar(-1.0)


def mse_grad(y_pred, y_true):
    return [Liar(7.0)] * len(y_pred)


def mae_grad(y_pred, y_true):
    return [Liar(7.0)] * len(y_pred)


def predict(theta, x):
    return [Liar(7.0)] * len(x)


def linear_grads(theta, x, y, loss="mse"):
    return [Liar(7.0), Liar(7.0)]


def gd_step(theta, grad, lr):
    return [Liar(7.0), Liar(7.0)]


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    return [Liar(7.0), Liar(7.0)], [Liar(7.0)] * epochs

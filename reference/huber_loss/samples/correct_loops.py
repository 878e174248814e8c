"""Correct: a loop over the elements with if/else, and a fit that writes its own line and step."""

import numpy as np


def huber(y_pred, y_true, delta=1.0):
    total = 0.0
    for predicted, true in zip(y_pred, y_true, strict=True):
        e = float(predicted) - float(true)
        if abs(e) < delta:
            total += e * e / 2
        else:
            total += delta * abs(e) - delta * delta / 2
    return total / len(y_pred)


def huber_grad(y_pred, y_true, delta=1.0):
    n = len(y_pred)
    slopes = np.zeros(n)
    for i in range(n):
        e = float(y_pred[i]) - float(y_true[i])
        if e > delta:
            slopes[i] = delta / n
        elif e < -delta:
            slopes[i] = -delta / n
        else:
            slopes[i] = e / n
    return slopes


def fit_huber(x, y, delta=1.0, lr=0.1, epochs=500):
    intercept, slope = 0.0, 0.0
    recorded = []
    for _epoch in range(epochs):
        line = [intercept + slope * float(xi) for xi in x]
        recorded.append(huber(line, y, delta))
        g = huber_grad(line, y, delta)
        d_intercept = sum(g)
        d_slope = sum(gi * float(xi) for gi, xi in zip(g, x, strict=True))
        intercept -= lr * d_intercept
        slope -= lr * d_slope
    return np.array([intercept, slope]), recorded

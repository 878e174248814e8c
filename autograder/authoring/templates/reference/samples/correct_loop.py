"""Correct, written with a loop over the elements (the reference is vectorised)."""


def mse(y_pred, y_true):
    total = 0.0
    for predicted, true in zip(y_pred, y_true, strict=True):
        total += (float(predicted) - float(true)) ** 2
    return total / len(y_pred)

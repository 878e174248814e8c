"""A submission with a missing closing bracket in mae (line 11)."""

import numpy as np


def mse(y_pred, y_true):
    return float(np.mean((np.asarray(y_pred) - np.asarray(y_true)) ** 2))


def mae(y_pred, y_true):
    return float(np.mean(np.abs(np.asarray(y_pred) - np.asarray(y_true)))

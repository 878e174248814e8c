"""__TITLE__: the functions you write.

Replace each ``raise NotImplementedError()`` under ``# YOUR CODE HERE`` with your code; keep
the names and the signatures. The lesson is README.md; ``python selfcheck.py`` checks your work.

Conventions: ``y_pred`` and ``y_true`` are lists or numpy arrays of the same shape, with at
least one element; ``n`` is their number of elements. No function modifies its inputs.
"""

import numpy as np


def mse(y_pred, y_true):
    """Mean squared error of predictions against true values.

    Parameters
    ----------
    y_pred : array_like, shape (n,)
        The predictions ŷ.
    y_true : array_like, shape (n,)
        The true values y, the same shape as ``y_pred``.

    Returns
    -------
    float
        The mean over the n elements of (ŷ − y)².
    """
    ### BEGIN SOLUTION
    # Between the markers is what students write; `autograder generate` cuts it from their copy.
    errors = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.mean(errors**2))
    ### END SOLUTION

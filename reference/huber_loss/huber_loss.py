"""The Huber loss: the MSE near the line, the MAE far from it.

The mean squared error lets one far-off point pull on a fitted line as hard as
its error is large; the mean absolute error pulls equally hard for every
error, large or tiny. The Huber loss is quadratic for errors up to ``delta``
and linear beyond, so its gradient keeps the sign of every error and caps the
size of the large ones: no single point can pull harder than ``delta``. This
module computes the loss, its gradient with respect to the predictions, and
fits a line with it by gradient descent.

Conventions used throughout
---------------------------
* ``y_pred`` and ``y_true`` are array-likes of the same shape (any shape); the
  loss averages over *all* elements, so ``n = y_pred.size``.
* The error is ``e = y_pred - y_true`` (positive when the prediction is too high).
* The gradient has the shape of ``y_pred`` and includes the ``1/n`` of the mean.
* ``delta`` is a number ``> 0``: the size of error where the loss turns from
  quadratic to linear.
* ``theta = [theta0, theta1]`` is ``[intercept, slope]``; the model is
  ``y_pred = theta0 + theta1 * x``, made by ``regression_losses.predict``.
* No function modifies its inputs; each returns a new array or a float.
* Mismatched shapes, empty inputs and a ``delta`` that is not positive raise ``ValueError``.
"""

import numpy as np


def _as_float_arrays(y_pred, y_true):
    """Return both inputs as float arrays, checking that their shapes match.

    Raises
    ------
    ValueError
        If the shapes differ (the message names both) or the inputs are empty.
    """
    y_pred = np.asarray(y_pred, dtype=float)
    y_true = np.asarray(y_true, dtype=float)
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"y_pred has shape {y_pred.shape}, y_true has shape {y_true.shape}; "
            "they must be the same"
        )
    if y_pred.size == 0:
        raise ValueError("the inputs are empty; a mean over no elements is undefined")
    return y_pred, y_true


def _check_delta(delta):
    """Raise ``ValueError`` unless ``delta`` is a positive number."""
    if not np.isscalar(delta) or not delta > 0:
        raise ValueError(f"delta must be a number > 0; it is {delta!r}")


def huber(y_pred, y_true, delta=1.0):
    """Mean Huber loss of the errors ``e = y_pred - y_true``.

    Each element contributes ``0.5 * e**2`` where ``|e| <= delta`` and
    ``delta * (|e| - delta / 2)`` elsewhere: the two pieces meet, with the
    same value and the same slope, at ``|e| = delta``.

    Parameters
    ----------
    y_pred, y_true : array_like, same shape (any shape, at least one element)
    delta : float, > 0

    Returns
    -------
    float
        The mean over all elements; never negative.

    Examples
    --------
    >>> huber([0.5, -3.0], [0.0, 0.0])  # (0.5 * 0.25 + 1 * (3 - 0.5)) / 2
    1.3125
    """
    y_pred, y_true = _as_float_arrays(y_pred, y_true)
    _check_delta(delta)
    ### BEGIN SOLUTION
    error = y_pred - y_true
    size = np.abs(error)
    per_element = np.where(size <= delta, 0.5 * error**2, delta * (size - 0.5 * delta))
    return float(np.mean(per_element))
    ### END SOLUTION


def huber_grad(y_pred, y_true, delta=1.0):
    """Gradient of ``huber`` with respect to ``y_pred``.

    Element by element: ``e / n`` where ``|e| <= delta`` (the slope of
    ``0.5 * e**2``), ``delta * sign(e) / n`` elsewhere (the slope of the linear
    piece): the sign of every error is kept, and no element is larger than
    ``delta / n`` in size. ``n = y_pred.size``.

    Parameters
    ----------
    y_pred, y_true : array_like, same shape (any shape, at least one element)
    delta : float, > 0

    Returns
    -------
    ndarray of float, shape of ``y_pred``
        One partial derivative per prediction.

    Examples
    --------
    >>> huber_grad([0.5, -3.0], [0.0, 0.0])  # [0.5, -1 * 1] / 2
    array([ 0.25, -0.5 ])
    """
    y_pred, y_true = _as_float_arrays(y_pred, y_true)
    _check_delta(delta)
    ### BEGIN SOLUTION
    return np.clip(y_pred - y_true, -delta, delta) / y_pred.size
    ### END SOLUTION


def fit_huber(x, y, delta=1.0, lr=0.1, epochs=500):
    """Fit ``y ≈ theta0 + theta1 * x`` by full-batch gradient descent on the Huber loss.

    Starts from ``theta = [0, 0]``. Each epoch: the predictions
    ``y_pred = predict(theta, x)``; record ``huber(y_pred, y, delta)`` (the loss
    *before* the step); ``g = huber_grad(y_pred, y, delta)``; then one
    ``gd_step`` with the chain rule's gradient ``[sum(g), sum(g * x)]``.
    ``predict`` and ``gd_step`` are those of the first assignment: import them
    from ``regression_losses`` (the grader provides that module; on your
    machine it is your ``regression_losses.py``, next to this file).

    Parameters
    ----------
    x, y : array_like, same shape (any shape, at least one element)
    delta : float, > 0
    lr : float
        The learning rate.
    epochs : int
        The number of steps.

    Returns
    -------
    theta : ndarray of float, shape (2,)
        ``[theta0, theta1]`` after the last step.
    history : list of float, length ``epochs``
        ``history[k]`` is the Huber loss before step ``k``.

    Examples
    --------
    >>> x = [-2.0, -1.0, 0.0, 1.0, 2.0]
    >>> y = [-2.0, 0.0, 12.0, 4.0, 6.0]  # y = 2 + 2x, but the middle point is 10 too high
    >>> theta, history = fit_huber(x, y)
    >>> np.round(theta, 6)  # the line is lifted by delta / 4 = 0.25, not by 10 / 5 = 2
    array([2.25, 2.  ])
    >>> len(history), history[0]  # the loss of theta = [0, 0]
    (500, 4.4)
    """
    # Imported here, not at the top, so that huber and huber_grad work (and can be checked)
    # before your regression_losses.py is next to this file.
    from regression_losses import gd_step, predict

    x, y = _as_float_arrays(x, y)
    _check_delta(delta)
    ### BEGIN SOLUTION
    theta = np.zeros(2)
    history = []
    for _ in range(epochs):
        y_pred = predict(theta, x)
        history.append(huber(y_pred, y, delta))
        g = huber_grad(y_pred, y, delta)
        theta = gd_step(theta, np.array([np.sum(g), np.sum(g * x)]), lr)
    return theta, history
    ### END SOLUTION

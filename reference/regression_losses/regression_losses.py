"""Regression losses, their gradients, and gradient descent on a line.

The mean squared error and the mean absolute error both throw away the sign of
the error ``y_pred - y_true``: one squares it, the other takes its absolute
value. Their *gradients* keep it. This module computes both losses, their
gradients with respect to the predictions, the chain rule down to the two
parameters of a line, and the gradient-descent update that uses that sign.

Conventions used throughout
---------------------------
* ``y_pred`` and ``y_true`` are array-likes of the same shape (any shape); the
  losses average over *all* elements, so ``n = y_pred.size``.
* Gradients have the shape of ``y_pred`` and include the ``1/n`` of the mean.
* ``theta = [theta0, theta1]`` is ``[intercept, slope]``; the model is
  ``y_pred = theta0 + theta1 * x``.
* No function modifies its inputs; each returns a new array or a float.
* Mismatched shapes, empty inputs and unknown loss names raise ``ValueError``.
"""

import numpy as np

LOSSES = ("mse", "mae")


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


def _check_loss_name(loss):
    """Raise ``ValueError`` unless ``loss`` is one of ``LOSSES``."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {LOSSES}")


def mse(y_pred, y_true):
    """Mean squared error: ``mean((y_pred - y_true) ** 2)``.

    Parameters
    ----------
    y_pred, y_true : array_like, same shape (any shape, at least one element)

    Returns
    -------
    float
        The mean over all elements; never negative. The sign of each error is
        lost by the square.

    Examples
    --------
    >>> mse([4.0, 1.0], [3.0, 3.0])  # errors +1 and -2: (1 + 4) / 2
    2.5
    """
    y_pred, y_true = _as_float_arrays(y_pred, y_true)
    ### BEGIN SOLUTION
    error = y_pred - y_true
    return float(np.mean(error**2))
    ### END SOLUTION


def mse_grad(y_pred, y_true):
    """Gradient of ``mse`` with respect to ``y_pred``: ``2 * (y_pred - y_true) / n``.

    d/dy_pred of (y_pred - y_true)**2 is 2 * (y_pred - y_true): positive when
    the prediction is too high, negative when it is too low. The ``1/n``
    comes from the mean, with ``n = y_pred.size``.

    Parameters
    ----------
    y_pred, y_true : array_like, same shape (any shape, at least one element)

    Returns
    -------
    ndarray of float, shape of ``y_pred``
        One partial derivative per prediction.

    Examples
    --------
    >>> mse_grad([4.0, 1.0], [3.0, 3.0])  # 2 * [+1, -2] / 2
    array([ 1., -2.])
    """
    y_pred, y_true = _as_float_arrays(y_pred, y_true)
    ### BEGIN SOLUTION
    return 2.0 * (y_pred - y_true) / y_pred.size
    ### END SOLUTION


def mae(y_pred, y_true):
    """Mean absolute error: ``mean(abs(y_pred - y_true))``.

    Parameters
    ----------
    y_pred, y_true : array_like, same shape (any shape, at least one element)

    Returns
    -------
    float
        The mean over all elements; never negative. The sign of each error is
        lost by the absolute value.

    Examples
    --------
    >>> mae([4.0, 1.0], [3.0, 3.0])  # (1 + 2) / 2
    1.5
    """
    y_pred, y_true = _as_float_arrays(y_pred, y_true)
    ### BEGIN SOLUTION
    return float(np.mean(np.abs(y_pred - y_true)))
    ### END SOLUTION


def mae_grad(y_pred, y_true):
    """(Sub)gradient of ``mae`` with respect to ``y_pred``: ``sign(y_pred - y_true) / n``.

    abs(e) has slope +1 for e > 0 and -1 for e < 0; at e = 0 it has no slope,
    and we use the subgradient 0 there (never NaN). ``n = y_pred.size``.

    Parameters
    ----------
    y_pred, y_true : array_like, same shape (any shape, at least one element)

    Returns
    -------
    ndarray of float, shape of ``y_pred``
        Each element is +1/n, -1/n or 0.

    Examples
    --------
    >>> mae_grad([4.0, 1.0, 3.0, 3.0], [3.0, 3.0, 3.0, 0.0])  # signs +, -, 0, + over n = 4
    array([ 0.25, -0.25,  0.  ,  0.25])
    """
    y_pred, y_true = _as_float_arrays(y_pred, y_true)
    ### BEGIN SOLUTION
    return np.sign(y_pred - y_true) / y_pred.size
    ### END SOLUTION


def predict(theta, x):
    """Predictions of the line ``theta0 + theta1 * x``.

    Parameters
    ----------
    theta : array_like, shape (2,)
        ``[theta0, theta1]``: intercept, then slope.
    x : array_like, any shape

    Returns
    -------
    ndarray of float, shape of ``x``

    Examples
    --------
    >>> predict([1.0, 2.0], [0.0, 1.0, 2.0])
    array([1., 3., 5.])
    """
    theta = np.asarray(theta, dtype=float)
    x = np.asarray(x, dtype=float)
    ### BEGIN SOLUTION
    return theta[0] + theta[1] * x
    ### END SOLUTION


def linear_grads(theta, x, y, loss="mse"):
    """Gradient of the mean loss of ``predict(theta, x)`` against ``y``, by the chain rule.

    With ``g = dL/dy_pred`` (``mse_grad`` or ``mae_grad``, which already hold
    the ``1/n``) and ``dy_pred/dtheta0 = 1``, ``dy_pred/dtheta1 = x``::

        dL/dtheta0 = sum(g)
        dL/dtheta1 = sum(g * x)

    For MSE this is ``-(2/n) * sum(y - y_pred)`` and
    ``-(2/n) * sum((y - y_pred) * x)``.

    Parameters
    ----------
    theta : array_like, shape (2,)
        ``[theta0, theta1]``: intercept, then slope.
    x, y : array_like, same shape (any shape, at least one element)
    loss : {"mse", "mae"}

    Returns
    -------
    ndarray of float, shape (2,)
        ``[dL/dtheta0, dL/dtheta1]``.

    Examples
    --------
    >>> linear_grads([0.0, 0.0], [1.0, 2.0], [1.0, 2.0])  # y_pred = 0 is too low: both negative
    array([-3., -5.])
    """
    _check_loss_name(loss)
    x, y = _as_float_arrays(x, y)
    ### BEGIN SOLUTION
    y_pred = predict(theta, x)
    grad_of_loss = mse_grad if loss == "mse" else mae_grad
    dl_dpred = grad_of_loss(y_pred, y)
    return np.array([np.sum(dl_dpred), np.sum(dl_dpred * x)])
    ### END SOLUTION


def gd_step(theta, grad, lr):
    """One gradient-descent step: ``theta - lr * grad``.

    The gradient points uphill; stepping against it lowers the loss when
    ``lr`` is small enough. A positive component means "decrease this
    parameter".

    Parameters
    ----------
    theta, grad : array_like, shape (2,)
    lr : float
        The learning rate (step size), ``> 0``.

    Returns
    -------
    ndarray of float, shape (2,)
        A new array; ``theta`` and ``grad`` are not modified.

    Examples
    --------
    >>> gd_step([1.0, 1.0], [2.0, -4.0], 0.5)
    array([0., 3.])
    """
    theta = np.asarray(theta, dtype=float)
    grad = np.asarray(grad, dtype=float)
    ### BEGIN SOLUTION
    return theta - lr * grad
    ### END SOLUTION


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    """Fit ``y ≈ theta0 + theta1 * x`` by full-batch gradient descent.

    Starts from ``theta = [0, 0]``. Each epoch first records the loss of the
    current ``theta``, then takes one ``gd_step`` with ``linear_grads``.

    Parameters
    ----------
    x, y : array_like, same shape (any shape, at least one element)
    loss : {"mse", "mae"}
    lr : float
        The learning rate.
    epochs : int
        The number of steps.

    Returns
    -------
    theta : ndarray of float, shape (2,)
        ``[theta0, theta1]`` after the last step.
    history : list of float, length ``epochs``
        ``history[k]`` is the loss before step ``k``.

    Examples
    --------
    >>> theta, history = fit([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], epochs=2000)
    >>> np.round(theta, 3)  # the points lie on y = 1 + 2x
    array([1., 2.])
    >>> len(history), history[0]  # the first loss is that of theta = [0, 0]
    (2000, 11.666666666666666)
    """
    _check_loss_name(loss)
    x, y = _as_float_arrays(x, y)
    ### BEGIN SOLUTION
    loss_of = mse if loss == "mse" else mae
    theta = np.zeros(2)
    history = []
    for _ in range(epochs):
        history.append(loss_of(predict(theta, x), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history
    ### END SOLUTION

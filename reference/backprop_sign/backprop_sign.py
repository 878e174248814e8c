"""Backpropagation in a two-layer network: how the sign of ŷ − y reaches every weight.

The loss throws the sign of the error away; its gradient ``dL/dy_pred`` keeps
it. Backpropagation carries that gradient backwards through the network,
multiplying it by every layer's transpose and activation slope, into the
gradient of every weight. This module builds a network with one tanh hidden
layer, its forward pass, its backward pass, the update and the training loop.

Conventions used throughout
---------------------------
* ``x`` has shape ``(n, n_in)``: one row per example. ``y`` and the
  predictions ``y_pred`` have shape ``(n, 1)``.
* ``params`` is a dict with exactly the keys ``"W1"`` ``(n_in, n_hidden)``,
  ``"b1"`` ``(n_hidden,)``, ``"W2"`` ``(n_hidden, 1)`` and ``"b2"`` ``(1,)``.
  A gradients dict has the same keys and shapes.
* The network::

      z1 = x @ W1 + b1        (n, n_hidden)
      h = tanh(z1)            (n, n_hidden)
      y_pred = h @ W2 + b2    (n, 1)

* ``cache`` is exactly the dict ``{"x": x, "z1": z1, "h": h}``.
* ``dl_dpred`` is the gradient of the *mean* loss with respect to ``y_pred``,
  shape ``(n, 1)``. It already holds the ``1/n`` of the mean: it is what
  ``regression_losses.mse_grad(y_pred, y)`` returns. ``backward`` therefore
  sums over the examples and never divides by ``n`` again.
* No function modifies its inputs; each returns new arrays (and new dicts).
* ``train`` uses the losses of the first assignment through the module
  ``regression_losses`` (your ``regression_losses.py``, next to this file).
"""

import numpy as np

LOSSES = ("mse", "mae")
PARAM_KEYS = ("W1", "b1", "W2", "b2")
INIT_STD = 0.5  # standard deviation of the initial weights


def _check_data(x, y):
    """Return ``x`` and ``y`` as float arrays, checking the shapes ``(n, n_in)`` and ``(n, 1)``.

    Raises
    ------
    ValueError
        If a shape is wrong (the message names both) or there are no examples.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 2 or y.shape != (x.shape[0], 1):
        raise ValueError(
            f"x has shape {x.shape}, y has shape {y.shape}; expected (n, n_in) and (n, 1)"
        )
    if x.shape[0] == 0:
        raise ValueError("there are no examples; a mean over no examples is undefined")
    return x, y


def _check_loss_name(loss):
    """Raise ``ValueError`` unless ``loss`` is one of ``LOSSES``."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {LOSSES}")


def init_params(n_in, n_hidden, seed):
    """Small random weights and zero biases, exactly reproducible from ``seed``.

    With ``rng = np.random.default_rng(seed)``, draw ``W1`` first, then
    ``W2``, each with ``rng.normal(0.0, INIT_STD, size=shape)``; ``b1`` and
    ``b2`` are zeros.

    Parameters
    ----------
    n_in : int
        Inputs per example.
    n_hidden : int
        Hidden units.
    seed : int

    Returns
    -------
    dict of ndarray
        ``W1`` ``(n_in, n_hidden)``, ``b1`` ``(n_hidden,)``, ``W2``
        ``(n_hidden, 1)``, ``b2`` ``(1,)``.

    Examples
    --------
    >>> params = init_params(2, 3, seed=0)
    >>> [params[key].shape for key in ("W1", "b1", "W2", "b2")]
    [(2, 3), (3,), (3, 1), (1,)]
    >>> params["b1"]
    array([0., 0., 0.])
    """
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    first_layer = rng.normal(0.0, INIT_STD, size=(n_in, n_hidden))
    second_layer = rng.normal(0.0, INIT_STD, size=(n_hidden, 1))
    return {
        "W1": first_layer,
        "b1": np.zeros(n_hidden),
        "W2": second_layer,
        "b2": np.zeros(1),
    }
    ### END SOLUTION


def forward(params, x):
    """The forward pass: ``y_pred = tanh(x @ W1 + b1) @ W2 + b2``.

    Parameters
    ----------
    params : dict of ndarray
        ``W1``, ``b1``, ``W2``, ``b2`` (see the module docstring for shapes).
    x : array_like, shape (n, n_in)

    Returns
    -------
    y_pred : ndarray, shape (n, 1)
    cache : dict
        Exactly ``{"x": x, "z1": z1, "h": h}`` with ``x`` as a float array,
        ``z1 = x @ W1 + b1`` and ``h = tanh(z1)``, both ``(n, n_hidden)``:
        what ``backward`` needs.

    Examples
    --------
    >>> params = {"W1": np.array([[1.0, -2.0]]), "b1": np.array([-1.0, 2.0]),
    ...           "W2": np.array([[3.0], [-1.0]]), "b2": np.array([0.5])}
    >>> y_pred, cache = forward(params, [[1.0]])  # z1 = [1 - 1, -2 + 2] = [0, 0]
    >>> y_pred  # h = tanh(0) = 0, so only b2 is left
    array([[0.5]])
    >>> sorted(cache)
    ['h', 'x', 'z1']
    """
    x = np.asarray(x, dtype=float)
    ### BEGIN SOLUTION
    z1 = x @ params["W1"] + params["b1"]
    h = np.tanh(z1)
    y_pred = h @ params["W2"] + params["b2"]
    return y_pred, {"x": x, "z1": z1, "h": h}
    ### END SOLUTION


def backward(params, cache, dl_dpred):
    """The gradients of the loss with respect to every parameter, by the chain rule.

    From the upstream gradient ``g = dl_dpred`` backwards, layer by layer::

        dW2 = h.T @ g                  (n_hidden, 1)
        db2 = sum of g over examples   (1,)
        dh  = g @ W2.T                 (n, n_hidden)
        dz1 = dh * (1 - h**2)          tanh'(z1) = 1 - tanh(z1)**2
        dW1 = x.T @ dz1                (n_in, n_hidden)
        db1 = sum of dz1 over examples (n_hidden,)

    ``g`` already holds the ``1/n`` of the mean loss, so the sums over the
    examples are plain sums, not means. Every gradient is linear in ``g``:
    flip its sign and every gradient flips; scale it and they all scale.

    Parameters
    ----------
    params : dict of ndarray
        ``W1``, ``b1``, ``W2``, ``b2``.
    cache : dict of ndarray
        ``{"x": x, "z1": z1, "h": h}`` from ``forward(params, x)``.
    dl_dpred : array_like, shape (n, 1)
        ``dL/dy_pred`` of the mean loss (e.g. ``regression_losses.mse_grad``).

    Returns
    -------
    dict of ndarray
        ``W1``, ``b1``, ``W2``, ``b2``: each gradient has its parameter's shape.

    Examples
    --------
    >>> params = {"W1": np.array([[1.0, -2.0]]), "b1": np.array([-1.0, 2.0]),
    ...           "W2": np.array([[3.0], [-1.0]]), "b2": np.array([0.5])}
    >>> _, cache = forward(params, [[1.0]])  # z1 = [0, 0], h = [0, 0], tanh' = 1
    >>> grads = backward(params, cache, [[2.0]])
    >>> grads["W2"].ravel(), grads["b2"]  # h.T @ g = 0; the sum of g is 2
    (array([0., 0.]), array([2.]))
    >>> grads["W1"], grads["b1"]  # g @ W2.T = [6, -2], times tanh' = 1, times x = 1
    (array([[ 6., -2.]]), array([ 6., -2.]))
    """
    dl_dpred = np.asarray(dl_dpred, dtype=float)
    ### BEGIN SOLUTION
    x, h = cache["x"], cache["h"]
    grad_w2 = h.T @ dl_dpred
    grad_b2 = np.sum(dl_dpred, axis=0)
    grad_h = dl_dpred @ params["W2"].T
    grad_z1 = grad_h * (1.0 - h**2)
    grad_w1 = x.T @ grad_z1
    grad_b1 = np.sum(grad_z1, axis=0)
    return {"W1": grad_w1, "b1": grad_b1, "W2": grad_w2, "b2": grad_b2}
    ### END SOLUTION


def sgd_step(params, grads, lr):
    """One gradient-descent step on every parameter: ``params[k] - lr * grads[k]``.

    Parameters
    ----------
    params, grads : dict of ndarray
        The same keys and shapes.
    lr : float
        The learning rate, ``> 0``.

    Returns
    -------
    dict of ndarray
        A new dict of new arrays; neither ``params`` nor ``grads`` (nor any
        array in them) is modified.

    Examples
    --------
    >>> params = {"W1": np.array([[1.0, -1.0]]), "b1": np.zeros(2),
    ...           "W2": np.array([[0.5], [2.0]]), "b2": np.array([1.0])}
    >>> grads = {"W1": np.array([[2.0, -2.0]]), "b1": np.array([1.0, 0.0]),
    ...          "W2": np.array([[0.0], [4.0]]), "b2": np.array([-2.0])}
    >>> new = sgd_step(params, grads, 0.5)
    >>> new["W1"]  # [1 - 0.5 * 2, -1 - 0.5 * (-2)]
    array([[0., 0.]])
    >>> new["b2"]  # a negative gradient means 'increase': 1 - 0.5 * (-2) = 2
    array([2.])
    >>> params["b2"]  # unchanged
    array([1.])
    """
    ### BEGIN SOLUTION
    return {
        key: np.asarray(params[key], dtype=float) - lr * np.asarray(grads[key], dtype=float)
        for key in params
    }
    ### END SOLUTION


def train(x, y, loss="mse", n_hidden=16, lr=0.1, epochs=2000, seed=0):
    """Fit the network to ``(x, y)`` by full-batch gradient descent.

    Starts from ``init_params(x.shape[1], n_hidden, seed)``. Each epoch, on
    all the examples at once: ``forward``; record the loss of the current
    parameters (``regression_losses.mse`` or ``regression_losses.mae``); the
    upstream gradient ``regression_losses.mse_grad(y_pred, y)`` or
    ``regression_losses.mae_grad(y_pred, y)``; ``backward``; ``sgd_step``.
    Call them as ``regression_losses.<name>(...)`` (the grader provides that
    module, and the public checks too if your folder has no
    ``regression_losses.py``).

    Parameters
    ----------
    x : array_like, shape (n, n_in)
    y : array_like, shape (n, 1)
    loss : {"mse", "mae"}
    n_hidden : int
    lr : float
        The learning rate.
    epochs : int
        The number of steps.
    seed : int
        The seed of ``init_params``.

    Returns
    -------
    params : dict of ndarray
        The parameters after the last step.
    history : list of float, length ``epochs``
        ``history[k]`` is the loss before step ``k``.

    Examples
    --------
    >>> x = np.linspace(-1.0, 1.0, 32).reshape(-1, 1)
    >>> params, history = train(x, np.sin(np.pi * x))
    >>> len(history), history[-1] < 0.01 < history[0]
    (2000, True)
    """
    # Imported here, not at the top, so that the other functions work (and can be
    # checked) before your regression_losses.py is next to this file.
    import regression_losses

    _check_loss_name(loss)
    x, y = _check_data(x, y)
    ### BEGIN SOLUTION
    loss_of = regression_losses.mse if loss == "mse" else regression_losses.mae
    grad_of = regression_losses.mse_grad if loss == "mse" else regression_losses.mae_grad
    params = init_params(x.shape[1], n_hidden, seed)
    history = []
    for _ in range(epochs):
        y_pred, cache = forward(params, x)
        history.append(float(loss_of(y_pred, y)))
        grads = backward(params, cache, grad_of(y_pred, y))
        params = sgd_step(params, grads, lr)
    return params, history
    ### END SOLUTION

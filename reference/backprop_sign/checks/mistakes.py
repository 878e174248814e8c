"""The misconceptions students really have in backprop_sign, and how to recognise each.

An entry's ``variant(reference, *args, **kwargs)`` returns what a student who
makes that mistake would return, written out here in plain numpy from the
math (independent of the reference's code). The functions of this assignment
return dicts of arrays, which the engine's generic comparison does not read,
so each entry also has ``matches(case)``: the same variant compared key by
key (for a train mistake, its first epochs, which rounding cannot yet have
pulled apart), or, for ``sgd_step__in_place``, the grader's own finding that
an input was modified. Hints speak to the student and name the lesson section
(assignments/backprop_sign/README.md) that explains the point. Every entry is
exercised by a submission that makes exactly that mistake
(reference/backprop_sign/samples/).

"Forgetting 1/n" is pinned down by the conventions: ``dl_dpred`` already
holds the 1/n of the mean loss, so a ``backward`` that divides by n again
makes ``backward__mean_again``; a ``train`` that builds its own upstream
gradient ``2(ŷ − y)`` (or ``sign(ŷ − y)``) without the 1/n, the derivative
of a sum instead of a mean, makes ``train__forgot_mean``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.grading.diagnosis import MATCH_ATOL, MATCH_RTOL, Mistake
from autograder.grading.verdict import NotNumbers, numbers_of

UPSTREAM_SECTION = "1. The loss forgets the sign; the gradient keeps it"
NETWORK_SECTION = "2. A network with one hidden layer"
BACKWARD_SECTION = "3. Backward, one layer at a time"
SIGN_SECTION = "4. Where the sign lives"
TRAINING_SECTION = "5. The update and the training loop"

# A train mistake is recognised by its first epochs: long runs of a climbing or
# oscillating loss magnify rounding until two correct programs part ways.
EPOCHS_COMPARED = 5


def _floats(value) -> np.ndarray:
    return np.asarray(value, dtype=float)


# -- forward ------------------------------------------------------------------------------------


def _forward_no_activation(ref, params, x):
    x = _floats(x)
    z1 = x @ _floats(params["W1"]) + _floats(params["b1"])
    return z1 @ _floats(params["W2"]) + _floats(params["b2"]), {"x": x, "z1": z1, "h": z1}


# -- backward, with one knob per misconception ----------------------------------------------------


def _chain_rule(
    params,
    cache,
    dl_dpred,
    tanh_slope: Callable[[np.ndarray], np.ndarray] = lambda h: 1.0 - h**2,
    weight_grad: Callable[[np.ndarray, np.ndarray], np.ndarray] = lambda a, d: a.T @ d,
    bias_grad: Callable[[np.ndarray], np.ndarray] = lambda d: d.sum(axis=0),
) -> dict[str, np.ndarray]:
    """The gradients by the chain rule; the defaults are the right ones."""
    g, x, h = _floats(dl_dpred), _floats(cache["x"]), _floats(cache["h"])
    dz1 = (g @ _floats(params["W2"]).T) * tanh_slope(h)
    return {
        "W1": weight_grad(x, dz1),
        "b1": bias_grad(dz1),
        "W2": weight_grad(h, g),
        "b2": bias_grad(g),
    }


def _scaled(grads: dict, factor: float) -> dict:
    return {key: factor * value for key, value in grads.items()}


def _backward_sign_flipped(ref, params, cache, dl_dpred):
    return _scaled(_chain_rule(params, cache, dl_dpred), -1.0)


def _backward_missing_tanh_derivative(ref, params, cache, dl_dpred):
    return _chain_rule(params, cache, dl_dpred, tanh_slope=np.ones_like)


def _backward_tanh_not_derivative(ref, params, cache, dl_dpred):
    return _chain_rule(params, cache, dl_dpred, tanh_slope=lambda h: h)


def _backward_wrong_transpose(ref, params, cache, dl_dpred):
    return _chain_rule(params, cache, dl_dpred, weight_grad=lambda a, d: d.T @ a)


def _backward_bias_not_summed(ref, params, cache, dl_dpred):
    return _chain_rule(params, cache, dl_dpred, bias_grad=lambda d: d)


def _backward_mean_again(ref, params, cache, dl_dpred):
    return _scaled(_chain_rule(params, cache, dl_dpred), 1.0 / _floats(dl_dpred).shape[0])


# -- sgd_step -------------------------------------------------------------------------------------


def _sgd_ascent(ref, params, grads, lr):
    return {key: _floats(params[key]) + lr * _floats(grads[key]) for key in params}


def _modified_its_input(case) -> bool:
    return bool(case.failure) and "modified its input" in case.failure


# -- train: the recipe, with the upstream gradient as the knob ----------------------------------


def _initial_params(n_in: int, n_hidden: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0.0, 0.5, size=(n_in, n_hidden))
    w2 = rng.normal(0.0, 0.5, size=(n_hidden, 1))
    return {"W1": w1, "b1": np.zeros(n_hidden), "W2": w2, "b2": np.zeros(1)}


def _loss_value(residual: np.ndarray, loss: str) -> float:
    return float(np.mean(residual**2) if loss == "mse" else np.mean(np.abs(residual)))


def _upstream(residual: np.ndarray, loss: str) -> np.ndarray:
    return (2.0 * residual if loss == "mse" else np.sign(residual)) / residual.size


def _train_with(upstream: Callable[[np.ndarray, str], np.ndarray]):
    """A train whose upstream gradient is ``upstream(ŷ − y, loss)``; all else as documented."""

    def train(ref, x, y, loss="mse", n_hidden=16, lr=0.1, epochs=2000, seed=0):
        x, y = _floats(x), _floats(y)
        params = _initial_params(x.shape[1], n_hidden, seed)
        history = []
        for _ in range(epochs):
            cache = {"x": x, "z1": x @ params["W1"] + params["b1"]}
            cache["h"] = np.tanh(cache["z1"])
            residual = cache["h"] @ params["W2"] + params["b2"] - y
            history.append(_loss_value(residual, loss))
            grads = _chain_rule(params, cache, upstream(residual, loss))
            params = {key: params[key] - lr * grads[key] for key in params}
        return params, history

    return train


_train_sign_flipped_at_output = _train_with(lambda r, loss: -_upstream(r, loss))
_train_forgot_mean = _train_with(lambda r, loss: _upstream(r, loss) * r.size)


# -- recognising a variant in a dict-valued answer ------------------------------------------------


def same_value(got, predicted) -> bool:
    """``got`` is ``predicted`` within the diagnosis tolerance: dicts key by key, sequences item by item."""
    if isinstance(predicted, dict):
        return (
            isinstance(got, dict)
            and set(got) == set(predicted)
            and all(same_value(got[key], predicted[key]) for key in predicted)
        )
    if isinstance(predicted, tuple | list) and not _numbers(predicted):
        return (
            isinstance(got, tuple | list)
            and len(got) == len(predicted)
            and all(same_value(g, p) for g, p in zip(got, predicted, strict=True))
        )
    try:
        got_array, predicted_array = numbers_of(got), _floats(predicted)
    except (NotNumbers, TypeError, ValueError):
        return False
    return got_array.shape == predicted_array.shape and bool(
        np.allclose(got_array, predicted_array, rtol=MATCH_RTOL, atol=MATCH_ATOL, equal_nan=True)
    )


def _numbers(values) -> bool:
    return all(isinstance(v, int | float | np.floating | np.integer) for v in values)


def _gives(variant) -> Callable:
    """``matches(case)``: the student returned what ``variant`` predicts for the case's inputs."""
    return lambda case: same_value(case.got, variant(None, *case.args, **case.kwargs))


def _trains_like(variant) -> Callable:
    """``matches(case)`` for train: its history starts as ``variant``'s does."""

    def matches(case) -> bool:
        got = case.got
        if not isinstance(got, tuple | list) or len(got) != 2:
            return False
        kwargs = {**case.kwargs, "epochs": min(EPOCHS_COMPARED, case.kwargs.get("epochs", 2000))}
        _, predicted = variant(None, *case.args, **kwargs)
        try:
            history = _floats(got[1])
        except (TypeError, ValueError):
            return False
        return history.ndim == 1 and same_value(history[: len(predicted)], predicted)

    return matches


# Small inputs on which the students' self-check compares their answers with each mistake's
# (computed at release time, so no code of the catalog is handed out).
_LESSON_PARAMS = {
    "W1": np.array([[np.log(2.0), -np.log(3.0)]]),  # h = tanh([ln 2, −ln 3]) = [0.6, −0.8]
    "b1": np.zeros(2),
    "W2": np.array([[1.0], [0.5]]),
    "b2": np.zeros(1),
}
_LESSON_CACHE = {
    "x": np.array([[1.0]]),
    "z1": np.array([[np.log(2.0), -np.log(3.0)]]),
    "h": np.array([[0.6, -0.8]]),
}
_BATCH_PARAMS = {
    "W1": np.array([[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]]),
    "b1": np.array([0.1, -0.2, 0.0]),
    "W2": np.array([[1.0], [-2.0], [0.5]]),
    "b2": np.array([0.3]),
}
_BATCH_X = np.array([[1.0, 0.0], [-0.5, 2.0], [0.0, -1.0]])
_BATCH_CACHE = {"x": _BATCH_X, "z1": _BATCH_X @ _BATCH_PARAMS["W1"] + _BATCH_PARAMS["b1"]}
_BATCH_CACHE["h"] = np.tanh(_BATCH_CACHE["z1"])
_LESSON_GRADS = {
    "W1": np.array([[2.0, -2.0]]),
    "b1": np.array([1.0, 0.0]),
    "W2": np.array([[0.0], [4.0]]),
    "b2": np.array([-2.0]),
}
_SINE_X = np.linspace(-1.0, 1.0, 8).reshape(-1, 1)
_TRAIN_SETTINGS = {"n_hidden": 3, "lr": 0.1, "epochs": 20, "seed": 0}
PROBES = {
    "init_params": [((2, 3, 0), {}), ((1, 4, 7), {})],
    "forward": [((_LESSON_PARAMS, np.array([[1.0]])), {}), ((_BATCH_PARAMS, _BATCH_X), {})],
    "backward": [
        ((_LESSON_PARAMS, _LESSON_CACHE, np.array([[-1.6]])), {}),
        ((_BATCH_PARAMS, _BATCH_CACHE, np.array([[0.5], [-0.25], [1.0]])), {}),
    ],
    "sgd_step": [
        ((_LESSON_PARAMS, _LESSON_GRADS, 0.5), {}),
        ((_BATCH_PARAMS, _BATCH_PARAMS, 0.1), {}),
    ],
    "train": [
        ((_SINE_X, np.sin(np.pi * _SINE_X)), {"loss": "mse", **_TRAIN_SETTINGS}),
        ((_SINE_X, np.sin(np.pi * _SINE_X)), {"loss": "mae", **_TRAIN_SETTINGS}),
    ],
}

# The most common mistakes, graded by `autograder demo` (a sample file of each is in
# reference/backprop_sign/samples/).
DEMO = [
    "backward__sign_flipped",
    "backward__missing_tanh_derivative",
    "backward__wrong_transpose",
    "sgd_step__ascent",
    "train__sign_flipped_at_output",
]

CATALOG = [
    # -- forward ---------------------------------------------------------------------------------
    Mistake(
        "forward",
        "no_activation",
        "the hidden layer has no tanh",
        "your hidden layer passes z1 on unchanged (h = z1): without tanh the two layers multiply "
        "out to a single straight line, ŷ = x @ (W1 @ W2) + (b1 @ W2 + b2), which cannot bend to "
        "follow a sine. h = tanh(z1).",
        NETWORK_SECTION,
        variant=_forward_no_activation,
        matches=_gives(_forward_no_activation),
    ),
    # -- backward --------------------------------------------------------------------------------
    Mistake(
        "backward",
        "sign_flipped",
        "every gradient has the opposite sign",
        "every gradient your backward returned has the opposite sign of the correct one, in "
        "every layer: you started from −∂L/∂ŷ (the direction to step, or y − ŷ) instead of "
        "∂L/∂ŷ = dl_dpred itself. backward returns the gradient, which points uphill; the minus "
        "sign of descent belongs in sgd_step.",
        SIGN_SECTION,
        variant=_backward_sign_flipped,
        matches=_gives(_backward_sign_flipped),
    ),
    Mistake(
        "backward",
        "missing_tanh_derivative",
        "the tanh derivative is missing",
        "your W2 and b2 gradients are right, but W1 and b1 miss tanh's slope: after "
        "dh = dl_dpred @ W2.T you must multiply by tanh'(z1) = 1 − h² (h = tanh(z1) is in the "
        "cache) before going on to W1 and b1.",
        BACKWARD_SECTION,
        variant=_backward_missing_tanh_derivative,
        matches=_gives(_backward_missing_tanh_derivative),
    ),
    Mistake(
        "backward",
        "tanh_not_derivative",
        "tanh used instead of its derivative",
        "you multiplied dh by tanh(z1) = h instead of by its derivative tanh'(z1) = 1 − h². "
        "Wherever h < 0 that flips the sign of the hidden layer's gradient: the sign that came "
        "from ŷ − y is lost on the way to W1 and b1.",
        BACKWARD_SECTION,
        variant=_backward_tanh_not_derivative,
        matches=_gives(_backward_tanh_not_derivative),
    ),
    Mistake(
        "backward",
        "wrong_transpose",
        "weight gradients transposed",
        "your weight gradients have their parameter's shape transposed: ∂L/∂W is "
        "(the layer's input).T @ (the gradient at its output), x.T @ dz1 for W1 (n_in × n_hidden) "
        "and h.T @ dl_dpred for W2 (n_hidden × 1); you computed the other product, "
        "upstream.T @ input. A gradient always has the shape of its parameter.",
        BACKWARD_SECTION,
        variant=_backward_wrong_transpose,
        matches=_gives(_backward_wrong_transpose),
    ),
    Mistake(
        "backward",
        "bias_not_summed",
        "bias gradients not summed over the batch",
        "your bias gradients have one row per example. A bias is shared by every example, so "
        "its gradient adds up every example's contribution: b2's is the sum of dl_dpred over the "
        "examples (axis 0), shape (1,), and b1's the sum of dz1, shape (n_hidden,).",
        BACKWARD_SECTION,
        variant=_backward_bias_not_summed,
        matches=_gives(_backward_bias_not_summed),
    ),
    Mistake(
        "backward",
        "mean_again",
        "1/n applied twice",
        "every gradient is n times too small (n, the number of examples, is the number of rows "
        "of dl_dpred): dl_dpred already holds the 1/n of the mean loss (it is what mse_grad returns), so "
        "backward sums over the examples; averaging again divides by n twice.",
        BACKWARD_SECTION,
        variant=_backward_mean_again,
        matches=_gives(_backward_mean_again),
    ),
    # -- sgd_step --------------------------------------------------------------------------------
    Mistake(
        "sgd_step",
        "ascent",
        "gradient ascent: climbs the loss",
        "you added lr·grad: that climbs the loss. The gradient points uphill, so the step "
        "subtracts it: params[k] − lr·grads[k] for every key k.",
        TRAINING_SECTION,
        variant=_sgd_ascent,
        matches=_gives(_sgd_ascent),
    ),
    Mistake(
        "sgd_step",
        "in_place",
        "updates the parameters in place",
        "sgd_step changed the arrays it was given (with -= or by assigning into the params "
        "dict). The caller may still need the old parameters; return a new dict of new arrays "
        "and leave params and grads as they were.",
        TRAINING_SECTION,
        matches=_modified_its_input,
    ),
    # -- train -----------------------------------------------------------------------------------
    Mistake(
        "train",
        "sign_flipped_at_output",
        "the upstream gradient has the wrong sign",
        "your train starts backpropagation from y − ŷ instead of ŷ − y (for instance "
        "mse_grad(y, y_pred), with the arguments swapped), so every step climbs the loss and "
        "the history grows from the first epoch. The upstream gradient is "
        "regression_losses.mse_grad(y_pred, y): predictions first.",
        UPSTREAM_SECTION,
        variant=_train_sign_flipped_at_output,
        matches=_trains_like(_train_sign_flipped_at_output),
    ),
    Mistake(
        "train",
        "forgot_mean",
        "the upstream gradient misses the 1/n",
        "your train's upstream gradient is n times too large: it uses 2(ŷ − y) (or sign(ŷ − y)) "
        "for each example, the derivative of a sum, instead of the gradient of the mean loss, "
        "which holds the 1/n. Every step is then n times too long. "
        "regression_losses.mse_grad and mae_grad include the 1/n: use them.",
        UPSTREAM_SECTION,
        variant=_train_forgot_mean,
        matches=_trains_like(_train_forgot_mean),
    ),
]

# How the students' self-check recognises the mistakes above that have no single wrong answer
# (a `matches`, no `variant`): a rule about the answer, as data that it interprets
# (RULE_TESTS in autograder/release/selfcheck_template.py).
SELFCHECK_RULES = {
    "sgd_step__in_place": {"test": "modifies_input"},
}

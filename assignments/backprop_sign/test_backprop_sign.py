"""Public self-checks for ``backprop_sign.py``. Run ``pytest`` in this folder.

The numbers are those of the lesson (README.md); the expected values were
worked out by hand, and the arithmetic is in the comments, so you can redo it.
Where a value cannot be worked out by hand (random weights), the expected
gradient is measured instead, by finite differences: nudge one weight, rerun
the network, and watch the loss.

Each check tests one function on its own. While it runs, the *other*
functions of your module, and the functions of ``regression_losses``, are
swapped for known-correct stand-ins (defined below), so a mistake in, say,
``backward`` is reported by the ``backward`` checks only, and not again by
``train``. If there is no (working) ``regression_losses.py`` in this folder,
the stand-ins below are used as the ``regression_losses`` module.
"""

import math
import sys
import traceback
import types
from pathlib import Path

import numpy as np
import pytest

# Your results may differ from the hand-worked values by float rounding only.
RTOL = 1e-6
ATOL = 1e-8
# A gradient and its finite differences agree this closely (relative to their size).
GRAD_CHECK_RTOL = 1e-5
# Nudge used for finite differences; the network is smooth, so centred differences are
# accurate to about STEP² relative.
STEP = 1e-6
KEYS = ("W1", "b1", "W2", "b2")

# ------------------------------------------------------------- stand-ins ---
# Known-correct versions of the functions, used only while a *different*
# function is being checked. The gradients are numerical (centred
# differences): slow, but independent of any formula.


def _floats(a):
    return np.asarray(a, dtype=float)


def _mse(y_pred, y_true):
    return float(np.mean((_floats(y_pred) - _floats(y_true)) ** 2))


def _mae(y_pred, y_true):
    return float(np.mean(np.abs(_floats(y_pred) - _floats(y_true))))


def _slope_per_point(per_point_loss, y_pred, y_true):
    """d/dy_pred[i] of mean(per_point_loss(y_pred - y_true)), for every i at once."""
    e = _floats(y_pred) - _floats(y_true)
    return (per_point_loss(e + STEP) - per_point_loss(e - STEP)) / (2 * STEP * e.size)


def _mse_grad(y_pred, y_true):
    return _slope_per_point(np.square, y_pred, y_true)


def _mae_grad(y_pred, y_true):
    return _slope_per_point(np.abs, y_pred, y_true)


LOSS_STAND_INS = {"mse": _mse, "mae": _mae, "mse_grad": _mse_grad, "mae_grad": _mae_grad}

# Import the files next to this one, wherever pytest is started from. Your own
# regression_losses.py is used if it is here; otherwise the stand-ins above are.
sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    import regression_losses  # (train imports it by name)
except Exception:
    sys.modules["regression_losses"] = types.ModuleType("regression_losses")
    vars(sys.modules["regression_losses"]).update(LOSS_STAND_INS)
import backprop_sign  # noqa: E402  (after the stand-in: it may import regression_losses at its top)


def _init_params(n_in, n_hidden, seed):
    # The documented draws, as one stream: W1's n_in * n_hidden numbers, then W2's n_hidden.
    stream = np.random.default_rng(seed).normal(0.0, 0.5, size=n_in * n_hidden + n_hidden)
    weights_1, weights_2 = np.split(stream, [n_in * n_hidden])
    return {
        "W1": weights_1.reshape(n_in, n_hidden),
        "b1": np.full(n_hidden, 0.0),
        "W2": weights_2.reshape(n_hidden, 1),
        "b2": np.full(1, 0.0),
    }


def _forward(params, x):
    x = _floats(x)
    before_tanh = np.dot(x, _floats(params["W1"])) + _floats(params["b1"])
    after_tanh = np.tanh(before_tanh)
    prediction = np.dot(after_tanh, _floats(params["W2"])) + _floats(params["b2"])
    return prediction, {"x": x, "z1": before_tanh, "h": after_tanh}


def _numerical_gradients(scalar_of_params, params):
    """Centred differences of ``scalar_of_params`` in every element of every parameter."""
    params = {key: _floats(params[key]) for key in KEYS}
    grads = {}
    for key in KEYS:
        grads[key] = np.zeros_like(params[key])
        for index in np.ndindex(params[key].shape):
            nudged = {k: v.copy() for k, v in params.items()}
            nudged[key][index] += STEP
            up = scalar_of_params(nudged)
            nudged[key][index] -= 2 * STEP
            down = scalar_of_params(nudged)
            grads[key][index] = (up - down) / (2 * STEP)
    return grads


def _backward(params, cache, dl_dpred):
    # The gradient of sum(dl_dpred * y_pred), measured: the chain rule's answer, without it.
    g = _floats(dl_dpred)
    return _numerical_gradients(lambda p: float(np.sum(g * _forward(p, cache["x"])[0])), params)


def _sgd_step(params, grads, lr):
    return {name: _floats(params[name]) - lr * _floats(grads[name]) for name in KEYS}


STAND_INS = {
    "init_params": _init_params,
    "forward": _forward,
    "backward": _backward,
    "sgd_step": _sgd_step,
}


# --------------------------------------------------------------- helpers ---


def call(name, *args, **kwargs):
    """Call your function ``name``, with the other functions swapped for stand-ins."""
    function = getattr(backprop_sign, name, None)
    if not callable(function):
        pytest.fail(
            f"backprop_sign.py has no function called {name}; keep the names of the stubs",
            pytrace=False,
        )
    with pytest.MonkeyPatch.context() as patch:
        for other, stand_in in STAND_INS.items():
            if other != name:
                patch.setattr(backprop_sign, other, stand_in, raising=False)
        losses = sys.modules.get("regression_losses")
        for other, stand_in in LOSS_STAND_INS.items():
            if losses is not None:
                patch.setattr(losses, other, stand_in, raising=False)
        try:
            return function(*args, **kwargs)
        except NotImplementedError as error:
            raised_in = traceback.extract_tb(error.__traceback__)[-1].name
    # Failing outside the except block keeps pytest from printing the stub's traceback too.
    if raised_in == name:
        message = f"{name} is not implemented yet (it still raises NotImplementedError)"
    else:
        message = f"{name} is not implemented yet (NotImplementedError was raised in {raised_in})"
    pytest.fail(message, pytrace=False)


def expect_close(got, expected, called, why):
    wanted = np.asarray(expected, dtype=float)
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        got_array = None
    if got_array is None or got_array.shape != wanted.shape:
        shape = "a single number" if wanted.shape == () else f"an array of shape {wanted.shape}"
        pytest.fail(
            f"{called} is {got!r}, expected {shape}: {expected!r}. Why: {why}", pytrace=False
        )
    if not np.allclose(got_array, wanted, rtol=RTOL, atol=ATOL):
        hint = flipped_hint(got_array, wanted)
        pytest.fail(f"{called} is {got!r}, expected {expected!r}{hint}. Why: {why}", pytrace=False)


def flipped_hint(got_array, wanted):
    """A few words when ``got_array`` is exactly ``-wanted`` (not all zeros): a flipped sign is
    the likelier cause, whatever else the check is about."""
    if np.any(wanted != 0) and np.allclose(got_array, -wanted, rtol=RTOL, atol=ATOL):
        return " (exactly the expected answer with its sign flipped: look for a flipped sign first)"
    return ""


def expect_dict(got, called, keys=KEYS):
    """Fail unless ``got`` is a dict holding ``keys``; return it."""
    if not isinstance(got, dict) or any(key not in got for key in keys):
        pytest.fail(
            f"{called} returned {got!r}; expected a dict with the keys {', '.join(keys)}",
            pytrace=False,
        )
    return got


def expect_pair(got, called, first, second):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        pytest.fail(
            f"{called} returned {got!r}; expected a pair ({first}, {second})", pytrace=False
        )
    return got


# The lesson's network (sections 2 to 5): one input, two hidden units, tanh(ln 2) = 0.6 and
# tanh(ln 3) = 0.8.
LN2, LN3 = math.log(2.0), math.log(3.0)


def lesson_params(b2=0.0):
    return {
        "W1": np.array([[LN2, -LN3]]),
        "b1": np.array([0.0, 0.0]),
        "W2": np.array([[1.0], [0.5]]),
        "b2": np.array([b2]),
    }


def lesson_cache():
    return {"x": np.array([[1.0]]), "z1": np.array([[LN2, -LN3]]), "h": np.array([[0.6, -0.8]])}


def random_network(seed, n=5, n_in=2, n_hidden=3):
    """Random weights (biases too) and a random batch: numbers nobody can work out by hand."""
    draw = np.random.default_rng(seed)
    params = {
        "W1": draw.normal(size=(n_in, n_hidden)),
        "b1": draw.normal(size=n_hidden),
        "W2": draw.normal(size=(n_hidden, 1)),
        "b2": draw.normal(size=1),
    }
    return params, draw.normal(size=(n, n_in)), draw.normal(size=(n, 1))


# ----------------------------------------------------------- init_params ---


def test_init_params_shapes_and_zero_biases():
    params = expect_dict(call("init_params", 2, 3, 0), "init_params(2, 3, 0)")
    for key, shape in {"W1": (2, 3), "b1": (3,), "W2": (3, 1), "b2": (1,)}.items():
        if np.shape(params[key]) != shape:
            pytest.fail(
                f"init_params(2, 3, 0) gave {key} the shape {np.shape(params[key])}, expected "
                f"{shape}. Why: W1 is (n_in, n_hidden), b1 (n_hidden,), W2 (n_hidden, 1), b2 (1,)",
                pytrace=False,
            )
    expect_close(params["b1"], [0.0, 0.0, 0.0], "init_params(2, 3, 0)['b1']", "biases start at 0")
    expect_close(params["b2"], [0.0], "init_params(2, 3, 0)['b2']", "biases start at 0")


def test_init_params_draws_w1_then_w2_from_the_seed():
    # default_rng(seed).normal(0, 0.5) gives one stream of numbers: W1's 2 * 3 first, row by
    # row, then W2's 3.
    stream = np.random.default_rng(7).normal(0.0, 0.5, size=9)
    params = expect_dict(call("init_params", 2, 3, 7), "init_params(2, 3, 7)")
    why = (
        "W1 then W2, each rng.normal(0.0, INIT_STD, size=shape), rng = np.random.default_rng(seed)"
    )
    expect_close(params["W1"], stream[:6].reshape(2, 3), "init_params(2, 3, 7)['W1']", why)
    expect_close(params["W2"], stream[6:].reshape(3, 1), "init_params(2, 3, 7)['W2']", why)


def test_init_params_is_reproducible():
    first = expect_dict(call("init_params", 1, 4, 3), "init_params(1, 4, 3)")
    again = expect_dict(call("init_params", 1, 4, 3), "init_params(1, 4, 3)")
    other = expect_dict(call("init_params", 1, 4, 4), "init_params(1, 4, 4)")
    expect_close(again["W1"], first["W1"], "init_params(1, 4, 3)['W1'] twice", "same seed, same W1")
    if np.allclose(other["W1"], first["W1"]):
        pytest.fail(
            "init_params(1, 4, 3) and init_params(1, 4, 4) gave the same W1. "
            "Why: the weights must come from np.random.default_rng(seed)",
            pytrace=False,
        )


# --------------------------------------------------------------- forward ---


def test_forward_by_hand():
    # z1 = 1 * [ln 2, -ln 3] = [ln 2, -ln 3]; h = tanh(z1) = [0.6, -0.8];
    # y_pred = 0.6 * 1 + (-0.8) * 0.5 + 0 = 0.2
    y_pred, cache = expect_pair(
        call("forward", lesson_params(), np.array([[1.0]])), "forward", "y_pred", "cache"
    )
    called = "forward(lesson params, x=[[1.0]])"
    expect_close(y_pred, [[0.2]], f"{called}[0]", "0.6 * 1 + (-0.8) * 0.5 = 0.2, shape (n, 1)")
    cache = expect_dict(cache, f"{called}[1]", keys=("x", "z1", "h"))
    expect_close(cache["z1"], [[LN2, -LN3]], f"{called}[1]['z1']", "z1 = x @ W1 + b1")
    expect_close(cache["h"], [[0.6, -0.8]], f"{called}[1]['h']", "h = tanh(z1)")
    expect_close(cache["x"], [[1.0]], f"{called}[1]['x']", "the cache keeps the input x")


def test_forward_on_a_batch():
    # x = [[1], [-1]]: tanh is odd, so h = [[0.6, -0.8], [-0.6, 0.8]];
    # with b2 = 0.1: y_pred = [[0.2 + 0.1], [-0.2 + 0.1]] = [[0.3], [-0.1]]
    y_pred, _ = expect_pair(
        call("forward", lesson_params(b2=0.1), np.array([[1.0], [-1.0]])),
        "forward",
        "y_pred",
        "cache",
    )
    expect_close(
        y_pred,
        [[0.3], [-0.1]],
        "forward(lesson params with b2 = [0.1], x=[[1.0], [-1.0]])[0]",
        "one row per example; b1 and b2 are added to every row",
    )


# -------------------------------------------------------------- backward ---


def check_gradients(got, expected, called, why):
    got = expect_dict(got, called)
    for key in KEYS:
        expect_close(got[key], expected[key], f"{called}['{key}']", why)


def test_backward_by_hand():
    # y = 1: g = 2 * (0.2 - 1) = -1.6. dW2 = h.T @ g = [[-0.96], [1.28]]; db2 = [-1.6];
    # dh = g @ W2.T = [-1.6, -0.8]; 1 - h² = [0.64, 0.36]; dz1 = [-1.024, -0.288] = dW1 = db1
    check_gradients(
        call("backward", lesson_params(), lesson_cache(), np.array([[-1.6]])),
        {
            "W1": [[-1.024, -0.288]],
            "b1": [-1.024, -0.288],
            "W2": [[-0.96], [1.28]],
            "b2": [-1.6],
        },
        "backward(lesson params, lesson cache, dl_dpred=[[-1.6]])",
        "the lesson's table in section 3; each gradient has the shape of its parameter",
    )


def test_backward_flips_with_the_error_by_hand():
    # y = -0.6: the same loss 0.64, but g = 2 * (0.2 + 0.6) = +1.6: every gradient flips
    check_gradients(
        call("backward", lesson_params(), lesson_cache(), np.array([[1.6]])),
        {"W1": [[1.024, 0.288]], "b1": [1.024, 0.288], "W2": [[0.96], [-1.28]], "b2": [1.6]},
        "backward(lesson params, lesson cache, dl_dpred=[[1.6]])",
        "the prediction 0.2 is now too high, so every gradient has the opposite sign (section 4)",
    )


def test_backward_sums_over_the_batch_by_hand():
    # h = [[0.6, -0.8], [-0.6, 0.8]], 1 - h² = [0.64, 0.36] in both rows, g = [[0.5], [-0.25]]:
    # db2 = 0.5 - 0.25 = 0.25; dW2 = [[0.3 + 0.15], [-0.4 - 0.2]] = [[0.45], [-0.6]];
    # dz1 = [[0.5 * 0.64, 0.25 * 0.36], [-0.25 * 0.64, -0.125 * 0.36]] = [[0.32, 0.09], [-0.16, -0.045]]
    # dW1 = 1 * [0.32, 0.09] + (-1) * [-0.16, -0.045] = [[0.48, 0.135]]; db1 = [0.16, 0.045]
    x = np.array([[1.0], [-1.0]])
    cache = {"x": x, "z1": x @ lesson_params()["W1"], "h": np.array([[0.6, -0.8], [-0.6, 0.8]])}
    check_gradients(
        call("backward", lesson_params(b2=0.1), cache, np.array([[0.5], [-0.25]])),
        {"W1": [[0.48, 0.135]], "b1": [0.16, 0.045], "W2": [[0.45], [-0.6]], "b2": [0.25]},
        "backward(lesson params, cache of x=[[1.0], [-1.0]], dl_dpred=[[0.5], [-0.25]])",
        "a bias's gradient is summed over the examples; dl_dpred already holds the 1/n, so "
        "nothing is divided by n",
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_backward_matches_finite_differences(seed):
    # Nudge each weight by ±STEP, rerun the network, and measure the slope of the mean squared
    # error: that is the gradient, whatever formula produced it.
    params, x, y = random_network(seed)
    y_pred, cache = _forward(params, x)
    dl_dpred = 2.0 * (y_pred - y) / y.size
    measured = _numerical_gradients(lambda p: _mse(_forward(p, x)[0], y), params)
    got = expect_dict(
        call("backward", params, cache, dl_dpred), f"backward (random network {seed})"
    )
    for key in KEYS:
        if np.shape(got[key]) != np.shape(params[key]):
            pytest.fail(
                f"backward gave {key} the shape {np.shape(got[key])}; expected "
                f"{np.shape(params[key])}. Why: a gradient has the shape of its parameter",
                pytrace=False,
            )
        error = np.linalg.norm(got[key] - measured[key]) / max(
            np.linalg.norm(got[key]) + np.linalg.norm(measured[key]), 1e-12
        )
        if error > GRAD_CHECK_RTOL:
            pytest.fail(
                f"backward (random network {seed}, a batch of 5) gave {key} = {got[key]!r}; "
                f"nudging {key} and measuring the loss gives {measured[key]!r} (relative error "
                f"{error:.2g}). Why: the gradient is the slope of the loss in that parameter",
                pytrace=False,
            )


@pytest.mark.parametrize("factor", [-1.0, 3.0])
def test_backward_is_linear_in_the_upstream_gradient(factor):
    # Section 4: backward only multiplies dl_dpred by things that do not depend on it, and
    # adds up. So factor * dl_dpred must give factor times every gradient; -1 flips every sign.
    params, x, _ = random_network(2)
    _, cache = _forward(params, x)
    dl_dpred = np.random.default_rng(3).normal(size=(5, 1))
    base = expect_dict(call("backward", params, cache, dl_dpred), "backward")
    scaled = expect_dict(call("backward", params, cache, factor * dl_dpred), "backward")
    for key in KEYS:
        expect_close(
            scaled[key],
            factor * _floats(base[key]),
            f"backward with {factor:g} * dl_dpred, ['{key}']",
            f"{factor:g} times the upstream gradient must give {factor:g} times every gradient "
            "(section 4: this is how the sign of ŷ - y reaches every weight)",
        )
        if not np.any(_floats(base[key]) != 0):
            pytest.fail(
                f"backward returned zeros for {key}. Why: a gradient that is 0 whatever dl_dpred "
                "says cannot carry its sign",
                pytrace=False,
            )


def test_backward_step_lowers_the_loss():
    # One small step against your gradients, from the lesson's network with y = 1 (MSE 0.64).
    grads = expect_dict(
        call("backward", lesson_params(), lesson_cache(), np.array([[-1.6]])), "backward"
    )
    stepped = {key: lesson_params()[key] - 0.1 * _floats(grads[key]) for key in KEYS}
    after = _mse(_forward(stepped, [[1.0]])[0], [[1.0]])
    if not after < 0.64:
        pytest.fail(
            f"one step of lr = 0.1 against your gradients took the MSE from 0.64 to {after:.4g}. "
            "Why: the gradient points uphill, so a step against it must go down (section 5: to "
            "about 0.12)",
            pytrace=False,
        )


# -------------------------------------------------------------- sgd_step ---


def test_sgd_step_by_hand():
    # W1: [1 - 0.5 * 2, -1 - 0.5 * (-2)] = [0, 0]; b1: [0 - 0.5, 0 - 0] = [-0.5, 0];
    # W2: [0.5 - 0, 2 - 0.5 * 4] = [0.5, 0]; b2: 1 - 0.5 * (-2) = 2 (a negative gradient: increase)
    params = {
        "W1": np.array([[1.0, -1.0]]),
        "b1": np.zeros(2),
        "W2": np.array([[0.5], [2.0]]),
        "b2": np.array([1.0]),
    }
    grads = {
        "W1": np.array([[2.0, -2.0]]),
        "b1": np.array([1.0, 0.0]),
        "W2": np.array([[0.0], [4.0]]),
        "b2": np.array([-2.0]),
    }
    check_gradients(
        call("sgd_step", params, grads, 0.5),
        {"W1": [[0.0, 0.0]], "b1": [-0.5, 0.0], "W2": [[0.5], [0.0]], "b2": [2.0]},
        "sgd_step(params, grads, 0.5)",
        "every parameter moves against its gradient: params[k] - lr * grads[k]",
    )


def test_sgd_step_returns_a_new_dict():
    params, _, _ = random_network(4)
    grads, _, _ = random_network(5)
    new = call("sgd_step", params, grads, 0.1)
    if new is params or any(new[key] is params[key] for key in KEYS):
        pytest.fail(
            "sgd_step(params, grads, 0.1) returned the dict or arrays it was given. "
            "Why: it must return a new dict of new arrays and leave params unchanged",
            pytrace=False,
        )


# ----------------------------------------------------------------- train ---


def sine(n=24):
    x = np.linspace(-1.0, 1.0, n).reshape(-1, 1)
    return x, np.sin(np.pi * x)


def test_train_one_epoch_by_hand():
    # x = [[0]]: z1 = b1 = 0, h = 0, y_pred = b2 = 0; y = [[1]]: MSE 1, g = 2 * (0 - 1) = -2.
    # dW2 = h.T @ g = 0 and dW1 = x.T @ dz1 = 0: W1 and W2 stay. db2 = -2, so b2 = 0 + 0.1 * 2 = 0.2;
    # db1 = g * W2.T * (1 - 0) = -2 * W2.T, so b1 = 0.2 * W2.T (W2 from init_params(1, 3, 5)).
    start = _init_params(1, 3, 5)
    params, history = expect_pair(
        call("train", [[0.0]], [[1.0]], n_hidden=3, lr=0.1, epochs=1, seed=5),
        "train",
        "params",
        "history",
    )
    called = "train([[0.0]], [[1.0]], n_hidden=3, lr=0.1, epochs=1, seed=5)"
    params = expect_dict(params, f"{called}[0]")
    expect_close(history, [1.0], f"{called}[1]", "one epoch records one loss, before the step")
    expect_close(params["b2"], [0.2], f"{called}[0]['b2']", "b2 - 0.1 * (-2) = 0.2")
    expect_close(
        params["b1"], 0.2 * start["W2"][:, 0], f"{called}[0]['b1']", "b1 - 0.1 * (-2 * W2.T)"
    )
    expect_close(
        params["W1"],
        start["W1"],
        f"{called}[0]['W1']",
        "start from init_params(n_in, n_hidden, seed); x = 0 leaves W1",
    )


def test_train_history():
    x, y = sine()
    _, history = expect_pair(
        call("train", x, y, n_hidden=8, lr=0.2, epochs=50, seed=1), "train", "params", "history"
    )
    called = "train(sine, n_hidden=8, lr=0.2, epochs=50, seed=1)"
    if not isinstance(history, list) or len(history) != 50:
        pytest.fail(
            f"{called} returned a history of type {type(history).__name__}, expected a list of "
            "50 floats. Why: one loss is recorded per epoch",
            pytrace=False,
        )
    first = _mse(_forward(_init_params(1, 8, 1), x)[0], y)
    expect_close(
        history[0], first, f"{called}[1][0]", "the first entry is the loss of init_params(1, 8, 1)"
    )
    if not history[-1] < history[0]:
        pytest.fail(
            f"{called} recorded the losses {history[0]!r} first and {history[-1]!r} last. Why: training must lower the loss",
            pytrace=False,
        )


def test_train_fits_a_sine_with_mse():
    x, y = sine()
    params, _ = call("train", x, y, n_hidden=8, lr=0.2, epochs=400, seed=0)
    final = _mse(_forward(expect_dict(params, "train(...)[0]"), x)[0], y)
    if not final <= 0.05:
        pytest.fail(
            f"train(sine, n_hidden=8, lr=0.2, epochs=400, seed=0) ended with an MSE of {final:.4g}; "
            "expected at most 0.05. Why: gradient descent with the right gradients fits sin(πx)",
            pytrace=False,
        )


def test_train_fits_a_sine_with_mae():
    x, y = sine()
    params, history = expect_pair(
        call("train", x, y, loss="mae", n_hidden=8, lr=0.1, epochs=600, seed=0),
        "train",
        "params",
        "history",
    )
    expect_close(
        history[0],
        _mae(_forward(_init_params(1, 8, 0), x)[0], y),
        "train(sine, loss='mae', ...)[1][0]",
        "with loss='mae' the history holds MAEs",
    )
    final = _mae(_forward(expect_dict(params, "train(...)[0]"), x)[0], y)
    if not final <= 0.25:
        pytest.fail(
            f"train(sine, loss='mae', n_hidden=8, lr=0.1, epochs=600, seed=0) ended with an MAE of "
            f"{final:.4g}; expected at most 0.25. Why: the MAE's upstream gradient is only signs, "
            "and the signs are enough to learn",
            pytrace=False,
        )


# ------------------------------------------------------- inputs untouched ---


def _calls():
    params, x, y = random_network(6)
    _, cache = _forward(params, x)
    grads, _, _ = random_network(7)
    return {
        "forward": (params, x),
        "backward": (params, cache, 2.0 * (_forward(params, x)[0] - y) / y.size),
        "sgd_step": (params, grads, 0.1),
        "train": (x, y, "mse", 3, 0.1, 5, 0),
    }


def _copy(value):
    if isinstance(value, dict):
        return {key: np.array(v, copy=True) for key, v in value.items()}
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


@pytest.mark.parametrize("name", ["forward", "backward", "sgd_step", "train"])
def test_inputs_are_not_modified(name):
    arguments = _calls()[name]
    originals = [_copy(a) for a in arguments]
    call(name, *arguments)
    for position, (after, before) in enumerate(zip(arguments, originals)):
        changed = (
            any(not np.array_equal(after[k], before[k]) for k in before)
            or set(after) != set(before)
            if isinstance(before, dict)
            else isinstance(before, np.ndarray) and not np.array_equal(after, before)
        )
        if changed:
            pytest.fail(
                f"{name} changed its argument number {position + 1}. Why: the caller still "
                "needs it; build new arrays (and a new dict) instead of writing into an input "
                "(+=, -=, a[...] =, params[key] =)",
                pytrace=False,
            )

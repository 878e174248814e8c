"""Public self-checks for ``regression_losses.py``. Run ``pytest`` in this folder.

The numbers are those of the lesson (README.md); the expected values were
worked out by hand, and the arithmetic is in the comments, so you can redo it.

Each check tests one function on its own. While it runs, the *other* functions
of your module are swapped for known-correct stand-ins (defined below), so a
mistake in, say, ``mse_grad`` is reported by the ``mse_grad`` checks only, and
not again by every function that calls it.
"""

import sys
import traceback
from pathlib import Path

import numpy as np
import pytest

# Import the regression_losses.py that sits next to this file, wherever pytest is started from.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import regression_losses

# Your results may differ from the hand-worked values by float rounding only.
RTOL = 1e-6
ATOL = 1e-8
# Gradient descent on points exactly on a line ends this close to it.
FIT_ATOL = 1e-6


# ------------------------------------------------------------- stand-ins ---
# Known-correct versions of the functions, used only while a *different*
# function is being checked. Their gradients are numerical (centred
# differences): slow, but independent of any formula.

STEP = 1e-6


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


def _predict(theta, x):
    return _floats(theta)[0] + _floats(theta)[1] * _floats(x)


def _linear_grads(theta, x, y, loss="mse"):
    loss_of = {"mse": _mse, "mae": _mae}[loss]
    theta = _floats(theta)
    grad = np.zeros(2)
    for k in range(2):
        nudge = np.zeros(2)
        nudge[k] = STEP
        up = loss_of(_predict(theta + nudge, x), y)
        down = loss_of(_predict(theta - nudge, x), y)
        grad[k] = (up - down) / (2 * STEP)
    return grad


def _gd_step(theta, grad, lr):
    return _floats(theta) - lr * _floats(grad)


STAND_INS = {
    "mse": _mse,
    "mae": _mae,
    "mse_grad": _mse_grad,
    "mae_grad": _mae_grad,
    "predict": _predict,
    "linear_grads": _linear_grads,
    "gd_step": _gd_step,
}


# --------------------------------------------------------------- helpers ---


def describe(name, args, kwargs):
    """The call as you would type it, e.g. ``mse([4.0, 1.0], [3.0, 3.0])``."""
    shown = [repr(a) for a in args] + [f"{key}={value!r}" for key, value in kwargs.items()]
    return f"{name}({', '.join(shown)})"


def call(name, *args, **kwargs):
    """Call your function ``name``, with the other functions swapped for stand-ins."""
    function = getattr(regression_losses, name, None)
    if not callable(function):
        pytest.fail(
            f"regression_losses.py has no function called {name}; keep the names of the stubs",
            pytrace=False,
        )
    with pytest.MonkeyPatch.context() as patch:
        for other, stand_in in STAND_INS.items():
            if other != name:
                patch.setattr(regression_losses, other, stand_in, raising=False)
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


def check(name, args, expected, why, **kwargs):
    """Call ``name(*args, **kwargs)``; fail with a clear sentence unless it gives ``expected``."""
    got = call(name, *args, **kwargs)
    expect_close(got, expected, describe(name, args, kwargs), why)
    return got


def expect_close(got, expected, called, why):
    wanted = np.asarray(expected, dtype=float)
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        got_array = None
    if got_array is None or got_array.shape != wanted.shape:
        shape = "a single number" if wanted.shape == () else f"an array of shape {wanted.shape}"
        pytest.fail(
            f"{called} returned {got!r}, expected {shape}: {expected!r}. Why: {why}",
            pytrace=False,
        )
    if not np.allclose(got_array, wanted, rtol=RTOL, atol=ATOL):
        hint = flipped_hint(got_array, wanted)
        pytest.fail(
            f"{called} returned {got!r}, expected {expected!r}{hint}. Why: {why}", pytrace=False
        )


def flipped_hint(got_array, wanted):
    """A few words when ``got_array`` is exactly ``-wanted`` (not all zeros): a flipped sign is
    the likelier cause, whatever else the check is about."""
    if np.any(wanted != 0) and np.allclose(got_array, -wanted, rtol=RTOL, atol=ATOL):
        return " (exactly the expected answer with its sign flipped: look for a flipped sign first)"
    return ""


# ------------------------------------------------------------------- mse ---


def test_mse_by_hand():
    # errors [4 - 3, 1 - 3] = [+1, -2]; (1 + 4) / 2 = 2.5
    check("mse", ([4.0, 1.0], [3.0, 3.0]), 2.5, "the MSE is the mean of the squared errors")


def test_mse_forgets_the_sign():
    # errors [-1, +2]: the same squares 1 and 4, so again 2.5
    check("mse", ([2.0, 5.0], [3.0, 3.0]), 2.5, "squaring makes +2 and -2 cost the same")


# ------------------------------------------------------------------- mae ---


def test_mae_by_hand():
    # errors [+1, -2]; (1 + 2) / 2 = 1.5
    check("mae", ([4.0, 1.0], [3.0, 3.0]), 1.5, "the MAE is the mean of the absolute errors")


def test_mae_forgets_the_sign():
    # errors [-1, +2]; (1 + 2) / 2 = 1.5
    check("mae", ([2.0, 5.0], [3.0, 3.0]), 1.5, "abs() makes +2 and -2 cost the same")


# -------------------------------------------------------------- mse_grad ---


def test_mse_grad_by_hand():
    # 2 * [+1, -2] / 2 = [1, -2]
    check(
        "mse_grad",
        ([4.0, 1.0], [3.0, 3.0]),
        [1.0, -2.0],
        "the gradient must be positive when the prediction is too high (4 > 3) "
        "and negative when it is too low (1 < 3)",
    )


def test_mse_grad_flips_with_the_error():
    # 2 * [-1, +2] / 2 = [-1, 2]: same loss as above, opposite gradient
    check(
        "mse_grad",
        ([2.0, 5.0], [3.0, 3.0]),
        [-1.0, 2.0],
        "the prediction 2 is too low, so its gradient must be negative; 5 is too high: positive",
    )


def test_mse_grad_includes_the_factor_2():
    # n = 1: 2 * (3 - 1) / 1 = 4
    check("mse_grad", ([3.0], [1.0]), [4.0], "d/dŷ (ŷ - y)² = 2(ŷ - y); with n = 1 that is 4")


# -------------------------------------------------------------- mae_grad ---


def test_mae_grad_by_hand():
    # sign([+1, -2]) / 2 = [0.5, -0.5]
    check(
        "mae_grad",
        ([4.0, 1.0], [3.0, 3.0]),
        [0.5, -0.5],
        "the gradient is sign(ŷ - y) / n: +1/2 for the prediction that is too high, "
        "-1/2 for the one that is too low",
    )


def test_mae_grad_keeps_the_sign():
    # sign([-1, +2]) / 2 = [-0.5, 0.5]
    check(
        "mae_grad",
        ([2.0, 5.0], [3.0, 3.0]),
        [-0.5, 0.5],
        "the prediction 2 is too low, so its gradient must be negative (abs() would lose that)",
    )


def test_mae_grad_is_zero_at_a_tie():
    # errors [0, -2]: sign 0 at the tie; [0, -1] / 2 = [0, -0.5]
    check(
        "mae_grad",
        ([1.0, 3.0], [1.0, 5.0]),
        [0.0, -0.5],
        "the errors are [0, -2]: 0 at the tie (1 = 1), never NaN, and -1/2 where 3 is too low",
    )


def test_mae_grad_is_zero_not_nan_when_every_point_is_a_tie():
    check(
        "mae_grad",
        ([1.0, -2.0, 0.0], [1.0, -2.0, 0.0]),
        [0.0, 0.0, 0.0],
        "every error is 0; e / |e| would give 0 / 0 = NaN, the subgradient 0 does not",
    )


# --------------------------------------------------------------- predict ---


def test_predict_by_hand():
    # [1 + 1*0, 1 + 1*2] = [1, 3]
    check("predict", ([1.0, 1.0], [0.0, 2.0]), [1.0, 3.0], "theta is [intercept, slope]")


def test_predict_after_one_step():
    # [1.2 + 1.4*0, 1.2 + 1.4*2] = [1.2, 4.0]
    check("predict", ([1.2, 1.4], [0.0, 2.0]), [1.2, 4.0], "the line is theta0 + theta1 * x")


# ---------------------------------------------------------- linear_grads ---
# The lesson's example: x = [0, 2], y = [1, 5], theta = [1, 1], so ŷ = [1, 3]
# and the errors ŷ - y are [0, -2].


def test_linear_grads_mse_by_hand():
    # g = 2 * [0, -2] / 2 = [0, -2]; sum(g) = -2; sum(g * x) = 0*0 + (-2)*2 = -4
    check(
        "linear_grads",
        ([1.0, 1.0], [0.0, 2.0], [1.0, 5.0]),
        [-2.0, -4.0],
        "the line is too low at x = 2, so both partial derivatives must be negative; "
        "dL/dtheta0 = sum(g), dL/dtheta1 = sum(g * x)",
    )


def test_linear_grads_mae_by_hand():
    # g = sign([0, -2]) / 2 = [0, -0.5]; sum(g) = -0.5; sum(g * x) = (-0.5)*2 = -1
    check(
        "linear_grads",
        ([1.0, 1.0], [0.0, 2.0], [1.0, 5.0]),
        [-0.5, -1.0],
        "with loss='mae' the chain rule uses the MAE gradient [0, -0.5]",
        loss="mae",
    )


def test_linear_grads_are_positive_when_the_line_is_too_high():
    # theta = [3, 3]: ŷ = [3, 9], errors [2, 4]; g = 2 * [2, 4] / 2 = [2, 4]
    # sum(g) = 6; sum(g * x) = 2*0 + 4*2 = 8
    check(
        "linear_grads",
        ([3.0, 3.0], [0.0, 2.0], [1.0, 5.0]),
        [6.0, 8.0],
        "the line is above both points, so both partial derivatives must be positive",
    )


# --------------------------------------------------------------- gd_step ---


def test_gd_step_by_hand():
    # [1, 1] - 0.1 * [-2, -4] = [1.2, 1.4]
    check(
        "gd_step",
        ([1.0, 1.0], [-2.0, -4.0], 0.1),
        [1.2, 1.4],
        "the update is theta - lr * grad",
    )


def test_gd_step_moves_against_the_gradient():
    # [0, 0] - 0.5 * [1, -1] = [-0.5, 0.5]
    check(
        "gd_step",
        ([0.0, 0.0], [1.0, -1.0], 0.5),
        [-0.5, 0.5],
        "a positive gradient means 'decrease this parameter'; adding it would climb the loss",
    )


def test_gd_step_returns_a_new_array():
    theta = np.array([1.0, 1.0])
    new = call("gd_step", theta, np.array([-2.0, -4.0]), 0.1)
    if new is theta:
        pytest.fail(
            "gd_step(theta, grad, 0.1) returned the theta array it was given. "
            "Why: it must return a new array and leave theta unchanged",
            pytrace=False,
        )


# ------------------------------------------------------------------- fit ---


def test_fit_finds_an_exact_line():
    # the points (0, 1) and (2, 5) lie on y = 1 + 2x
    theta, _ = call("fit", [0.0, 2.0], [1.0, 5.0])
    if not np.allclose(theta, [1.0, 2.0], rtol=0, atol=FIT_ATOL):
        pytest.fail(
            f"fit([0.0, 2.0], [1.0, 5.0]) returned theta = {theta!r}, expected [1.0, 2.0]. "
            "Why: the points lie exactly on y = 1 + 2x, and 1000 steps with lr = 0.05 reach it",
            pytrace=False,
        )


def test_fit_history():
    _, history = call("fit", [0.0, 2.0], [1.0, 5.0])
    called = "fit([0.0, 2.0], [1.0, 5.0])"
    if not isinstance(history, list) or len(history) != 1000:
        pytest.fail(
            f"{called} returned a history of type {type(history).__name__} "
            f"with {len(history) if hasattr(history, '__len__') else 'no'} entries, "
            "expected a list of 1000 floats. Why: one loss is recorded per epoch",
            pytrace=False,
        )
    # theta = [0, 0] predicts [0, 0]: errors [-1, -5]; (1 + 25) / 2 = 13
    expect_close(
        history[0], 13.0, f"{called}[1][0]", "the first entry is the loss at theta = [0, 0]"
    )
    if not history[-1] < history[0]:
        pytest.fail(
            f"{called} recorded the losses {history[0]!r} first and {history[-1]!r} last. "
            "Why: gradient descent must lower the loss",
            pytrace=False,
        )


def test_fit_one_epoch_by_hand():
    # history: the loss at [0, 0] is 13. Gradient there: g = 2 * [-1, -5] / 2 = [-1, -5];
    # [sum(g), sum(g * x)] = [-6, -10]; theta = [0, 0] - 0.1 * [-6, -10] = [0.6, 1.0]
    args = ([0.0, 2.0], [1.0, 5.0])
    kwargs = {"lr": 0.1, "epochs": 1}
    theta, history = call("fit", *args, **kwargs)
    called = describe("fit", args, kwargs)
    expect_close(theta, [0.6, 1.0], f"{called}[0]", "one step from [0, 0] with gradient [-6, -10]")
    expect_close(history, [13.0], f"{called}[1]", "one epoch records one loss, before the step")


def test_fit_with_mae_records_the_mae():
    # theta = [0, 0]: errors [-1, -5]; (1 + 5) / 2 = 3
    _, history = call("fit", [0.0, 2.0], [1.0, 5.0], loss="mae", epochs=5)
    called = "fit([0.0, 2.0], [1.0, 5.0], loss='mae', epochs=5)"
    expect_close(len(history), 5, f"len({called}[1])", "epochs=5 records 5 losses")
    expect_close(history[0], 3.0, f"{called}[1][0]", "with loss='mae' the history holds MAEs")


# ------------------------------------------------------- inputs untouched ---

CALLS = {
    "mse": ([4.0, 1.0], [3.0, 3.0]),
    "mae": ([4.0, 1.0], [3.0, 3.0]),
    "mse_grad": ([4.0, 1.0], [3.0, 3.0]),
    "mae_grad": ([4.0, 1.0], [3.0, 3.0]),
    "predict": ([1.0, 1.0], [0.0, 2.0]),
    "linear_grads": ([1.0, 1.0], [0.0, 2.0], [1.0, 5.0]),
    "gd_step": ([1.0, 1.0], [-2.0, -4.0], 0.1),
    "fit": ([0.0, 2.0], [1.0, 5.0], "mse", 0.05, 10),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_inputs_are_not_modified(name):
    arrays = [np.array(a) if isinstance(a, list) else a for a in CALLS[name]]
    call(name, *arrays)
    for position, (after, original) in enumerate(zip(arrays, CALLS[name])):
        if isinstance(after, np.ndarray) and not np.array_equal(after, original):
            pytest.fail(
                f"{name} changed its argument number {position + 1}: it was "
                f"np.array({original!r}) and is {after!r} after the call. Why: the caller still "
                "needs it; build a new array instead of writing into an input (+=, -=, a[...] =)",
                pytrace=False,
            )

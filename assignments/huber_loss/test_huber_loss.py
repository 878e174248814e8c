"""Public checks of ``huber_loss.py``. Run ``pytest`` in this folder, or ``python selfcheck.py``.

The numbers are those of the lesson (README.md); each expected value is worked out by hand in
a comment, so you can redo the arithmetic. The grader runs other, hidden checks on other inputs.

Each check tests one function on its own. While ``fit_huber`` is checked, your ``huber`` and
``huber_grad`` are swapped for known-correct stand-ins (below), and so are ``predict`` and
``gd_step`` of ``regression_losses``, so a mistake is reported by the checks of the function
that has it. If there is no (working) ``regression_losses.py`` in this folder, the stand-ins
below are used as the ``regression_losses`` module.
"""

import sys
import traceback
import types
from pathlib import Path

import numpy as np
import pytest

# Your results may differ from the hand-worked values by float rounding only.
RTOL = 1e-6
ATOL = 1e-8
# Nudge used for finite differences; the loss is made of parabolas and straight lines, on
# which centred differences are exact up to rounding (away from the kinks at |e| = delta).
STEP = 1e-6

# ------------------------------------------------------------- stand-ins ---
# Known-correct versions of the functions, used only while a *different* function is being
# checked. The gradient is numerical (centred differences of the loss): slow, but independent
# of any formula for it.


def _floats(a):
    return np.asarray(a, dtype=float)


def _huber_of_each(e, delta):
    """The Huber loss of each error, as the part within delta times the rest: m·(|e| − m/2)."""
    within = np.minimum(np.abs(e), delta)
    return within * (np.abs(e) - within / 2)


def _huber(y_pred, y_true, delta=1.0):
    return float(np.mean(_huber_of_each(_floats(y_pred) - _floats(y_true), delta)))


def _huber_grad(y_pred, y_true, delta=1.0):
    e = _floats(y_pred) - _floats(y_true)
    up, down = _huber_of_each(e + STEP, delta), _huber_of_each(e - STEP, delta)
    return (up - down) / (2 * STEP * e.size)


def _predict(theta, x):
    theta = _floats(theta)
    return theta[0] + theta[1] * _floats(x)


def _gd_step(theta, grad, lr):
    return _floats(theta) - lr * _floats(grad)


STAND_INS = {"huber": _huber, "huber_grad": _huber_grad}
LINE_STAND_INS = {"predict": _predict, "gd_step": _gd_step}

# Import the files next to this one, wherever pytest is started from. Your own
# regression_losses.py is used if it is here; otherwise the stand-ins above are.
sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    import regression_losses  # (fit_huber imports it by name)
except Exception:
    sys.modules["regression_losses"] = types.ModuleType("regression_losses")
    vars(sys.modules["regression_losses"]).update(LINE_STAND_INS)
import huber_loss  # noqa: E402  (after the stand-in: it may import regression_losses at its top)


def call(name, *args, **kwargs):
    """Call your function ``name``, with the other functions swapped for their stand-ins."""
    function = getattr(huber_loss, name, None)
    if not callable(function):
        pytest.fail(
            f"huber_loss.py has no function called {name}; keep the names of the stubs",
            pytrace=False,
        )
    with pytest.MonkeyPatch.context() as patch:
        for other, stand_in in STAND_INS.items():
            if other != name:
                patch.setattr(huber_loss, other, stand_in, raising=False)
        for module in (sys.modules.get("regression_losses"), huber_loss):
            for other, stand_in in LINE_STAND_INS.items():
                if module is not None and hasattr(module, other):
                    patch.setattr(module, other, stand_in)
        try:
            return function(*args, **kwargs)
        except NotImplementedError as error:
            raised_in = traceback.extract_tb(error.__traceback__)[-1].name
    # Failing outside the except block keeps pytest from printing the stub's traceback too.
    where = "it still raises" if raised_in == name else f"raised in {raised_in}:"
    pytest.fail(f"{name} is not implemented yet ({where} NotImplementedError)", pytrace=False)


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


def check(name, args, kwargs, expected, why):
    """Call ``name(*args, **kwargs)``; fail with a sentence unless it returns ``expected``."""
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    expect_close(call(name, *args, **kwargs), expected, f"{name}({', '.join(shown)})", why)


def expect_pair(got, called):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        pytest.fail(f"{called} returned {got!r}; expected a pair (theta, history)", pytrace=False)
    return got


# Section 1's data: the line y = 2 + 2x, with the middle point recorded 10 too high.
X = [-2.0, -1.0, 0.0, 1.0, 2.0]
Y = [-2.0, 0.0, 12.0, 4.0, 6.0]


# ------------------------------------------------------------------ huber ---


def test_huber_by_hand():
    # errors [0.5, -3]; 0.5 is within delta = 1: 0.5 * 0.25 = 0.125; -3 is beyond:
    # 1 * (3 - 0.5) = 2.5; mean (0.125 + 2.5) / 2 = 1.3125
    check("huber", ([0.5, -3.0], [0.0, 0.0]), {}, 1.3125, "section 3, with delta = 1")


def test_huber_with_another_delta():
    # delta = 2: 0.5 -> 0.125 as before; -3 -> 2 * (3 - 1) = 4; mean (0.125 + 4) / 2 = 2.0625
    check("huber", ([0.5, -3.0], [0.0, 0.0]), {"delta": 2.0}, 2.0625, "section 3, with delta = 2")


def test_huber_pieces_meet_at_delta():
    # errors [1, -1] with delta = 1: the parabola 0.5 * 1 = 0.5 and the line 1 * (1 - 0.5) = 0.5
    # agree; mean 0.5. With delta = 0.5 and errors [0.5, -0.5]: 0.5 * 0.25 = 0.125
    why = "at |e| = delta the two pieces give the same number, ½δ² (section 3)"
    check("huber", ([4.0, 2.0], [3.0, 3.0]), {}, 0.5, why)
    check("huber", ([4.0, 2.0], [3.5, 2.5]), {"delta": 0.5}, 0.125, why)


def test_huber_at_the_true_line():
    # section 3: errors [0, 0, -10, 0, 0]; only the outlier costs: 1 * (10 - 0.5) = 9.5; 9.5 / 5
    check("huber", ([-2.0, 0.0, 2.0, 4.0, 6.0], Y), {}, 1.9, "the outlier costs δ(|e| − δ/2)")


# ------------------------------------------------------------- huber_grad ---


def test_huber_grad_by_hand():
    # errors [0.5, -3] clipped to [-1, 1]: [0.5, -1]; over n = 2: [0.25, -0.5]
    check("huber_grad", ([0.5, -3.0], [0.0, 0.0]), {}, [0.25, -0.5], "section 4, with delta = 1")


def test_huber_grad_with_another_delta():
    # delta = 2: [0.5, -3] clipped to [-2, 2]: [0.5, -2]; over n = 2: [0.25, -1.0]
    check(
        "huber_grad",
        ([0.5, -3.0], [0.0, 0.0]),
        {"delta": 2.0},
        [0.25, -1.0],
        "section 4, with delta = 2",
    )


def test_huber_grad_keeps_the_sign_and_caps_the_size():
    # errors [10, -10, 0.5, -0.5, 0]: clipped to [1, -1, 0.5, -0.5, 0]; over n = 5
    check(
        "huber_grad",
        ([10.0, -10.0, 0.5, -0.5, 3.0], [0.0, 0.0, 0.0, 0.0, 3.0]),
        {},
        [0.2, -0.2, 0.1, -0.1, 0.0],
        "beyond delta each slope is ±δ/n, with the sign of the error; a tie gives 0 (section 4)",
    )


def test_huber_grad_at_the_boundary():
    # errors [1, -1] with delta = 1: e/n and delta * sign(e)/n are both [0.5, -0.5]
    check(
        "huber_grad",
        ([4.0, 2.0], [3.0, 3.0]),
        {},
        [0.5, -0.5],
        "at |e| = delta both pieces give ±δ/n (section 4)",
    )


def test_huber_grad_matches_finite_differences():
    # Nudge each prediction by ±STEP and measure the slope of the Huber loss: that is the
    # gradient, whatever formula produced it.
    y_pred = np.array([0.3, -2.5, 4.0, 1.2, -0.7, 0.1])
    y_true = np.array([0.0, 0.5, -1.0, 1.0, 0.6, 2.9])
    for delta in (1.0, 0.5):
        measured = _huber_grad(y_pred, y_true, delta)
        check(
            "huber_grad",
            (y_pred, y_true),
            {"delta": delta},
            measured,
            "the gradient is the slope of the loss in each prediction",
        )


# -------------------------------------------------------------- fit_huber ---


def test_fit_huber_one_epoch_by_hand():
    # section 5: errors at theta = [0, 0] are -y = [2, 0, -12, -4, -6]; loss
    # (1.5 + 0 + 11.5 + 3.5 + 5.5) / 5 = 4.4; g = [1, 0, -1, -1, -1] / 5; sum(g) = -0.4,
    # sum(g * x) = -0.4 + 0 + 0 - 0.2 - 0.4 = -1.0; theta = 0 - 0.1 * [-0.4, -1.0] = [0.04, 0.1]
    theta, history = expect_pair(call("fit_huber", X, Y, epochs=1), "fit_huber(X, Y, epochs=1)")
    expect_close(history, [4.4], "fit_huber(X, Y, epochs=1)[1]", "the loss before the step")
    expect_close(
        theta, [0.04, 0.1], "fit_huber(X, Y, epochs=1)[0]", "one step against the gradient"
    )


def test_fit_huber_resists_the_outlier():
    # section 5: the defaults (delta 1, lr 0.1, 500 epochs) end at [2 + 1/4, 2]: the outlier
    # pulls with delta / n = 0.2, the four good points pull back with 0.25 / 5 each
    theta, history = expect_pair(call("fit_huber", X, Y), "fit_huber(X, Y)")
    expect_close(
        theta,
        [2.25, 2.0],
        "fit_huber(X, Y)[0]",
        "the line is lifted by delta / 4 = 0.25, not by the MSE's 10 / 5 = 2",
    )
    if not isinstance(history, list) or len(history) != 500:
        pytest.fail(
            f"fit_huber(X, Y) returned a history of type {type(history).__name__}, expected a "
            "list of 500 floats. Why: one loss is recorded per epoch",
            pytrace=False,
        )
    expect_close(history[0], 4.4, "fit_huber(X, Y)[1][0]", "the loss of theta = [0, 0]")
    # at [2.25, 2]: errors [0.25, 0.25, -9.75, 0.25, 0.25]; (4 * 0.03125 + 9.25) / 5 = 1.875
    expect_close(history[-1], 1.875, "fit_huber(X, Y)[1][-1]", "the loss near the end")


# ------------------------------------------------------- inputs untouched ---


def _calls():
    return {
        "huber": (np.array([0.5, -3.0, 2.0]), np.array([0.0, 0.0, 2.5])),
        "huber_grad": (np.array([0.5, -3.0, 2.0]), np.array([0.0, 0.0, 2.5])),
        "fit_huber": (np.array(X), np.array(Y), 1.0, 0.1, 3),
    }


@pytest.mark.parametrize("name", ["huber", "huber_grad", "fit_huber"])
def test_inputs_are_not_modified(name):
    arguments = _calls()[name]
    originals = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in arguments]
    call(name, *arguments)
    for position, (after, before) in enumerate(zip(arguments, originals)):
        if isinstance(before, np.ndarray) and not np.array_equal(after, before):
            pytest.fail(
                f"{name} changed its argument number {position + 1}. Why: the caller still "
                "needs it; build new arrays instead of writing into an input (+=, -=, a[...] =)",
                pytrace=False,
            )

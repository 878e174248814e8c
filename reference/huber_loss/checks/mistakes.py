"""The misconceptions students have in huber_loss, and how the grader recognises each one.

Each entry's ``variant(reference, *args, **kwargs)`` returns what a student who makes that
mistake would return (computed here, in the grader). The Huber loss has two pieces that meet
at |e| = delta; a mistake in one piece makes them disagree there, and which piece a student's
code picks at exactly |e| = delta depends on ``<=`` or ``<``. So the grader recognises those
mistakes with ``matches``, which accepts either choice at the boundary, while ``variant``
(the ``<=`` choice) gives the self-check its answers on the probes, which keep off the
boundary. Hints speak to the student, with the numbers of the smallest failing case, and name
the lesson section (assignments/huber_loss/README.md) that explains the point. Every entry is
made by exactly one sample submission (reference/huber_loss/samples/<function>__<mistake>.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.grading.diagnosis import Mistake

LOSS_SECTION = "3. The Huber loss: a parabola that turns into a line"
GRADIENT_SECTION = "4. The Huber gradient: the sign kept, the size capped"
FIT_SECTION = "5. Fitting a line with it"

# A piece of the loss or of its gradient, as a function of the errors, delta and n.
Piece = Callable[[np.ndarray, float, int], np.ndarray]


def _errors(y_pred, y_true) -> np.ndarray:
    return np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)


def _delta(args: tuple, kwargs: dict) -> float:
    """delta as the call passed it (third argument or keyword), or its default."""
    return float(args[2]) if len(args) > 2 else float(kwargs.get("delta", 1.0))


def _pieces(error: np.ndarray, delta: float, inner: Piece, outer: Piece, strict: bool):
    n = error.size
    inside = np.abs(error) < delta if strict else np.abs(error) <= delta
    return np.where(inside, inner(error, delta, n), outer(error, delta, n))


def _same(got, want) -> bool:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(want) and bool(np.allclose(got, want, rtol=1e-6, atol=1e-9))


def piecewise(inner: Piece, outer: Piece, mean: bool):
    """(variant, matches) of a mistake made of two pieces: ``inner`` where |e| ≤ delta,
    ``outer`` beyond; the mean of the pieces when ``mean`` (a loss), else the pieces."""

    def answer(y_pred, y_true, delta, strict):
        values = _pieces(_errors(y_pred, y_true), delta, inner, outer, strict)
        return float(np.mean(values)) if mean else values

    def variant(reference, y_pred, y_true, delta=1.0):
        return answer(y_pred, y_true, delta, strict=False)

    def matches(case) -> bool:
        y_pred, y_true, delta = case.args[0], case.args[1], _delta(case.args, case.kwargs)
        return any(_same(case.got, answer(y_pred, y_true, delta, strict)) for strict in (0, 1))

    return {"variant": variant, "matches": matches}


def _half_square(e, d, n):
    return 0.5 * e**2


def _line(e, d, n):
    return d * (np.abs(e) - d / 2)


def _fit(x, y, delta, lr, epochs, direction: float = -1.0, record_after: bool = False):
    """fit_huber written out, stepping ``direction`` times the gradient and recording the
    loss before each step (or after it, with ``record_after``)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def loss(theta):
        error = theta[0] + theta[1] * x - y
        return float(
            np.mean(np.where(np.abs(error) <= delta, 0.5 * error**2, _line(error, delta, 0)))
        )

    theta, history = np.zeros(2), []
    for _ in range(epochs):
        if not record_after:
            history.append(loss(theta))
        g = np.clip(theta[0] + theta[1] * x - y, -delta, delta) / x.size
        theta = theta + direction * lr * np.array([g.sum(), (g * x).sum()])
        if record_after:
            history.append(loss(theta))
    return theta, history


# The mistakes `autograder demo` grades (a sample file of each is in reference/huber_loss/samples/).
DEMO = [
    "huber__no_half_delta",
    "huber_grad__unclipped",
    "huber_grad__clip_loses_sign",
    "fit_huber__ascent",
    "fit_huber__history_after_step",
]

# Small inputs on which the students' self-check compares their answers with each mistake's
# (only the answers are handed out). Errors keep off |e| = delta, and each probe has errors
# within delta and beyond it, of both signs, over n > 1, so every mistake gives another answer.
LESSON_X = [-2.0, -1.0, 0.0, 1.0, 2.0]
LESSON_Y = [-2.0, 0.0, 12.0, 4.0, 6.0]
PROBES = {
    "huber": [
        (([0.5, -3.0], [0.0, 0.0]), {}),
        (([2.0, 1.25, -4.0, 0.0], [1.0, 0.0, 0.0, 0.5]), {"delta": 2.0}),
    ],
    "huber_grad": [
        (([0.5, -3.0], [0.0, 0.0]), {}),
        (([2.0, 1.25, -4.0, 0.0], [1.0, 0.0, 0.0, 0.25]), {"delta": 0.5}),
    ],
    "fit_huber": [((LESSON_X, LESSON_Y), {"delta": 1.0, "lr": 0.1, "epochs": 3})],
}

CATALOG = [
    # -- huber -------------------------------------------------------------------------------------
    Mistake(
        "huber",
        "no_half_delta",
        "the straight piece without − δ/2",
        "{call} gave {got}; expected {expected}. Beyond delta each error costs δ·(|e| − δ/2): "
        "without the − δ/2 the line starts at δ² where the parabola ends at ½δ², and the loss "
        "jumps at |e| = δ.",
        LOSS_SECTION,
        **piecewise(_half_square, lambda e, d, n: d * np.abs(e), mean=True),
    ),
    Mistake(
        "huber",
        "no_half",
        "the parabola without ½",
        "{call} gave {got}; expected {expected}. Within delta each error costs ½e², not e²: the "
        "½ makes the parabola end at ½δ², where the straight piece δ·(|e| − δ/2) starts, and "
        "gives it the slope e that the clip caps at δ.",
        LOSS_SECTION,
        **piecewise(lambda e, d, n: e**2, _line, mean=True),
    ),
    # -- huber_grad --------------------------------------------------------------------------------
    Mistake(
        "huber_grad",
        "unclipped",
        "the gradient is not clipped",
        "{call} gave {got}; expected {expected}. You returned e/n everywhere, the gradient of ½e² "
        "(the MSE's, halved): beyond delta the loss is a straight line with slope ±δ, so each "
        "element is δ·sign(e)/n there. That cap is what stops one outlier pulling harder than δ.",
        GRADIENT_SECTION,
        variant=lambda reference, y_pred, y_true, delta=1.0: (
            _errors(y_pred, y_true) / np.size(y_pred)
        ),
    ),
    Mistake(
        "huber_grad",
        "clip_loses_sign",
        "the clip loses the sign",
        "{call} gave {got}; expected {expected}. Beyond delta you return +δ/n whatever the sign "
        "of the error: a prediction far too low is then pushed further down. The slope of the "
        "straight piece δ·(|e| − δ/2) is δ·sign(e): capped in size, signed like the error.",
        GRADIENT_SECTION,
        **piecewise(lambda e, d, n: e / n, lambda e, d, n: np.full(e.shape, d / n), mean=False),
    ),
    Mistake(
        "huber_grad",
        "sign_flipped",
        "gradient sign flipped",
        "for ŷ = {y_pred}, y = {y_true} your huber_grad gave {got}; the slope there is "
        "{expected}: the same size, the opposite sign. The gradient with respect to ŷ has the "
        "sign of e = ŷ − y (positive when the prediction is too high); you used y − ŷ.",
        GRADIENT_SECTION,
        variant=lambda reference, y_pred, y_true, delta=1.0: (
            -np.clip(_errors(y_pred, y_true), -delta, delta) / np.size(y_pred)
        ),
    ),
    Mistake(
        "huber_grad",
        "sum_not_mean",
        "no 1/n in the gradient",
        "{call} gave {got}; expected {expected}: the loss is a mean, so each element's slope "
        "carries its 1/n (here n is the number of elements): e/n within delta, δ·sign(e)/n beyond.",
        GRADIENT_SECTION,
        variant=lambda reference, y_pred, y_true, delta=1.0: np.clip(
            _errors(y_pred, y_true), -delta, delta
        ),
    ),
    # -- fit_huber ---------------------------------------------------------------------------------
    Mistake(
        "fit_huber",
        "ascent",
        "gradient ascent: climbs the loss",
        "fit_huber climbs: it adds lr·[Σg, Σg·x] to θ, and the loss it records grows. The "
        "gradient points uphill, so the update subtracts it: "
        "θ := θ − lr·[Σg, Σg·x] (gd_step does). The Huber gradient is capped, so the climb is "
        "steady instead of exploding.",
        FIT_SECTION,
        variant=lambda reference, x, y, delta=1.0, lr=0.1, epochs=500: _fit(
            x, y, delta, lr, epochs, direction=1.0
        ),
    ),
    Mistake(
        "fit_huber",
        "history_after_step",
        "history records the loss after the step",
        "fit_huber's history is the correct one shifted by one epoch: it records the loss after "
        "each step. history[k] must be the loss of θ *before* step k, so history[0] is the loss "
        "of θ = [0, 0]: append the loss, then step.",
        FIT_SECTION,
        variant=lambda reference, x, y, delta=1.0, lr=0.1, epochs=500: _fit(
            x, y, delta, lr, epochs, record_after=True
        ),
    ),
]

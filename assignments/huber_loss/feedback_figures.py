"""Pictures of your work: your huber_grad against the error, and your fit_huber line.

The grader draws these into your feedback, and ``python selfcheck.py`` draws the same ones.
``collect(call, reference)`` gathers the numbers: ``call(name, *args, **kwargs)`` calls your
function ``name``, and ``reference.<name>(...)`` gives the correct answer. ``figures(data)``
draws them with matplotlib. A function that fails is left out, with the reason in the caption.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

DELTA = 1.0
ERRORS = np.linspace(-3.0, 3.0, 49)  # includes 0 and ±1 (= ±DELTA) exactly
# The lesson's data (section 1): y = 2 + 2x, the middle point recorded 10 too high.
X = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
Y = np.array([-2.0, 0.0, 12.0, 4.0, 6.0])
TRUE_LINE = np.array([2.0, 2.0])
FIT = {"delta": DELTA, "lr": 0.3, "epochs": 100}


def _try(call: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    try:
        return call(name, *args, **kwargs), None
    except NotImplementedError:
        return None, f"{name} is not implemented yet"
    except Exception as error:  # a failed call, or an answer that is no number
        return None, getattr(error, "sentence", None) or str(error) or type(error).__name__


def _floats(value: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return array if array.shape == shape else None


def collect(call: Callable[..., Any], reference: Any) -> dict:
    """The numbers behind the pictures: your gradient and fit, and the correct ones."""
    zeros = np.zeros_like(ERRORS)
    got, why = _try(call, "huber_grad", ERRORS, zeros, delta=DELTA)
    student = _floats(got, ERRORS.shape)
    if student is None and why is None:
        why = "it returned no array of the shape of y_pred"
    correct = np.asarray(reference.huber_grad(ERRORS, zeros, delta=DELTA))
    gradient = {"student": student, "reference": correct, "why": why}
    got, why = _try(call, "fit_huber", X, Y, **FIT)
    theta = _floats(got[0] if isinstance(got, (list, tuple)) and len(got) == 2 else None, (2,))
    if theta is None and why is None:
        why = "it returned no pair (theta, history) with theta of shape (2,)"
    reference_theta, _history = reference.fit_huber(X, Y, **FIT)
    fit = {"student": theta, "reference": np.asarray(reference_theta), "why": why}
    return {"errors": ERRORS, "gradient": gradient, "fit": fit}


def figures(data: dict) -> list[tuple[str, str, str, Any]]:
    """(file name, title, caption, matplotlib Figure) for each picture."""
    return [_gradient_figure(data["errors"], data["gradient"]), _fit_figure(data["fit"])]


def _gradient_figure(errors: np.ndarray, gradient: dict):
    from matplotlib.figure import Figure

    n = errors.size
    figure = Figure(figsize=(6.5, 4.0))
    figure.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.9)
    axes = figure.add_subplot()
    axes.plot(errors, 2 * errors, "--", color="#bbbbbb", label="MSE: 2e")
    # sign(e) jumps at 0: drawn as two pieces and its value at 0, not as a ramp through 0
    for piece, where in enumerate((errors < 0, errors == 0, errors > 0)):
        if where.any():
            style = ("o", {"markersize": 3}) if piece == 1 else (":", {})
            label = {"label": "MAE: sign(e)"} if piece == 0 else {}
            axes.plot(
                errors[where],
                np.sign(errors[where]),
                style[0],
                color="#888888",
                **style[1],
                **label,
            )
    axes.plot(
        errors, gradient["reference"] * n, color="#999999", linewidth=3, label="correct Huber"
    )
    for level in (-DELTA, DELTA):
        axes.axhline(level, color="#2e7d32", linewidth=0.6)
    notes = []
    student = gradient["student"]
    if student is not None:
        student = student * n
        axes.plot(errors, student, "o", markersize=3, color="#4472c4", label="your huber_grad × n")
        wrong = np.sign(student) != np.sign(errors)
        over = np.abs(student) > DELTA * (1 + 1e-9)
        if wrong.any():
            axes.plot(
                errors[wrong],
                student[wrong],
                "x",
                color="#c00000",
                markersize=7,
                label="wrong sign",
            )
            notes.append(f"the sign is wrong at {int(wrong.sum())} of {n} points")
        if over.any():
            notes.append(f"{int(over.sum())} of {n} points are beyond the cap ±δ")
        off = ~np.isclose(student, gradient["reference"] * n, rtol=1e-6, atol=1e-9)
        if off.any() and not notes:
            notes.append(f"{int(off.sum())} of {n} points are off the correct curve")
    else:
        notes.append(f"not drawn, {gradient['why']}")
    axes.axhline(0, color="black", linewidth=0.5)
    axes.axvline(0, color="black", linewidth=0.5)
    axes.set_ylim(-4.0, 4.0)
    axes.set_xlabel("error e = ŷ − y")
    axes.set_ylabel("gradient × n")
    axes.set_title(f"huber_grad against the error (δ = {DELTA:g})")
    axes.legend(fontsize=7, loc="upper left")
    caption = (
        "Each point is one prediction with y = 0. The Huber gradient follows the error near 0 "
        "and stays between the green lines ±δ beyond it, with the sign of the error; the MSE's "
        "keeps growing, the MAE's never shrinks. "
    ) + (
        "Yours: " + "; ".join(notes) + "." if notes else "Yours is on the correct curve everywhere."
    )
    return ("huber_gradients.png", "Your huber_grad against the error", caption, figure)


def _fit_figure(fit: dict):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.5, 4.0))
    figure.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.9)
    axes = figure.add_subplot()
    line_x = np.linspace(-2.5, 2.5, 2)
    least_squares = np.polyfit(X, Y, 1)[::-1]  # [intercept, slope]
    axes.plot(X, Y, "o", color="black", label="data (one outlier)")
    axes.plot(
        line_x,
        TRUE_LINE[0] + TRUE_LINE[1] * line_x,
        color="#2e7d32",
        linewidth=1,
        label="true line",
    )
    axes.plot(
        line_x,
        least_squares[0] + least_squares[1] * line_x,
        "--",
        color="#888888",
        label="MSE (least squares)",
    )
    reference = fit["reference"]
    axes.plot(
        line_x,
        reference[0] + reference[1] * line_x,
        color="#999999",
        linewidth=3,
        label="correct Huber fit",
    )
    student = fit["student"]
    if student is not None:
        axes.plot(line_x, student[0] + student[1] * line_x, color="#4472c4", label="your fit_huber")
        where = f"Your fit_huber ends at θ = [{student[0]:.3g}, {student[1]:.3g}]; "
        if np.allclose(student, reference, rtol=1e-6, atol=1e-6):
            where += "so does the correct one."
        else:
            where += f"the correct one at [{reference[0]:.3g}, {reference[1]:.3g}]."
    else:
        where = f"Your fit_huber could not be drawn: {fit['why']}."
    axes.set_xlabel("x")
    axes.set_ylabel("y")
    axes.set_title(
        f"fitting a line (δ = {FIT['delta']:g}, lr = {FIT['lr']}, {FIT['epochs']} epochs)"
    )
    axes.legend(fontsize=7, loc="upper left")
    caption = (
        f"The lesson's five points. The MSE line is lifted by 2 towards the outlier "
        f"(θ = [{least_squares[0]:.3g}, {least_squares[1]:.3g}]); the Huber line only by δ/4. "
        + where
    )
    return ("huber_fit.png", "Your fit_huber on data with an outlier", caption, figure)

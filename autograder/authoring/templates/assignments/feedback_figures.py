"""Pictures of your work: your mse as one prediction moves, next to the correct one.

The grader draws these into your feedback, and ``python selfcheck.py`` draws the same ones.
``collect(call, reference)`` gathers the numbers: ``call(name, *args, **kwargs)`` calls your
function ``name``, and ``reference.<name>(...)`` gives the correct answer. ``figures(data)``
draws them with matplotlib. A function that fails is left out, with the reason in the caption.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Y_TRUE = np.array([1.0, -0.5, 2.0])
SHIFTS = np.linspace(-2.0, 2.0, 21)  # how far the first prediction is from its true value


def _predictions(shift: float) -> np.ndarray:
    """The true values, with the first one moved by ``shift``."""
    y_pred = Y_TRUE.copy()
    y_pred[0] += shift
    return y_pred


def collect(call: Callable[..., Any], reference: Any) -> dict:
    """The numbers behind the picture: the correct MSE and yours, at each shift."""
    correct = [float(reference.mse(_predictions(s), Y_TRUE)) for s in SHIFTS]
    yours: list[float] | None = []
    why = None
    for shift in SHIFTS:
        try:
            yours.append(float(call("mse", _predictions(shift), Y_TRUE)))
        except NotImplementedError:
            yours, why = None, "mse is not implemented yet"
            break
        except Exception as error:  # a failed call, or an answer that is no number
            yours, why = (
                None,
                getattr(error, "sentence", None) or str(error) or type(error).__name__,
            )
            break
    return {"shifts": SHIFTS, "correct": correct, "yours": yours, "why": why}


def figures(data: dict) -> list[tuple[str, str, str, Any]]:
    """(file name, title, caption, matplotlib Figure) for each picture."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.5, 3.6))
    figure.subplots_adjust(left=0.13, right=0.97, bottom=0.15, top=0.9)
    axes = figure.add_subplot()
    axes.plot(data["shifts"], data["correct"], color="#999999", linewidth=3, label="correct MSE")
    if data["yours"] is not None:
        axes.plot(
            data["shifts"], data["yours"], "o", markersize=4, color="#4472c4", label="your mse"
        )
        caption = "Your mse as the first prediction moves away from its true value."
    else:
        caption = f"Your mse could not be drawn: {data['why']}."
    axes.set_xlabel("error of the first prediction, ŷ₀ − y₀")
    axes.set_ylabel("MSE")
    axes.set_title("the loss as one prediction moves")
    axes.legend(fontsize=7)
    return [("mse_curve.png", "Your mse as one prediction moves", caption, figure)]

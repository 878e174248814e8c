"""Pictures of your work: the sign of every gradient in your network, and your training runs.

The grader draws these into your feedback, and ``python selfcheck.py`` draws
the same ones on your machine. ``collect(call, reference)`` gathers the
numbers by calling your functions (``call(name, *args, **kwargs)``) and the
correct ones; ``figures(data)`` draws them with matplotlib. A function that
fails to run is left out of its picture, with the reason in the caption.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

KEYS = ("W1", "b1", "W2", "b2")
SIGN_BATCH = 8
SIGN_INPUTS = 2
SIGN_HIDDEN = 6
FIT_POINTS = 24
FIT_RUNS = {
    "mse": {"n_hidden": 8, "lr": 0.2, "epochs": 400, "seed": 0},
    "mae": {"n_hidden": 8, "lr": 0.1, "epochs": 600, "seed": 0},
}
GRID = np.linspace(-1.0, 1.0, 101).reshape(-1, 1)
LOSS_CAP = 1e6  # a loss curve is drawn up to here: a run that climbs soon overflows


def _sign_network() -> tuple[dict, np.ndarray, np.ndarray]:
    """Fixed random weights and a batch whose predictions are off in both directions."""
    rng = np.random.default_rng(11)
    params = {
        "W1": rng.normal(0.0, 1.0, size=(SIGN_INPUTS, SIGN_HIDDEN)),
        "b1": rng.normal(0.0, 0.5, size=SIGN_HIDDEN),
        "W2": rng.normal(0.0, 1.0, size=(SIGN_HIDDEN, 1)),
        "b2": rng.normal(0.0, 0.5, size=1),
    }
    x = rng.uniform(-1.0, 1.0, size=(SIGN_BATCH, SIGN_INPUTS))
    return params, x, np.sin(np.pi * x[:, :1]) + x[:, 1:]


def _sine() -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(-1.0, 1.0, FIT_POINTS).reshape(-1, 1)
    return x, np.sin(np.pi * x)


def _try(call: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    try:
        return call(name, *args, **kwargs), None
    except NotImplementedError:
        return None, f"{name} is not implemented yet"
    except Exception as error:  # CallFailed or an unusable value: say why in the caption
        return None, getattr(error, "sentence", None) or str(error) or type(error).__name__


def _gradients(value: Any, shapes: dict) -> dict | None:
    """``value`` as a dict of float arrays of the given shapes, or None."""
    if not isinstance(value, dict):
        return None
    try:
        arrays = {key: np.asarray(value[key], dtype=float) for key in shapes}
    except (KeyError, TypeError, ValueError):
        return None
    return arrays if all(arrays[k].shape == shapes[k] for k in shapes) else None


def _pair(value: Any) -> tuple[Any, Any]:
    return tuple(value) if isinstance(value, (list, tuple)) and len(value) == 2 else (None, None)


def _floats(value: Any, ndim: int) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return array if array.ndim == ndim else None


def collect(call: Callable[..., Any], reference: Any) -> dict:
    """The numbers behind the figures (student's and reference's)."""
    params, x, y = _sign_network()
    shapes = {key: value.shape for key, value in params.items()}
    y_pred, cache = reference.forward(params, x)
    upstream = 2.0 * (np.asarray(y_pred, dtype=float) - y) / y.size
    signs: dict[str, Any] = {"why": None}
    for label, g in (("given", upstream), ("flipped", -upstream)):
        got, why = _try(call, "backward", params, cache, g)
        student = _gradients(got, shapes)
        if student is None and why is None:
            why = "your backward did not return a dict of gradients in the shapes of the parameters"
        signs[label] = {
            "student": student,
            "reference": _gradients(reference.backward(params, cache, g), shapes),
        }
        signs["why"] = signs["why"] or why
    data: dict[str, Any] = {"signs": signs}

    x, y = _sine()
    for loss, settings in FIT_RUNS.items():
        got, why = _try(call, "train", x, y, loss=loss, **settings)
        trained, history = _pair(got)
        curve = None
        if isinstance(trained, dict):
            predicted, why_curve = _try(call, "forward", trained, GRID)
            curve = _floats(_pair(predicted)[0], 2)
            why = why or why_curve
        reference_params, reference_history = reference.train(x, y, loss=loss, **settings)
        student_history = _floats(history, 1)
        if student_history is None and why is None:
            why = "it returned no pair (params, history) with one loss per epoch"
        data[f"train_{loss}"] = {
            "student": student_history,
            "reference": np.asarray(reference_history, dtype=float),
            "student_curve": curve,
            "reference_curve": np.asarray(
                reference.forward(reference_params, GRID)[0], dtype=float
            ),
            "why": why,
        }
    data["sine"] = {"x": x, "y": y}
    return data


def _sign_rows(grads: dict) -> np.ndarray:
    """Each layer's gradient signs as rows of one table: W1's rows, b1, W2 (as a row), b2."""
    width = grads["b1"].size
    b2 = np.full(width, np.nan)
    b2[0] = grads["b2"][0]
    rows = np.vstack([grads["W1"], grads["b1"], grads["W2"].T, b2])
    return np.where(np.isnan(rows), np.nan, np.sign(rows))


def _row_labels(n_in: int) -> list[str]:
    return [f"W1 row {i + 1}" for i in range(n_in)] + ["b1", "W2ᵀ", "b2"]


def _sentence(notes: list[str]) -> str:
    text = "; ".join(notes)
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def figures(data: dict) -> list[tuple[str, str, str, Any]]:
    """(file name, title, caption, matplotlib Figure) for each picture."""
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullFormatter

    made = []
    signs = data["signs"]
    colours = ListedColormap(["#4472c4", "#f2f2f2", "#c00000"])  # −, 0, +
    figure = Figure(figsize=(8, 5.8))
    figure.subplots_adjust(left=0.1, right=0.98, bottom=0.05, top=0.95, wspace=0.25, hspace=0.3)
    notes = []
    for row, label in enumerate(("given", "flipped")):
        entry = signs[label]
        correct = _sign_rows(entry["reference"])
        for column, (who, grads) in enumerate(
            (("yours", entry["student"]), ("correct", entry["reference"]))
        ):
            axes = figure.add_subplot(2, 2, 2 * row + column + 1)
            upstream = "∂L/∂ŷ" if label == "given" else "−∂L/∂ŷ (flipped)"
            axes.set_title(f"{who}, from {upstream}", fontsize=9)
            axes.set_yticks(range(correct.shape[0]), _row_labels(correct.shape[0] - 3), fontsize=7)
            axes.set_xticks(
                range(correct.shape[1]), [f"h{j + 1}" for j in range(correct.shape[1])], fontsize=7
            )
            if grads is None:
                axes.text(
                    0.5,
                    0.5,
                    "could not be drawn",
                    ha="center",
                    va="center",
                    transform=axes.transAxes,
                )
                continue
            table = _sign_rows(grads)
            axes.imshow(table, cmap=colours, vmin=-1, vmax=1)
            if who == "yours":
                wrong = (table != correct) & ~np.isnan(correct)
                for i, j in zip(*np.nonzero(wrong)):  # row and column indices, one pair each
                    axes.text(j, i, "×", ha="center", va="center", fontsize=12)
                layers = sorted(
                    {_row_labels(correct.shape[0] - 3)[i].split()[0] for i in np.nonzero(wrong)[0]}
                )
                if wrong.any():
                    notes.append(
                        f"from {upstream}, {int(wrong.sum())} signs differ ({', '.join(layers)})"
                    )
    if signs["why"]:
        notes.append(f"your backward could not be drawn: {signs['why']}")
    student, flipped = signs["given"]["student"], signs["flipped"]["student"]
    if student is not None and flipped is not None:
        all_flip = all(np.allclose(flipped[k], -student[k]) for k in KEYS)
        notes.append(
            "flipping ∂L/∂ŷ flipped every one of your gradients"
            if all_flip
            else "flipping ∂L/∂ŷ did NOT flip all of your gradients: backward must be linear in it"
        )
    caption = (
        "Red: positive gradient (the update will lower that weight); blue: negative (it will raise "
        "it). One batch of 8 examples, a network with 2 inputs and 6 hidden units. The top row "
        "starts backpropagation from the true ∂L/∂ŷ, the bottom row from its negative: every "
        "sign in the network should swap. × marks a sign that differs from the correct one. "
    ) + _sentence(notes)
    made.append(
        ("gradient_signs.png", "The sign of every gradient, layer by layer", caption, figure)
    )

    figure = Figure(figsize=(10, 3.6))
    # margins set by hand (tight_layout costs ~0.2 s): room for each panel's own y labels
    figure.subplots_adjust(left=0.07, right=0.99, bottom=0.15, top=0.9, wspace=0.42)
    notes = []
    sine = data["sine"]
    for index, loss in enumerate(FIT_RUNS):
        axes = figure.add_subplot(1, 3, index + 1)
        entry = data[f"train_{loss}"]
        axes.plot(entry["reference"], color="#999999", linewidth=3, label="correct train")
        if entry["student"] is not None:
            history = entry["student"]
            too_big = ~(np.abs(history) <= LOSS_CAP)  # NaN and inf too
            axes.plot(np.where(too_big, LOSS_CAP, history), color="#4472c4", label="your train")
            finite = history[np.isfinite(history)]
            if too_big.any() or (finite.size > 1 and finite[-1] > finite[0]):
                notes.append(
                    f"your {loss.upper()} rises: the steps go uphill, so look at the sign of the "
                    "upstream gradient and of the update"
                )
            if too_big.any():
                notes.append(
                    f"your {loss.upper()} passed {LOSS_CAP:g} at epoch {int(np.argmax(too_big))} "
                    "(drawn at the top of the picture from there)"
                )
        else:
            notes.append(f"train with {loss.upper()} could not be drawn: {entry['why']}")
        axes.set_yscale("log")
        axes.yaxis.set_minor_formatter(NullFormatter())  # 6×10⁻¹, 4×10⁻¹, ... crowd the axis
        axes.set_xlabel("epoch")
        axes.set_ylabel(f"{loss.upper()} (log scale)")
        axes.set_title(f"training with {loss.upper()}", fontsize=9)
        axes.legend(fontsize=7)
    axes = figure.add_subplot(1, 3, 3)
    axes.plot(
        sine["x"][:, 0], sine["y"][:, 0], "o", color="black", markersize=3, label="data: sin(πx)"
    )
    axes.plot(
        GRID[:, 0],
        data["train_mse"]["reference_curve"][:, 0],
        color="#999999",
        linewidth=3,
        label="correct network",
    )
    if data["train_mse"]["student_curve"] is not None:
        axes.plot(
            GRID[:, 0],
            data["train_mse"]["student_curve"][:, 0],
            color="#4472c4",
            label="your network",
        )
    axes.set_title("after training with MSE", fontsize=9)
    axes.set_xlabel("x")
    axes.legend(fontsize=7)
    caption = (
        "The loss your train recorded at each epoch, next to the correct one on the same data and "
        "seed, and what your network predicts after training with MSE. "
    ) + _sentence(notes)
    made.append(("training.png", "Your training runs", caption, figure))
    return made

"""Pictures of your work: where your gradient's sign, your loss curve and your steps go.

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

RESIDUALS = np.linspace(-2.0, 2.0, 41)  # includes an exact 0
FIT_EPOCHS = 200
FIT_LR = 0.05
PATH_STEPS = 25
PATH_LR = 0.3


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.uniform(-1.0, 1.0, size=30)
    return x, 1.0 + 2.0 * x + rng.normal(0.0, 0.3, size=30)


def _try(call: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    try:
        return call(name, *args, **kwargs), None
    except NotImplementedError:
        return None, f"{name} is not implemented yet"
    except Exception as error:  # CallFailed or an unusable value: say why in the caption
        return None, getattr(error, "sentence", None) or str(error) or type(error).__name__


def collect(call: Callable[..., Any], reference: Any) -> dict:
    """The numbers behind the figures (student's and reference's)."""
    data: dict[str, Any] = {"residual": RESIDUALS}
    zeros = np.zeros_like(RESIDUALS)
    for name in ("mse_grad", "mae_grad"):
        got, why = _try(call, name, RESIDUALS, zeros)
        student = _floats(got, RESIDUALS.shape)
        if student is None and why is None:
            why = "it returned no array of the shape of y_pred"
        data[name] = {
            "student": student,
            "reference": getattr(reference, name)(RESIDUALS, zeros),
            "why": why,
        }
    x, y = _data()
    for loss in ("mse", "mae"):
        got, why = _try(call, "fit", x, y, loss=loss, lr=FIT_LR, epochs=FIT_EPOCHS)
        history = _floats(
            got[1] if isinstance(got, (list, tuple)) and len(got) == 2 else None, (FIT_EPOCHS,)
        )
        if history is None and why is None:
            why = "it returned no pair (theta, history) with one loss per epoch"
        _, reference_history = reference.fit(x, y, loss=loss, lr=FIT_LR, epochs=FIT_EPOCHS)
        data[f"fit_{loss}"] = {
            "student": history,
            "reference": np.asarray(reference_history),
            "why": why,
        }
    path, why = [np.zeros(2)], None
    for _ in range(PATH_STEPS):
        grad, why = _try(call, "linear_grads", path[-1], x, y, loss="mse")
        step, why_step = (
            (None, why) if grad is None else _try(call, "gd_step", path[-1], grad, PATH_LR)
        )
        theta = _floats(step, (2,))
        if theta is None:
            why = why_step or "gd_step returned no array of shape (2,)"
            break
        path.append(theta)
    data["path"] = {"thetas": np.array(path), "x": x, "y": y, "why": why}
    return data


def _floats(value: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return array if array.shape == shape else None


def _plot_with_jump_at_zero(axes, x, y, label=None, **style) -> None:
    """``y`` over ``x`` in three pieces (x < 0, x = 0, x > 0), so that a function that jumps at
    0 is drawn with its jump, not joined by a steep line; its value at 0 is a dot."""
    for piece, where in enumerate((x < 0, x == 0, x > 0)):
        if not where.any():
            continue
        shown = {"label": label} if piece == 0 else {}
        if piece == 1:
            axes.plot(x[where], y[where], "o", color=style.get("color"), markersize=5, **shown)
        else:
            axes.plot(x[where], y[where], **style, **shown)


def figures(data: dict) -> list[tuple[str, str, str, Any]]:
    """(file name, title, caption, matplotlib Figure) for each picture."""
    from matplotlib.figure import Figure

    made = []
    residual = data["residual"]
    figure = Figure(figsize=(9, 3.4))
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
    notes = []
    for index, (name, label) in enumerate((("mse_grad", "(ŷ−y)²"), ("mae_grad", "|ŷ−y|"))):
        axes = figure.add_subplot(1, 2, index + 1)
        n = residual.size
        reference = data[name]["reference"] * n
        if name == "mae_grad":  # sign(r) jumps at 0: drawn in pieces, not as a ramp through 0
            _plot_with_jump_at_zero(
                axes, residual, reference, color="#999999", linewidth=3, label="correct slope"
            )
        else:
            axes.plot(residual, reference, color="#999999", linewidth=3, label="correct slope")
        student = data[name]["student"]
        if student is not None:
            student = student * n
            axes.plot(
                residual, student, "o", markersize=3, color="#4472c4", label="your gradient × n"
            )
            wrong = np.sign(student) != np.sign(reference)
            if wrong.any():
                axes.plot(
                    residual[wrong],
                    student[wrong],
                    "x",
                    color="#c00000",
                    markersize=7,
                    label="wrong sign",
                )
                notes.append(f"{name}: the sign is wrong at {int(wrong.sum())} of {n} points")
        else:
            notes.append(f"{name} could not be drawn: {data[name]['why']}")
        axes.axhline(0, color="black", linewidth=0.5)
        axes.axvline(0, color="black", linewidth=0.5)
        axes.set_xlabel("residual ŷ − y")
        axes.set_title(f"slope of {label}: {name}")
        axes.legend(fontsize=7)
    caption = (
        "Each point is one prediction: right of 0 it is too high, and the slope must be positive "
        "(so the update lowers it); left of 0 too low, and the slope must be negative. "
    ) + ("; ".join(notes) + "." if notes else "Your signs agree with the correct ones everywhere.")
    made.append(("gradient_sign.png", "Your gradient against the residual", caption, figure))

    figure = Figure(figsize=(9, 3.4))
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9, wspace=0.3)
    notes = []
    for index, loss in enumerate(("mse", "mae")):
        axes = figure.add_subplot(1, 2, index + 1)
        entry = data[f"fit_{loss}"]
        axes.plot(entry["reference"], color="#999999", linewidth=3, label="reference fit")
        if entry["student"] is not None:
            axes.plot(entry["student"], color="#4472c4", label="your fit")
        else:
            notes.append(f"fit with {loss.upper()} could not be drawn: {entry['why']}")
        axes.set_yscale("log")
        axes.set_xlabel("epoch")
        axes.set_ylabel(f"{loss.upper()} (log scale)")
        axes.set_title(f"training with {loss.upper()}")
        axes.legend(fontsize=7)
    caption = (
        "The loss your fit recorded at each epoch, next to the reference's on the same data. "
        + (
            "; ".join(notes) + "."
            if notes
            else "A curve that rises, or stays flat, means the steps do not go downhill."
        )
    )
    made.append(("loss_curves.png", "Your training curves", caption, figure))

    path = data["path"]
    thetas, x, y = path["thetas"], path["x"], path["y"]
    figure = Figure(figsize=(5.5, 4.5))
    figure.subplots_adjust(left=0.13, right=0.97, bottom=0.12, top=0.92)
    axes = figure.add_subplot()
    design = np.column_stack([np.ones_like(x), x])
    best = np.linalg.lstsq(design, y, rcond=None)[0]
    low, high = np.minimum(0.0, best) - 1.5, np.maximum(0.0, best) + 1.5
    inside = np.all((thetas >= low) & (thetas <= high) & np.isfinite(thetas), axis=1)
    left_at = int(np.argmin(inside)) if not inside.all() else None
    t0, t1 = np.meshgrid(np.linspace(low[0], high[0], 120), np.linspace(low[1], high[1], 120))
    loss = ((t0[..., None] + t1[..., None] * x - y) ** 2).mean(axis=-1)
    axes.contour(
        t0,
        t1,
        loss,
        levels=np.quantile(loss, np.linspace(0.02, 0.98, 14)),
        cmap="Greys",
        linewidths=0.8,
    )
    axes.plot(thetas[:, 0], thetas[:, 1], "-o", color="#4472c4", markersize=3, label="your steps")
    axes.plot(*best, "*", color="#2e7d32", markersize=12, label="best line")
    axes.set_xlim(low[0], high[0])
    axes.set_ylim(low[1], high[1])
    losses = ((thetas[:, :1] + thetas[:, 1:] * x - y) ** 2).mean(axis=1)
    uphill = np.nonzero(np.diff(losses) > 0)[0] + 1
    if uphill.size:
        axes.plot(
            thetas[uphill, 0],
            thetas[uphill, 1],
            "x",
            color="#c00000",
            markersize=8,
            label="step went uphill",
        )
    axes.set_xlabel("θ0 (intercept)")
    axes.set_ylabel("θ1 (slope)")
    axes.set_title("gradient descent on the MSE surface")
    axes.legend(fontsize=7)
    caption = (
        f"{len(thetas) - 1} steps of your gd_step with your linear_grads (MSE, lr = {PATH_LR}) from θ = [0, 0], "
        "over the contours of the loss. "
    )
    if path["why"]:
        caption += f"The path stops early: {path['why']}. "
    if left_at is not None:
        caption += f"It leaves the picture at step {left_at}, moving away from the best line. "
    if len(thetas) == 1:
        caption += "No step could be drawn."
    elif uphill.size:
        caption += f"{uphill.size} steps went uphill."
    else:
        caption += "Every step went downhill, toward the best line."
    made.append(("descent_path.png", "Your steps over the loss surface", caption, figure))
    return made

"""The experiment: what happens when the sign at the output is flipped?

Run it after your functions pass the self-checks, with your regression_losses.py
from the first assignment in this folder::

    python sign_flip_experiment.py

It trains your network on 32 points of y = sin(πx) twice, with the MSE:

* **correct**: your ``train`` as it is; backpropagation starts from
  g = ∂L/∂ŷ = 2(ŷ − y)/n, your ``regression_losses.mse_grad``;
* **flipped**: your ``train`` again, with your ``mse_grad`` negated, g := −g,
  as if the error were y − ŷ. Same data, same seed, same backward pass.

It prints the final loss of each run and saves both loss curves, with a
logarithmic loss axis, to ``sign_flip.png``.

What to look for:

* The correct curve falls fast, then more slowly while the network bends to
  follow the sine.
* The flipped curve rises from the very first epoch. Every gradient in the
  network flipped with g (lesson, section 4), so every weight steps uphill.
  The output layer is linear, so nothing stops the climb: the loss grows
  faster and faster, until the numbers overflow.
* Both runs record the same loss and run the same backward pass. The only
  difference is the sign of g, the one place where the sign of ŷ − y enters.
  Use this in ANSWER.md.
"""

import sys
import traceback

import numpy as np

try:
    import backprop_sign as bp
    import regression_losses
except ImportError as error:
    print(
        f"{error.name}.py was not found: put this script in the folder of your backprop_sign.py, "
        "with your regression_losses.py from the first assignment, and run it from there."
    )
    sys.exit(1)

N_POINTS = 32
EPOCHS = 300
SEED = 0
LOSS_CAP = 1e12  # the flipped loss is drawn up to here; beyond, it soon overflows
OUTPUT = "sign_flip.png"


def make_data(n=N_POINTS):
    """y = sin(πx) on n evenly spaced points of [−1, 1], as columns."""
    x = np.linspace(-1.0, 1.0, n).reshape(-1, 1)
    return x, np.sin(np.pi * x)


def train_flipped(x, y):
    """Your own train, with the sign of your upstream gradient flipped: g := −g."""
    upstream = regression_losses.mse_grad
    regression_losses.mse_grad = lambda y_pred, y_true: -np.asarray(upstream(y_pred, y_true))
    try:
        return bp.train(x, y, loss="mse", epochs=EPOCHS, seed=SEED)
    finally:
        regression_losses.mse_grad = upstream


def describe(label, history):
    history = np.asarray(history, dtype=float)
    over = np.nonzero(~(history <= LOSS_CAP))[0]
    if over.size:
        return f"{label}: the MSE went from {history[0]:.4g} past {LOSS_CAP:g} at epoch {over[0]}"
    return (
        f"{label}: the MSE went from {history[0]:.4g} to {history[-1]:.4g} in {history.size} epochs"
    )


def plot(correct, flipped, path=OUTPUT):
    """Save both loss curves on a logarithmic loss axis (the flipped one up to LOSS_CAP)."""
    # imported here: without matplotlib the experiment still prints its numbers
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(correct, label="correct: backprop from ∂L/∂ŷ")
    flipped = np.asarray(flipped, dtype=float)
    shown = (
        flipped[: int(np.argmax(~(flipped <= LOSS_CAP)))]
        if (~(flipped <= LOSS_CAP)).any()
        else flipped
    )
    axes.plot(shown, label="flipped: backprop from −∂L/∂ŷ")
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("MSE (log scale)")
    axes.set_title("One sign at the output, two fates")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)


def plot_or_say_why(*curves):
    """Draw the picture with :func:`plot`; without matplotlib, say in one line that it is skipped
    (the numbers printed above are the experiment's result)."""
    try:
        import matplotlib
    except ImportError:
        print(
            f"The picture {OUTPUT} is skipped: matplotlib is not installed (pip install matplotlib)."
        )
        return
    plot(*curves)
    print(f"Both loss curves are in {OUTPUT}.")


def main():
    x, y = make_data()
    try:
        with np.errstate(all="ignore"):
            _, history = bp.train(x, y, loss="mse", epochs=EPOCHS, seed=SEED)
            _, history_flipped = train_flipped(x, y)
    except NotImplementedError as error:
        missing = traceback.extract_tb(error.__traceback__)[-1].name
        print(
            f"{missing} is not implemented yet; this experiment needs every function of "
            "backprop_sign.py, and mse and mse_grad of regression_losses.py."
        )
        return 1
    print(describe("correct", history))
    print(describe("flipped", history_flipped))
    if np.allclose(history, history_flipped, equal_nan=True):
        print(
            "The two runs are the same: your train does not call regression_losses.mse_grad(...) "
            "through the module, so the flip never reached it (see train's docstring)."
        )
    plot_or_say_why(history, history_flipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())

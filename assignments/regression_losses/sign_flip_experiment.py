"""The experiment: what happens when the sign in the update is flipped?

Run it after your functions pass the self-checks::

    python sign_flip_experiment.py

It fits a line to noisy data y = 1 + 2x + noise twice, with the MSE:

* **descent**, with your ``fit``: theta := theta - lr * gradient;
* **flipped**, your ``fit`` again, with the sign in your ``gd_step`` flipped:
  theta := theta + lr * gradient.

It prints the final loss and theta of each run, and saves both loss curves,
with a logarithmic loss axis, to ``sign_flip.png``.

What to look for:

* The descent curve falls quickly and then flattens out. It cannot reach 0: no
  line goes through noisy points. Where it levels off is about the variance of
  the noise (0.5² = 0.25 here), and theta ends close to [1, 2].
* The flipped curve rises, and on a logarithmic axis it soon becomes a straight
  line: the loss grows *exponentially*. Each step moves theta uphill by an
  amount proportional to the gradient, the gradient grows with the error, and
  the error grows with every step.
* Both runs use the same loss, the same gradient and the same data. The only
  difference is one sign, so the direction of learning lives there, in the
  gradient and the update, not in the loss. Use this in ANSWER.md.
"""

import sys
import traceback

import numpy as np

try:
    import regression_losses as rl
except ImportError:
    print("Put this script in the same folder as your regression_losses.py and run it from there.")
    sys.exit(1)

SEED = 0
N_POINTS = 50
NOISE = 0.5
LR = 0.05
EPOCHS = 200
OUTPUT = "sign_flip.png"


def make_data(seed=SEED):
    """Noisy points around the line y = 1 + 2x, the same ones every run."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=N_POINTS)
    y = 1.0 + 2.0 * x + rng.normal(0.0, NOISE, size=N_POINTS)
    return x, y


def fit_flipped(x, y, lr=LR, epochs=EPOCHS):
    """Your own fit, with one sign changed in your gd_step: the step goes *with* the gradient."""
    descend = rl.gd_step
    rl.gd_step = lambda theta, grad, lr: descend(theta, -np.asarray(grad, dtype=float), lr)
    try:
        return rl.fit(x, y, loss="mse", lr=lr, epochs=epochs)
    finally:
        rl.gd_step = descend


def plot(descent, flipped, path=OUTPUT):
    """Save both loss curves on a logarithmic loss axis."""
    # imported here: without matplotlib the experiment still prints its numbers
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(descent, label="descent: θ − η·∇L")
    axes.plot(flipped, label="flipped: θ + η·∇L")
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("MSE (log scale)")
    axes.set_title("One sign, two fates")
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
        theta, history = rl.fit(x, y, loss="mse", lr=LR, epochs=EPOCHS)
        theta_flipped, history_flipped = fit_flipped(x, y)
    except NotImplementedError as error:
        missing = traceback.extract_tb(error.__traceback__)[-1].name
        print(
            f"{missing} is not implemented yet; this experiment needs your mse, predict, "
            "linear_grads, gd_step and fit."
        )
        return 1
    for label, losses, final_theta in [
        ("descent", history, theta),
        ("flipped", history_flipped, theta_flipped),
    ]:
        shown = np.array2string(np.asarray(final_theta), precision=3)
        print(f"{label}: final MSE {losses[-1]:.4g}, theta = {shown}")
    plot_or_say_why(history, history_flipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())

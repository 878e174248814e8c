"""Hidden checks of the regression_losses assignment.

Each check calls the student's functions through the sandbox (``verdict``)
and compares with the reference or an independent oracle computed here, in
the trusted process. Gradient checks are all or nothing (``partial=False``):
a gradient that is right only where the errors happen to be positive has
not kept the sign, and partial credit for such coincidences would not be
fair. Random inputs come from ``rng``, seeded per submission
(the seed is in results.json). Checks of functions that call other student
functions run with the reference's versions of those that have not passed
their own checks, so a mistake is charged once. Order matters for that:
leaf functions first. Training checks use learning rates and epoch counts
that converge in a few hundred steps on x in [-1, 1] (checked with the
reference over 300 seeds: MSE within 2e-7 of least squares after 100 steps
at lr 0.5; MAE within 0.12 of the true line after 300 steps at lr 0.1), so a
student's loop-based fit stays well inside the time limit.

No check can be passed without doing the work: every case compares an answer
with the reference or an oracle on inputs the function has not seen in that
form before, so a constant, an echo of the input, a memoised answer or an
object that claims to equal anything fails (tests/test_checks_gaming.py
proves it for every check). Each check also meets a case's shapes and numbers
(lr, loss, epochs) again with other array values, so an answer looked up by
anything but the arrays' values is stale (tests/test_checks_cheats.py proves
it for memoisers of gd_step and fit keyed by shapes and settings). ``fit`` is held to the steps of gradient descent
itself (a short run, where it is still far from the closed-form line), not only
to where it ends.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.oracles import centred_gradient, gradient_descent
from autograder.grading.plugin import grades
from autograder.grading.verdict import CaseFailed, NotNumbers, describe_value, numbers_of, show

# A short run of fit, still far from where gradient descent ends (on these lines, at least
# 0.008 from the closed-form or true line in every coordinate, over 2,000 draws): a fit that
# returns the closed-form line instead of taking the steps cannot match it.
SHORT_RUN = {"lr": 0.1, "epochs": 5}

FIXED_PAIRS = [
    (np.array([4.0]), np.array([3.0])),  # one prediction, too high
    (np.array([1.0]), np.array([3.0])),  # one prediction, too low
    (np.array([4.0, 1.0]), np.array([3.0, 3.0])),  # one high, one low
    (np.array([2.0, 2.0, 5.0]), np.array([2.0, 1.0, 5.0])),  # ties
    ([0.0, 10.0, -3.0], [1.0, 10.0, -7.0]),  # plain lists
]


def loss_pairs(rng: np.random.Generator) -> list[tuple]:
    """Fixed edge cases, then random pairs of several lengths (with some exact ties).

    Inputs are 1-D: the API allows any shape, but a correct solution written with plain
    loops over the elements only handles 1-D input, and it must get full marks.
    """
    pairs = list(FIXED_PAIRS)
    for shape in [(7,), (12,), (25,)]:
        y_true = rng.normal(0.0, 3.0, size=shape).round(3)
        y_pred = y_true + rng.normal(0.0, 2.0, size=shape).round(3)
        y_pred.flat[0] = y_true.flat[0]  # a tie
        pairs.append((y_pred, y_true))
    return pairs


def line_data(
    rng: np.random.Generator, n: int = 40, noise: float = 0.3
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points near a random line, x in [-1, 1]; returns (x, y, true theta)."""
    theta = np.array([rng.uniform(-2, 2), rng.uniform(-3, 3)])
    x = rng.uniform(-1.0, 1.0, size=n)
    y = theta[0] + theta[1] * x + rng.normal(0.0, noise, size=n)
    return x, y, theta


def squared_loss_of_theta(x: np.ndarray, y: np.ndarray):
    return lambda theta: float(np.mean((theta[0] + theta[1] * x - y) ** 2))


def absolute_loss_of_theta(x: np.ndarray, y: np.ndarray):
    return lambda theta: float(np.mean(np.abs(theta[0] + theta[1] * x - y)))


def as_pair(got: object, function: str) -> tuple:
    """Unpack ``(theta, history)``, or fail the case with a sentence."""
    if not isinstance(got, list | tuple) or len(got) != 2:
        what = (
            f"a {type(got).__name__} of {len(got)} items"
            if isinstance(got, list | tuple)
            else describe_value(got)
        )
        raise CaseFailed(f"{function} must return a pair (theta, history); it returned {what}")
    return got[0], got[1]


def gradient_of_theta(x: np.ndarray, y: np.ndarray, loss: str):
    return lambda theta: _chain_rule(theta, x, y, loss)


def descent(x: np.ndarray, y: np.ndarray, loss: str, lr: float, epochs: int):
    """fit as documented, written out: gradient descent from θ = [0, 0]; (θ, history)."""
    loss_of = squared_loss_of_theta if loss == "mse" else absolute_loss_of_theta
    return gradient_descent(loss_of(x, y), gradient_of_theta(x, y, loss), np.zeros(2), lr, epochs)


def expect_descent_steps(case, x: np.ndarray, y: np.ndarray, loss: str) -> None:
    """Call fit for a few epochs; θ must be where gradient descent's steps put it."""
    theta, _history = as_pair(case.call_again(x, y, loss=loss, **SHORT_RUN), "fit")
    want, _ = descent(x, y, loss, **SHORT_RUN)
    case.expect_close(
        theta,
        want,
        why=f"After {SHORT_RUN['epochs']} steps of gradient descent from θ = [0, 0] with "
        f"lr = {SHORT_RUN['lr']}, θ is there (fit must take the steps, not jump to the answer)",
    )


# -- losses ------------------------------------------------------------------------------------


@grades("mse")
def test_mse_values(verdict, reference, rng):
    """mse: the mean of the squared errors

    The loss is the number training drives down; every later step depends on it being right."""
    for y_pred, y_true in loss_pairs(rng):
        with verdict.case("mse", y_pred, y_true) as case:
            case.expect_close(case.call(), reference.mse(y_pred, y_true))


@grades("mae")
def test_mae_values(verdict, reference, rng):
    """mae: the mean of the absolute errors

    MAE weighs every error by its size, not its square: outliers pull on it less."""
    for y_pred, y_true in loss_pairs(rng):
        with verdict.case("mae", y_pred, y_true) as case:
            case.expect_close(case.call(), reference.mae(y_pred, y_true))


# -- gradients of the losses -------------------------------------------------------------------


@grades("mse_grad", partial=False)
def test_mse_grad_values(verdict, reference, rng):
    """mse_grad: 2·(ŷ − y)/n, element by element, in the shape of y_pred

    This gradient is what tells training which way to move each prediction."""
    for y_pred, y_true in loss_pairs(rng):
        with verdict.case("mse_grad", y_pred, y_true) as case:
            case.expect_close(case.call(), reference.mse_grad(y_pred, y_true))


def expect_shape_and_finite(case, got: np.ndarray, shape: tuple) -> None:
    """A gradient must have the shape of y_pred and hold finite numbers only."""
    case.expect(
        got.shape == shape,
        f"{case.call_text()} returned {describe_value(case.got, case.got_type)}; expected an "
        f"array of shape {shape}, one slope per prediction",
    )
    case.expect(
        bool(np.isfinite(got).all()),
        f"{case.call_text()} returned {show(case.got)}: NaN or inf is no slope",
    )


@grades("mse_grad", partial=False)
def test_mse_grad_sign(verdict, rng):
    """mse_grad: positive where the prediction is too high, negative where too low, 0 at a tie

    The square forgets the sign of the error; its slope keeps it. The sign is the direction."""
    for y_pred, y_true in loss_pairs(rng):
        with verdict.case("mse_grad", y_pred, y_true) as case:
            diff = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
            got = case.call_array(expected=2 * diff / diff.size)
            want = np.sign(diff)
            expect_shape_and_finite(case, got, diff.shape)
            wrong = np.sign(got) != want
            case.expect(
                not wrong.any(),
                f"{case.call_text()}: the sign is wrong at {int(wrong.sum())} of {want.size} elements "
                "(it must be the sign of y_pred − y_true)",
            )


@grades("mse_grad", partial=False)
def test_mse_grad_finite_differences(verdict, rng):
    """mse_grad: agrees with centred finite differences of the mean squared error

    A gradient is the slope of the loss; nudging each prediction a little must confirm it."""
    for y_pred, y_true in loss_pairs(rng)[:-1]:
        y_pred, y_true = np.asarray(y_pred, dtype=float), np.asarray(y_true, dtype=float)
        numeric = centred_gradient(lambda p, t=y_true: float(np.mean((p - t) ** 2)), y_pred)
        with verdict.case("mse_grad", y_pred, y_true) as case:
            case.expect_close(case.call(), numeric, rtol=1e-5, atol=1e-7)


@grades("mae_grad", partial=False)
def test_mae_grad_values(verdict, reference, rng):
    """mae_grad: sign(ŷ − y)/n, element by element, in the shape of y_pred

    For MAE the size of the error does not matter to the gradient, only its sign."""
    for y_pred, y_true in loss_pairs(rng):
        with verdict.case("mae_grad", y_pred, y_true) as case:
            case.expect_close(case.call(), reference.mae_grad(y_pred, y_true))


@grades("mae_grad", partial=False)
def test_mae_grad_sign_and_ties(verdict, rng):
    """mae_grad: keeps the sign of each error, and is exactly 0 (never NaN) at a tie

    |e| has no slope at e = 0; the subgradient 0 keeps training from jumping or breaking there."""
    for y_pred, y_true in loss_pairs(rng):
        with verdict.case("mae_grad", y_pred, y_true) as case:
            diff = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
            got = case.call_array(expected=np.sign(diff) / diff.size)
            case.expect(
                got.shape != diff.shape or not np.isnan(got[diff == 0]).any(),
                f"{case.call_text()} returned NaN where y_pred equals y_true; the subgradient there is 0",
            )
            expect_shape_and_finite(case, got, diff.shape)
            wrong = np.sign(got) != np.sign(diff)
            case.expect(
                not wrong.any(),
                f"{case.call_text()}: the sign is wrong at {int(wrong.sum())} of {diff.size} elements "
                "(it must be the sign of y_pred − y_true, and 0 at a tie)",
            )


# -- the line and the chain rule ---------------------------------------------------------------


@grades("predict")
def test_predict_values(verdict, reference, rng):
    """predict: θ0 + θ1·x, in the shape of x

    theta[0] is the intercept, theta[1] the slope."""
    cases = [
        (np.array([1.0, 2.0]), np.array([0.0, 1.0, 2.0])),
        (np.array([0.0, -1.0]), np.array([1.0, 2.0, 3.0, 4.0])),
        ([3.0, 0.0], [5.0, -5.0]),
    ]
    cases += [(rng.normal(size=2), rng.normal(size=9)) for _ in range(3)]
    for theta, x in cases:
        with verdict.case("predict", theta, x) as case:
            case.expect_close(case.call(), reference.predict(theta, x))


def _chain_rule(theta, x, y, loss):
    """∂L/∂θ written out from the math (independent of the reference's code)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    residual = theta[0] + theta[1] * x - y
    upstream = 2 * residual / x.size if loss == "mse" else np.sign(residual) / x.size
    return np.array([upstream.sum(), (upstream * x).sum()])


@grades("linear_grads")
def test_linear_grads_mse(verdict, rng):
    """linear_grads with MSE: [∂L/∂θ0, ∂L/∂θ1] = [−(2/n)·Σ(y − ŷ), −(2/n)·Σ(y − ŷ)·x]

    The chain rule carries the sign of each error to the parameters: ∂ŷ/∂θ0 = 1, ∂ŷ/∂θ1 = x."""
    cases = [(np.array([0.0, 0.0]), np.array([1.0, 2.0]), np.array([1.0, 2.0]))]
    for _ in range(4):
        x, y, _theta = line_data(rng, n=12)
        cases.append((rng.normal(size=2), x, y))
    for theta, x, y in cases:
        with verdict.case("linear_grads", theta, x, y, loss="mse") as case:
            case.expect_close(case.call(), _chain_rule(theta, x, y, "mse"))


@grades("linear_grads")
def test_linear_grads_mae(verdict, rng):
    """linear_grads with MAE: [Σ sign(ŷ − y)/n, Σ sign(ŷ − y)·x/n]

    The same chain rule, with the MAE gradient as the upstream gradient."""
    cases = [(np.array([0.0, 0.0]), np.array([1.0, 2.0, 3.0]), np.array([1.0, -2.0, 0.0]))]
    for _ in range(4):
        x, y, _theta = line_data(rng, n=12)
        cases.append((rng.normal(size=2), x, y))
    for theta, x, y in cases:
        with verdict.case("linear_grads", theta, x, y, loss="mae") as case:
            case.expect_close(case.call(), _chain_rule(theta, x, y, "mae"))


@grades("linear_grads")
def test_linear_grads_finite_differences(verdict, rng):
    """linear_grads: agrees with centred finite differences of the loss in θ

    Nudging θ0 or θ1 a little and measuring the loss gives the same slope, if the chain rule is right."""
    for _ in range(3):
        x, y, _theta = line_data(rng, n=15)
        theta = rng.normal(size=2)
        numeric = centred_gradient(squared_loss_of_theta(x, y), theta)
        with verdict.case("linear_grads", theta, x, y, loss="mse") as case:
            case.expect_close(case.call(), numeric, rtol=1e-5, atol=1e-7)


# -- the update and the training loop ----------------------------------------------------------


@grades("gd_step")
def test_gd_step_values(verdict, rng):
    """gd_step: θ − lr·grad exactly, as a new array

    Stepping against the gradient is what turns its sign into a move downhill."""
    cases = [
        (np.array([1.0, 1.0]), np.array([2.0, -4.0]), 0.5),
        (np.array([0.0, 0.0]), np.array([1.0, 1.0]), 0.1),
    ]
    cases += [
        (rng.normal(size=2), rng.normal(size=2), float(rng.uniform(0.01, 1.0))) for _ in range(4)
    ]
    # a random case's lr again (the shapes are always (2,)), other numbers: an answer looked up
    # by anything but the arrays' values would be stale
    cases.append((rng.normal(size=2), rng.normal(size=2), cases[2][2]))
    for theta, grad, lr in cases:
        with verdict.case("gd_step", theta, grad, lr) as case:
            case.expect_close(case.call(), theta - lr * grad, rtol=1e-12, atol=1e-12)


@grades("gd_step")
def test_gd_step_lowers_loss(verdict, rng):
    """gd_step: one step with a small learning rate lowers the loss

    This is the promise of gradient descent: follow the negative gradient and the loss falls."""
    for loss_of in (squared_loss_of_theta, absolute_loss_of_theta):
        for _ in range(2):
            x, y, _true = line_data(rng, n=20)
            theta = rng.normal(size=2) * 3
            loss_name = "mse" if loss_of is squared_loss_of_theta else "mae"
            grad = _chain_rule(theta, x, y, loss_name)
            step = theta - 0.01 * grad
            before, after = loss_of(x, y)(theta), loss_of(x, y)(step)
            with verdict.case("gd_step", theta, grad, 0.01) as case:
                # the step itself, not only a lower loss: zeros, or any point nearer the
                # line, would lower the loss too without being a step against the gradient
                case.expect_close(
                    case.call(),
                    step,
                    rtol=1e-12,
                    atol=1e-12,
                    why=f"The step θ − lr·grad takes the {loss_name.upper()} down from "
                    f"{before:.4f} to {after:.4f}",
                )


@grades("fit")
def test_fit_mse_converges(verdict, tolerances, rng):
    """fit with MSE: converges to the least-squares line, by gradient descent's steps

    With the right gradient and update, gradient descent reaches the same line as the closed form."""
    for _ in range(2):
        x, y, _true = line_data(rng)
        design = np.column_stack([np.ones_like(x), x])
        best, *_ = np.linalg.lstsq(design, y, rcond=None)
        with verdict.case("fit", x, y, loss="mse", lr=0.5, epochs=100) as case:
            theta, _history = as_pair(case.call(), "fit")
            case.expect_close(
                theta,
                best,
                atol=tolerances["fit_mse_atol"],
                rtol=0,
                why="fit with MSE should end at the least-squares line",
            )
            expect_descent_steps(case, x, y, "mse")


@grades("fit")
def test_fit_mae_converges(verdict, tolerances, rng):
    """fit with MAE: ends close to the true line, by gradient descent's steps

    MAE's gradient only has signs, so the steps never shrink; it ends near the line, not on it."""
    for _ in range(2):
        x, y, true = line_data(rng, noise=0.1)
        with verdict.case("fit", x, y, loss="mae", lr=0.1, epochs=300) as case:
            theta, _history = as_pair(case.call(), "fit")
            case.expect_close(
                theta,
                true,
                atol=tolerances["fit_mae_atol"],
                rtol=0,
                why="fit with MAE should end near the line the data came from",
            )
            expect_descent_steps(case, x, y, "mae")


@grades("fit")
def test_fit_history(verdict, tolerances, rng):
    """fit: history holds one loss per epoch, each the loss of θ before that step, from θ = [0, 0]

    The history is how you see training work (or not): it must record the loss before each step."""
    mse, mae = ("mse", squared_loss_of_theta), ("mae", absolute_loss_of_theta)
    # the last repeats the first's settings on other data of the same shape: an answer looked up
    # by anything but the data's values would be stale
    for loss_name, loss_of in (mse, mae, mse):
        x, y, _true = line_data(rng, n=20)
        epochs = 50
        with verdict.case("fit", x, y, loss=loss_name, lr=0.05, epochs=epochs) as case:
            _theta, history = as_pair(case.call(), "fit")
            _, want = descent(x, y, loss_name, lr=0.05, epochs=epochs)
            case.expected = want
            try:
                history = numbers_of(history)
            except NotNumbers as error:
                raise CaseFailed(
                    f"fit's history is {error}; expected a list of {epochs} losses (numbers), "
                    "one per epoch"
                ) from None
            case.expect(
                history.shape == (epochs,),
                f"fit's history is {describe_value(case.got[1])}; expected a list of {epochs} "
                f"losses, one per epoch",
            )
            first = loss_of(x, y)(np.zeros(2))
            case.expect(
                bool(np.isclose(history[0], first, rtol=1e-9)),
                f"history[0] is {show(history[0])}; the loss of θ = [0, 0] is {first:.6g} "
                "(record the loss before taking the step)",
            )
            case.expect(
                bool(history[-1] < history[0]),
                f"the {loss_name.upper()} went from {show(history[0])} to {show(history[-1])} "
                f"in {epochs} epochs: it should fall",
            )
            close = np.isclose(history, want, rtol=tolerances["rtol"], atol=tolerances["atol"])
            step = int(np.argmin(close))
            case.expect(
                bool(close.all()),
                f"history[{step}] is {show(history[step])}; the {loss_name.upper()} of θ before "
                f"step {step} of gradient descent from θ = [0, 0] (lr = 0.05) is "
                f"{want[step]:.6g}: each entry must be the loss of the θ the step starts from",
            )

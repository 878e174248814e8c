"""Hidden checks of the huber_loss assignment: run by the grader, never handed to students.

Each check calls the student's functions through the sandbox (``verdict``) and compares with
the reference, or with an oracle written out here from the math (the Huber loss and its
gradient in another form than the reference's, centred finite differences, gradient descent
step by step), in the grader. The gradient checks are all or nothing (``partial=False``): a
gradient right only where the errors happen to be small, or positive, has not understood the
clip or the sign. Random inputs come from ``rng``, seeded per submission (the seed is in
results.json). The ``fit_huber`` checks come last: by then it is known whether ``huber`` and
``huber_grad`` passed, and those that did not run as the reference's, so a mistake is charged
once; ``predict`` and ``gd_step`` come from the module ``regression_losses``, which the grader
provides (the first assignment's reference).

No check can be passed without doing the work: every case compares an answer with the
reference or an oracle on that call's inputs (by value, or, in the checks of the sign and the
cap, element by element against the errors); each check meets shapes of input and numeric
settings (delta, lr, epochs) it has already met, with other values, so an answer memoised by
call or by shape is stale in some of its cases; and no case's right answer is all zeros. So a
constant, an echo of the input, a memoised answer and an object that claims to equal anything
all fail (checked by hand with tests/test_checks_gaming.py's wrappers).

Training checks use settings that converge well inside the time limit (each epoch of a fit
that uses the provided ``predict`` and ``gd_step`` costs two round trips to the grader). The
data of the outlier check were tried over 1,000 seeds: gradient descent (delta 0.5, lr 0.5,
200 epochs) ends at most 0.24 from the true line in each coordinate, and the least-squares
(MSE) line at least 0.84 from it. The check still draws again (up to MAX_DRAWS times) until
gradient descent itself ends within FIT_MARGIN of the tolerance and least squares beyond it,
so a correct fit_huber never meets data on which the claim fails.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.oracles import centred_gradient, gradient_descent
from autograder.grading.plugin import grades
from autograder.grading.verdict import CaseFailed, NotNumbers, describe_value, numbers_of, show

# The deltas the cases use; each is met more than once (an answer looked up by the settings
# and the shapes would be stale).
DELTAS = (1.0, 0.5, 2.0)
# Finite differences are compared away from the kinks |e| = delta, where the second
# derivative jumps and centred differences lose accuracy.
KINK_MARGIN = 1e-3
# A short run of fit_huber, still far from where gradient descent ends: a fit that returns
# a robust line without taking the steps cannot match it.
SHORT_RUN = {"lr": 0.1, "epochs": 5}
# The outlier check's settings (see the module's docstring for how they were chosen).
OUTLIER_RUN = {"delta": 0.5, "lr": 0.5, "epochs": 200}
FIT_MARGIN = 0.8
MAX_DRAWS = 20

FIXED_PAIRS = [
    (np.array([0.5, -3.0]), np.array([0.0, 0.0])),  # the lesson's: one inside delta, one beyond
    (np.array([4.0]), np.array([1.0])),  # one prediction, far too high
    (np.array([1.0, 2.0, 12.0]), np.array([1.5, 2.0, 2.0])),  # small, a tie, an outlier
    ([0.0, -10.0, 0.25], [0.5, 1.0, 0.0]),  # plain lists
]


# -- oracles, written out from the math ----------------------------------------------------------


def errors_of(y_pred, y_true) -> np.ndarray:
    return np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)


def huber_per_element(error: np.ndarray, delta: float) -> np.ndarray:
    """½e² up to delta, then the straight line δ(|e| − δ/2) that meets it there."""
    size = np.abs(error)
    inside = np.minimum(size, delta)
    return inside * (size - inside / 2)


def huber_mean(error: np.ndarray, delta: float) -> float:
    return float(np.mean(huber_per_element(error, delta)))


def huber_slope(error: np.ndarray, delta: float) -> np.ndarray:
    """∂/∂ŷ of the mean loss: e/n inside delta, δ·sign(e)/n beyond."""
    return np.where(np.abs(error) <= delta, error, delta * np.sign(error)) / error.size


def loss_of_theta(x: np.ndarray, y: np.ndarray, delta: float):
    return lambda theta: huber_mean(theta[0] + theta[1] * x - y, delta)


def gradient_of_theta(x: np.ndarray, y: np.ndarray, delta: float):
    def gradient(theta: np.ndarray) -> np.ndarray:
        upstream = huber_slope(theta[0] + theta[1] * x - y, delta)
        return np.array([upstream.sum(), (upstream * x).sum()])

    return gradient


def descent(x: np.ndarray, y: np.ndarray, delta: float, lr: float, epochs: int):
    """fit_huber as documented, written out: (θ, history) of gradient descent from [0, 0]."""
    return gradient_descent(
        loss_of_theta(x, y, delta), gradient_of_theta(x, y, delta), np.zeros(2), lr, epochs
    )


# -- inputs ----------------------------------------------------------------------------------------


def loss_pairs(rng: np.random.Generator) -> list[tuple]:
    """Fixed edge cases, then random pairs of 1, 6 and 25 elements, two of each length.

    The errors are spread around delta = 1 (about half inside, half beyond, of both signs),
    with one tie. Inputs are 1-D: a correct solution written with a loop over the elements
    must get full marks.
    """
    pairs = list(FIXED_PAIRS)
    for n in (1, 6, 25, 1, 6, 25):
        y_true = rng.normal(0.0, 3.0, size=n).round(3)
        y_pred = y_true + rng.normal(0.0, 2.0, size=n).round(3)
        if n > 1:
            y_pred[1] = y_true[1]  # a tie
        pairs.append((y_pred, y_true))
    return pairs


def with_deltas(pairs: list[tuple]) -> list[tuple]:
    """Each pair with a delta, the deltas taken in turn (1.0 is also the default)."""
    return [(p, t, DELTAS[i % len(DELTAS)]) for i, (p, t) in enumerate(pairs)]


def outlier_pairs(rng: np.random.Generator) -> list[tuple]:
    """Errors mostly within delta, a few far beyond (of both signs): y_pred, y_true, delta."""
    cases = []
    for n, delta in ((5, 1.0), (12, 0.5), (5, 1.0), (12, 0.5), (30, 2.0), (30, 2.0)):
        y_true = rng.normal(0.0, 2.0, size=n)
        error = rng.uniform(-delta, delta, size=n)
        far = rng.choice(n, size=max(2, n // 5), replace=False)
        error[far] = rng.choice([-1.0, 1.0], size=far.size) * rng.uniform(3, 20, size=far.size)
        error[far[0]], error[far[1]] = abs(error[far[0]]), -abs(error[far[1]])  # both signs
        cases.append((y_true + error, y_true, delta))
    return cases


def boundary_pairs(rng: np.random.Generator) -> list[tuple]:
    """Errors exactly ±delta, and a hair inside and beyond it, all exact binary fractions."""
    hair = 2.0**-6
    cases = []
    for n, delta in ((1, 1.0), (1, 0.5), (4, 1.0), (4, 0.5), (8, 2.0), (8, 2.0)):
        y_true = rng.integers(-32, 32, size=n) / 8.0
        sizes = np.full(n, delta)
        if n >= 4:
            sizes[2:] = delta + rng.choice([-hair, hair], size=n - 2)
        signs = rng.choice([-1.0, 1.0], size=n)
        if n >= 2:
            signs[:2] = [1.0, -1.0]  # both +delta and -delta
        cases.append((y_true + signs * sizes, y_true, delta))
    return cases


def line_data(rng: np.random.Generator, n: int, outliers: int = 0):
    """Points near a random line, x in [-1, 1], ``outliers`` of them 8 to 15 off to one side.

    Returns (x, y, the true [θ0, θ1]).
    """
    theta = np.array([rng.uniform(-2, 2), rng.uniform(-3, 3)])
    x = rng.uniform(-1.0, 1.0, size=n)
    y = theta[0] + theta[1] * x + rng.normal(0.0, 0.1, size=n)
    if outliers:
        far = rng.choice(n, size=outliers, replace=False)
        y[far] += rng.choice([-1.0, 1.0]) * rng.uniform(8.0, 15.0, size=outliers)
    return x, y, theta


def as_pair(got: object) -> tuple:
    """Unpack fit_huber's ``(theta, history)``, or fail the case with a sentence."""
    if not isinstance(got, list | tuple) or len(got) != 2:
        what = (
            f"a {type(got).__name__} of {len(got)} items"
            if isinstance(got, list | tuple)
            else describe_value(got)
        )
        raise CaseFailed(f"fit_huber must return a pair (theta, history); it returned {what}")
    return got[0], got[1]


def expect_shape_and_finite(case, got: np.ndarray, shape: tuple) -> None:
    """A gradient has the shape of y_pred and holds finite numbers only."""
    case.expect(
        got.shape == shape,
        f"{case.call_text()} returned {describe_value(case.got, case.got_type)}; expected an "
        f"array of shape {shape}, one slope per prediction",
    )
    case.expect(
        bool(np.isfinite(got).all()),
        f"{case.call_text()} returned {show(case.got)}: NaN or inf is no slope",
    )


# -- huber ---------------------------------------------------------------------------------------


@grades("huber")
def test_huber_values(verdict, reference, rng):
    """huber: the mean of ½e² within delta and δ(|e| − δ/2) beyond it

    The loss is the number training drives down: every later step depends on it being right."""
    for y_pred, y_true, delta in with_deltas(loss_pairs(rng)):
        with verdict.case("huber", y_pred, y_true, delta=delta) as case:
            case.expect_close(case.call(), reference.huber(y_pred, y_true, delta=delta))


@grades("huber")
def test_huber_boundary(verdict, rng):
    """huber: the two pieces meet at |e| = delta, where both give ½δ²

    The −δ/2 and the ½ are what make the straight line continue the parabola without a jump:
    a loss that jumps at delta has no slope there, and training stumbles over it."""
    for y_pred, y_true, delta in boundary_pairs(rng):
        with verdict.case("huber", y_pred, y_true, delta=delta) as case:
            case.expect_close(
                case.call(),
                huber_mean(errors_of(y_pred, y_true), delta),
                why=f"An error of exactly ±{delta:g} costs ½·{delta:g}² = {delta * delta / 2:g} "
                "on either piece",
            )


# -- huber_grad ----------------------------------------------------------------------------------


@grades("huber_grad", partial=False)
def test_huber_grad_values(verdict, reference, rng):
    """huber_grad: e/n within delta, δ·sign(e)/n beyond, in the shape of y_pred

    This gradient is what tells training which way to move each prediction, and how hard."""
    for y_pred, y_true, delta in with_deltas(loss_pairs(rng)):
        with verdict.case("huber_grad", y_pred, y_true, delta=delta) as case:
            case.expect_close(case.call(), reference.huber_grad(y_pred, y_true, delta=delta))


@grades("huber_grad", partial=False)
def test_huber_grad_sign(verdict, rng):
    """huber_grad: positive where the prediction is too high, negative where too low, 0 at a tie

    Clipping caps the size of the gradient, never its sign: the sign is the direction."""
    for y_pred, y_true, delta in with_deltas(loss_pairs(rng)):
        with verdict.case("huber_grad", y_pred, y_true, delta=delta) as case:
            error = errors_of(y_pred, y_true)
            got = case.call_array(expected=huber_slope(error, delta))
            expect_shape_and_finite(case, got, error.shape)
            wrong = np.sign(got) != np.sign(error)
            case.expect(
                not wrong.any(),
                f"{case.call_text()}: the sign is wrong at {int(wrong.sum())} of {error.size} "
                "elements (it must be the sign of y_pred − y_true, also beyond delta)",
            )


@grades("huber_grad", partial=False)
def test_huber_grad_clipped(verdict, rng):
    """huber_grad: no element larger than δ/n, and exactly ±δ/n beyond delta

    This is the point of the Huber loss: one outlier pulls as hard as delta allows, no harder."""
    for y_pred, y_true, delta in outlier_pairs(rng):
        with verdict.case("huber_grad", y_pred, y_true, delta=delta) as case:
            error = errors_of(y_pred, y_true)
            want = huber_slope(error, delta)
            got = case.call_array(expected=want)
            expect_shape_and_finite(case, got, error.shape)
            cap = delta / error.size
            over = np.abs(got) > cap * (1 + 1e-9)
            case.expect(
                not over.any(),
                f"{case.call_text()}: {int(over.sum())} of {error.size} elements are larger "
                f"than delta/n = {cap:.6g} (the largest is {show(np.max(np.abs(got)))}): beyond "
                "delta the gradient is capped at δ·sign(e)/n",
            )
            case.expect_close(
                got,
                want,
                why=f"Beyond delta = {delta:g} each slope is ±δ/n = ±{cap:.6g}, with the sign of e",
            )


@grades("huber_grad", partial=False)
def test_huber_grad_boundary(verdict, rng):
    """huber_grad: at |e| = delta both pieces give ±δ/n, and a hair either side agrees

    The gradient of the Huber loss has no jump: e/n and δ·sign(e)/n meet at |e| = delta."""
    for y_pred, y_true, delta in boundary_pairs(rng):
        with verdict.case("huber_grad", y_pred, y_true, delta=delta) as case:
            case.expect_close(
                case.call(),
                huber_slope(errors_of(y_pred, y_true), delta),
                why=f"At an error of exactly ±{delta:g}, e/n and δ·sign(e)/n are the same number",
            )


@grades("huber_grad", partial=False)
def test_huber_grad_finite_differences(verdict, rng):
    """huber_grad: agrees with centred finite differences of the mean Huber loss

    A gradient is the slope of the loss: nudging each prediction a little must confirm it."""
    for y_pred, y_true, delta in with_deltas(loss_pairs(rng)[1:]):
        y_pred, y_true = np.asarray(y_pred, dtype=float), np.asarray(y_true, dtype=float)
        error = y_pred - y_true
        near_kink = np.abs(np.abs(error) - delta) < KINK_MARGIN
        y_pred = y_pred + near_kink * np.sign(error) * 2 * KINK_MARGIN  # step off the kinks
        numeric = centred_gradient(lambda p, t=y_true, d=delta: huber_mean(p - t, d), y_pred)
        with verdict.case("huber_grad", y_pred, y_true, delta=delta) as case:
            case.expect_close(case.call(), numeric, rtol=1e-5, atol=1e-7)


# -- fit_huber -----------------------------------------------------------------------------------


def expect_steps(case, x: np.ndarray, y: np.ndarray, delta: float) -> None:
    """Call fit_huber for a few epochs; θ must be where gradient descent's steps put it."""
    theta, _history = as_pair(case.call_again(x, y, delta=delta, **SHORT_RUN))
    want, _ = descent(x, y, delta, **SHORT_RUN)
    case.expect_close(
        theta,
        want,
        why=f"After {SHORT_RUN['epochs']} steps of gradient descent from θ = [0, 0] with "
        f"lr = {SHORT_RUN['lr']}, θ is there (fit_huber must take the steps, not jump to an answer)",
    )


@grades("fit_huber")
def test_fit_huber_steps(verdict, rng):
    """fit_huber: θ is where gradient descent on the Huber loss puts it, step by step

    θ := θ − lr·[Σg, Σg·x] with g = huber_grad(θ0 + θ1·x, y, delta): against the gradient."""
    settings = [
        {"delta": 1.0, "lr": 0.1, "epochs": 8},
        {"delta": 0.5, "lr": 0.3, "epochs": 12},
    ]
    for run in settings + settings:  # each setting twice, on other data of the same size
        x, y, _true = line_data(rng, n=12, outliers=2)
        with verdict.case("fit_huber", x, y, **run) as case:
            theta, _history = as_pair(case.call())
            want, _ = descent(x, y, **run)
            case.expect_close(
                theta,
                want,
                why=f"{run['epochs']} steps of gradient descent from θ = [0, 0] with lr = "
                f"{run['lr']} end there; each step goes against the gradient",
            )


@grades("fit_huber")
def test_fit_huber_history(verdict, tolerances, rng):
    """fit_huber: history holds one loss per epoch, each that of θ before the step, from θ = [0, 0]

    The history is how you see training work (or not): it must record the loss before each step."""
    # the default settings (delta 1, lr 0.1, 500 epochs) once, then two runs with the same
    # settings on other data of one size
    runs = [({}, 10), ({"delta": 0.5, "lr": 0.2, "epochs": 40}, 20)]
    runs.append(runs[-1])
    for run, n in runs:
        x, y, _true = line_data(rng, n=n, outliers=2)
        delta, lr, epochs = run.get("delta", 1.0), run.get("lr", 0.1), run.get("epochs", 500)
        with verdict.case("fit_huber", x, y, **run) as case:
            _theta, history = as_pair(case.call())
            _, want = descent(x, y, delta, lr, epochs)
            case.expected = want
            try:
                history = numbers_of(history)
            except NotNumbers as error:
                raise CaseFailed(
                    f"fit_huber's history is {error}; expected a list of {epochs} losses "
                    "(numbers), one per epoch"
                ) from None
            case.expect(
                history.shape == (epochs,),
                f"fit_huber's history is {describe_value(case.got[1])}; expected a list of "
                f"{epochs} losses, one per epoch",
            )
            first = huber_mean(-y, delta)
            case.expect(
                bool(np.isclose(history[0], first, rtol=1e-9)),
                f"history[0] is {show(history[0])}; the Huber loss of θ = [0, 0] is {first:.6g} "
                "(record the loss before taking the step)",
            )
            close = np.isclose(history, want, rtol=tolerances["rtol"], atol=tolerances["atol"])
            step = int(np.argmin(close))
            case.expect(
                bool(close.all()),
                f"history[{step}] is {show(history[step])}; the Huber loss of θ before step "
                f"{step} of gradient descent from θ = [0, 0] (lr = {lr:g}, delta = {delta:g}) is "
                f"{want[step]:.6g}: each entry must be the loss of the θ the step starts from",
            )


@grades("fit_huber")
def test_fit_huber_resists_outliers(verdict, tolerances, rng):
    """fit_huber: with a few far outliers it ends near the true line, where least squares does not

    Each outlier pulls with at most delta, so the many points near the line win."""
    tolerance = tolerances["fit_huber_true_line"]
    for _ in range(2):
        for _draw in range(MAX_DRAWS):
            x, y, true = line_data(rng, n=40, outliers=4)
            design = np.column_stack([np.ones_like(x), x])
            least_squares, *_ = np.linalg.lstsq(design, y, rcond=None)
            dragged = float(np.max(np.abs(least_squares - true)))
            reached, _ = descent(x, y, **OUTLIER_RUN)
            if dragged > tolerance and np.max(np.abs(reached - true)) < FIT_MARGIN * tolerance:
                break
        with verdict.case("fit_huber", x, y, **OUTLIER_RUN) as case:
            theta, _history = as_pair(case.call())
            case.expect_close(
                theta,
                true,
                atol=tolerance,
                rtol=0,
                why=f"The points came from the line θ = {show(true)}, 4 of the 40 moved 8 to 15 "
                f"away; the least-squares (MSE) line is θ = {show(least_squares)}, dragged "
                f"{dragged:.2f} off, and the Huber fit should end within {tolerance:g} of the "
                "true line",
            )
            expect_steps(case, x, y, OUTLIER_RUN["delta"])

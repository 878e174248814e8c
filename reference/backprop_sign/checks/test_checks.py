"""Hidden checks of the backprop_sign assignment.

Each check calls the student's functions through the sandbox (``verdict``)
and compares with the reference or an independent oracle computed here, in
the trusted process: centred finite differences of the network's loss, the
network written out in two lines of numpy, the loss and its gradient from
the math. ``backward`` is always given a cache made by the *reference's*
``forward``, so a mistake in ``forward`` is not charged again. The gradient
checks and the sign property are all or nothing (``partial=False``): a
gradient that is right on some batches only has not carried the sign.
Random inputs come from ``rng``, seeded per submission (the seed is in
results.json). The ``train`` checks come last: by then it is known which of
the functions it calls passed, and those that did not run as the reference's
(``regression_losses`` is always the first assignment's reference).

No check can be passed without doing the work: every call's answer is
compared with the reference (or an oracle) on that call's inputs, by value or,
in the checks of the sign, by the sign of every element; each check meets
inputs of a shape the function has already seen, and the checks with numbers
among the arguments (lr, epochs, seed...) repeat them too, so an answer looked
up by anything but the values of the arrays is stale; NaN or inf never passes
where a number is expected (tests/test_checks_gaming.py proves it for every
check; tests/test_checks_cheats.py for memoisers keyed by shape and settings).
"""

from __future__ import annotations

import numpy as np

from autograder.grading.oracles import centred_gradient
from autograder.grading.plugin import grades
from autograder.grading.verdict import (
    CaseFailed,
    NotNumbers,
    describe_value,
    numbers_of,
    show,
)

KEYS = ("W1", "b1", "W2", "b2")
# A gradient and its finite differences are compared relative to their size;
# below this norm both count as zero (centred differences are accurate to ~1e-10).
NORM_FLOOR = 1e-8
# backward must be linear in dl_dpred up to float rounding.
LINEARITY_RTOL = 1e-9
LINEARITY_ATOL = 1e-12
# A step this small along a true gradient always lowers these losses.
SMALL_LR = 0.01
# Signs are compared where the reference's gradient is clearly not zero: above this
# fraction of the largest element of that gradient (below it, rounding decides the sign).
SIGN_FLOOR = 1e-9
# Sizes (n examples, n_in, n_hidden) of the random batches; n_in ≠ n_hidden, so a
# transposed weight gradient cannot have the right shape by accident.
SIZES = [(1, 1, 2), (4, 2, 3), (7, 3, 5), (5, 1, 4)]
# train's settings for the fit checks: plain gradient descent reaches the tolerances
# with these in a few hundred epochs (each epoch costs the sandbox two round trips).
FIT_MSE = {"n_hidden": 8, "lr": 0.2, "epochs": 400}
FIT_MAE = {"n_hidden": 8, "lr": 0.1, "epochs": 600}
FIT_POINTS = 24
# Fit data are drawn until the recipe itself ends below FIT_MARGIN times the tolerance
# (98 % of draws do), so a correct train never meets a draw on which plain gradient
# descent gets stuck.
FIT_MARGIN = 0.8
MAX_DRAWS = 20
# Each fit check runs train a second time, with the same settings, seed and shape of data, on
# the opposite sine (phase φ + π, give or take π/4): parameters fitted to the first data are far
# off there, so a train that hands back an earlier answer for anything but the same data fails.
# Fewer points would not make it cheaper: a run's cost is its epochs (two round trips each).
OPPOSITE_JITTER = np.pi / 4

# The lesson's example (README section 3): x = 1, h = tanh([ln 2, −ln 3]) = [0.6, −0.8].
LESSON_PARAMS = {
    "W1": np.array([[np.log(2.0), -np.log(3.0)]]),
    "b1": np.zeros(2),
    "W2": np.array([[1.0], [0.5]]),
    "b2": np.zeros(1),
}
LESSON_X = np.array([[1.0]])


# -- oracles, written out from the math -----------------------------------------------------------


def network_output(params: dict, x: np.ndarray) -> np.ndarray:
    """ŷ = tanh(x·W1 + b1)·W2 + b2."""
    return np.tanh(x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def loss_value(y_pred: np.ndarray, y: np.ndarray, loss: str) -> float:
    residual = y_pred - y
    return float(np.mean(residual**2) if loss == "mse" else np.mean(np.abs(residual)))


def upstream(y_pred: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """∂L/∂ŷ of the mean loss: 2(ŷ − y)/n or sign(ŷ − y)/n."""
    residual = y_pred - y
    return (2.0 * residual if loss == "mse" else np.sign(residual)) / residual.size


def numeric_gradients(scalar_of_params, params: dict) -> dict:
    """Centred finite differences of ``scalar_of_params`` in every parameter."""
    return {
        key: centred_gradient(
            lambda value, key=key: scalar_of_params({**params, key: value}), params[key]
        )
        for key in KEYS
    }


def recipe(reference, x, y, loss, n_hidden, lr, epochs, seed) -> tuple[dict, list[float]]:
    """train as documented: the reference's pieces, with the loss and its gradient from the math."""
    params = reference.init_params(x.shape[1], n_hidden, seed)
    history = []
    for _ in range(epochs):
        y_pred, cache = reference.forward(params, x)
        history.append(loss_value(y_pred, y, loss))
        params = reference.sgd_step(
            params, reference.backward(params, cache, upstream(y_pred, y, loss)), lr
        )
    return params, history


# -- inputs -------------------------------------------------------------------------------------


def shapes_of(n_in: int, n_hidden: int) -> dict[str, tuple[int, ...]]:
    return {"W1": (n_in, n_hidden), "b1": (n_hidden,), "W2": (n_hidden, 1), "b2": (1,)}


def random_params(rng: np.random.Generator, n_in: int, n_hidden: int) -> dict:
    """Weights and biases all nonzero, so every term of the chain rule shows."""
    return {
        key: rng.normal(0.0, 0.8, size=shape) for key, shape in shapes_of(n_in, n_hidden).items()
    }


def batches(rng: np.random.Generator) -> list[tuple[dict, np.ndarray, np.ndarray]]:
    """(params, x, y): the lesson's example, then random batches of several sizes."""
    cases = [(LESSON_PARAMS, LESSON_X, np.array([[1.0]]))]
    for n, n_in, n_hidden in SIZES:
        params = random_params(rng, n_in, n_hidden)
        x = rng.normal(0.0, 1.0, size=(n, n_in))
        cases.append((params, x, rng.normal(0.0, 1.0, size=(n, 1))))
    return cases


def sine_data(
    rng: np.random.Generator, n: int = FIT_POINTS, phase: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """n points of y = sin(πx + φ), x in [−1, 1]; φ is ``phase``, or random if it is None."""
    x = np.sort(rng.uniform(-1.0, 1.0, size=(n, 1)), axis=0)
    if phase is None:
        phase = rng.uniform(0.0, 2.0 * np.pi)
    return x, np.sin(np.pi * x + phase)


def fit_data(rng, reference, loss: str, settings: dict, tolerance: float, seed: int):
    """``(x, y, x_other, y_other)``: sine data on which the recipe ends below ``FIT_MARGIN *
    tolerance``, then as many points of the opposite sine, on which it does too but where the
    parameters it fitted to the first data are above ``tolerance / FIT_MARGIN``."""
    for _ in range(MAX_DRAWS):
        phase = rng.uniform(0.0, 2.0 * np.pi)
        x, y = sine_data(rng, phase=phase)
        params, _ = recipe(reference, x, y, loss, seed=seed, **settings)
        if loss_value(network_output(params, x), y, loss) > FIT_MARGIN * tolerance:
            continue
        for _ in range(MAX_DRAWS):
            opposite = phase + np.pi + rng.uniform(-OPPOSITE_JITTER, OPPOSITE_JITTER)
            x_other, y_other = sine_data(rng, phase=opposite)
            fitted, _ = recipe(reference, x_other, y_other, loss, seed=seed, **settings)
            if (
                loss_value(network_output(fitted, x_other), y_other, loss) <= FIT_MARGIN * tolerance
                and loss_value(network_output(params, x_other), y_other, loss)
                > tolerance / FIT_MARGIN
            ):
                return x, y, x_other, y_other
    raise RuntimeError(f"no sine data on which the {loss} recipe reaches {tolerance}")


# -- reading the student's answers --------------------------------------------------------------


def as_pair(got: object, function: str, first: str, second: str) -> tuple:
    if not isinstance(got, list | tuple) or len(got) != 2:
        what = (
            f"a {type(got).__name__} of {len(got)} items"
            if isinstance(got, list | tuple)
            else describe_value(got)
        )
        raise CaseFailed(f"{function} must return a pair ({first}, {second}); it returned {what}")
    return got[0], got[1]


def as_arrays(got: object, shapes: dict, function: str, what: str) -> dict[str, np.ndarray]:
    """The student's dict as float arrays of the given shapes, or fail the case with a sentence."""
    if not isinstance(got, dict):
        raise CaseFailed(
            f"{function} must return {what}: a dict with the keys {', '.join(shapes)}; "
            f"it returned {describe_value(got)}"
        )
    missing = [key for key in shapes if key not in got]
    if missing:
        raise CaseFailed(f"{function} returned a dict without the key(s) {', '.join(missing)}")
    arrays = {}
    for key, shape in shapes.items():
        try:
            arrays[key] = numbers_of(got[key])
        except NotNumbers as error:
            raise CaseFailed(
                f"{function} returned as {key} {error}; it must be an array of numbers of shape {shape}"
            ) from None
        if arrays[key].shape != shape:
            raise CaseFailed(
                f"{function} returned {key} with shape {arrays[key].shape}; it must have the shape "
                f"{shape}{' of the parameter ' + key if what.startswith('the gradients') else ''}"
            )
    return arrays


def expect_all_close(case, got: dict, expected: dict, label: str, rtol: float, atol: float) -> None:
    """Fail the case at the first key whose values differ, showing both."""
    case.expected = expected
    for key, want in expected.items():
        want = np.asarray(want, dtype=float)
        if not np.isfinite(got[key][np.isfinite(want)]).all():
            raise CaseFailed(
                f"{label}: {key} is {show(got[key])}, which is not finite (NaN or inf); "
                f"expected {show(want)}"
            )
        if not np.allclose(got[key], want, rtol=rtol, atol=atol):
            raise CaseFailed(f"{label}: {key} is {show(got[key])}; expected {show(want)}")


def batch_label(function: str, x: np.ndarray, n_hidden: int) -> str:
    n, n_in = x.shape
    return f"{function} on a batch of {n} example{'s' if n > 1 else ''} (n_in = {n_in}, n_hidden = {n_hidden})"


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """‖got − want‖ / (‖got‖ + ‖want‖); inf when it cannot be computed (NaN, inf, overflow),
    so that it never passes a comparison (a NaN would, with max or a sort, be skipped)."""
    with np.errstate(all="ignore"):
        scale = max(float(np.linalg.norm(got) + np.linalg.norm(want)), NORM_FLOOR)
        error = float(np.linalg.norm(got - want)) / scale
    return error if np.isfinite(error) else np.inf


def expect_finite(case, got: dict, label: str) -> None:
    """Fail the case at the first gradient holding NaN or inf: no number compares with them."""
    for key, value in got.items():
        if not np.isfinite(value).all():
            raise CaseFailed(f"{label}: {key} is {show(value)}, which is not finite (NaN or inf)")


def expect_signs(case, got: dict, want: dict, label: str) -> None:
    """Fail the case unless every gradient has the sign of the reference's, element by element
    (where the reference is clearly not zero); the sentence shows the first key that does not."""
    for key in KEYS:
        reference = np.asarray(want[key], dtype=float)
        clear = np.abs(reference) > SIGN_FLOOR * np.max(np.abs(reference), initial=0.0)
        wrong = clear & (np.sign(got[key]) != np.sign(reference))
        if wrong.any():
            raise CaseFailed(
                f"{label}: the gradient of {key} has the wrong sign at {int(wrong.sum())} of "
                f"{int(clear.sum())} elements; you gave {show(got[key])}, the chain rule gives "
                f"{show(reference)}"
            )


# -- init_params -----------------------------------------------------------------------------------


@grades("init_params")
def test_init_params_values(verdict, reference, rng):
    """init_params: W1 then W2 from default_rng(seed) with std INIT_STD, zero biases, the documented shapes

    Exactly reproducible weights are what make a training run, and its grade, repeatable."""
    cases = [
        (1, 16, 0),
        (2, 3, 0),
        (3, 5, int(rng.integers(2**31))),
        (1, 4, int(rng.integers(2**31))),
        (2, 3, int(rng.integers(2**31))),  # the same shapes as before, other numbers
    ]
    for n_in, n_hidden, seed in cases:
        with verdict.case("init_params", n_in, n_hidden, seed) as case:
            got = as_arrays(case.call(), shapes_of(n_in, n_hidden), "init_params", "the parameters")
            expect_all_close(
                case,
                got,
                reference.init_params(n_in, n_hidden, seed),
                f"init_params({n_in}, {n_hidden}, seed={seed})",
                rtol=1e-12,
                atol=0.0,
            )


# -- forward ---------------------------------------------------------------------------------------


@grades("forward")
def test_forward_values(verdict, reference, rng):
    """forward: y_pred = tanh(x·W1 + b1)·W2 + b2, of shape (n, 1)

    The predictions are where the error ŷ − y, and so its sign, comes from."""
    for params, x, _y in batches(rng):
        with verdict.case("forward", params, x) as case:
            y_pred, _cache = as_pair(case.call(), "forward", "y_pred", "cache")
            want, _ = reference.forward(params, x)
            got = as_arrays({"y_pred": y_pred}, {"y_pred": want.shape}, "forward", "y_pred")
            expect_all_close(
                case,
                got,
                {"y_pred": want},
                f"{batch_label('forward', x, params['W1'].shape[1])}, ŷ = tanh(x @ W1 + b1) @ W2 + b2",
                rtol=verdict.tolerances["rtol"],
                atol=verdict.tolerances["atol"],
            )


@grades("forward")
def test_forward_cache(verdict, reference, rng):
    """forward: the cache is {"x": x, "z1": x·W1 + b1, "h": tanh(z1)}

    backward needs exactly these: x for W1's gradient, h for W2's and for tanh's slope 1 − h²."""
    for params, x, _y in batches(rng):
        n_hidden = params["W1"].shape[1]
        shapes = {"x": x.shape, "z1": (x.shape[0], n_hidden), "h": (x.shape[0], n_hidden)}
        with verdict.case("forward", params, x) as case:
            _y_pred, cache = as_pair(case.call(), "forward", "y_pred", "cache")
            got = as_arrays(cache, shapes, "forward", "a cache")
            _, want = reference.forward(params, x)
            expect_all_close(
                case,
                got,
                want,
                f"the cache of {batch_label('forward', x, n_hidden)}",
                rtol=verdict.tolerances["rtol"],
                atol=verdict.tolerances["atol"],
            )


# -- backward --------------------------------------------------------------------------------------


def backward_cases(reference, rng) -> list[tuple[dict, dict, np.ndarray]]:
    """(params, cache, dl_dpred): the reference's cache, the MSE's upstream gradient."""
    cases = []
    for params, x, y in batches(rng):
        y_pred, cache = reference.forward(params, x)
        cases.append((params, cache, upstream(y_pred, y, "mse")))
    return cases


def student_gradients(case, got, params) -> dict[str, np.ndarray]:
    shapes = {key: np.shape(params[key]) for key in KEYS}
    return as_arrays(got, shapes, "backward", "the gradients")


@grades("backward")
def test_backward_values(verdict, reference, rng):
    """backward: the gradient of every parameter, from dl_dpred by the chain rule

    Each gradient says which way, and how hard, to move its parameter: dW2 = hᵀ·g, db2 = Σ g,
    dz1 = (g·W2ᵀ)·(1 − h²), dW1 = xᵀ·dz1, db1 = Σ dz1."""
    for params, cache, dl_dpred in backward_cases(reference, rng):
        with verdict.case("backward", params, cache, dl_dpred) as case:
            got = student_gradients(case, case.call(), params)
            expect_all_close(
                case,
                got,
                reference.backward(params, cache, dl_dpred),
                batch_label("backward", cache["x"], params["W1"].shape[1]),
                rtol=verdict.tolerances["rtol"],
                atol=verdict.tolerances["atol"],
            )


@grades("backward", partial=False)
def test_backward_finite_differences(verdict, reference, tolerances, rng):
    """backward: every parameter's gradient agrees with centred finite differences

    Nudge one weight, rerun the network, watch the loss: that slope is what backward must return."""
    limit = tolerances["grad_check_rel_error"]
    for index, (params, x, y) in enumerate(batches(rng)):
        if index % 2 == 0:  # the mean squared error, dl_dpred = 2(ŷ − y)/n
            dl_dpred = upstream(network_output(params, x), y, "mse")
            numeric = numeric_gradients(
                lambda p, x=x, y=y: loss_value(network_output(p, x), y, "mse"), params
            )
            about = "the mean squared error"
        else:  # any upstream gradient g: backward gives the gradient of Σ g·ŷ
            dl_dpred = rng.normal(0.0, 1.0, size=(x.shape[0], 1))
            numeric = numeric_gradients(
                lambda p, x=x, g=dl_dpred: float(np.sum(g * network_output(p, x))), params
            )
            about = "Σ dl_dpred·ŷ"
        _, cache = reference.forward(params, x)
        label = batch_label("backward", x, params["W1"].shape[1])
        with verdict.case("backward", params, cache, dl_dpred) as case:
            got = student_gradients(case, case.call(), params)
            case.expected = numeric
            expect_finite(case, got, label)
            errors = {key: relative_error(got[key], numeric[key]) for key in KEYS}
            worst = max(errors, key=errors.get)
            case.expect(
                errors[worst] <= limit,
                f"{label}: the gradient of {worst} is "
                f"{show(got[worst])}, but nudging {worst} and measuring {about} gives "
                f"{show(numeric[worst])} (relative error {errors[worst]:.2g}, allowed {limit:g})",
            )


def expect_linear(
    case, verdict, reference, params, cache, dl_dpred, factor: float, base: dict
) -> None:
    """Call backward with ``factor · dl_dpred``; every gradient must have the sign of the
    reference's for that input, and be ``factor`` times ``base``."""
    result = verdict.call("backward", (params, cache, factor * dl_dpred), {})
    scaled = student_gradients(case, result.value, params)
    label = (
        f"with {factor:g} × dl_dpred, {batch_label('backward', cache['x'], params['W1'].shape[1])}"
    )
    expect_finite(case, scaled, label)
    expect_signs(case, scaled, reference.backward(params, cache, factor * dl_dpred), label)
    for key in KEYS:
        if not np.allclose(
            scaled[key], factor * base[key], rtol=LINEARITY_RTOL, atol=LINEARITY_ATOL
        ):
            raise CaseFailed(
                f"with dl_dpred = {show(dl_dpred)} your backward gave {key} = {show(base[key])}; "
                f"with {factor:g} × dl_dpred it gave {show(scaled[key])}, not {factor:g} times as much "
                f"({show(factor * base[key])})"
            )


def nonzero(case, grads: dict, reference_grads: dict) -> None:
    for key in KEYS:
        if np.any(reference_grads[key] != 0) and not np.any(grads[key] != 0):
            raise CaseFailed(
                f"backward returned zeros for {key}: a gradient that is 0 whatever dl_dpred says "
                "cannot carry its sign"
            )


def expect_base_signs(case, base: dict, reference, params, cache, dl_dpred) -> None:
    """The first answer of a property check: nonzero, finite and of the reference's signs (a
    property alone would pass a function that returns anything linear in dl_dpred)."""
    want = reference.backward(params, cache, dl_dpred)
    label = batch_label("backward", cache["x"], params["W1"].shape[1])
    expect_finite(case, base, label)
    nonzero(case, base, want)
    expect_signs(case, base, want, label)


@grades("backward", partial=False)
def test_backward_sign_flips(verdict, reference, rng):
    """backward: every gradient has the right sign, and flipping dl_dpred flips every one

    This is where the network keeps the sign: every gradient is dl_dpred carried backwards by
    multiplications, so the sign of ŷ − y reaches every weight."""
    for params, cache, dl_dpred in backward_cases(reference, rng):
        with verdict.case("backward", params, cache, dl_dpred) as case:
            base = student_gradients(case, case.call(), params)
            expect_base_signs(case, base, reference, params, cache, dl_dpred)
            expect_linear(case, verdict, reference, params, cache, dl_dpred, -1.0, base)


@grades("backward", partial=False)
def test_backward_scales(verdict, reference, rng):
    """backward: with every sign right, scaling dl_dpred scales every gradient alike (0 gives 0)

    Backpropagation is linear in the upstream gradient: twice the error's pull, twice every step."""
    for (params, cache, dl_dpred), factor in zip(
        backward_cases(reference, rng), [2.5, 0.0, 0.5, 3.0, -2.0], strict=True
    ):
        with verdict.case("backward", params, cache, dl_dpred) as case:
            base = student_gradients(case, case.call(), params)
            expect_base_signs(case, base, reference, params, cache, dl_dpred)
            expect_linear(case, verdict, reference, params, cache, dl_dpred, factor, base)


def step_cases(rng: np.random.Generator) -> list[tuple[dict, np.ndarray, np.ndarray, str]]:
    """(params, x, y, loss) for the one-step checks, MSE and MAE in turn.

    The MAE's targets sit 0.5 to 1.5 from the predictions: its slope has the same size
    however small an error is, so a step could carry a nearly right prediction past its
    target and raise the loss whatever the gradient."""
    cases = []
    for index, (params, x, y) in enumerate(batches(rng)[1:]):
        loss = "mse" if index % 2 == 0 else "mae"
        if loss == "mae":
            offsets = rng.uniform(0.5, 1.5, size=y.shape) * rng.choice([-1.0, 1.0], size=y.shape)
            y = network_output(params, x) + offsets
        cases.append((params, x, y, loss))
    return cases


@grades("backward")
def test_backward_step_lowers_loss(verdict, reference, rng):
    """backward: one small step against your gradients lowers the loss (MSE and MAE)

    The gradient points uphill; stepping against it must go down, or training climbs."""
    for params, x, y, loss in step_cases(rng):
        y_pred, cache = reference.forward(params, x)
        dl_dpred = upstream(y_pred, y, loss)
        label = batch_label("backward", x, params["W1"].shape[1])
        with verdict.case("backward", params, cache, dl_dpred) as case:
            got = student_gradients(case, case.call(), params)
            # the signs first: a step along almost anything may lower the loss by chance
            expect_finite(case, got, label)
            expect_signs(case, got, reference.backward(params, cache, dl_dpred), label)
            stepped = {key: params[key] - SMALL_LR * got[key] for key in KEYS}
            before = loss_value(y_pred, y, loss)
            after = loss_value(network_output(stepped, x), y, loss)
            case.expect(
                after < before,
                f"{label}: one step of lr = {SMALL_LR:g} "
                f"against your gradients took the {loss.upper()} from {before:.6g} to {after:.6g}; "
                "it must go down",
            )


# -- sgd_step --------------------------------------------------------------------------------------


@grades("sgd_step")
def test_sgd_step_values(verdict, rng):
    """sgd_step: params[k] − lr·grads[k] for every parameter, as a new dict

    Subtracting the gradient is what turns its sign into a step downhill."""
    cases = []
    for _n, n_in, n_hidden in SIZES[:3]:
        params, grads = random_params(rng, n_in, n_hidden), random_params(rng, n_in, n_hidden)
        cases.append((params, grads, float(rng.uniform(0.01, 1.0))))
    # the second's shapes and lr again, other numbers: an answer looked up by anything but the
    # arrays' values would be stale
    _n, n_in, n_hidden = SIZES[1]
    cases.append(
        (random_params(rng, n_in, n_hidden), random_params(rng, n_in, n_hidden), cases[1][2])
    )
    for params, grads, lr in cases:
        with verdict.case("sgd_step", params, grads, lr) as case:
            shapes = {key: np.shape(value) for key, value in params.items()}
            got = as_arrays(case.call(), shapes, "sgd_step", "the new parameters")
            want = {key: params[key] - lr * grads[key] for key in params}
            expect_all_close(
                case, got, want, f"sgd_step with lr = {lr:.4g}", rtol=1e-12, atol=1e-12
            )


@grades("sgd_step")
def test_sgd_step_lowers_loss(verdict, reference, rng):
    """sgd_step: one small step with the true gradients lowers the loss (MSE and MAE)

    This is the promise of gradient descent: follow the negative gradient and the loss falls."""
    # the first case's shapes again, other numbers (lr is SMALL_LR throughout): an answer
    # looked up by anything but the arrays' values would be stale
    for params, x, y, loss in [*step_cases(rng), step_cases(rng)[0]]:
        y_pred, cache = reference.forward(params, x)
        grads = reference.backward(params, cache, upstream(y_pred, y, loss))
        step = {key: params[key] - SMALL_LR * grads[key] for key in KEYS}
        before = loss_value(y_pred, y, loss)
        after = loss_value(network_output(step, x), y, loss)
        with verdict.case("sgd_step", params, grads, SMALL_LR) as case:
            shapes = {key: np.shape(value) for key, value in params.items()}
            got = as_arrays(case.call(), shapes, "sgd_step", "the new parameters")
            # the step itself, not only a lower loss: zeros, or parameters found some other
            # way, may lower the loss too without being a step against the gradient
            expect_all_close(
                case,
                got,
                step,
                f"one sgd_step of lr = {SMALL_LR:g} with the true gradients (which takes the "
                f"{loss.upper()} from {before:.6g} down to {after:.6g})",
                rtol=1e-12,
                atol=1e-12,
            )


# -- train -----------------------------------------------------------------------------------------


def trained(case, got, x: np.ndarray, n_hidden: int) -> tuple[dict, np.ndarray]:
    params, history = as_pair(got, "train", "params", "history")
    params = as_arrays(params, shapes_of(x.shape[1], n_hidden), "train", "the trained parameters")
    try:
        history = numbers_of(history)
    except NotNumbers as error:
        raise CaseFailed(
            f"train's history must be a list of numbers, one loss per epoch; it is {error}"
        ) from None
    return params, history


@grades("train")
def test_train_follows_the_recipe(verdict, reference, tolerances, rng):
    """train: init_params, then each epoch forward, loss, backward, sgd_step, number for number

    Every number of a run follows from the seed: the same recipe gives the same network."""
    cases = [
        ("mse", 1, 4, 0.1, int(rng.integers(2**31))),
        ("mae", 1, 3, 0.1, int(rng.integers(2**31))),
        ("mse", 2, 5, 0.05, int(rng.integers(2**31))),
    ]
    # the last repeats the first's settings and seed on other data of the same shape: an
    # answer looked up by anything but the data's values would be stale
    for loss, n_in, n_hidden, lr, seed in [*cases, cases[0]]:
        x = rng.uniform(-1.0, 1.0, size=(12, n_in))
        y = np.sin(np.pi * x[:, :1]) + rng.normal(0.0, 0.1, size=(12, 1))
        settings = {"loss": loss, "n_hidden": n_hidden, "lr": lr, "epochs": 30, "seed": seed}
        with verdict.case("train", x, y, **settings) as case:
            params, history = trained(case, case.call(), x, n_hidden)
            want_params, want_history = recipe(reference, x, y, **settings)
            label = f"train(x, y, loss={loss!r}, n_hidden={n_hidden}, lr={lr}, epochs=30, seed={settings['seed']})"
            case.expect(
                history.shape == (30,),
                f"{label} recorded {history.size} losses; expected 30, one per epoch",
            )
            expect_all_close(
                case,
                {"history": history, **params},
                {"history": np.array(want_history), **want_params},
                label,
                rtol=tolerances["train_rtol"],
                atol=tolerances["train_atol"],
            )


@grades("train")
def test_train_history(verdict, reference, tolerances, rng):
    """train: history holds one loss per epoch, each that of the parameters before the step

    The history is how you see training work: it records the loss before each step, the first
    that of init_params(seed)."""
    epochs = 40
    mse_seed, mae_seed = (int(rng.integers(2**31)) for _ in range(2))
    # the last repeats the first's settings and seed on other data: an answer looked up by
    # anything but the data's values would be stale
    for loss, seed in [("mse", mse_seed), ("mae", mae_seed), ("mse", mse_seed)]:
        # data of the size the fit checks use: a train that looks its answers up by the shape
        # of x would give those checks one of these answers
        x, y = sine_data(rng, n=FIT_POINTS)
        settings = {"loss": loss, "n_hidden": 6, "lr": 0.1, "epochs": epochs, "seed": seed}
        with verdict.case("train", x, y, **settings) as case:
            _params, history = trained(case, case.call(), x, 6)
            case.expect(
                history.shape == (epochs,),
                f"history is {describe_value(case.got[1])}; expected {epochs} losses for "
                f"{epochs} epochs",
            )
            first = loss_value(network_output(reference.init_params(1, 6, seed), x), y, loss)
            case.expect(
                bool(np.isclose(history[0], first, rtol=1e-9)),
                f"history[0] is {show(history[0])}; the {loss.upper()} of init_params(1, 6, "
                f"seed={seed}) is {first:.6g} (record the loss before taking the step)",
            )
            case.expect(
                bool(history[-1] < history[0]),
                f"the {loss.upper()} went from {show(history[0])} to {show(history[-1])} in "
                f"{epochs} epochs: it should fall",
            )
            _, want = recipe(reference, x, y, **settings)
            case.expected = want
            close = np.isclose(
                history, want, rtol=tolerances["train_rtol"], atol=tolerances["train_atol"]
            )
            step = int(np.argmin(close))
            case.expect(
                bool(close.all()),
                f"history[{step}] is {show(history[step])}; the {loss.upper()} of the "
                f"parameters before step {step} (init_params, then forward, backward, sgd_step "
                f"each epoch) is {want[step]:.6g}: each entry must be the loss before that step",
            )


def expect_fitted(case, got, x, y, loss: str, settings: dict, tolerance: float, what: str) -> None:
    """Fail the case unless train's answer ``got`` fits ``(x, y)`` to the tolerance."""
    params, _history = trained(case, got, x, settings["n_hidden"])
    final = loss_value(network_output(params, x), y, loss)
    case.expect(
        final <= tolerance,
        f"after {settings['epochs']} epochs (n_hidden = {settings['n_hidden']}, "
        f"lr = {settings['lr']}) your network's {loss.upper()} on {len(x)} points of {what} "
        f"is {final:.4g}; it should be at most {tolerance:g}",
    )


def expect_fit(verdict, reference, rng, loss: str, settings: dict, tolerance: float) -> None:
    """One long run (the expensive part of grading train; train_follows_the_recipe already
    pins a run down number by number): its final loss must be within the tolerance. Then, in
    the same case, a run with the same settings and seed on the opposite sine, which must fit
    too: an answer kept from the first run cannot (see OPPOSITE_JITTER)."""
    seed = int(rng.integers(2**31))
    x, y, x_other, y_other = fit_data(rng, reference, loss, settings, tolerance, seed)
    with verdict.case("train", x, y, loss=loss, seed=seed, **settings) as case:
        case.expected = tolerance
        expect_fitted(case, case.call(), x, y, loss, settings, tolerance, "a sine")
        again = case.call_again(x_other, y_other, loss=loss, seed=seed, **settings)
        expect_fitted(
            case,
            again,
            x_other,
            y_other,
            loss,
            settings,
            tolerance,
            "another sine (same settings and seed)",
        )


@grades("train")
def test_train_mse_fits_sine(verdict, reference, tolerances, rng):
    """train with MSE: fits y = sin(πx + φ) on [−1, 1] to the stated tolerance

    A straight line cannot follow a sine; the hidden layer, trained by backpropagation, can."""
    expect_fit(verdict, reference, rng, "mse", FIT_MSE, tolerances["train_mse_fit"])


@grades("train")
def test_train_mae_fits_sine(verdict, reference, tolerances, rng):
    """train with MAE: fits the sine too, more slowly

    The MAE's upstream gradient is only signs, ±1/n: the sign alone is enough to learn."""
    expect_fit(verdict, reference, rng, "mae", FIT_MAE, tolerances["train_mae_fit"])

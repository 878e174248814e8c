"""The misconceptions students really have in regression_losses, and how to recognise each.

Each entry's ``variant(reference, *args, **kwargs)`` returns what a student who
makes that mistake would return; ``matches(case)`` recognises it directly when
no single variant can. Hints speak to the student, with the numbers of the
smallest failing case, and name the lesson section (assignments/
regression_losses/README.md) that explains the point. Every entry is
exercised by a submission that makes exactly that mistake
(reference/regression_losses/samples/).
"""

from __future__ import annotations

import numpy as np

from autograder.grading.diagnosis import Mistake

LOSS_SECTION = "1. The loss forgets the sign"
GRADIENT_SECTION = "2. The gradient keeps it"
MAE_SECTION = "3. The MAE gradient and ties"
CHAIN_SECTION = "4. The chain rule to the line's parameters"
UPDATE_SECTION = "5. The update rule"

RUNAWAY_THETA = 1e3  # a fit whose theta grows past this ran off (diverged)


def _error(y_pred, y_true) -> np.ndarray:
    return np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)


def _sign_by_division(y_pred, y_true) -> np.ndarray:
    """(ŷ − y)/|ŷ − y|: the sign, except 0/0 = NaN at a tie."""
    error = _error(y_pred, y_true)
    with np.errstate(invalid="ignore", divide="ignore"):
        return error / np.abs(error)


def _upstream(theta, x, y, loss):
    x = np.asarray(x, dtype=float)
    residual = theta[0] + theta[1] * x - np.asarray(y, dtype=float)
    return (2 * residual if loss == "mse" else np.sign(residual)) / x.size, x


def _fit_theta(case) -> np.ndarray | None:
    got = case.got
    if isinstance(got, list | tuple) and len(got) == 2:
        try:
            return np.asarray(got[0], dtype=float)
        except (TypeError, ValueError):
            return None
    return None


def _returned_scalar_for_array(case) -> bool:
    got = case.got
    return isinstance(got, float | int) and not isinstance(got, bool) and np.ndim(case.args[0]) >= 1


def _fit_never_moved(case) -> bool:
    theta = _fit_theta(case)
    return theta is not None and theta.shape == (2,) and bool(np.allclose(theta, 0.0))


def _fit_diverged(case) -> bool:
    """Theta ran off (non-finite or huge), or the recorded loss grew from first to last epoch."""
    theta = _fit_theta(case)
    if theta is None:
        return False
    if not np.all(np.isfinite(theta)) or bool(np.max(np.abs(theta)) > RUNAWAY_THETA):
        return True
    try:
        history = np.asarray(case.got[1], dtype=float)
    except (TypeError, ValueError):
        return False
    return history.ndim == 1 and history.size > 1 and bool(history[-1] > history[0])


# The most common mistakes, graded by `autograder demo` (a sample file of each is in
# reference/regression_losses/samples/).
DEMO = [
    "mse_grad__sign_flipped",
    "mae_grad__abs_not_sign",
    "mae_grad__nan_at_ties",
    "mse_grad__missing_factor_2",
    "linear_grads__slope_without_x",
    "gd_step__ascent",
    "fit__never_updates",
]

# Small inputs on which the students' self-check compares their answers with each mistake's
# (the outputs are computed at release time, so no code of the catalog is handed out).
PROBES = {
    "mse": [(([4.0, 1.0, 2.0], [3.0, 3.0, 2.0]), {}), (([0.5, -1.0], [1.5, 2.0]), {})],
    "mae": [(([4.0, 1.0, 2.0], [3.0, 3.0, 2.0]), {}), (([0.5, -1.0], [1.5, 2.0]), {})],
    "mse_grad": [(([4.0], [3.0]), {}), (([4.0, 1.0, 2.0], [3.0, 3.0, 2.0]), {})],
    "mae_grad": [(([4.0], [3.0]), {}), (([4.0, 1.0, 2.0, 0.5], [3.0, 3.0, 2.0, 1.5]), {})],
    "predict": [(([1.0, 2.0], [0.0, 1.0, 3.0]), {}), (([-0.5, 3.0], [2.0, -1.0]), {})],
    "linear_grads": [
        (([0.5, 1.0], [0.0, 1.0, 2.0], [1.0, 2.0, 6.0]), {"loss": "mse"}),
        (([0.5, 1.0], [0.0, 1.0, 2.0], [1.0, 2.0, 6.0]), {"loss": "mae"}),
    ],
    "gd_step": [(([1.0, 1.0], [2.0, -4.0], 0.5), {}), (([0.0, 0.0], [1.0, 1.0], 0.1), {})],
    "fit": [
        (([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0]), {"loss": "mse", "lr": 0.05, "epochs": 300})
    ],
}

CATALOG = [
    # -- mse ---------------------------------------------------------------------------------------
    Mistake(
        "mse",
        "rmse",
        "RMSE instead of MSE",
        "{call} gave {got}, which is the square root of the MSE ({expected}): "
        "MSE is the mean of the squared errors, with no square root.",
        LOSS_SECTION,
        variant=lambda ref, p, t: np.sqrt(np.mean(_error(p, t) ** 2)),
    ),
    Mistake(
        "mse",
        "sum_not_mean",
        "sum instead of mean (no 1/n)",
        "{call} gave {got}, the sum of the squared errors; MSE divides that by the number of "
        "elements, giving {expected}.",
        LOSS_SECTION,
        variant=lambda ref, p, t: np.sum(_error(p, t) ** 2),
    ),
    Mistake(
        "mse",
        "mae_for_mse",
        "absolute instead of squared errors",
        "{call} gave {got}, the mean absolute error; MSE squares each error first ({expected}).",
        LOSS_SECTION,
        variant=lambda ref, p, t: np.mean(np.abs(_error(p, t))),
    ),
    Mistake(
        "mse",
        "half_mse",
        "half the MSE",
        "{call} gave {got}, half the MSE ({expected}): the ½ convention is not used here.",
        LOSS_SECTION,
        variant=lambda ref, p, t: np.mean(_error(p, t) ** 2) / 2,
    ),
    # -- mae ---------------------------------------------------------------------------------------
    Mistake(
        "mae",
        "signed_mean",
        "signed mean error instead of MAE",
        "{call} gave {got}, the mean of the *signed* errors: positive and negative errors cancel. "
        "MAE takes the absolute value of each error first ({expected}).",
        LOSS_SECTION,
        variant=lambda ref, p, t: np.mean(_error(p, t)),
    ),
    Mistake(
        "mae",
        "sum_not_mean",
        "sum instead of mean (no 1/n)",
        "{call} gave {got}, the sum of the absolute errors; MAE divides it by the number of "
        "elements ({expected}).",
        LOSS_SECTION,
        variant=lambda ref, p, t: np.sum(np.abs(_error(p, t))),
    ),
    Mistake(
        "mae",
        "mse_for_mae",
        "squared instead of absolute errors",
        "{call} gave {got}, the mean squared error; MAE uses the absolute errors ({expected}).",
        LOSS_SECTION,
        variant=lambda ref, p, t: np.mean(_error(p, t) ** 2),
    ),
    # -- mse_grad ----------------------------------------------------------------------------------
    Mistake(
        "mse_grad",
        "sign_flipped",
        "gradient sign flipped",
        "for ŷ = {y_pred}, y = {y_true} your mse_grad gave {got}; the slope of (ŷ−y)² there is "
        "{expected}: positive means 'decrease ŷ'. Your gradient has the opposite sign: you "
        "differentiated (y−ŷ)² as if ŷ were y (the inner derivative of ŷ − y with respect to ŷ is +1).",
        GRADIENT_SECTION,
        variant=lambda ref, p, t: -2 * _error(p, t) / np.size(p),
    ),
    Mistake(
        "mse_grad",
        "missing_factor_2",
        "missing factor 2",
        "{call} gave {got}; expected {expected}: the derivative of e² is 2e, and the 2 is missing.",
        GRADIENT_SECTION,
        variant=lambda ref, p, t: _error(p, t) / np.size(p),
    ),
    Mistake(
        "mse_grad",
        "sum_not_mean",
        "no 1/n in the gradient",
        "{call} gave {got}; expected {expected}: the loss is a mean, so each element's derivative "
        "carries its 1/n (here n = number of elements).",
        GRADIENT_SECTION,
        variant=lambda ref, p, t: 2 * _error(p, t),
    ),
    Mistake(
        "mse_grad",
        "sign_lost",
        "the sign is lost (absolute value)",
        "{call} gave {got}, all ≥ 0; expected {expected}. The gradient must keep the sign of ŷ − y: "
        "it is the only thing that says whether a prediction is too high or too low.",
        GRADIENT_SECTION,
        variant=lambda ref, p, t: 2 * np.abs(_error(p, t)) / np.size(p),
    ),
    Mistake(
        "mse_grad",
        "scalar_gradient",
        "a scalar instead of an element-wise gradient",
        "{call} gave the single number {got}; expected one derivative per prediction, {expected}. "
        "Each prediction has its own error, so each gets its own slope.",
        GRADIENT_SECTION,
        matches=_returned_scalar_for_array,
    ),
    # -- mae_grad ----------------------------------------------------------------------------------
    Mistake(
        "mae_grad",
        "abs_not_sign",
        "the sign is lost: |ŷ−y| used as the gradient",
        "for ŷ = {y_pred}, y = {y_true} your mae_grad gave {got}; expected {expected}. You used "
        "|ŷ−y|/n: the gradient lost the sign. The slope of |e| is sign(e), +1 or −1, whatever the "
        "size of the error; the sign is what tells training which way to move.",
        MAE_SECTION,
        variant=lambda ref, p, t: np.abs(_error(p, t)) / np.size(p),
    ),
    Mistake(
        "mae_grad",
        "nan_at_ties",
        "(ŷ−y)/|ŷ−y|: NaN at ties",
        "{call} gave {got}; expected {expected}. (ŷ−y)/|ŷ−y| is the sign everywhere except where "
        "ŷ = y, where it is 0/0 = NaN. Use the subgradient 0 there (np.sign does).",
        MAE_SECTION,
        variant=lambda ref, p, t: _sign_by_division(p, t) / np.size(p),
    ),
    Mistake(
        "mae_grad",
        "sign_flipped",
        "gradient sign flipped",
        "for ŷ = {y_pred}, y = {y_true} your mae_grad gave {got}; expected {expected}. The sign is "
        "flipped: |ŷ−y| grows when ŷ moves away from y, so its slope is sign(ŷ−y), not sign(y−ŷ).",
        MAE_SECTION,
        variant=lambda ref, p, t: -np.sign(_error(p, t)) / np.size(p),
    ),
    Mistake(
        "mae_grad",
        "error_not_sign",
        "the error instead of its sign",
        "{call} gave {got}; expected {expected}. You returned (ŷ−y)/n, which is (half) the MSE "
        "gradient; the slope of |e| is sign(e), so every element is ±1/n or 0.",
        MAE_SECTION,
        variant=lambda ref, p, t: _error(p, t) / np.size(p),
    ),
    Mistake(
        "mae_grad",
        "sum_not_mean",
        "no 1/n in the gradient",
        "{call} gave {got}; expected {expected}: MAE is a mean, so each element's slope is "
        "sign(ŷ−y)/n.",
        MAE_SECTION,
        variant=lambda ref, p, t: np.sign(_error(p, t)),
    ),
    Mistake(
        "mae_grad",
        "scalar_gradient",
        "a scalar instead of an element-wise gradient",
        "{call} gave the single number {got}; expected one slope per prediction, {expected}.",
        MAE_SECTION,
        matches=_returned_scalar_for_array,
    ),
    # -- predict -----------------------------------------------------------------------------------
    Mistake(
        "predict",
        "swapped_parameters",
        "intercept and slope swapped",
        "{call} gave {got}; expected {expected}. theta[0] is the intercept θ0 and theta[1] the "
        "slope θ1: ŷ = θ0 + θ1·x.",
        CHAIN_SECTION,
        variant=lambda ref, theta, x: theta[1] + theta[0] * np.asarray(x, dtype=float),
    ),
    Mistake(
        "predict",
        "no_intercept",
        "intercept left out",
        "{call} gave {got}; expected {expected}. The line is θ0 + θ1·x: the intercept θ0 is missing.",
        CHAIN_SECTION,
        variant=lambda ref, theta, x: theta[1] * np.asarray(x, dtype=float),
    ),
    # -- linear_grads ------------------------------------------------------------------------------
    Mistake(
        "linear_grads",
        "slope_without_x",
        "slope gradient without the factor x",
        "{call} gave {got}; expected {expected}. ∂ŷ/∂θ1 = x, so ∂L/∂θ1 = Σ g·x: each error's "
        "gradient g must be multiplied by its x before summing.",
        CHAIN_SECTION,
        variant=lambda ref, theta, x, y, loss="mse": np.array(
            [_upstream(theta, x, y, loss)[0].sum()] * 2
        ),
    ),
    Mistake(
        "linear_grads",
        "swapped",
        "intercept and slope gradients swapped",
        "{call} gave {got}; expected {expected}: the order is [∂L/∂θ0, ∂L/∂θ1] (intercept first).",
        CHAIN_SECTION,
        variant=lambda ref, theta, x, y, loss="mse": (
            lambda g, xs: np.array([(g * xs).sum(), g.sum()])
        )(*_upstream(theta, x, y, loss)),
    ),
    Mistake(
        "linear_grads",
        "sign_flipped",
        "gradient sign flipped",
        "{call} gave {got}; expected {expected}: the same size, opposite sign. ∂L/∂θ is the "
        "upstream gradient ∂L/∂ŷ (sign of ŷ − y) times ∂ŷ/∂θ; with y − ŷ you must keep the minus.",
        CHAIN_SECTION,
        variant=lambda ref, theta, x, y, loss="mse": (
            -(lambda g, xs: np.array([g.sum(), (g * xs).sum()]))(*_upstream(theta, x, y, loss))
        ),
    ),
    Mistake(
        "linear_grads",
        "mean_twice",
        "1/n applied twice",
        "{call} gave {got}; expected {expected}: mse_grad and mae_grad already hold the 1/n, so "
        "the chain rule sums over the points (np.sum), it does not average again.",
        CHAIN_SECTION,
        variant=lambda ref, theta, x, y, loss="mse": (
            lambda g, xs: np.array([g.mean(), (g * xs).mean()])
        )(*_upstream(theta, x, y, loss)),
    ),
    # -- gd_step -----------------------------------------------------------------------------------
    Mistake(
        "gd_step",
        "ascent",
        "gradient ascent: climbs the loss",
        "{call} gave {got}; expected {expected}. You added lr·grad: that climbs the loss. The "
        "gradient points uphill, so the update subtracts it: θ := θ − lr·grad.",
        UPDATE_SECTION,
        variant=lambda ref, theta, grad, lr: (
            np.asarray(theta, dtype=float) + lr * np.asarray(grad, dtype=float)
        ),
    ),
    Mistake(
        "gd_step",
        "no_learning_rate",
        "learning rate left out",
        "{call} gave {got}; expected {expected}: the step is lr·grad, not the whole gradient.",
        UPDATE_SECTION,
        variant=lambda ref, theta, grad, lr: (
            np.asarray(theta, dtype=float) - np.asarray(grad, dtype=float)
        ),
    ),
    # -- fit ---------------------------------------------------------------------------------------
    Mistake(
        "fit",
        "never_updates",
        "fit never updates theta",
        "fit returned θ = [0, 0], where it started: the loop must replace theta with the result "
        "of gd_step each epoch (theta = gd_step(theta, grad, lr)).",
        UPDATE_SECTION,
        matches=_fit_never_moved,
    ),
    Mistake(
        "fit",
        "diverges",
        "fit diverges",
        "fit ran off instead of settling on the line (it returned {got}): the loss grew instead of falling. Check that "
        "the step goes against the gradient (θ − lr·grad) and that the gradient's sign is right.",
        UPDATE_SECTION,
        matches=_fit_diverged,
    ),
]

# How the students' self-check recognises the mistakes above that have no single wrong answer
# (a `matches`, no `variant`): a rule about the answer, as data that it interprets
# (RULE_TESTS in autograder/release/selfcheck_template.py). The same ideas as the matches.
FIT_THETA, FIT_HISTORY = 0, 1  # the items of fit's answer (theta, history)
SELFCHECK_RULES = {
    "mse_grad__scalar_gradient": {"test": "scalar_for_array"},
    "mae_grad__scalar_gradient": {"test": "scalar_for_array"},
    "fit__never_updates": {"test": "close_to", "part": FIT_THETA, "value": 0.0},
    "fit__diverges": {
        "any": [
            {"test": "beyond", "part": FIT_THETA, "limit": RUNAWAY_THETA},
            {"test": "grows", "part": FIT_HISTORY},
        ]
    },
}

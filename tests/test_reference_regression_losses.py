"""Tests of the reference solution against independent oracles.

Nothing here compares the reference with its own output. The oracles are
centred finite differences of losses written out in plain numpy, closed forms
worked out by hand from the math, and ``np.linalg.lstsq`` for the least-squares
line.
"""

import doctest

import numpy as np
import pytest

# Centred differences of a smooth function have error O(h**2) plus rounding of
# order eps * |f| / h; h = 1e-6 keeps both far below these tolerances.
FD_STEP = 1e-6
FD_RTOL = 1e-6
FD_ATOL = 1e-8
# Closed forms on small, hand-checkable numbers: only float rounding separates them.
EXACT_RTOL = 1e-12
# Errors in the finite-difference tests of MAE stay this far from a tie, so a
# step of FD_STEP never crosses the kink of abs().
MIN_DISTANCE_FROM_TIE = 1e-3
# Gradient descent on a well-conditioned least-squares problem for 1000 epochs
# converges to the lstsq line to (nearly) machine precision.
LSTSQ_ATOL = 1e-8
# MAE descent with a fixed step only reaches a neighbourhood of the optimum, and
# the optimum itself moves a little with the noise: a looser tolerance.
MAE_LINE_ATOL = 0.05

TRUE_THETA = np.array([1.0, 2.0])


# ---------------------------------------------------------------- oracles ---


def plain_mse(y_pred, y_true):
    return np.mean((np.asarray(y_pred, float) - np.asarray(y_true, float)) ** 2)


def plain_mae(y_pred, y_true):
    return np.mean(np.abs(np.asarray(y_pred, float) - np.asarray(y_true, float)))


PLAIN_LOSSES = {"mse": plain_mse, "mae": plain_mae}


def finite_difference_gradient(f, point, step=FD_STEP):
    """Centred differences of the scalar function ``f`` at ``point``, any shape."""
    point = np.asarray(point, dtype=float)
    grad = np.empty_like(point)
    for index in np.ndindex(point.shape):
        up, down = point.copy(), point.copy()
        up[index] += step
        down[index] -= step
        grad[index] = (f(up) - f(down)) / (2 * step)
    return grad


def loss_of_theta(loss, x, y):
    """The mean loss of the line as a function of ``theta`` alone, in plain numpy."""
    return lambda theta: PLAIN_LOSSES[loss](theta[0] + theta[1] * x, y)


def errors_away_from_ties(rng, shape):
    """Random errors whose magnitudes are at least MIN_DISTANCE_FROM_TIE."""
    magnitude = rng.uniform(MIN_DISTANCE_FROM_TIE * 10, 2.0, size=shape)
    return magnitude * rng.choice([-1.0, 1.0], size=shape)


def line_data(rng, n, noise):
    x = rng.uniform(-1.0, 1.0, size=n)
    y = TRUE_THETA[0] + TRUE_THETA[1] * x + rng.normal(0.0, noise, size=n)
    return x, y


# ------------------------------------------- gradients by finite differences ---


@pytest.mark.parametrize("shape", [(5,), (3, 4)])
def test_mse_grad_matches_finite_differences(reference, shape):
    rng = np.random.default_rng(1)
    y_true = rng.normal(size=shape)
    y_pred = rng.normal(size=shape)
    expected = finite_difference_gradient(lambda p: plain_mse(p, y_true), y_pred)
    got = reference.mse_grad(y_pred, y_true)
    np.testing.assert_allclose(got, expected, rtol=FD_RTOL, atol=FD_ATOL)


@pytest.mark.parametrize("shape", [(5,), (3, 4)])
def test_mae_grad_matches_finite_differences_away_from_ties(reference, shape):
    rng = np.random.default_rng(2)
    y_true = rng.normal(size=shape)
    y_pred = y_true + errors_away_from_ties(rng, shape)
    expected = finite_difference_gradient(lambda p: plain_mae(p, y_true), y_pred)
    got = reference.mae_grad(y_pred, y_true)
    np.testing.assert_allclose(got, expected, rtol=FD_RTOL, atol=FD_ATOL)


@pytest.mark.parametrize("loss", ["mse", "mae"])
@pytest.mark.parametrize("shape", [(6,), (2, 3)])
def test_linear_grads_match_finite_differences_in_theta(reference, loss, shape):
    rng = np.random.default_rng(3)
    x = rng.uniform(-2.0, 2.0, size=shape)
    y = rng.normal(size=shape)
    theta = np.array([0.3, -0.7])
    residuals = theta[0] + theta[1] * x - y
    assert np.min(np.abs(residuals)) > MIN_DISTANCE_FROM_TIE, "test data sits on a kink of MAE"
    expected = finite_difference_gradient(loss_of_theta(loss, x, y), theta)
    got = reference.linear_grads(theta, x, y, loss=loss)
    assert got.shape == (2,)
    np.testing.assert_allclose(got, expected, rtol=FD_RTOL, atol=FD_ATOL)


# ------------------------------------------------ closed forms, by hand ---
# The lesson's numbers: x = [0, 2], y = [1, 5] (on y = 1 + 2x), theta = [1, 1],
# so y_pred = [1, 3] and the errors y_pred - y are [0, -2].


def test_losses_by_hand(reference):
    assert reference.mse([1.0, 3.0], [1.0, 5.0]) == pytest.approx((0 + 4) / 2, rel=EXACT_RTOL)
    assert reference.mae([1.0, 3.0], [1.0, 5.0]) == pytest.approx((0 + 2) / 2, rel=EXACT_RTOL)
    # Errors +1 and -2, or -1 and +2: the same losses, the sign is gone.
    for y_pred in ([4.0, 1.0], [2.0, 5.0]):
        assert reference.mse(y_pred, [3.0, 3.0]) == pytest.approx(2.5, rel=EXACT_RTOL)
        assert reference.mae(y_pred, [3.0, 3.0]) == pytest.approx(1.5, rel=EXACT_RTOL)


def test_losses_return_python_floats(reference):
    assert type(reference.mse([1.0], [2.0])) is float
    assert type(reference.mae([1.0], [2.0])) is float


def test_gradients_by_hand(reference):
    # 2 * [0, -2] / 2 and sign([0, -2]) / 2.
    np.testing.assert_allclose(reference.mse_grad([1.0, 3.0], [1.0, 5.0]), [0.0, -2.0])
    np.testing.assert_allclose(reference.mae_grad([1.0, 3.0], [1.0, 5.0]), [0.0, -0.5])
    # Too high -> positive, too low -> negative: 2 * [+1, -2] / 2 and 2 * [-1, +2] / 2.
    np.testing.assert_allclose(reference.mse_grad([4.0, 1.0], [3.0, 3.0]), [1.0, -2.0])
    np.testing.assert_allclose(reference.mse_grad([2.0, 5.0], [3.0, 3.0]), [-1.0, 2.0])


def test_predict_by_hand(reference):
    np.testing.assert_allclose(reference.predict([1.0, 1.0], [0.0, 2.0]), [1.0, 3.0])
    np.testing.assert_allclose(reference.predict([1.2, 1.4], [0.0, 2.0]), [1.2, 4.0])


def test_linear_grads_by_hand(reference):
    # MSE: -(2/n) sum(y - y_pred) = -(0 + 2) = -2; -(2/n) sum((y - y_pred) x) = -(0 + 4) = -4.
    np.testing.assert_allclose(reference.linear_grads([1.0, 1.0], [0.0, 2.0], [1.0, 5.0]), [-2, -4])
    # MAE: g = [0, -1/2]; sum(g) = -1/2, sum(g x) = -1/2 * 2 = -1.
    np.testing.assert_allclose(
        reference.linear_grads([1.0, 1.0], [0.0, 2.0], [1.0, 5.0], loss="mae"), [-0.5, -1.0]
    )


def test_one_step_lowers_the_loss_by_hand(reference):
    theta = reference.gd_step([1.0, 1.0], [-2.0, -4.0], 0.1)
    np.testing.assert_allclose(theta, [1.2, 1.4], rtol=EXACT_RTOL)
    # y_pred = [1.2, 4.0]; errors [0.2, -1.0]; (0.04 + 1) / 2 = 0.52, down from 2.
    assert plain_mse(reference.predict(theta, [0.0, 2.0]), [1.0, 5.0]) == pytest.approx(0.52)


# ----------------------------------------------------------------- ties ---


def test_mae_grad_is_exactly_zero_at_ties(reference):
    got = reference.mae_grad([1.0, 5.0, 2.0, 2.0], [2.0, 2.0, 2.0, 0.0])
    assert got[2] == 0.0
    np.testing.assert_array_equal(got, [-0.25, 0.25, 0.0, 0.25])


def test_mae_grad_all_ties_is_zero_not_nan(reference):
    got = reference.mae_grad([[1.0, -2.0], [0.0, 3.5]], [[1.0, -2.0], [0.0, 3.5]])
    assert np.all(np.isfinite(got))
    np.testing.assert_array_equal(got, np.zeros((2, 2)))


def test_linear_grads_mae_with_every_point_on_the_line_is_zero(reference):
    got = reference.linear_grads([1.0, 2.0], [0.0, 1.0, 2.0], [1.0, 3.0, 5.0], loss="mae")
    np.testing.assert_array_equal(got, [0.0, 0.0])


# ------------------------------------------------------ shapes, no mutation ---


def test_shapes_are_preserved_for_2d_inputs(reference):
    y_pred = np.arange(6.0).reshape(2, 3)
    y_true = np.ones((2, 3))
    assert reference.mse_grad(y_pred, y_true).shape == (2, 3)
    assert reference.mae_grad(y_pred, y_true).shape == (2, 3)
    assert reference.predict([1.0, 2.0], y_pred).shape == (2, 3)
    assert reference.linear_grads([1.0, 2.0], y_pred, y_true).shape == (2,)
    # The mean runs over all 6 elements: errors -1, 0, 1, 2, 3, 4.
    assert reference.mse(y_pred, y_true) == pytest.approx((1 + 0 + 1 + 4 + 9 + 16) / 6)
    assert reference.mae(y_pred, y_true) == pytest.approx((1 + 0 + 1 + 2 + 3 + 4) / 6)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("mse", ([4.0, 1.0], [3.0, 3.0])),
        ("mae", ([4.0, 1.0], [3.0, 3.0])),
        ("mse_grad", ([4.0, 1.0], [3.0, 3.0])),
        ("mae_grad", ([4.0, 1.0], [3.0, 3.0])),
        ("predict", ([1.0, 1.0], [0.0, 2.0])),
        ("linear_grads", ([1.0, 1.0], [0.0, 2.0], [1.0, 5.0])),
        ("gd_step", ([1.0, 1.0], [-2.0, -4.0], 0.1)),
        ("fit", ([0.0, 2.0], [1.0, 5.0], "mse", 0.05, 10)),
    ],
)
def test_inputs_are_not_modified(reference, name, args):
    arrays = [np.array(a) if isinstance(a, list) else a for a in args]
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in arrays]
    getattr(reference, name)(*arrays)
    for after, original in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(after, original)


# -------------------------------------------------------------- gd_step ---


def test_gd_step_is_exact_and_returns_a_new_array(reference):
    theta = np.array([0.5, -1.25])
    grad = np.array([1.0, -2.0])
    # Powers of two: 0.5 - 0.25 * 1 = 0.25 and -1.25 - 0.25 * -2 = -0.75, exactly.
    new = reference.gd_step(theta, grad, 0.25)
    np.testing.assert_array_equal(new, [0.25, -0.75])
    assert new is not theta
    assert not np.shares_memory(new, theta)


# ------------------------------------------------------------------ fit ---


def test_fit_mse_converges_to_the_least_squares_line(reference):
    x, y = line_data(np.random.default_rng(4), n=40, noise=0.3)
    design = np.column_stack([np.ones_like(x), x])
    expected, *_ = np.linalg.lstsq(design, y, rcond=None)
    theta, _ = reference.fit(x, y, loss="mse", lr=0.05, epochs=1000)
    np.testing.assert_allclose(theta, expected, rtol=0, atol=LSTSQ_ATOL)


def test_fit_mae_resists_a_few_outliers(reference):
    rng = np.random.default_rng(7)
    x, y = line_data(rng, n=50, noise=0.05)
    y[rng.choice(50, size=3, replace=False)] += 20.0
    theta, _ = reference.fit(x, y, loss="mae", lr=0.05, epochs=1000)
    np.testing.assert_allclose(theta, TRUE_THETA, rtol=0, atol=MAE_LINE_ATOL)
    # The same data pulls the least-squares line far away: the outliers are real.
    theta_mse, _ = reference.fit(x, y, loss="mse", lr=0.05, epochs=1000)
    assert np.max(np.abs(theta_mse - TRUE_THETA)) > 10 * MAE_LINE_ATOL


@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_fit_history_starts_at_theta_zero(reference, loss):
    x, y = line_data(np.random.default_rng(5), n=20, noise=0.3)
    theta, history = reference.fit(x, y, loss=loss, lr=0.05, epochs=37)
    assert theta.shape == (2,)
    assert isinstance(history, list)
    assert len(history) == 37
    assert all(type(value) is float for value in history)
    # At theta = [0, 0] every prediction is 0, so the loss is the mean of y**2 or |y|.
    at_zero = np.mean(y**2) if loss == "mse" else np.mean(np.abs(y))
    assert history[0] == pytest.approx(at_zero, rel=EXACT_RTOL)
    assert history[-1] < history[0]


def test_fit_history_by_hand(reference):
    # theta = [0, 0] predicts [0, 0]; errors -1 and -5; (1 + 25) / 2 = 13.
    _, history = reference.fit([0.0, 2.0], [1.0, 5.0], epochs=3)
    assert history[0] == pytest.approx(13.0, rel=EXACT_RTOL)


# ---------------------------------------------------------------- errors ---

PAIRED = ["mse", "mae", "mse_grad", "mae_grad"]


@pytest.mark.parametrize("name", PAIRED)
def test_mismatched_shapes_name_both_shapes(reference, name):
    with pytest.raises(ValueError) as info:
        getattr(reference, name)([1.0, 2.0, 3.0], [1.0, 2.0])
    assert "(3,)" in str(info.value)
    assert "(2,)" in str(info.value)


@pytest.mark.parametrize("name", ["linear_grads", "fit"])
def test_mismatched_x_and_y_name_both_shapes(reference, name):
    args = ([1.0, 2.0, 3.0], [[1.0, 2.0]])
    with pytest.raises(ValueError) as info:
        if name == "linear_grads":
            reference.linear_grads([0.0, 0.0], *args)
        else:
            reference.fit(*args, epochs=1)
    assert "(3,)" in str(info.value)
    assert "(1, 2)" in str(info.value)


@pytest.mark.parametrize("name", PAIRED)
def test_empty_inputs_are_rejected(reference, name):
    with pytest.raises(ValueError, match="empty"):
        getattr(reference, name)([], [])


def test_empty_data_is_rejected_by_linear_grads_and_fit(reference):
    with pytest.raises(ValueError, match="empty"):
        reference.linear_grads([0.0, 0.0], [], [])
    with pytest.raises(ValueError, match="empty"):
        reference.fit([], [], epochs=1)


def test_unknown_loss_is_rejected(reference):
    with pytest.raises(ValueError, match="huber"):
        reference.linear_grads([0.0, 0.0], [1.0], [1.0], loss="huber")
    with pytest.raises(ValueError, match="huber"):
        reference.fit([1.0], [1.0], loss="huber", epochs=1)


# -------------------------------------------------------------- doctests ---


def test_doctests_pass(reference):
    results = doctest.testmod(reference, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted > 0
    assert results.failed == 0

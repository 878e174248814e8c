"""The backprop_sign assignment: its reference against independent oracles, and real grading.

The reference is checked against centred finite differences of the network's
loss written out in plain numpy, hand-worked numbers from the lesson, the
linearity of backpropagation measured by finite differences, and training
runs that must reach the tolerances grading.yaml states. Then real
submissions are graded with the engine, each in its own sandbox: hostile ones,
and one whose helpers all fail. (What every assignment must do, from the
reference's full marks to each catalogued mistake's diagnosis, is in
tests/test_contract.py.)
"""

from __future__ import annotations

import doctest
import math
import shutil
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO_ROOT, SUBMISSIONS, load_module_from_path, samples_of

REFERENCE_PATH = REPO_ROOT / "reference" / "backprop_sign" / "backprop_sign.py"
RELEASE_DIR = REPO_ROOT / "assignments" / "backprop_sign"
CHECKS_DIR = REPO_ROOT / "reference" / "backprop_sign" / "checks"
SAMPLE_DIR = samples_of("backprop_sign")
HOSTILE = SUBMISSIONS / "hostile_backprop"
KEYS = ("W1", "b1", "W2", "b2")

# Centred differences of a smooth function have error O(h²) plus rounding of order
# eps·|f|/h; h = 1e-6 keeps both far below this tolerance.
FD_STEP = 1e-6
FD_RTOL = 1e-6
FD_ATOL = 1e-8
# Hand-worked numbers: only float rounding (and tanh(ln 2) = 0.6 to the last bit or two) differ.
EXACT_RTOL = 1e-12
# MAE differences stay this far from a kink of abs().
MIN_DISTANCE_FROM_TIE = 1e-3
# The lesson's claim for train's defaults on 32 points of sin(πx).
DEFAULT_TRAIN_MSE = 0.01


# ---------------------------------------------------------------- oracles ---


def network_output(params: dict, x: np.ndarray) -> np.ndarray:
    """ŷ = tanh(x·W1 + b1)·W2 + b2, written out."""
    return np.tanh(x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def plain_loss(y_pred, y, loss: str) -> float:
    residual = np.asarray(y_pred, dtype=float) - np.asarray(y, dtype=float)
    return float(np.mean(residual**2) if loss == "mse" else np.mean(np.abs(residual)))


def finite_differences(scalar_of_params, params: dict, step: float = FD_STEP) -> dict:
    """Centred differences of ``scalar_of_params`` in every element of every parameter."""
    grads = {}
    for key in KEYS:
        grads[key] = np.empty_like(params[key])
        for index in np.ndindex(params[key].shape):
            up = {k: v.copy() for k, v in params.items()}
            down = {k: v.copy() for k, v in params.items()}
            up[key][index] += step
            down[key][index] -= step
            grads[key][index] = (scalar_of_params(up) - scalar_of_params(down)) / (2 * step)
    return grads


def plain_losses_module() -> types.ModuleType:
    """A ``regression_losses`` written out from the math, for the reference's train."""
    module = types.ModuleType("regression_losses")
    module.mse = lambda p, t: plain_loss(p, t, "mse")
    module.mae = lambda p, t: plain_loss(p, t, "mae")
    module.mse_grad = lambda p, t: 2.0 * (np.asarray(p) - np.asarray(t)) / np.size(p)
    module.mae_grad = lambda p, t: np.sign(np.asarray(p) - np.asarray(t)) / np.size(p)
    return module


def random_network(seed: int, n: int, n_in: int, n_hidden: int):
    generator = np.random.default_rng(seed)
    shapes = {"W1": (n_in, n_hidden), "b1": (n_hidden,), "W2": (n_hidden, 1), "b2": (1,)}
    params = {key: generator.normal(0.0, 0.8, size=shape) for key, shape in shapes.items()}
    return params, generator.normal(size=(n, n_in)), generator.normal(size=(n, 1))


def lesson_params(b2: float = 0.0) -> dict:
    return {
        "W1": np.array([[math.log(2.0), -math.log(3.0)]]),
        "b1": np.zeros(2),
        "W2": np.array([[1.0], [0.5]]),
        "b2": np.array([b2]),
    }


@pytest.fixture(scope="module")
def reference():
    return load_module_from_path("reference_backprop_sign", REFERENCE_PATH)


@pytest.fixture
def losses(monkeypatch):
    """The reference's train imports regression_losses: give it the plain one."""
    module = plain_losses_module()
    monkeypatch.setitem(sys.modules, "regression_losses", module)
    return module


# ---------------------------------------------- gradients by finite differences ---

SIZES = [(1, 1, 2), (4, 2, 3), (7, 3, 5), (3, 1, 16)]


@pytest.mark.parametrize(("n", "n_in", "n_hidden"), SIZES)
@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_backward_matches_finite_differences_of_the_loss(reference, n, n_in, n_hidden, loss):
    params, x, y = random_network(n * 10 + n_in, n, n_in, n_hidden)
    y_pred = network_output(params, x)
    if loss == "mae":
        assert np.min(np.abs(y_pred - y)) > MIN_DISTANCE_FROM_TIE, "test data sits on a kink"
    residual = y_pred - y
    upstream = (2 * residual if loss == "mse" else np.sign(residual)) / n
    _, cache = reference.forward(params, x)
    got = reference.backward(params, cache, upstream)
    expected = finite_differences(lambda p: plain_loss(network_output(p, x), y, loss), params)
    for key in KEYS:
        assert got[key].shape == params[key].shape
        np.testing.assert_allclose(got[key], expected[key], rtol=FD_RTOL, atol=FD_ATOL)


@pytest.mark.parametrize("factor", [-1.0, 2.5, 0.0])
def test_backward_is_linear_in_the_upstream_gradient(reference, factor):
    # The oracle: finite differences of Σ g·ŷ for the upstream g, which owe nothing to backward;
    # factor·g must give factor times them, every sign flipped for factor = −1.
    params, x, _ = random_network(3, 6, 2, 4)
    upstream = np.random.default_rng(4).normal(size=(6, 1))
    measured = finite_differences(lambda p: float(np.sum(upstream * network_output(p, x))), params)
    _, cache = reference.forward(params, x)
    got = reference.backward(params, cache, factor * upstream)
    for key in KEYS:
        np.testing.assert_allclose(got[key], factor * measured[key], rtol=FD_RTOL, atol=FD_ATOL)
        if factor == -1.0:
            signs_differ = np.sign(got[key]) != -np.sign(measured[key])
            assert not signs_differ.any(), key


# --------------------------------------------------- the lesson, by hand ---


def test_forward_by_hand(reference):
    # z1 = [ln 2, −ln 3], h = tanh(z1) = [0.6, −0.8], ŷ = 0.6·1 + (−0.8)·0.5 = 0.2.
    y_pred, cache = reference.forward(lesson_params(), [[1.0]])
    np.testing.assert_allclose(y_pred, [[0.2]], rtol=EXACT_RTOL)
    np.testing.assert_allclose(cache["h"], [[0.6, -0.8]], rtol=EXACT_RTOL)
    assert sorted(cache) == ["h", "x", "z1"]
    # A batch: tanh is odd, so x = −1 gives h = [−0.6, 0.8]; b2 = 0.1 is added to every row.
    y_pred, _ = reference.forward(lesson_params(b2=0.1), [[1.0], [-1.0]])
    np.testing.assert_allclose(y_pred, [[0.3], [-0.1]], rtol=EXACT_RTOL)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_backward_by_hand(reference, sign):
    # y = 1: g = 2·(0.2 − 1) = −1.6 (the lesson's table); y = −0.6: g = +1.6, every sign flips.
    _, cache = reference.forward(lesson_params(), [[1.0]])
    grads = reference.backward(lesson_params(), cache, [[-1.6 * sign]])
    expected = {
        "W1": [[-1.024, -0.288]],
        "b1": [-1.024, -0.288],
        "W2": [[-0.96], [1.28]],
        "b2": [-1.6],
    }
    for key in KEYS:
        np.testing.assert_allclose(grads[key], sign * np.array(expected[key]), rtol=1e-12)


def test_backward_sums_over_the_batch_by_hand(reference):
    # The lesson's batch: db2 = 0.25, dW2 = [[0.45], [−0.6]], dW1 = [[0.48, 0.135]], db1 = [0.16, 0.045].
    _, cache = reference.forward(lesson_params(b2=0.1), [[1.0], [-1.0]])
    grads = reference.backward(lesson_params(b2=0.1), cache, [[0.5], [-0.25]])
    expected = {"W1": [[0.48, 0.135]], "b1": [0.16, 0.045], "W2": [[0.45], [-0.6]], "b2": [0.25]}
    for key in KEYS:
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-12)


def test_one_step_lowers_the_loss_as_the_lesson_says(reference):
    # Section 5: from MSE 0.64 to about 0.12 (y = 1), and to about 0.11 (y = −0.6).
    for y, after in [(1.0, 0.1194), (-0.6, 0.1120)]:
        params = lesson_params()
        y_pred, cache = reference.forward(params, [[1.0]])
        grads = reference.backward(params, cache, 2.0 * (y_pred - y))
        stepped = reference.sgd_step(params, grads, 0.1)
        assert plain_loss(
            network_output(stepped, np.array([[1.0]])), [[y]], "mse"
        ) == pytest.approx(after, abs=1e-4)


def test_init_params_is_the_documented_stream(reference):
    stream = np.random.default_rng(7).normal(0.0, 0.5, size=2 * 3 + 3)
    params = reference.init_params(2, 3, 7)
    np.testing.assert_array_equal(params["W1"], stream[:6].reshape(2, 3))
    np.testing.assert_array_equal(params["W2"], stream[6:].reshape(3, 1))
    np.testing.assert_array_equal(params["b1"], np.zeros(3))
    np.testing.assert_array_equal(params["b2"], np.zeros(1))


def test_sgd_step_is_exact_and_leaves_its_inputs_alone(reference):
    params, _, _ = random_network(5, 1, 2, 3)
    grads = {key: np.full_like(value, 0.5) for key, value in params.items()}
    before = {key: value.copy() for key, value in params.items()}
    new = reference.sgd_step(params, grads, 0.25)
    for key in KEYS:
        np.testing.assert_array_equal(new[key], before[key] - 0.125)
        np.testing.assert_array_equal(params[key], before[key])
        assert not np.shares_memory(new[key], params[key])


def test_shapes_and_loss_names_are_checked(reference, losses):
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        reference.train(np.zeros(3), np.zeros((3, 1)), epochs=1)
    with pytest.raises(ValueError, match="huber"):
        reference.train(np.zeros((3, 1)), np.zeros((3, 1)), loss="huber", epochs=1)
    with pytest.raises(ValueError, match="no examples"):
        reference.train(np.zeros((0, 1)), np.zeros((0, 1)), epochs=1)


def test_doctests_pass(reference, losses):
    results = doctest.testmod(reference, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted > 0
    assert results.failed == 0


# ------------------------------------------------------------------ train ---


def test_train_records_the_loss_before_each_step(reference, losses):
    x = np.linspace(-1.0, 1.0, 16).reshape(-1, 1)
    y = np.sin(np.pi * x)
    params, history = reference.train(x, y, n_hidden=5, lr=0.1, epochs=25, seed=3)
    assert isinstance(history, list) and len(history) == 25
    assert all(type(value) is float for value in history)
    assert history[0] == pytest.approx(
        plain_loss(network_output(reference.init_params(1, 5, 3), x), y, "mse"), rel=EXACT_RTOL
    )
    assert plain_loss(network_output(params, x), y, "mse") < history[-1] < history[0]


def test_train_defaults_fit_the_lessons_sine(reference, losses):
    x = np.linspace(-1.0, 1.0, 32).reshape(-1, 1)
    params, _ = reference.train(x, np.sin(np.pi * x))
    assert plain_loss(network_output(params, x), np.sin(np.pi * x), "mse") < DEFAULT_TRAIN_MSE


def test_the_fit_checks_tolerances_hold_on_their_data(reference, losses, backprop):
    """The hidden fit checks draw sine data until the recipe ends below FIT_MARGIN times the
    tolerance: that must happen on most draws, or the check would have to give up."""
    checks = load_module_from_path("backprop_checks_for_test", CHECKS_DIR / "test_checks.py")
    rng = np.random.default_rng(0)
    for loss, settings, key in [
        ("mse", checks.FIT_MSE, "train_mse_fit"),
        ("mae", checks.FIT_MAE, "train_mae_fit"),
    ]:
        tolerance = backprop.tolerances[key]
        finals = []
        for _ in range(12):
            x, y = checks.sine_data(rng)
            params, _ = reference.train(x, y, loss=loss, seed=int(rng.integers(2**31)), **settings)
            finals.append(plain_loss(network_output(params, x), y, loss))
        assert np.mean(np.array(finals) <= checks.FIT_MARGIN * tolerance) >= 0.75, (loss, finals)


def test_a_small_step_against_the_gradient_always_goes_down(reference):
    """backward_step_lowers_loss and sgd_step_lowers_loss rely on it for every case they draw."""
    checks = load_module_from_path("backprop_checks_for_test", CHECKS_DIR / "test_checks.py")
    rng = np.random.default_rng(1)
    for _ in range(100):
        for params, x, y, loss in checks.step_cases(rng):
            y_pred, cache = reference.forward(params, x)
            grads = reference.backward(params, cache, checks.upstream(y_pred, y, loss))
            stepped = reference.sgd_step(params, grads, checks.SMALL_LR)
            assert plain_loss(network_output(stepped, x), y, loss) < plain_loss(y_pred, y, loss)


# -------------------------------------------------- grading with the engine ---
# (The reference, the correct samples, each catalogued mistake and the stub are graded by
# tests/test_contract.py, as for every assignment; here, what is particular to this one.)


@pytest.fixture(scope="module")
def backprop():
    from autograder.config import load_config

    return load_config(REPO_ROOT / "grading.yaml").assignment("backprop_sign")


@pytest.fixture(scope="module")
def grade(backprop):
    from autograder.grading.runner import grade_submission, load_reference
    from autograder.grading.submission import read_submission

    trusted = load_reference(backprop)
    graded: dict[Path, object] = {}

    def grade_file(path: Path, feedback: bool = False):
        if path not in graded or feedback:
            submission = read_submission(path, backprop.module)
            output = grade_submission(backprop, submission, reference=trusted, feedback=feedback)
            graded[path] = output if feedback else output.result
        return graded[path]

    return grade_file


def points_of(assignment, function: str) -> float:
    return sum(c.points for name, c in assignment.checks.items() if name.startswith(function + "_"))


def failing_functions(result) -> set[str]:
    return {tag for check in result.checks if not check.passed for tag in check.tags}


def outputs_of(result, function: str) -> str:
    return "\n".join(c.output for c in result.checks if function in c.tags)


def test_train_keeps_its_points_when_every_helper_fails(grade, backprop, tmp_path):
    """train then runs with four stand-ins and the provided losses: five round trips an
    epoch, its slowest case, and still well inside the time limit."""
    source = (SAMPLE_DIR / "correct_vectorised.py").read_text()
    for header in (
        "init_params(n_in, n_hidden, seed)",
        "forward(params, x)",
        "backward(params, cache, dl_dpred)",
        "sgd_step(params, grads, lr)",
    ):
        source = source.replace(
            f"def {header}:\n", f"def {header}:\n    raise RuntimeError('broken')\n"
        )
    path = tmp_path / "backprop_sign.py"
    path.write_text(source)
    result = grade(path)
    assert failing_functions(result) == {"init_params", "forward", "backward", "sgd_step"}
    assert result.score == points_of(backprop, "train")
    assert result.execution_time < backprop.limits.submission_seconds / 4


@pytest.mark.parametrize(
    ("name", "function", "words"),
    [
        ("hangs_in_backward.py", "backward", "did not return within the time limit of 4 s"),
        ("crashes_in_forward.py", "forward", "segmentation fault"),
        ("memory_hog_in_sgd_step.py", "sgd_step", "used more memory than the limit allows"),
        ("borrows_the_reference.py", "backward", "backward is not available here"),
    ],
)
def test_a_hostile_function_fails_only_its_own_checks(grade, backprop, name, function, words):
    result = grade(HOSTILE / name)
    assert failing_functions(result) == {function}
    assert words in outputs_of(result, function)
    assert result.score == backprop.max_score - points_of(backprop, function)
    # a hang costs its time limit once: the function is not run again
    assert result.execution_time < backprop.limits.call_seconds + 10


def test_reading_the_reference_finds_nothing(grade, backprop):
    result = grade(HOSTILE / "reads_the_reference.py")
    assert result.score == backprop.max_score, outputs_of(result, "init_params")


def test_the_feedback_shows_each_layers_signs(grade):
    from autograder.feedback.pages import render

    output = grade(SAMPLE_DIR / "backward__tanh_not_derivative.py", feedback=True)
    pictures = {p.name: p for p in render(output.feedback_module, output.feedback_data)}
    assert set(pictures) == {"gradient_signs.png", "training.png"}
    assert all(p.png.startswith(b"\x89PNG") for p in pictures.values())
    caption = pictures["gradient_signs.png"].caption
    assert "signs differ (W1, b1)" in caption
    assert "flipped every one of your gradients" in caption  # the mistake is still linear in g


# --------------------------------------------------- the released folder ---


@pytest.fixture
def student_folder(tmp_path) -> Path:
    shutil.copy(RELEASE_DIR / "sign_flip_experiment.py", tmp_path)
    return tmp_path


def test_the_experiment_draws_both_curves(student_folder):
    shutil.copy(REFERENCE_PATH, student_folder / "backprop_sign.py")
    shutil.copy(
        REPO_ROOT / "reference" / "regression_losses" / "regression_losses.py",
        student_folder / "regression_losses.py",
    )
    try:
        completed = subprocess.run(
            [sys.executable, "sign_flip_experiment.py"],
            cwd=student_folder,
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
        )
    finally:
        (student_folder / "regression_losses.py").unlink()
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "flipped: the MSE went from" in completed.stdout and "past" in completed.stdout
    assert (student_folder / "sign_flip.png").read_bytes().startswith(b"\x89PNG")

"""Ordinary mistakes in what a function returns fail their check with a sentence, never a crash.

Each submission is the reference with one function made to return something
of the wrong kind (a float for an array, a history of strings, an integer
too large for a float, None, a dict, a list of the wrong depth, a tuple of
the wrong length, an array of the wrong shape, NaN, inf, ...). It is graded
for real, in its sandbox. The check named must fail, and its feedback must
say what came back and what was expected; no check may stop with an error of
the grader, and the other functions keep all their points.
"""

from __future__ import annotations

import textwrap

import pytest
from conftest import REPO_ROOT

from autograder.config import load_config
from autograder.grading.runner import grade_submission, load_reference
from autograder.grading.submission import read_submission

GRADER_ERROR_WORDS = ("grader itself hit an error", "error in the grader")

KIT = load_config(REPO_ROOT / "grading.yaml")
ASSIGNMENTS = {name: KIT.assignment(name) for name in KIT.assignments}

# (assignment, function, the code appended to the reference, a check that must fail,
#  phrases its feedback must hold: what came back, then what was expected)
CASES = [
    (
        "regression_losses",
        "gd_step",
        "def gd_step(theta, grad, lr):\n    return 0.5\n",
        "gd_step_values",
        ["returned the single number 0.5", "expected an array of shape (2,)"],
    ),
    (
        "regression_losses",
        "fit",
        "_fit = fit\n"
        "def fit(x, y, loss='mse', lr=0.05, epochs=1000):\n"
        "    theta, history = _fit(x, y, loss, lr, epochs)\n"
        "    return theta, [f'{h:.3f}' for h in history]\n",
        "fit_history",
        ["fit's history is a list whose item [0] is the string '", "expected a list of 50 losses"],
    ),
    (
        "regression_losses",
        "mse",
        "def mse(y_pred, y_true):\n    return 10**400\n",
        "mse_values",
        ["returned an integer too large to be a float", "expected a single number"],
    ),
    (
        "regression_losses",
        "mse_grad",
        "def mse_grad(y_pred, y_true):\n    return None\n",
        "mse_grad_values",
        ["returned None", "expected an array of shape (1,)"],
    ),
    (
        "regression_losses",
        "predict",
        "def predict(theta, x):\n    return {'y_pred': list(x)}\n",
        "predict_values",
        ["returned a dict with the keys 'y_pred'", "expected an array of shape (2,)"],
    ),
    (
        "regression_losses",
        "mae_grad",
        "_mae_grad = mae_grad\n"
        "def mae_grad(y_pred, y_true):\n"
        "    return [_mae_grad(y_pred, y_true).tolist()]\n",
        "mae_grad_values",
        ["returned a list of shape (1, 1)", "expected an array of shape (1,)"],
    ),
    (
        "regression_losses",
        "mae_grad",
        "_mae_grad = mae_grad\n"
        "def mae_grad(y_pred, y_true):\n"
        "    return [_mae_grad(y_pred, y_true).tolist()]\n",
        "mae_grad_sign_and_ties",
        ["returned a list of shape (1, 1)", "expected an array of shape (1,)"],
    ),
    (
        "regression_losses",
        "fit",
        "_fit = fit\n"
        "def fit(x, y, loss='mse', lr=0.05, epochs=1000):\n"
        "    theta, history = _fit(x, y, loss, lr, epochs)\n"
        "    return theta, history, 'done'\n",
        "fit_mse_converges",
        ["fit must return a pair (theta, history); it returned a tuple of 3 items"],
    ),
    (
        "regression_losses",
        "linear_grads",
        "import numpy as np\n"
        "_linear_grads = linear_grads\n"
        "def linear_grads(theta, x, y, loss='mse'):\n"
        "    return np.append(_linear_grads(theta, x, y, loss), 0.0)\n",
        "linear_grads_mse",
        ["returned an array of shape (3,)", "expected an array of shape (2,)"],
    ),
    (
        "regression_losses",
        "mse_grad",
        "import numpy as np\n"
        "def mse_grad(y_pred, y_true):\n"
        "    return np.full(np.shape(y_pred), np.nan)\n",
        "mse_grad_finite_differences",
        ["returned [nan]", "not finite (NaN or inf)", "expected [2]"],
    ),
    (
        "regression_losses",
        "mse_grad",
        "import numpy as np\n"
        "def mse_grad(y_pred, y_true):\n"
        "    return np.full(np.shape(y_pred), np.inf)\n",
        "mse_grad_sign",
        ["returned [inf]", "NaN or inf is no slope"],
    ),
    (
        "regression_losses",
        "mae",
        "def mae(y_pred, y_true):\n    return float('inf')\n",
        "mae_values",
        ["returned inf", "not finite", "expected 1"],
    ),
    (
        "regression_losses",
        "mae",
        "_mae = mae\ndef mae(y_pred, y_true):\n    return str(_mae(y_pred, y_true))\n",
        "mae_values",
        ["returned the string '1.0'", "expected a single number, 1"],
    ),
    (
        "regression_losses",
        "mse_grad",
        "def mse_grad(y_pred, y_true):\n    return [[1.0, 2.0], [3.0]]\n",
        "mse_grad_values",
        ["a list whose items have different shapes ((1,) and (2,))", "expected an array"],
    ),
    (
        "regression_losses",
        "gd_step",
        "def gd_step(theta, grad, lr):\n    return [True, False]\n",
        "gd_step_lowers_loss",
        ["is True (a bool, not a number)", "expected an array of shape (2,)"],
    ),
    (
        "backprop_sign",
        "backward",
        "import numpy as np\n"
        "_backward = backward\n"
        "def backward(params, cache, dl_dpred):\n"
        "    grads = _backward(params, cache, dl_dpred)\n"
        "    grads['b1'] = np.full(np.shape(grads['b1']), np.nan)\n"
        "    return grads\n",
        "backward_finite_differences",
        ["b1 is [nan", "not finite (NaN or inf)"],
    ),
    (
        "backprop_sign",
        "sgd_step",
        "def sgd_step(params, grads, lr):\n    params = dict(params)\n",
        "sgd_step_values",
        ["a dict with the keys W1, b1, W2, b2; it returned None"],
    ),
    (
        "backprop_sign",
        "forward",
        "_forward = forward\n"
        "def forward(params, x):\n"
        "    y_pred, cache = _forward(params, x)\n"
        "    return y_pred, cache, x\n",
        "forward_values",
        ["forward must return a pair (y_pred, cache); it returned a tuple of 3 items"],
    ),
    (
        "backprop_sign",
        "init_params",
        "_init_params = init_params\n"
        "def init_params(n_in, n_hidden, seed):\n"
        "    return list(_init_params(n_in, n_hidden, seed).values())\n",
        "init_params_values",
        ["a dict with the keys W1, b1, W2, b2; it returned a list"],
    ),
    (
        "backprop_sign",
        "backward",
        "_backward = backward\n"
        "def backward(params, cache, dl_dpred):\n"
        "    grads = _backward(params, cache, dl_dpred)\n"
        "    grads['W2'] = grads['W2'].ravel()\n"
        "    return grads\n",
        "backward_values",
        ["returned W2 with shape (2,)", "the shape (2, 1)"],
    ),
    (
        "backprop_sign",
        "backward",
        "_backward = backward\n"
        "def backward(params, cache, dl_dpred):\n"
        "    grads = _backward(params, cache, dl_dpred)\n"
        "    grads['b2'] = 10**400\n"
        "    return grads\n",
        "backward_sign_flips",
        ["as b2 an integer too large to be a float", "array of numbers of shape (1,)"],
    ),
    (
        "backprop_sign",
        "train",
        "_train = train\n"
        "def train(x, y, loss='mse', n_hidden=16, lr=0.1, epochs=2000, seed=0):\n"
        "    params, history = _train(x, y, loss, n_hidden, lr, epochs, seed)\n"
        "    return params, [str(h) for h in history]\n",
        "train_history",
        ["history must be a list of numbers", "is the string '"],
    ),
    (
        "backprop_sign",
        "sgd_step",
        "import numpy as np\n"
        "_sgd_step = sgd_step\n"
        "def sgd_step(params, grads, lr):\n"
        "    new = _sgd_step(params, grads, lr)\n"
        "    new['W1'] = new['W1'] * np.inf\n"
        "    return new\n",
        "sgd_step_lowers_loss",
        ["W1 is [", "inf", "not finite (NaN or inf); expected ["],
    ),
    (
        "huber_loss",
        "huber",
        "def huber(y_pred, y_true, delta=1.0):\n    return None\n",
        "huber_values",
        ["returned None", "expected a single number"],
    ),
    (
        "huber_loss",
        "huber_grad",
        "import numpy as np\n"
        "_huber_grad = huber_grad\n"
        "def huber_grad(y_pred, y_true, delta=1.0):\n"
        "    return np.append(_huber_grad(y_pred, y_true, delta), 0.0)\n",
        "huber_grad_values",
        ["shape", "expected an array of shape"],
    ),
    (
        "huber_loss",
        "huber_grad",
        "import numpy as np\n"
        "_huber_grad = huber_grad\n"
        "def huber_grad(y_pred, y_true, delta=1.0):\n"
        "    return _huber_grad(y_pred, y_true, delta) * np.nan\n",
        "huber_grad_values",
        ["returned [nan]", "not finite (NaN or inf); expected ["],
    ),
    (
        "huber_loss",
        "fit_huber",
        "_fit_huber = fit_huber\n"
        "def fit_huber(x, y, delta=1.0, lr=0.1, epochs=500):\n"
        "    theta, history = _fit_huber(x, y, delta, lr, epochs)\n"
        "    return theta, history, 'extra'\n",
        "fit_huber_steps",
        ["fit_huber must return a pair (theta, history); it returned a tuple of 3 items"],
    ),
]


@pytest.fixture(scope="module")
def grade(tmp_path_factory):
    """Grade the reference with ``code`` appended; each distinct submission once."""
    references = {name: load_reference(a) for name, a in ASSIGNMENTS.items()}
    graded: dict[tuple[str, str], object] = {}

    def grade_with(name: str, code: str):
        if (name, code) not in graded:
            assignment = ASSIGNMENTS[name]
            folder = tmp_path_factory.mktemp("odd")
            path = folder / f"{assignment.module}.py"
            reference = assignment.reference.read_text()
            path.write_text(f"{reference}\n\n{textwrap.dedent(code)}")
            graded[name, code] = grade_submission(
                assignment,
                read_submission(path, assignment.module),
                reference=references[name],
                feedback=False,
            ).result
        return graded[name, code]

    return grade_with


@pytest.mark.parametrize(
    ("name", "function", "code", "check_id", "phrases"),
    CASES,
    ids=[f"{case[3]}-{index}" for index, case in enumerate(CASES)],
)
def test_an_odd_answer_fails_its_check_saying_what_came_back(
    grade, name, function, code, check_id, phrases
):
    result = grade(name, code)
    check = next(c for c in result.checks if c.check_id == check_id)
    assert check.score < check.max_score
    for phrase in phrases:
        assert phrase in check.output, check.output
    for other in result.checks:
        assert not any(words in other.output for words in GRADER_ERROR_WORDS), other.output
    # nothing is charged to the functions that were left alone
    assert not [c.check_id for c in result.checks if not c.passed and function not in c.tags]

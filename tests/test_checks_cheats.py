"""Cheats aimed at particular checks earn nothing from them.

Each file in tests/submissions/gaming/<assignment>/ redefines one function of
the reference to pass a check without doing the work: a fit that jumps to the
closed-form line with a made-up history, a gd_step or sgd_step that returns
zeros, a backward with no chain rule (linear in dl_dpred, so the sign and
scaling properties hold), a backward that remembers its last answer and
scales it, a train with a made-up history; and memoisers that compute the right
answer every time but hand back the first one they gave for the same key (train by
n_in, n_hidden and epochs, or by everything but the data's values; sgd_step by the
shapes of the parameters and lr; gd_step by the shapes of theta and grad and lr; fit by
the shapes of the data, loss, lr and epochs). Graded for real, the checks named score 0, those
named as partial score below their points, and no other function loses anything.
"""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT, SUBMISSIONS

from autograder.config import load_config
from autograder.grading.runner import grade_submission, load_reference
from autograder.grading.submission import read_submission

GAMING = SUBMISSIONS / "gaming"
GRADER_ERROR_WORDS = ("grader itself hit an error", "error in the grader")

# cheat file -> the checks it aims at, each of which must give it 0 points
CHEATS = {
    "regression_losses/fit_closed_form.py": [
        "fit_mse_converges",
        "fit_mae_converges",
        "fit_history",
    ],
    "regression_losses/gd_step_zeros.py": ["gd_step_values", "gd_step_lowers_loss"],
    "regression_losses/gd_step_towards_line.py": ["gd_step_values", "gd_step_lowers_loss"],
    "regression_losses/gd_step_memo_by_shape_and_lr.py": [],
    "regression_losses/fit_memo_by_shape_and_settings.py": [],
    "backprop_sign/backward_no_chain_rule.py": [
        "backward_values",
        "backward_finite_differences",
        "backward_sign_flips",
        "backward_scales",
        "backward_step_lowers_loss",
    ],
    "backprop_sign/backward_property_memo.py": [
        "backward_values",
        "backward_finite_differences",
        "backward_sign_flips",
        "backward_scales",
        "backward_step_lowers_loss",
    ],
    "backprop_sign/sgd_step_zeros.py": ["sgd_step_values", "sgd_step_lowers_loss"],
    "backprop_sign/train_made_up_history.py": ["train_follows_the_recipe", "train_history"],
    # each fit check makes its two runs (a sine, then the opposite sine with the same
    # settings and seed) in one case, so a stale second answer costs all its points
    "backprop_sign/train_memo_by_settings.py": ["train_mse_fits_sine", "train_mae_fits_sine"],
    "backprop_sign/train_memo_by_all_but_data.py": ["train_mse_fits_sine", "train_mae_fits_sine"],
    "backprop_sign/sgd_step_memo_by_shape_and_lr.py": [],
}
# cheat file -> checks that must score below their points: a memoiser answers right until its
# key comes back, and these checks give a point per case, so only the stale case fails
PARTIAL = {
    "backprop_sign/train_memo_by_settings.py": ["train_follows_the_recipe", "train_history"],
    "backprop_sign/train_memo_by_all_but_data.py": ["train_follows_the_recipe", "train_history"],
    "backprop_sign/sgd_step_memo_by_shape_and_lr.py": ["sgd_step_values", "sgd_step_lowers_loss"],
    "regression_losses/gd_step_memo_by_shape_and_lr.py": ["gd_step_values", "gd_step_lowers_loss"],
    "regression_losses/fit_memo_by_shape_and_settings.py": [
        "fit_mse_converges",
        "fit_mae_converges",
        "fit_history",
    ],
}


@pytest.fixture(scope="module")
def config():
    return load_config(REPO_ROOT / "grading.yaml")


@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_a_cheat_earns_nothing_from_the_checks_it_aims_at(tmp_path, config, cheat):
    name, _, file_name = cheat.partition("/")
    assignment = config.assignment(name)
    function = next(f for f in assignment.functions if file_name.startswith(f + "_"))
    path = tmp_path / f"{assignment.module}.py"
    path.write_text(f"{assignment.reference_file.read_text()}\n\n{(GAMING / cheat).read_text()}")
    result = grade_submission(
        assignment,
        read_submission(path, assignment.module),
        reference=load_reference(assignment),
        feedback=False,
    ).result
    scores = {c.check_id: c.score for c in result.checks}
    assert {check: scores[check] for check in CHEATS[cheat]} == dict.fromkeys(CHEATS[cheat], 0.0)
    full = [c.check_id for c in result.checks if c.score >= c.max_score]
    assert not [check for check in PARTIAL.get(cheat, []) if check in full]
    assert not [c.check_id for c in result.checks if not c.passed and function not in c.tags]
    for check in result.checks:
        assert not any(words in check.output for words in GRADER_ERROR_WORDS), check.output

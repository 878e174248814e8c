"""Every hidden check fails a function that games it.

For each assignment and each way of gaming a check (tests/submissions/gaming/
wrappers.py: a constant, an echo of the input, a memoiser that returns the
first answer for every call or the first answer for each shape of input, a
liar that says it equals anything or dresses zeros as subclasses of
ndarray/float/dict/tuple whose ``==`` always says True), a submission is the
reference with its functions replaced by that way of gaming them. It is
graded for real, in its sandbox; every check must score below its points,
and no check may stop with an error of the grader.

One submission gamed in every function grades each function exactly as a
submission gamed in that function alone would: a check of a function that
calls others runs them as the reference's once they have failed their own
checks (grading.yaml's ``functions``), and every function here must fail its
own, so each check meets its own function gamed and the rest correct. Six
gradings per assignment instead of one per function.
"""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT, SUBMISSIONS

from autograder.config import load_config
from autograder.grading.runner import grade_submission, load_reference
from autograder.grading.submission import read_submission

WRAPPERS = SUBMISSIONS / "gaming" / "wrappers.py"
VARIANTS = ("constant", "echo", "memo_first", "memo_shape", "liar_object", "liar_subclass")
GRADER_ERROR_WORDS = ("grader itself hit an error", "error in the grader")


KIT = load_config(REPO_ROOT / "grading.yaml")
# every assignment the kit ships, so a new one is held to the same rule without editing this file
ASSIGNMENTS = {name: KIT.assignment(name) for name in KIT.assignments}
# the seed of the random check inputs: the submission's own (from its hash), and another
SEEDS = (None, 1)
CASES = [(name, variant, seed) for name in ASSIGNMENTS for variant in VARIANTS for seed in SEEDS]


@pytest.fixture(scope="module")
def references():
    return {name: load_reference(assignment) for name, assignment in ASSIGNMENTS.items()}


def gamed_source(assignment, variant: str, functions) -> str:
    """The reference, with each of ``functions`` replaced by the ``variant`` of gaming it."""
    path = assignment.reference
    reference = (path / f"{assignment.module}.py" if path.is_dir() else path).read_text()
    wraps = "".join(f"{f} = _gaming_wrap({f}, {variant!r})\n" for f in functions)
    return f"{reference}\n\n{WRAPPERS.read_text()}\n\n{wraps}"


def grade_source(tmp_path, assignment, reference, source: str, seed: int | None = None):
    path = tmp_path / f"{assignment.module}.py"
    path.write_text(source)
    submission = read_submission(path, assignment.module)
    return grade_submission(
        assignment, submission, seed=seed, reference=reference, feedback=False
    ).result


@pytest.mark.parametrize(
    ("name", "variant", "seed"), CASES, ids=[f"{n}-{v}-seed{s}" for n, v, s in CASES]
)
def test_every_check_fails_a_gamed_function(tmp_path, references, name, variant, seed):
    assignment = ASSIGNMENTS[name]
    source = gamed_source(assignment, variant, assignment.functions)
    result = grade_source(tmp_path, assignment, references[name], source, seed)
    assert {tag for check in result.checks for tag in check.tags} == set(assignment.functions)
    earned = [f"{c.check_id} ({c.score:g})" for c in result.checks if c.score >= c.max_score]
    assert not earned, f"{variant} earned full points in {earned}"
    for check in result.checks:
        assert not any(words in check.output for words in GRADER_ERROR_WORDS), check.output


def test_the_wrapped_reference_is_correct_when_the_wrap_changes_nothing(tmp_path, references):
    """The generated file itself is sound: with an identity in place of the wrap, full marks."""
    assignment = ASSIGNMENTS["regression_losses"]
    source = gamed_source(assignment, "memo_shape", assignment.functions).replace(
        "= _gaming_wrap(", "= (lambda function, variant: function)("
    )
    result = grade_source(tmp_path, assignment, references["regression_losses"], source)
    assert result.score == assignment.max_score

"""Shared fixtures for the kit's own tests."""

from pathlib import Path
from types import ModuleType

import pytest

from autograder.loading import load_file_module

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_PATH = REPO_ROOT / "reference" / "regression_losses" / "regression_losses.py"


def load_module_from_path(name: str, path: Path) -> ModuleType:
    """Import the Python file at ``path`` as a fresh module named after ``name`` (not in sys.modules).

    Loading the reference this way never shadows a student's ``regression_losses`` elsewhere.
    """
    return load_file_module(path, name)


@pytest.fixture(scope="session")
def reference() -> ModuleType:
    """The hidden reference solution, ``reference/regression_losses/regression_losses.py``, loaded by path."""
    return load_module_from_path("reference_regression_losses", REFERENCE_PATH)


SUBMISSIONS = REPO_ROOT / "tests" / "submissions"


def samples_of(assignment: str) -> Path:
    """An assignment's sample submissions: ``reference/<assignment>/samples``."""
    return REPO_ROOT / "reference" / assignment / "samples"


EXAMPLES = SUBMISSIONS / "examples"
RELEASED_STUB = REPO_ROOT / "assignments" / "regression_losses" / "regression_losses.py"


@pytest.fixture(scope="session")
def assignment():
    """The regression_losses assignment as configured in the kit's grading.yaml."""
    from autograder.config import load_config

    return load_config(REPO_ROOT / "grading.yaml").assignment("regression_losses")


@pytest.fixture(scope="session")
def grade(assignment):
    """Grade a submission file in this (trusted) process; returns the GradeResult."""
    from autograder.grading.runner import grade_submission, load_reference
    from autograder.grading.submission import read_submission

    trusted_reference = load_reference(assignment)
    graded: dict[tuple[Path, int | None], object] = {}

    def grade_file(path: Path, seed: int | None = None, fresh: bool = False):
        """Grade ``path`` (results are reused across tests unless ``fresh``)."""
        key = (Path(path), seed)
        if fresh or key not in graded:
            submission = read_submission(path, assignment.module)
            graded[key] = grade_submission(
                assignment, submission, seed=seed, reference=trusted_reference
            ).result
        return graded[key]

    return grade_file

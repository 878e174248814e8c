"""The entry functions behind ``autograder nbgrader-source`` and ``autograder nbgrader-import``.

Each prints what it did and returns the exit status; anything the user must fix is one
:class:`~autograder.errors.UsageError` sentence (exit status 2), nothing half-written.
"""

from __future__ import annotations

from pathlib import Path

from autograder.config import GradingConfig
from autograder.errors import UsageError


def write_nbgrader_source(config: GradingConfig, assignment_name: str | None, course: Path) -> int:
    """Write the assignment's nbgrader source notebook into ``course/source/<name>/``."""
    from autograder.nbgrader.source import write_source
    from autograder.release import ReleaseError

    assignment = config.assignment(assignment_name)
    try:
        folder = write_source(config, assignment, course)
    except (ReleaseError, OSError) as error:
        raise UsageError(str(error)) from None
    print(f"Wrote the nbgrader source of {assignment.name} to {folder}")
    print(f"Next, in {course}: nbgrader generate_assignment {assignment.name}")
    return 0


def import_nbgrader_grades(
    config: GradingConfig, assignment_name: str | None, out: Path, course: Path
) -> int:
    """Put the points of the grade-batch folder ``out`` into ``course``'s nbgrader gradebook."""
    from autograder.nbgrader.gradebook import GradebookError, import_grades

    try:
        report = import_grades(out, course, config.assignment(assignment_name))
    except GradebookError as error:
        raise UsageError(str(error)) from None
    print(report.summary())
    return 0

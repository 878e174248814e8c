"""``autograder nbgrader-source`` and ``autograder nbgrader-import``: the CLI over this package."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from autograder.config import GradingConfig


def add_commands(commands: argparse._SubParsersAction, common: Callable) -> None:
    """Add both commands to ``autograder``'s subparsers (``common`` adds --assignment, --config)."""
    source = commands.add_parser(
        "nbgrader-source", help="write the nbgrader source notebook of an assignment into a course"
    )
    source.add_argument(
        "--course", type=Path, required=True, help="the nbgrader course folder (gets source/NAME/)"
    )
    common(source)
    grades = commands.add_parser(
        "nbgrader-import", help="put the points of a grade-batch run into a course's gradebook"
    )
    grades.add_argument(
        "out", type=Path, help="the grade-batch folder (OUT/<student>/results.json)"
    )
    grades.add_argument(
        "--course", type=Path, required=True, help="the nbgrader course folder (its gradebook.db)"
    )
    common(grades)


def run_source(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.cli import UsageError
    from autograder.nbgrader.source import write_source
    from autograder.release import ReleaseError

    assignment = config.assignment(options.assignment)
    try:
        folder = write_source(config, assignment, options.course)
    except (ReleaseError, OSError) as error:
        raise UsageError(str(error)) from None
    print(f"Wrote the nbgrader source of {assignment.name} to {folder}")
    print(f"Next, in {options.course}: nbgrader generate_assignment {assignment.name}")
    return 0


def run_import(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.cli import UsageError
    from autograder.nbgrader.gradebook import GradebookError, import_grades

    try:
        report = import_grades(options.out, options.course, config.assignment(options.assignment))
    except GradebookError as error:
        raise UsageError(str(error)) from None
    print(report.summary())
    return 0

"""What each student function's nbgrader test cell is worth, and what a student earned in it.

A check's points count toward the function its ``@grades`` marker names first
(:func:`autograder.grading.graded.graded_functions`, the rule grading itself uses for each
result's ``tags``). The source notebook's cell points, the score of each test cell at autograde
time and the gradebook import all ask this module, so they cannot disagree with each other
nor with the grade.
"""

from __future__ import annotations

from collections.abc import Iterable

from autograder.config import AssignmentConfig, ConfigError
from autograder.grading.graded import graded_functions


def grade_id(function: str) -> str:
    """The nbgrader ``grade_id`` of ``function``'s autograder test cell."""
    return f"test_{function}"


def owners(assignment: AssignmentConfig) -> dict[str, str]:
    """Each configured check's function: the first its ``@grades`` marker names.

    Raises :class:`ConfigError` for a check without a marker, or whose function is not one
    of the assignment's ``functions``.
    """
    graded = graded_functions(assignment.checks_dir)
    found = {}
    for check_id in assignment.checks:
        if check_id not in graded:
            raise ConfigError(
                f"{assignment.checks_dir}: the check {check_id} has no @grades marker, so no "
                "function's test cell can have its points"
            )
        owner = graded[check_id].owner
        if owner not in assignment.functions:
            raise ConfigError(
                f"{assignment.checks_dir}: the check {check_id} grades {owner}, which is not "
                f"listed under assignments.{assignment.name}.functions in grading.yaml"
            )
        found[check_id] = owner
    return found


def function_points(assignment: AssignmentConfig) -> dict[str, float]:
    """Each function's points (the sum of its checks'), in ``functions`` order; none if 0 checks."""
    totals: dict[str, float] = {}
    for check_id, function in owners(assignment).items():
        totals[function] = totals.get(function, 0.0) + assignment.checks[check_id].points
    return {f: totals[f] for f in assignment.functions if f in totals}


def earned_by_function(
    scores: Iterable[tuple[str, float]], assignment: AssignmentConfig
) -> dict[str, float]:
    """Sum ``(check_id, score)`` pairs per function of ``assignment``; unknown checks are left out.

    Returns every function of ``assignment`` (in ``functions`` order), 0.0 where none of its
    checks scored.
    """
    owner = owners(assignment)
    earned = {f: 0.0 for f in assignment.functions}
    for check_id, score in scores:
        function = owner.get(check_id)
        if function is not None:
            earned[function] += score
    return earned

"""Which student function each check grades, and what each function's nbgrader test cell is worth.

A check's id is ``<function>_<what>`` (``mse_grad_values``). Its function is the longest
name in the assignment's ``functions`` that the id starts with, followed by ``_``: so
``mse_grad_values`` belongs to ``mse_grad``, not to ``mse``. The source notebook's cell
points, the score of each test cell at autograde time and the gradebook import all use
this one rule, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from autograder.config import AssignmentConfig, ConfigError


def grade_id(function: str) -> str:
    """The nbgrader ``grade_id`` of ``function``'s autograder test cell."""
    return f"test_{function}"


def function_of_check(check_id: str, functions: Sequence[str]) -> str | None:
    """The function whose name is the longest prefix of ``check_id`` (or None)."""
    matches = [f for f in functions if check_id == f or check_id.startswith(f"{f}_")]
    return max(matches, key=len) if matches else None


def function_points(assignment: AssignmentConfig) -> dict[str, float]:
    """Each function's points (the sum of its checks'), in ``functions`` order; none if 0 checks."""
    totals: dict[str, float] = {}
    for check_id, check in assignment.checks.items():
        function = function_of_check(check_id, list(assignment.functions))
        if function is None:
            raise ConfigError(
                f"grading.yaml: assignments.{assignment.name}.checks.{check_id} must start with "
                f"the name of a function listed under functions (<function>_<what>), so that "
                "nbgrader can give its points to that function's test cell"
            )
        totals[function] = totals.get(function, 0.0) + check.points
    return {f: totals[f] for f in assignment.functions if f in totals}


def earned_by_function(
    scores: Iterable[tuple[str, float]], functions: Sequence[str]
) -> dict[str, float]:
    """Sum ``(check_id, score)`` pairs per function; checks of no function are left out."""
    earned = {f: 0.0 for f in functions}
    for check_id, score in scores:
        function = function_of_check(check_id, functions)
        if function is not None:
            earned[function] += score
    return earned

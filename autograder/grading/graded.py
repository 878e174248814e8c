"""Which student functions each check grades: its ``@grades`` marker, the one rule.

A check is a ``def test_<id>`` at the top level of a ``test_*.py`` file in the checks folder,
marked with the student functions it grades::

    @grades("loss_grad", partial=False)
    def test_loss_grad_values(verdict, reference, rng):
        ...

The markers are read here with :mod:`ast`, without importing the check files (as
:func:`autograder.config.defined_checks` reads the check ids), and everyone who must know
what a check grades asks :func:`graded_functions`: the grading plugin (each result's
``tags``, its partial credit, which functions passed for stand-ins), the nbgrader cell
points and the gradebook import (:mod:`autograder.nbgrader.points`). A check's points count
toward the first function its marker names (:attr:`GradedCheck.owner`). The check's id says
nothing: ``test_week1_loss`` may grade ``loss_grad``.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

from autograder.config import ConfigError

MARKER = "grades"


@dataclass(frozen=True)
class GradedCheck:
    """What one check grades.

    ``functions`` are the student functions its marker names, in its order (at least one);
    ``partial`` is the marker's ``partial`` (default True): whether the check's points are
    shared by the fraction of its cases that are right, rather than all or nothing.
    """

    functions: tuple[str, ...]
    partial: bool = True

    @property
    def owner(self) -> str:
        """The function the check's points count toward (per-function totals, nbgrader cells)."""
        return self.functions[0]


def graded_functions(checks_dir: Path) -> dict[str, GradedCheck]:
    """Each check id of the folder's ``test_*.py`` files, with what its marker says it grades.

    A check without a ``@grades`` marker is left out (the plugin refuses to grade with one).
    Raises :class:`ConfigError` naming the file and line of a marker that is not plain
    (function names as string literals, ``partial`` as True or False), or of a check file that
    does not parse.
    """
    found: dict[str, GradedCheck] = {}
    for path in sorted(Path(checks_dir).glob("test_*.py")):
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ConfigError(f"{path}: the check file cannot be read ({error})") from None
        for check_id, graded in _markers(str(path), data):
            found.setdefault(check_id, graded)
    return found


@functools.lru_cache(maxsize=64)
def _markers(path: str, data: bytes) -> tuple[tuple[str, GradedCheck], ...]:
    """The markers of one check file's contents (cached: a batch reads the same file for every
    student)."""
    try:
        tree = ast.parse(data, filename=path)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None)
        raise ConfigError(
            f"{path}: the check file has a syntax error at line {line} ({error})"
        ) from None
    markers = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test_"
        ):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and _name_of(decorator.func) == MARKER:
                    markers.append((node.name.removeprefix("test_"), _read(decorator, path, node)))
                    break
    return tuple(markers)


def _name_of(node: ast.expr) -> str:
    """``grades`` for ``grades``, ``pytest.mark.grades`` and ``mark.grades``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _read(
    marker: ast.Call, path: str, check: ast.FunctionDef | ast.AsyncFunctionDef
) -> GradedCheck:
    where = f"{path}:{marker.lineno}: the @grades marker of {check.name}"
    functions = []
    for argument in marker.args:
        if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
            raise ConfigError(f"{where} must name the functions it grades as string literals")
        functions.append(argument.value)
    if not functions:
        raise ConfigError(f"{where} names no function; name the student functions it grades")
    partial = True
    for keyword in marker.keywords:
        if keyword.arg != "partial":
            raise ConfigError(f"{where} has an unknown argument {keyword.arg!r} (only partial=)")
        if not (isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, bool)):
            raise ConfigError(f"{where} must give partial as True or False")
        partial = keyword.value.value
    return GradedCheck(tuple(functions), partial)

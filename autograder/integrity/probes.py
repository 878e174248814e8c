"""The fixed probe set every student's functions are run on: a few calls per function.

The engine names no assignment. The probes come from the assignment's own data, found the
way the grader finds its catalog:

1. ``PROBES`` in the checks folder's ``mistakes.py`` (``{function: [(args, kwargs), ...]}``,
   the small inputs on which the self-check tells mistakes apart), when it defines them;
2. otherwise, the examples in the reference functions' docstrings (``>>> loss([4.0], [3.0])``)
   whose arguments are literals.

Functions of the student API with neither are not probed (the report says so).
"""

from __future__ import annotations

import ast
import doctest
import inspect
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from autograder.config import AssignmentConfig
from autograder.grading.diagnosis import load_mistakes_module

Probe = tuple[tuple[Any, ...], dict[str, Any]]


def probe_set(assignment: AssignmentConfig, reference: ModuleType) -> dict[str, list[Probe]]:
    """The probes of each function of the assignment's API that has some, in API order."""
    mistakes = load_mistakes_module(assignment.checks_dir)
    declared: Mapping[str, list] = getattr(mistakes, "PROBES", None) or {}
    probes: dict[str, list[Probe]] = {}
    for function in assignment.functions:
        cases = declared.get(function) or docstring_probes(reference, function)
        if cases:
            probes[function] = [(tuple(args), dict(kwargs)) for args, kwargs in cases]
    return probes


def docstring_probes(reference: ModuleType, function: str) -> list[Probe]:
    """The calls of ``function`` in its reference docstring's examples, with literal arguments."""
    target = getattr(reference, function, None)
    doc = inspect.getdoc(target) if target is not None else None
    if not doc:
        return []
    probes = []
    for example in doctest.DocTestParser().get_examples(doc):
        call = _literal_call(example.source, function)
        if call is not None:
            probes.append(call)
    return probes


def _literal_call(source: str, function: str) -> Probe | None:
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return None
    call = tree.body
    if not (
        isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == function
    ):
        return None
    try:
        args = tuple(ast.literal_eval(a) for a in call.args)
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if any(k.arg is None for k in call.keywords):  # **mapping: not a plain call
        return None
    return args, kwargs

"""What the students' self-check needs from the grader's side, as data: ``selfcheck_data.json``.

For each student function, a few probe inputs with the correct output and,
for each catalogued mistake, what a student making it would return (computed
here with the reference), so that the self-check can name a mistake without
being handed any catalog or reference code. A mistake with no single wrong
answer (a ``matches`` in the catalog, no ``variant``) is listed with
``"outputs": null`` and the ``"rule"`` that the catalog's ``SELFCHECK_RULES``
gives it (by ``<function>__<mistake>``): a small description of the answer
(a number where an array was due, a first item close to 0, ...) that the
self-check interprets (``RULE_TESTS`` in ``selfcheck_template.py``). Also the
reference's answers to the calls the feedback figures make, replayed by the
self-check to draw the same pictures.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import numpy as np

from autograder.config import AssignmentConfig
from autograder.feedback.pages import load_feedback_module
from autograder.grading.diagnosis import load_mistakes_module


def plain(value: Any) -> Any:
    """JSON-ready numbers: arrays and tuples become lists, dicts keep their keys, numpy scalars floats."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray | list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# The tests a rule may use: those the self-check template interprets (its RULE_TESTS).
RULE_TESTS = ("scalar_for_array", "modifies_input", "close_to", "beyond", "grows")
RULE_KEYS = {"test", "part", "value", "limit"}


class RuleError(ValueError):
    """A rule of ``SELFCHECK_RULES`` the self-check could not interpret; one sentence."""


def check_rule(rule: Any, where: str) -> None:
    """Raise :class:`RuleError` unless ``rule`` is one the self-check interprets."""
    if not isinstance(rule, dict):
        raise RuleError(f"{where} must be a dict, not {rule!r}")
    for combined in ("any", "all"):
        if combined in rule:
            if set(rule) != {combined} or not isinstance(rule[combined], list | tuple):
                raise RuleError(f"{where} must be {{{combined!r}: [rule, ...]}} alone")
            for number, inner in enumerate(rule[combined]):
                check_rule(inner, f"{where}[{combined!r}][{number}]")
            return
    unknown = set(rule) - RULE_KEYS
    if unknown or rule.get("test") not in RULE_TESTS:
        raise RuleError(
            f"{where} must have a 'test' among {', '.join(RULE_TESTS)} and only the keys "
            f"{', '.join(sorted(RULE_KEYS))}; it is {rule!r}"
        )
    needed = {"close_to": "value", "beyond": "limit"}.get(rule["test"])
    if needed and not isinstance(rule.get(needed), int | float):
        raise RuleError(f"{where}: the test {rule['test']!r} needs a number {needed!r}")


def selfcheck_data(assignment: AssignmentConfig, reference: ModuleType) -> dict:
    """The contents of ``selfcheck_data.json`` (see the module's docstring).

    Raises :class:`RuleError` naming the catalog when a rule of ``SELFCHECK_RULES`` is not one
    the self-check can interpret, or names no mistake of the catalog.
    """
    mistakes = load_mistakes_module(assignment.checks_dir)
    probes = getattr(mistakes, "PROBES", {}) if mistakes else {}
    catalog = list(getattr(mistakes, "CATALOG", [])) if mistakes else []
    rules = dict(getattr(mistakes, "SELFCHECK_RULES", {})) if mistakes else {}
    catalog_file = assignment.checks_dir / "mistakes.py"
    named = {f"{m.function}__{m.name}" for m in catalog}
    for key, rule in rules.items():
        if key not in named:
            raise RuleError(f"{catalog_file}: SELFCHECK_RULES names {key!r}, no mistake of CATALOG")
        check_rule(rule, f"{catalog_file}: SELFCHECK_RULES[{key!r}]")
    functions: dict[str, Any] = {}
    for function, cases in probes.items():
        correct = getattr(reference, function)
        entries = []
        for mistake in (m for m in catalog if m.function == function):
            outputs = None
            if mistake.variant is not None:
                outputs = [
                    plain(mistake.variant(reference, *args, **kwargs)) for args, kwargs in cases
                ]
            entries.append(
                {
                    "name": mistake.name,
                    "summary": mistake.summary,
                    "hint": mistake.hint,
                    "lesson": mistake.lesson,
                    "outputs": outputs,
                    "rule": None
                    if outputs is not None
                    else rules.get(f"{mistake.function}__{mistake.name}"),
                }
            )
        functions[function] = {
            "probes": [
                {
                    "args": plain(args),
                    "kwargs": plain(kwargs),
                    "expected": plain(correct(*args, **kwargs)),
                }
                for args, kwargs in cases
            ],
            "mistakes": entries,
        }
    return {
        "assignment": assignment.name,
        "module": assignment.module,
        "function_order": list(assignment.functions),
        "functions": functions,
        "figures": _figure_answers(assignment, reference),
    }


def _figure_answers(assignment: AssignmentConfig, reference: ModuleType) -> dict[str, list]:
    """The reference's answers to the figure code's calls, in call order, by function."""
    module = load_feedback_module(assignment.release_dir)
    if module is None:
        return {}
    answers: dict[str, list] = {}

    class Recorder:
        def __getattr__(self, name: str):
            def record(*args: Any, **kwargs: Any) -> Any:
                value = getattr(reference, name)(*args, **kwargs)
                answers.setdefault(name, []).append(plain(value))
                return value

            return record

    module.collect(lambda name, *a, **k: getattr(reference, name)(*a, **k), Recorder())
    return answers


def selfcheck_json(assignment: AssignmentConfig, reference: ModuleType) -> str:
    """:func:`selfcheck_data` as the committed file's text (sorted keys, one-space indent)."""
    return json.dumps(selfcheck_data(assignment, reference), indent=1, sort_keys=True) + "\n"

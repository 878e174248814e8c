"""What the students' self-check needs from the grader's side, as data: ``selfcheck_data.json``.

For each student function, a few probe inputs with the correct output and,
for each catalogued mistake, what a student making it would return (computed
here with the reference), so that the self-check can name a mistake without
being handed any catalog or reference code. Mistakes recognised by a rule
rather than a variant are listed with ``"outputs": null``; the self-check
knows those rules by name. Also the reference's answers to the calls the
feedback figures make, replayed by the self-check to draw the same pictures.
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


def selfcheck_data(assignment: AssignmentConfig, reference: ModuleType) -> dict:
    mistakes = load_mistakes_module(assignment.checks_dir)
    probes = getattr(mistakes, "PROBES", {}) if mistakes else {}
    catalog = list(getattr(mistakes, "CATALOG", [])) if mistakes else []
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
    return json.dumps(selfcheck_data(assignment, reference), indent=1, sort_keys=True) + "\n"

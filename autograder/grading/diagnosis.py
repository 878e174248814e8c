"""Name the misconception behind a failed check, from a catalog of known mistakes.

An assignment's ``mistakes.py`` (beside its checks) defines ``CATALOG``, a list
of :class:`Mistake`. Each mistake says what a student who makes it would
return (``variant``, computed with the reference in the trusted process) or
how to recognise it (``matches``). When a check fails, the student's answers
on the failing cases are compared with each mistake of that function; the
first mistake that explains every failing answer is the diagnosis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from autograder.grading.verdict import Case, NotNumbers, numbers_of, show
from autograder.loading import load_file_module

MATCH_RTOL = 1e-6
MATCH_ATOL = 1e-9


@dataclass(frozen=True)
class Mistake:
    """A misconception a student really has, and how to recognise it.

    ``hint`` is a format string; it may use ``{call}`` (the failing call),
    ``{got}``, ``{expected}``, and each argument of the call by name (values
    rendered briefly). ``lesson`` names the README section that explains it.
    """

    function: str
    name: str
    summary: str
    hint: str
    lesson: str
    variant: Callable[..., Any] | None = None
    matches: Callable[[Case], bool] | None = None


@dataclass(frozen=True)
class Diagnosis:
    """A mistake recognised in a check's failing cases, with its hint filled in."""

    mistake: Mistake
    sentence: str


def load_mistakes_module(checks_dir: Path) -> ModuleType | None:
    """The assignment's ``mistakes.py`` (``CATALOG``, and ``PROBES`` for the self-check), if any."""
    path = checks_dir / "mistakes.py"
    return load_file_module(path, "mistakes") if path.exists() else None


def load_catalog(checks_dir: Path) -> list[Mistake]:
    """``CATALOG`` from ``checks_dir/mistakes.py`` (empty if there is no such file)."""
    module = load_mistakes_module(checks_dir)
    return list(module.CATALOG) if module else []


def diagnose(
    cases: Sequence[Case], catalog: Sequence[Mistake], reference: ModuleType
) -> Diagnosis | None:
    """The first mistake of the catalog that explains every failing case that returned a value."""
    failing = [c for c in cases if c.failure is not None and c.returned]
    if not failing:
        return None
    functions = {c.function for c in failing}
    for mistake in catalog:
        if mistake.function not in functions:
            continue
        relevant = [c for c in failing if c.function == mistake.function]
        if relevant and all(_explains(mistake, c, reference) for c in relevant):
            example = min(relevant, key=lambda c: c.size)
            try:
                sentence = _fill(mistake, example, reference)
            except Exception:  # whatever the student returned, the hint is still worth giving
                sentence = f"{mistake.hint} (See the lesson, section “{mistake.lesson}”.)"
            return Diagnosis(mistake, sentence)
    return None


def _explains(mistake: Mistake, case: Case, reference: ModuleType) -> bool:
    try:
        if mistake.matches is not None:
            return bool(mistake.matches(case))
        predicted = mistake.variant(reference, *case.args, **case.kwargs)
        return _same(case.got, predicted)
    except Exception:  # a variant that cannot handle these inputs does not explain them
        return False


def _same(got: Any, predicted: Any) -> bool:
    if isinstance(predicted, dict):
        return (
            isinstance(got, dict)
            and set(got) == set(predicted)
            and all(_same(got[k], predicted[k]) for k in predicted)
        )
    if isinstance(predicted, tuple):
        if not isinstance(got, list | tuple) or len(got) != len(predicted):
            return False
        return all(_same(g, p) for g, p in zip(got, predicted, strict=True))
    try:
        got_array = numbers_of(got)  # a string or a bool is no number, whatever numpy would say
        predicted_array = np.asarray(predicted, dtype=float)
    except (NotNumbers, TypeError, ValueError):
        return False
    if got_array.shape != predicted_array.shape:
        return False
    return bool(
        np.allclose(got_array, predicted_array, rtol=MATCH_RTOL, atol=MATCH_ATOL, equal_nan=True)
    )


def _fill(mistake: Mistake, case: Case, reference: ModuleType) -> str:
    names = case.verdict.argument_names(case.function)
    fields = {names[i]: show(a) for i, a in enumerate(case.args) if i < len(names)}
    fields.update({k: show(v) for k, v in case.kwargs.items()})
    expected = case.expected
    if expected is None:
        try:
            expected = getattr(reference, case.function)(*case.args, **case.kwargs)
        except Exception:
            expected = None
    fields.update(call=case.call_text(), got=show(case.got), expected=show(expected))
    try:
        text = mistake.hint.format(**fields)
    except (KeyError, IndexError, ValueError):
        text = mistake.hint
    return f"{text} (See the lesson, section “{mistake.lesson}”.)"

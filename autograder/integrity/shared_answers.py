"""Shared rare wrong answers: students whose wrong values agree where few others' do.

Each student's answers to one function's probes are classified, in this order:

* **correct**: every answer matches the reference's, within the assignment's tolerances (or
  the function passed all its checks when graded and was not probed);
* **no answer**: a call raised, hung, crashed or was not defined, or returned ``None``, a
  string or a value that is not numbers;
* **placeholder**: every wrong answer is all zeros or one of the inputs handed back (what an
  unfinished function returns, written alike by students who never met);
* **catalogued**: a misconception of the assignment's catalog explains the wrong answers
  (:func:`autograder.grading.diagnosis.diagnose`, the same recognition grading uses), so many
  students make it independently (a flipped sign);
* **downstream**: a function it calls (grading.yaml's ``functions``) is not correct for this
  student, so its answers carry that mistake, which is counted once, where it is;
* **wrong**: none of the above. Its *key* is a hash of the answers rounded to
  ``SIGNIFICANT`` digits, so the same formula computed in another order gives the same key.

The wrong keys go into an index, (function, key) -> students. A key held by at most
:func:`rare_limit` students is rare: every pair of its holders shares it. A key held by more is
a common misconception the catalog does not name yet; it is not evidence, and the report lists
it for the instructor.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from autograder.config import AssignmentConfig
from autograder.grading.diagnosis import Mistake, diagnose
from autograder.grading.runner import quiet_numerics
from autograder.grading.verdict import WRONG as WRONG_VALUE
from autograder.grading.verdict import Case, Verdict, show, signature_names
from autograder.integrity.probe_run import CORRECT_WHEN_GRADED, Answer, StudentAnswers
from autograder.integrity.probes import Probe
from autograder.sandbox.protocol import Unencodable

SIGNIFICANT = 6  # digits kept when two wrong answers are compared
RARE_FRACTION = 0.005  # of the students probed: a wrong answer held by more is common...
RARE_MIN = 2  # ... but one held by this many or fewer is always rare

CORRECT, NO_ANSWER, PLACEHOLDER, CATALOGUED, DOWNSTREAM, WRONG = (
    "correct",
    "no answer",
    "placeholder",
    "catalogued",
    "downstream",
    "wrong",
)


@dataclass(frozen=True)
class Classified:
    """What one student's answers to one function's probes are (see the module docstring).

    ``detail`` names the mistake (catalogued) or the callee (downstream). For a wrong answer,
    ``key`` identifies it, ``call`` is the first probe it got wrong, ``shown`` that answer and
    ``expected`` the reference's, each rendered briefly.
    """

    function: str
    kind: str
    detail: str = ""
    key: str = ""
    call: str = ""
    shown: str = ""
    expected: str = ""


@dataclass(frozen=True)
class SharedAnswer:
    """A wrong answer a pair of students share: the function, the call, the value, how rare."""

    function: str
    call: str
    shown: str
    expected: str
    holders: int  # how many students gave exactly this answer


@dataclass(frozen=True)
class AnswerIndexSummary:
    """What the answer comparison covered and left out, for the report."""

    probed: int  # students whose functions ran (or were known correct)
    not_probed: dict[str, str]  # student -> why nothing could be run
    functions: tuple[str, ...]
    kinds: dict[str, int]  # classification kind -> how many (student, function) answers
    rare_limit: int
    common_wrong: tuple[tuple[Classified, int], ...]  # uncatalogued wrong answers many gave


def rare_limit(students: int) -> int:
    """The most students a wrong answer may be shared by and still be evidence."""
    return max(RARE_MIN, math.floor(RARE_FRACTION * students))


def answer_key(value: Any) -> str:
    """A hash of ``value`` with its numbers rounded to ``SIGNIFICANT`` digits."""
    text = json.dumps(_canonical(value), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {"d": [[str(k), _canonical(v)] for k, v in sorted(value.items(), key=str)]}
    if isinstance(value, list | tuple):
        try:
            return _canonical(np.asarray(value, dtype=float))
        except (TypeError, ValueError):
            return {"l": [_canonical(v) for v in value]}
    if isinstance(value, np.ndarray):
        flat = np.asarray(value, dtype=float).ravel()
        return {"a": list(np.shape(value)), "v": [_number(float(x)) for x in flat]}
    if isinstance(value, bool | int | float):
        return _number(float(value))
    return {"o": str(value)[:200]}


def _number(x: float) -> str:
    if x == 0.0:
        return "0"  # 0.0 and -0.0 are one answer
    return f"{x:.{SIGNIFICANT}g}"


def close(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    """Whether ``got`` is ``expected`` within tolerance: same structure, numbers allclose."""
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and set(got) == set(expected)
            and all(close(got[k], expected[k], rtol, atol) for k in expected)
        )
    try:
        got_array = np.asarray(got, dtype=float)
        expected_array = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        if isinstance(expected, list | tuple) and isinstance(got, list | tuple):
            return len(got) == len(expected) and all(
                close(g, e, rtol, atol) for g, e in zip(got, expected, strict=True)
            )
        return False
    if got_array.shape != expected_array.shape:
        return False
    return bool(np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=True))


def is_numbers(value: Any) -> bool:
    """Whether ``value`` is made of numbers only (an answer that can be compared)."""
    if value is None or isinstance(value, str | Unencodable):
        return False
    if isinstance(value, dict):
        return bool(value) and all(is_numbers(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(is_numbers(v) for v in value)
    return isinstance(value, np.ndarray | bool | int | float)


def _placeholder(value: Any, args: tuple, kwargs: dict) -> bool:
    """All zeros, or one of the inputs handed back unchanged."""
    try:
        if np.all(np.asarray(value, dtype=float) == 0.0):
            return True
    except (TypeError, ValueError):
        pass
    return any(
        close(value, given, 0.0, 0.0)
        for given in (*args, *kwargs.values())
        if not isinstance(given, str)
    )


class AnswerClassifier:
    """Classifies students' answers against the reference and the catalog, one assignment."""

    def __init__(
        self,
        assignment: AssignmentConfig,
        reference: ModuleType,
        probes: Mapping[str, Sequence[Probe]],
        catalog: Sequence[Mistake],
    ) -> None:
        self.assignment = assignment
        self.reference = reference
        self.probes = probes
        self.catalog = list(catalog)
        self.rtol = float(assignment.tolerances.get("rtol", 1e-7))
        self.atol = float(assignment.tolerances.get("atol", 1e-10))
        signatures = {
            name: signature_names(getattr(reference, name))
            for name in probes
            if callable(getattr(reference, name, None))
        }
        self.verdict = Verdict(lambda *a: None, signatures, dict(assignment.tolerances))  # type: ignore[arg-type, return-value]
        with quiet_numerics():
            self.expected = {
                name: [getattr(reference, name)(*args, **kwargs) for args, kwargs in cases]
                for name, cases in probes.items()
            }

    def classify(self, student: StudentAnswers) -> dict[str, Classified]:
        """Every probed function's classification for this student (callees first)."""
        found: dict[str, Classified] = {}
        for function in self.probes:
            self._classify(function, student, found)
        return found

    def _classify(
        self, function: str, student: StudentAnswers, found: dict[str, Classified]
    ) -> Classified:
        if function in found:
            return found[function]
        found[function] = Classified(function, NO_ANSWER)  # a cycle in `functions` ends here
        found[function] = self._own(function, student, found)
        return found[function]

    def _own(
        self, function: str, student: StudentAnswers, found: dict[str, Classified]
    ) -> Classified:
        if student.not_probed.get(function) == CORRECT_WHEN_GRADED:
            return Classified(function, CORRECT)
        answers: Sequence[Answer] = student.answers.get(function, ())
        cases = self.probes[function]
        if len(answers) != len(cases) or not all(
            a.returned and is_numbers(a.value) for a in answers
        ):
            return Classified(function, NO_ANSWER)
        expected = self.expected[function]
        with quiet_numerics():
            wrong = [
                i
                for i, answer in enumerate(answers)
                if not close(answer.value, expected[i], self.rtol, self.atol)
            ]
        if not wrong:
            return Classified(function, CORRECT)
        if all(_placeholder(answers[i].value, *cases[i]) for i in wrong):
            return Classified(function, PLACEHOLDER)
        mistake = self._catalogued(function, [answers[i].value for i in wrong], wrong)
        if mistake is not None:
            return Classified(function, CATALOGUED, mistake)
        for callee in self.assignment.functions.get(function, ()):
            if callee in self.probes and self._classify(callee, student, found).kind != CORRECT:
                return Classified(function, DOWNSTREAM, callee)
        first = wrong[0]
        args, kwargs = cases[first]
        return Classified(
            function,
            WRONG,
            key=answer_key([a.value for a in answers]),
            call=self._call_text(function, args, kwargs),
            shown=show(answers[first].value),
            expected=show(expected[first]),
        )

    def _catalogued(self, function: str, values: list, which: list[int]) -> str | None:
        cases = []
        for value, index in zip(values, which, strict=True):
            args, kwargs = self.probes[function][index]
            case = Case(function, args, kwargs, self.verdict, got=value, returned=True)
            case.failure, case.failure_kind = "wrong", WRONG_VALUE
            case.expected = self.expected[function][index]
            cases.append(case)
        with quiet_numerics():
            diagnosis = diagnose(cases, self.catalog, self.reference)
        return diagnosis.mistake.name if diagnosis is not None else None

    def _call_text(self, function: str, args: tuple, kwargs: dict) -> str:
        names = self.verdict.argument_names(function)
        parts = [f"{names[i]}={show(a)}" if i < len(names) else show(a) for i, a in enumerate(args)]
        parts += [f"{k}={show(v)}" for k, v in kwargs.items()]
        return f"{function}({', '.join(parts)})"


def shared_answers(
    classified: Mapping[str, Mapping[str, Classified]],
    not_probed: Mapping[str, str],
    functions: Sequence[str],
) -> tuple[dict[tuple[str, str], list[SharedAnswer]], AnswerIndexSummary]:
    """Pairs of students (ids, sorted) and the rare wrong answers they share; the summary.

    ``classified`` maps each probed student to their classification per function.
    """
    limit = rare_limit(len(classified))
    index: dict[tuple[str, str], list[str]] = {}
    first: dict[tuple[str, str], Classified] = {}
    kinds: dict[str, int] = {}
    for student, by_function in classified.items():
        for entry in by_function.values():
            kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
            if entry.kind == WRONG:
                index.setdefault((entry.function, entry.key), []).append(student)
                first.setdefault((entry.function, entry.key), entry)
    pairs: dict[tuple[str, str], list[SharedAnswer]] = {}
    common = []
    for slot, holders in index.items():
        if len(holders) < 2:
            continue
        entry = first[slot]
        if len(holders) > limit:
            common.append((entry, len(holders)))
            continue
        shared = SharedAnswer(entry.function, entry.call, entry.shown, entry.expected, len(holders))
        for i, a in enumerate(holders):
            for b in holders[i + 1 :]:
                pairs.setdefault(tuple(sorted((a, b))), []).append(shared)  # type: ignore[arg-type]
    summary = AnswerIndexSummary(
        probed=len(classified),
        not_probed=dict(not_probed),
        functions=tuple(functions),
        kinds=kinds,
        rare_limit=limit,
        common_wrong=tuple(sorted(common, key=lambda item: -item[1])),
    )
    return pairs, summary

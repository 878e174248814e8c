"""Cases, comparisons and the sentence a student reads when a check fails.

A check (one pytest test) runs many *cases*. Each case calls one student
function through the sandbox and compares what came back with what the
reference says, in the trusted process::

    with verdict.case("mse_grad", y_pred, y_true) as case:
        got = case.call()
        case.expect_close(got, reference.mse_grad(y_pred, y_true), why="...")

A case that fails (wrong value, exception, time limit, crash) is recorded and
the check goes on with the next one, so points can be partial. The check's
outcome and its feedback are assembled from the recorded cases by
:meth:`Verdict.summary`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.sandbox.client import CallFailed, CallResult
from autograder.sandbox.protocol import Unencodable

MAX_SHOWN_ELEMENTS = 8


class CaseFailed(Exception):
    """Raised inside a case when the student's answer is wrong; the message is for the student."""


@dataclass
class Case:
    """One call of a student function and what was concluded about it."""

    function: str
    args: tuple
    kwargs: dict
    verdict: Verdict
    got: Any = None
    got_type: str = ""
    expected: Any = None
    returned: bool = False
    failure: str | None = None
    failure_kind: str = ""
    output: str = ""

    @property
    def size(self) -> int:
        """How big the inputs are (for choosing the smallest failing case to show)."""
        return sum(
            np.size(a) for a in self.args if isinstance(a, np.ndarray | list | tuple | float | int)
        )

    def call(self) -> Any:
        """Call the student's function on this case's inputs; return what it returned."""
        result: CallResult = self.verdict.call(self.function, self.args, self.kwargs)
        self.got, self.got_type, self.returned, self.output = (
            result.value,
            result.type_name,
            True,
            result.output,
        )
        if result.mutated:
            names = self.verdict.argument_names(self.function)
            which = ", ".join(
                names[i] if i < len(names) else f"argument {i + 1}" for i in result.mutated
            )
            raise CaseFailed(
                f"{self.function} modified its input ({which}); it must return a new value instead"
            )
        return result.value

    def call_array(self) -> np.ndarray:
        """:meth:`call`, then the value as a float array (a non-numeric value fails the case)."""
        return as_float_array(self.call(), self.function, self.got_type)

    def expect_close(
        self,
        got: Any,
        expected: Any,
        why: str = "",
        rtol: float | None = None,
        atol: float | None = None,
    ) -> None:
        """Fail the case unless ``got`` is numerically ``expected``: same shape, values within tolerance."""
        self.expected = expected
        got_array = as_float_array(got, self.function, self.got_type)
        expected_array = np.asarray(expected, dtype=float)
        if got_array.shape != expected_array.shape:
            raise CaseFailed(
                f"{self.function} returned {describe_shape(got_array, self.got_type)}; expected "
                f"{describe_shape(expected_array, 'ndarray' if expected_array.ndim else 'float')}"
                + (f". {why}" if why else "")
            )
        rtol = self.verdict.tolerances.get("rtol", 1e-7) if rtol is None else rtol
        atol = self.verdict.tolerances.get("atol", 1e-10) if atol is None else atol
        if not np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=False):
            raise CaseFailed(
                f"{self.call_text()} returned {show(got)}; expected {show(expected)}"
                + (f". {why}" if why else "")
            )

    def expect(self, condition: bool, sentence: str) -> None:
        """Fail the case with ``sentence`` unless ``condition`` holds."""
        if not condition:
            raise CaseFailed(sentence)

    def call_text(self) -> str:
        names = self.verdict.argument_names(self.function)
        parts = [
            f"{names[i]}={show(a)}" if i < len(names) else show(a) for i, a in enumerate(self.args)
        ]
        parts += [f"{k}={show(v)}" for k, v in self.kwargs.items()]
        return f"{self.function}({', '.join(parts)})"

    def __enter__(self) -> Case:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: object) -> bool:
        if error is None:
            self.verdict.cases.append(self)
            return False
        if isinstance(error, CaseFailed):
            self.failure, self.failure_kind = str(error), "wrong"
        elif isinstance(error, CallFailed):
            self.failure, self.failure_kind = error.sentence, error.kind
        else:
            return False  # a bug in the check itself: let pytest report it
        self.verdict.cases.append(self)
        return True


@dataclass
class Verdict:
    """The cases of one check, and how to call student functions for them."""

    call_student: Callable[[str, tuple, dict], CallResult]
    signatures: dict[str, Sequence[str]]
    tolerances: dict[str, float]
    cases: list[Case] = field(default_factory=list)

    def case(self, function: str, *args: Any, **kwargs: Any) -> Case:
        """Start a case that calls ``function(*args, **kwargs)``."""
        return Case(function, args, kwargs, self)

    def call(self, function: str, args: tuple, kwargs: dict) -> CallResult:
        return self.call_student(function, args, kwargs)

    def argument_names(self, function: str) -> Sequence[str]:
        return self.signatures.get(function, ())

    @property
    def failed(self) -> list[Case]:
        return [c for c in self.cases if c.failure is not None]

    @property
    def fraction(self) -> float:
        if not self.cases:
            return 0.0
        return 1.0 - len(self.failed) / len(self.cases)

    def smallest_failure(self) -> Case | None:
        failed = self.failed
        if not failed:
            return None
        # prefer a wrong value over a crash (it is more instructive), then the smallest input
        return min(failed, key=lambda c: (c.failure_kind != "wrong", c.size))


def signature_names(function: Callable) -> list[str]:
    """Parameter names of a (reference) function, for showing calls."""
    return list(inspect.signature(function).parameters)


def as_float_array(value: Any, function: str, type_name: str = "") -> np.ndarray:
    """Convert a student's return value to a float array, or fail the case with a sentence."""
    if isinstance(value, Unencodable):
        raise CaseFailed(
            f"{function} returned an object of type {value.type_name}, which is not a number or an array of numbers"
        )
    if value is None:
        raise CaseFailed(f"{function} returned None: did you forget the return statement?")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise CaseFailed(
            f"{function} returned a {type_name or type(value).__name__} that is not a number or an array of numbers"
        ) from None
    return array


def describe_shape(array: np.ndarray, type_name: str) -> str:
    if array.ndim == 0:
        return f"a single number ({type_name})" if type_name else "a single number"
    return f"an array of shape {array.shape}"


def show(value: Any) -> str:
    """A short, student-readable rendering of a value (long arrays are cut)."""
    if isinstance(value, Unencodable):
        return f"<a {value.type_name}>"
    if isinstance(value, float | np.floating):
        return _number(float(value))
    if isinstance(value, int | np.integer):
        return str(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple) and value:
        return "(" + ", ".join(show(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in list(value.items())[:8]) + "}"
    if isinstance(value, np.ndarray | list):
        array = np.asarray(value, dtype=float) if _numeric(value) else None
        if array is None:
            return repr(value)[:120]
        if array.ndim == 0:
            return _number(float(array))
        flat = array.ravel()
        shown = ", ".join(_number(float(v)) for v in flat[:MAX_SHOWN_ELEMENTS])
        more = f", … ({flat.size} values)" if flat.size > MAX_SHOWN_ELEMENTS else ""
        shape = f" (shape {array.shape})" if array.ndim > 1 else ""
        return f"[{shown}{more}]{shape}"
    return repr(value)[:120]


def _numeric(value: Any) -> bool:
    try:
        np.asarray(value, dtype=float)
        return True
    except (TypeError, ValueError):
        return False


def _number(x: float) -> str:
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x)) if abs(x) >= 1 or x == 0 else f"{x:g}"
    return f"{x:.6g}"

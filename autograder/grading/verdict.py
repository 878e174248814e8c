"""Cases, comparisons and the sentence a student reads when a check fails.

A check (one pytest test) runs many *cases*. Each case calls one student
function through the sandbox and compares what came back with what the
reference says, in the trusted process::

    with verdict.case("loss_grad", x, y) as case:
        got = case.call()
        case.expect_close(got, reference.loss_grad(x, y), why="...")

A case that fails (wrong value, exception, time limit, crash) is recorded and
the check goes on with the next one, so points can be partial. The check's
outcome and its feedback are assembled from the recorded cases by
:meth:`Verdict.summary`.

What comes back from the sandbox is plain data (numbers, strings, lists,
dicts, float arrays, :class:`Unencodable`), but it is the student's: it may
be ``None``, a string, a ragged list, NaN. Every comparison here turns such a
value into a failed case whose sentence says what came back and what was
expected; an error raised while a case reads a returned value is such a
failure too, never a crash of the check.
"""

from __future__ import annotations

import inspect
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.sandbox.client import CallFailed, CallResult
from autograder.sandbox.protocol import Unencodable

MAX_SHOWN_ELEMENTS = 8
MAX_SHOWN_CHARS = 60
# The failure kind of a case whose call returned a value that is not the right answer; every
# other failed case has the ``CallFailed.kind`` of its call (autograder.sandbox.client).
WRONG = "wrong"


class CaseFailed(Exception):
    """Raised inside a case when the student's answer is wrong; the message is for the student."""


@dataclass
class Case:
    """One call of a student function and what was concluded about it.

    ``args``/``kwargs``, ``got`` and ``got_type`` are those of the case's last call
    (a case may call the function again with :meth:`call_again`).
    """

    function: str
    args: tuple
    kwargs: dict
    verdict: Verdict
    got: Any = None
    got_type: str = ""
    expected: Any = None
    returned: bool = False
    failure: str | None = None
    failure_kind: str = ""  # when it failed: WRONG, or the CallFailed.kind of its call
    output: str = ""

    @property
    def size(self) -> int:
        """How big the inputs are (for choosing the smallest failing case to show)."""
        return sum(
            np.size(a) for a in self.args if isinstance(a, np.ndarray | list | tuple | float | int)
        )

    def call(self) -> Any:
        """Call the student's function on this case's inputs; return what it returned."""
        self.returned = False
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

    def call_again(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function once more in this case, on other inputs (they become the case's)."""
        self.args, self.kwargs = args, kwargs
        return self.call()

    def call_array(self, expected: Any = None) -> np.ndarray:
        """:meth:`call`, then the value as a float array (anything else fails the case).

        ``expected`` (optional) is what the answer should look like, for the sentence.
        """
        value = self.call()
        return as_float_array(value, self.call_text(), self.got_type, expected)

    def expect_close(
        self,
        got: Any,
        expected: Any,
        why: str = "",
        rtol: float | None = None,
        atol: float | None = None,
    ) -> None:
        """Fail the case unless ``got`` is numerically ``expected``: same shape, values within
        tolerance, and finite wherever ``expected`` is finite (NaN and inf never pass)."""
        self.expected = expected
        expected_array = np.asarray(expected, dtype=float)
        type_name = self.got_type if got is self.got else ""  # the type is that of the whole answer
        got_array = as_float_array(got, self.call_text(), type_name, expected_array)
        because = f". {why}" if why else ""
        if got_array.shape != expected_array.shape:
            raise CaseFailed(
                f"{self.call_text()} returned {describe_value(got, type_name)}; expected "
                f"{describe_expected(expected_array)}{because}"
            )
        if not np.isfinite(got_array[np.isfinite(expected_array)]).all():
            raise CaseFailed(
                f"{self.call_text()} returned {show(got)}, which is not finite (NaN or inf); "
                f"expected {show(expected)}{because}"
            )
        rtol = self.verdict.tolerances.get("rtol", 1e-7) if rtol is None else rtol
        atol = self.verdict.tolerances.get("atol", 1e-10) if atol is None else atol
        if not np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=False):
            raise CaseFailed(
                f"{self.call_text()} returned {show(got)}; expected {show(expected)}{because}"
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
            self.failure, self.failure_kind = str(error), WRONG
        elif isinstance(error, CallFailed):
            self.failure, self.failure_kind = error.sentence, error.kind
        elif self.returned and isinstance(error, Exception):
            # The student's value broke the comparison (an odd type, shape or size the check
            # did not foresee): that is a wrong answer, said as such, not a crash of the check.
            self.failure, self.failure_kind = self._unreadable_sentence(), WRONG
        else:
            return False  # a bug in the check itself, before any answer came back: let pytest report it
        self.verdict.cases.append(self)
        return True

    def _unreadable_sentence(self) -> str:
        expected = f"; expected {show(self.expected)}" if self.expected is not None else ""
        try:
            call = self.call_text()
        except Exception:
            call = self.function
        return (
            f"{call} returned {describe_value(self.got, self.got_type)}, which is not an answer "
            f"of the documented form{expected}"
        )


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

    def failure_kinds(self) -> tuple[str, ...]:
        """How the failed cases failed (:attr:`Case.failure_kind`), each kind once, the most
        frequent first (ties by name)."""
        counts = Counter(c.failure_kind for c in self.failed)
        return tuple(sorted(counts, key=lambda kind: (-counts[kind], kind)))

    def smallest_failure(self) -> Case | None:
        failed = self.failed
        if not failed:
            return None
        # prefer a wrong value over a crash (it is more instructive), then the smallest input
        return min(failed, key=lambda c: (c.failure_kind != WRONG, c.size))


def signature_names(function: Callable) -> list[str]:
    """Parameter names of a (reference) function, for showing calls."""
    return list(inspect.signature(function).parameters)


# -- reading a student's value as numbers ---------------------------------------------------------


class NotNumbers(Exception):
    """A value is not a number or a (nested) sequence of numbers; the message says what it is."""


def numbers_of(value: Any) -> np.ndarray:
    """``value`` as a float array, if it is a number, an array, or nested lists/tuples of numbers
    of a regular shape; otherwise raise :class:`NotNumbers` saying what is wrong.

    Stricter than ``np.asarray(value, dtype=float)``, which would accept the string
    ``"2.5"`` and ``True``: a student's answer must be numbers.
    """
    return _numbers(value, 0)


def _numbers(value: Any, depth: int) -> np.ndarray:
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiu":
            raise NotNumbers(f"an array of {value.dtype}")
        return value.astype(float)
    if isinstance(value, bool | np.bool_):
        raise NotNumbers(f"{value} (a bool, not a number)")
    if isinstance(value, int | float | np.integer | np.floating):
        try:
            return np.array(float(value))
        except OverflowError:
            raise NotNumbers("an integer too large to be a float") from None
    if isinstance(value, list | tuple):
        if depth > 32:
            raise NotNumbers("sequences nested too deeply")
        kind = type(value).__name__
        if all(type(v) in (int, float) or _float_scalar(v) for v in value):  # common, fast
            try:
                return np.array(value, dtype=float)
            except OverflowError:
                raise NotNumbers(f"a {kind} holding an integer too large to be a float") from None
        items = []
        for index, item in enumerate(value):
            try:
                items.append(_numbers(item, depth + 1))
            except NotNumbers as inner:
                raise NotNumbers(f"a {kind} whose item [{index}] is {inner}") from None
        shapes = sorted({item.shape for item in items}, key=lambda s: (len(s), s))
        if len(shapes) > 1:
            shown = " and ".join(_shape_text(s) for s in shapes[:2])
            raise NotNumbers(
                f"a {kind} whose items have different shapes ({shown}), not a regular array"
            )
        return np.stack(items) if items else np.zeros(0)
    raise NotNumbers(describe_value(value))


def _float_scalar(value: Any) -> bool:
    """A 0-d float array: how a numpy scalar (``np.float64(…)``) arrives from the worker."""
    return type(value) is np.ndarray and value.ndim == 0 and value.dtype.kind == "f"


def as_float_array(
    value: Any, function: str, type_name: str = "", expected: Any = None
) -> np.ndarray:
    """Convert a student's return value to a float array, or fail the case with a sentence
    saying what came back and (when ``expected`` is given) what should have.

    ``function`` names what returned the value in that sentence: a function's name, or a
    call written out (``loss(x=[4], y=[3])``)."""
    wanted = (
        f"expected {describe_expected(expected)}"
        if expected is not None
        else "expected a number or an array of numbers"
    )
    if value is None:
        raise CaseFailed(
            f"{function} returned None (did you forget the return statement?); {wanted}"
        )
    try:
        return numbers_of(value)
    except NotNumbers as error:
        what = describe_value(value, type_name) if _is_plain(value) else str(error)
        raise CaseFailed(f"{function} returned {what}; {wanted}") from None


def _is_plain(value: Any) -> bool:
    """Whether the value is best described whole (not by the offending item inside it)."""
    return not isinstance(value, list | tuple | np.ndarray)


def describe_value(value: Any, type_name: str = "") -> str:
    """What a value is, for a student: its type, and its shape or a short rendering."""
    try:
        return _describe(value, type_name)
    except Exception:
        return f"a value of type {type(value).__name__}"


def _describe(value: Any, type_name: str) -> str:
    if isinstance(value, Unencodable):
        name = value.type_name
        if name.startswith("int too large"):
            return "an integer too large to be a float"
        if name == "nested too deeply":
            return "a value nested too deeply to read"
        return f"an object of type {name}"
    if value is None:
        return "None"
    if isinstance(value, bool | np.bool_):
        return f"{value} (a bool)"
    if isinstance(value, str):
        return f"the string {show(value)}"
    if isinstance(value, dict):
        keys = ", ".join(show(k) for k in list(value)[:MAX_SHOWN_ELEMENTS])
        return f"a dict with the keys {keys}" if value else "an empty dict"
    if isinstance(value, int) and abs(value) >= 10**300:
        return "an integer too large to be a float"
    if isinstance(value, int | float | np.integer | np.floating):
        return f"the single number {show(value)}" + (f" (a {type_name})" if type_name else "")
    if isinstance(value, list | tuple | np.ndarray):
        kind = type_name if type_name in ("list", "tuple") else type(value).__name__
        kind = "array" if kind == "ndarray" else kind
        article = "an" if kind[0] in "aeiou" else "a"
        try:
            array = numbers_of(value)
        except NotNumbers:
            return f"{article} {kind} of {len(value)} items"
        if array.ndim == 0:
            return f"the single number {show(float(array))}" + (
                f" (a {type_name})" if type_name else ""
            )
        if array.size == 0:
            return f"an empty {kind}"
        return f"{article} {kind} of shape {_shape_text(array.shape)}: {_flat(array)}"
    return f"an object of type {type(value).__name__}"


def describe_expected(expected: Any) -> str:
    """What the answer should have been: a single number, or an array of a shape (and values)."""
    try:
        array = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return show(expected)
    if array.ndim == 0:
        return f"a single number, {show(expected)}"
    return f"an array of shape {_shape_text(array.shape)}, {show(expected)}"


def _shape_text(shape: tuple) -> str:
    return str(tuple(int(s) for s in shape))


# -- showing values --------------------------------------------------------------------------------


def show(value: Any) -> str:
    """A short, student-readable rendering of a value (long arrays, lists and strings are cut)."""
    try:
        return _show(value, 0)
    except Exception:
        return f"<a {type(value).__name__}>"


def _show(value: Any, depth: int) -> str:
    if isinstance(value, Unencodable):
        return f"<a {value.type_name}>"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating):
        return _number(float(value))
    if isinstance(value, int | np.integer):
        if abs(value) < 10**15:
            return str(value)
        try:
            return _number(float(value))
        except OverflowError:
            return "an integer too large to be a float"
    if isinstance(value, str):
        cut = value[:MAX_SHOWN_CHARS]
        return repr(cut) + ("…" if len(value) > MAX_SHOWN_CHARS else "")
    if depth > 3:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())
        shown = ", ".join(f"{_show(k, depth + 1)}: {_show(v, depth + 1)}" for k, v in items[:8])
        return "{" + shown + (f", … ({len(items)} keys)" if len(items) > 8 else "") + "}"
    if isinstance(value, tuple) and value:  # a pair (theta, history) and the like: item by item
        items = ", ".join(_show(v, depth + 1) for v in value[:MAX_SHOWN_ELEMENTS])
        return f"({items}{', …' if len(value) > MAX_SHOWN_ELEMENTS else ''})"
    if isinstance(value, np.ndarray | list | tuple):
        try:
            array = numbers_of(value)
        except NotNumbers:
            array = None
        if array is None:
            items = list(value[:MAX_SHOWN_ELEMENTS])
            shown = ", ".join(_show(v, depth + 1) for v in items)
            more = f", … ({len(value)} items)" if len(value) > MAX_SHOWN_ELEMENTS else ""
            opening, closing = ("(", ")") if isinstance(value, tuple) else ("[", "]")
            return f"{opening}{shown}{more}{closing}"
        if array.ndim == 0:
            return _number(float(array))
        shape = f" (shape {_shape_text(array.shape)})" if array.ndim > 1 else ""
        return _flat(array) + shape
    return f"<a {type(value).__name__}>"


def _flat(array: np.ndarray) -> str:
    """The first values of an array, flattened: ``[1, 2.5, … (40 values)]``."""
    flat = array.ravel()
    shown = ", ".join(_number(float(v)) for v in flat[:MAX_SHOWN_ELEMENTS])
    more = f", … ({flat.size} values)" if flat.size > MAX_SHOWN_ELEMENTS else ""
    return f"[{shown}{more}]"


def _number(x: float) -> str:
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x)) if abs(x) >= 1 or x == 0 else f"{x:g}"
    return f"{x:.6g}"

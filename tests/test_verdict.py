"""Cases and comparisons: every odd value a student can return fails a case with a sentence.

Values are what the grader really receives: sent through the wire format
(encoded, written as JSON text, read back and decoded), or returned by a real
function called in a real sandboxed worker. The expected sentences are the
value's own type and shape, and the documented answer's.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from autograder.grading.verdict import (
    CaseFailed,
    NotNumbers,
    Verdict,
    as_float_array,
    describe_value,
    numbers_of,
    show,
)
from autograder.sandbox import protocol
from autograder.sandbox.client import Chunk, Sandbox, SandboxLimits


def over_the_wire(value):
    """``value`` as the grader receives it from a worker."""
    data = json.loads(json.dumps(protocol.encode(value), allow_nan=True))
    return protocol.decode(data), protocol.type_name_of(data)


class EqualsEverything:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


# -- reading values as numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        (2.5, ()),
        (3, ()),
        ([1.0, 2.0], (2,)),
        ([[1, 2], [3, 4]], (2, 2)),
        (np.arange(6.0).reshape(2, 3), (2, 3)),
        ([np.float64(1.0), np.float64(2.0)], (2,)),  # a history of numpy scalars
        ((1.0, 2.0, 3.0), (3,)),
        ([], (0,)),
    ],
)
def test_numbers_and_regular_sequences_of_them_are_read(value, shape):
    got, _ = over_the_wire(value)
    array = numbers_of(got)
    assert array.shape == shape
    np.testing.assert_array_equal(array, np.asarray(value, dtype=float))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2.5", "the string '2.5'"),  # numpy would read it as 2.5
        (True, "True (a bool, not a number)"),  # numpy would read it as 1.0
        (None, "None"),
        ({"a": 1.0}, "a dict with the keys 'a'"),
        ([1.0, "x"], "a list whose item [1] is the string 'x'"),
        ([[1.0, 2.0], [3.0]], "a list whose items have different shapes ((1,) and (2,))"),
        (10**400, "an integer too large to be a float"),
        ([1.0, 10**400], "a list whose item [1] is an integer too large to be a float"),
        (EqualsEverything(), "an object of type EqualsEverything"),
        (1 + 2j, "an object of type complex"),
    ],
)
def test_anything_else_is_refused_saying_what_it_is(value, words):
    got, _ = over_the_wire(value)
    with pytest.raises(NotNumbers) as refused:
        numbers_of(got)
    assert words in str(refused.value)


def test_an_ndarray_subclass_arrives_as_its_numbers_whatever_its_eq_says():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, dtype=bool)

    got, type_name = over_the_wire(np.zeros(3).view(Liar))
    assert type(got) is np.ndarray and type_name == "ndarray"
    with pytest.raises(CaseFailed):
        Verdict(None, {}, {}).case("f").expect_close(got, [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "f returned None (did you forget the return statement?)"),
        ("0.5", "f returned the string '0.5'"),
        ([1.0, None], "f returned a list whose item [1] is None"),
        ({"W1": [1.0]}, "f returned a dict with the keys 'W1'"),
    ],
)
def test_a_value_that_is_not_numbers_fails_saying_what_was_expected(value, words):
    got, type_name = over_the_wire(value)
    with pytest.raises(CaseFailed) as failed:
        as_float_array(got, "f", type_name, expected=np.zeros(2))
    assert words in str(failed.value)
    assert "expected an array of shape (2,), [0, 0]" in str(failed.value)


def test_describe_says_type_and_shape():
    assert describe_value(*over_the_wire(0.5)) == "the single number 0.5 (a float)"
    assert describe_value(*over_the_wire([[1.0], [2.0]])) == "a list of shape (2, 1): [1, 2]"
    assert describe_value(*over_the_wire(np.ones(3))) == "an array of shape (3,): [1, 1, 1]"
    assert describe_value(*over_the_wire((np.ones(2), [1.0]))) == "a tuple of 2 items"
    assert describe_value(*over_the_wire(np.float32(2.0))) == "the single number 2 (a float32)"


def test_show_is_short_whatever_the_value():
    assert show("x" * 10_000) == repr("x" * 60) + "…"
    assert len(show(list(range(100_000)))) < 80
    assert len(show([[str(i)] for i in range(10_000)])) < 200
    nested = [1.0]
    for _ in range(12):
        nested = [nested, "x"]
    assert len(show(nested)) < 200
    assert show(10**400) == "an integer too large to be a float"
    assert show(math.nan) == "nan" and show([math.inf, 1.0]) == "[inf, 1]"


# -- cases calling a real worker ------------------------------------------------------------------

STUDENT = """
import numpy as np

def f(x):
    return np.asarray(x, dtype=float) * 2

def nan_in(x):
    out = np.asarray(x, dtype=float) * 2
    out[-1] = np.nan
    return out

def inf_out(x):
    return float("inf")

def pair(x):
    return [1.0, 2.0, 3.0]
"""


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("verdict") / "student"
    box = Sandbox(
        module_name="student",
        chunks=(Chunk("file", "student.py", STUDENT),),
        scratch=scratch,
        limits=SandboxLimits(
            call_seconds=5, submission_seconds=60, memory_bytes=512 << 20, output_chars=4096
        ),
        standin_handler=lambda name, args, kwargs: None,
    )
    with box:
        box.load()
        yield box


@pytest.fixture
def verdict(sandbox):
    signatures = {name: ["x"] for name in ("f", "nan_in", "inf_out", "pair")}
    return Verdict(
        lambda name, args, kwargs: sandbox.call(name, *args, **kwargs),
        signatures,
        {"rtol": 1e-7, "atol": 1e-10},
    )


def test_nan_fails_where_a_number_is_expected(verdict):
    with verdict.case("nan_in", [1.0, 2.0]) as case:
        case.expect_close(case.call(), [2.0, 4.0])
    assert case.failure == (
        "nan_in(x=[1, 2]) returned [2, nan], which is not finite (NaN or inf); expected [2, 4]"
    )


def test_inf_fails_where_a_number_is_expected(verdict):
    with verdict.case("inf_out", [1.0]) as case:
        case.expect_close(case.call(), 2.0)
    assert case.failure == (
        "inf_out(x=[1]) returned inf, which is not finite (NaN or inf); expected 2"
    )


def test_a_wrong_shape_says_both_shapes(verdict):
    with verdict.case("f", [1.0, 2.0]) as case:
        case.expect_close(case.call(), [[2.0, 4.0]])
    assert case.failure == (
        "f(x=[1, 2]) returned an array of shape (2,): [2, 4]; "
        "expected an array of shape (1, 2), [2, 4] (shape (1, 2))"
    )


def test_an_error_reading_a_returned_value_is_a_failed_case_not_a_crash(verdict):
    with verdict.case("pair", [1.0]) as case:
        _first, _second = case.call()  # a pair was expected: three values come back
    assert case.failure_kind == "wrong"
    assert case.failure.startswith("pair(x=[1]) returned a list of shape (3,): [1, 2, 3]")
    assert verdict.cases == [case]


def test_an_error_before_any_answer_is_the_checks_own_and_propagates(verdict):
    with pytest.raises(ZeroDivisionError), verdict.case("f", [1.0]):
        1 / 0  # noqa: B018 - a bug in a check, before it calls the student
    assert verdict.cases == []


def test_call_again_makes_the_new_inputs_the_cases(verdict):
    with verdict.case("f", [1.0]) as case:
        case.call()
        case.expect_close(case.call_again([3.0, 4.0]), [6.0, 9.0])
    assert case.args == ([3.0, 4.0],)
    assert case.failure == "f(x=[3, 4]) returned [6, 8]; expected [6, 9]"

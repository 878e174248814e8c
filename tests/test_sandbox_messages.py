"""What the grader accepts from a worker (autograder.sandbox.messages) and how it cleans text.

Messages are built here as a hostile worker could send them, passed through real JSON text
where it matters (NaN), and every expectation follows from the rules in the module docstrings:
exact fields, types, bounds, cleaning, and mutation decided from the values sent and returned.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from autograder.sandbox import messages, protocol
from autograder.sandbox.protocol import ProtocolError, ValueTooLarge, encode, pack_text
from autograder.sandbox.text import clean_text

OUTPUT_CHARS = 100


def wire(data):
    """``data`` as the grader's receive() gives it back: through JSON text."""
    return json.loads(json.dumps(data, allow_nan=True))


# -- text --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("plain ŷ − y ✓ 日本", "plain ŷ − y ✓ 日本"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("\x1b[2J\x1b[Hcleared", "␛[2J␛[Hcleared"),
        ("\x1b]0;title\x07", "␛]0;title␇"),
        ("score 0\rscore 20", "score 0␍score 20"),
        ("windows\r\nline", "windows\nline"),
        ("nul\x00del\x7f", "nul␀del␡"),
        ("c1 \x9b31m \x85", "c1 \ufffd31m \ufffd"),
        ("lone \ud800 and \udfff", "lone \ufffd and \ufffd"),
    ],
    ids=["plain", "tab-newline", "csi", "osc", "cr", "crlf", "nul-del", "c1", "surrogates"],
)
def test_clean_text_replaces_what_breaks_files_or_terminals(text, expected):
    assert clean_text(text) == expected
    expected.encode("utf-8")


def test_clean_text_cuts_before_it_scans():
    assert clean_text("\x1b" * 10 + "x" * 10_000_000, 12) == "␛" * 10 + "xx"


def test_clean_text_reads_a_str_subclass_as_plain_text():
    class Lying(str):
        def __str__(self):
            return "\x1b[2J"

    cleaned = clean_text(Lying("honest"))
    assert cleaned == "honest" and type(cleaned) is str


# -- ready and loaded ----------------------------------------------------------------------------


def test_ready_keeps_a_clean_isolation_record():
    message = {
        "op": "ready",
        "isolation": {"level": "full", "mechanisms": ["seccomp\x1b[2J"], "missing": []},
    }
    assert messages.parse_ready(message) == {
        "level": "full",
        "mechanisms": ["seccomp␛[2J"],
        "missing": [],
    }


@pytest.mark.parametrize(
    "isolation",
    [
        {"level": "total", "mechanisms": [], "missing": []},
        {"level": "full", "mechanisms": "all", "missing": []},
        {"level": "full", "mechanisms": [1], "missing": []},
        {"level": "full", "mechanisms": []},
        {"level": "full", "mechanisms": [], "missing": [], "score": 100},
        ["full"],
    ],
    ids=["level", "not-a-list", "not-strings", "missing-field", "extra-field", "not-a-dict"],
)
def test_a_malformed_ready_is_refused(isolation):
    with pytest.raises(ProtocolError):
        messages.parse_ready({"op": "ready", "isolation": isolation})


def loaded(**fields):
    message = {"op": "loaded", "functions": ["mse"], "errors": [], "output": pack_text("")}
    message.update(fields)
    return message


def test_refused_keeps_a_clean_bounded_sentence():
    reason = "could not change to uid 65534\x1b[2J" + "x" * 1000
    sentence = messages.parse_refused({"op": "refused", "reason": reason})
    assert sentence.startswith("could not change to uid 65534␛[2J")
    assert len(sentence) <= messages.MAX_ISOLATION_CHARS + 1
    for message in ({"op": "refused"}, {"op": "refused", "reason": 3}, {"op": "ready"}):
        with pytest.raises(ProtocolError):
            messages.parse_refused(message)


def test_loaded_keeps_public_identifiers_only():
    names = ["mse", "_private", "\x1b[2Jevil", "a b", "x" * 101, 7, "mae", "ŷ"]
    report = messages.parse_loaded(loaded(functions=names), OUTPUT_CHARS)
    assert report.functions == ("mse", "mae")


def test_loaded_bounds_errors_and_output():
    error = {"kind": "exception", "type": "ValueError", "message": "m" * 5000, "line": 3}
    report = messages.parse_loaded(
        loaded(errors=[error] * 500, output=pack_text("é" * 1000)), OUTPUT_CHARS
    )
    assert len(report.errors) == messages.MAX_ERRORS
    assert len(report.errors[0]["message"]) == messages.ERROR_FIELDS["message"][1]
    assert report.output == "é" * OUTPUT_CHARS


@pytest.mark.parametrize(
    "fields",
    [
        {"functions": "mse"},
        {"errors": {"type": "x"}},
        {"errors": [{"type": "x", "score": 100}]},
        {"errors": [{"line": "12"}]},
        {"errors": [{"line": True}]},
        {"errors": [{"message": ["a"]}]},
        {"output": "plain text, not base64!"},
        {"output": 5},
        {"extra": 1},
    ],
    ids=repr,
)
def test_a_malformed_loaded_is_refused(fields):
    with pytest.raises(ProtocolError):
        messages.parse_loaded(loaded(**fields), OUTPUT_CHARS)


# -- results -----------------------------------------------------------------------------------


def result(**fields):
    message = {
        "op": "result",
        "ok": True,
        "value": encode(1.5),
        "after": [encode(np.zeros(2))],
        "output": pack_text("printed\x1b[0m"),
    }
    message.update(fields)
    return message


def test_a_result_keeps_its_value_encoded_and_its_output_cleaned():
    parsed = messages.parse_result(result(), OUTPUT_CHARS)
    assert parsed.ok and parsed.value == 1.5 and parsed.output == "printed␛[0m"


def test_a_failed_result_keeps_a_clean_error():
    error = {"kind": "exception", "type": "\x1b[31mEvil", "message": "bad \ud800", "line": None}
    message = {"op": "result", "ok": False, "error": error, "output": pack_text("")}
    parsed = messages.parse_result(message, OUTPUT_CHARS)
    assert not parsed.ok
    assert parsed.error == {
        "kind": "exception",
        "type": "␛[31mEvil",
        "message": "bad \ufffd",
        "line": None,
    }


@pytest.mark.parametrize(
    "fields",
    [
        {"ok": "yes"},
        {"ok": 1},
        {"after": "none"},
        {"mutated": []},
        {"error": {}},
        {"output": None},
    ],
    ids=repr,
)
def test_a_malformed_result_is_refused(fields):
    with pytest.raises(ProtocolError):
        messages.parse_result(result(**fields), OUTPUT_CHARS)


# -- stand-in requests --------------------------------------------------------------------------


def standin(**fields):
    message = {"op": "standin", "fn": "predict", "args": [encode([1.0, 2.0])], "kwargs": {}}
    message.update(fields)
    return message


def test_a_standin_request_is_decoded_within_one_bound_for_all_arguments():
    message = standin(
        args=[encode(np.zeros(400)), encode(np.zeros(400))], kwargs={"x": encode(np.zeros(200))}
    )
    request = messages.parse_standin(wire(message), 1000)
    assert (
        request.fn == "predict" and len(request.args) == 2 and request.kwargs["x"].shape == (200,)
    )
    with pytest.raises(ValueTooLarge):
        messages.parse_standin(wire(message), 999)


def test_a_standin_request_for_a_shape_costs_almost_nothing_to_decode():
    """The bound on arguments cannot see that (16000, 16000) is a shape: memguard does."""
    request = messages.parse_standin(wire(standin(args=[16000, 16000, 0])), 10)
    assert request.args == [16000, 16000, 0]


@pytest.mark.parametrize(
    "fields",
    [
        {"fn": ["predict"]},
        {"fn": ""},
        {"fn": "x" * 1000},
        {"args": {"0": 1}},
        {"kwargs": {"not an identifier": 1}},
        {"kwargs": [1]},
        {"score": 100},
    ],
    ids=repr,
)
def test_a_malformed_standin_request_is_refused(fields):
    with pytest.raises(ProtocolError):
        messages.parse_standin(standin(**fields), 1000)


# -- mutation ------------------------------------------------------------------------------------


def sent_and_back(before, after):
    """The grader's encoding of ``before`` and, through JSON, the worker's of ``after``."""
    return [encode(v) for v in before], wire([encode(v) for v in after])


def test_untouched_arguments_are_not_mutated_even_holding_nan():
    values = [np.array([np.nan, 1.0, -0.0]), [math.nan, 2.0], {"k": math.nan}, "mse", 3, None]
    sent, back = sent_and_back(values, values)
    assert messages.mutated_positions(sent, back) == ()


def test_nan_stays_nan_whatever_its_bits_and_zero_whatever_its_sign():
    quiet = np.array([np.nan, 0.0])
    other_nan = np.frombuffer(np.array([0x7FF8000000000001], dtype="<u8").tobytes(), "<f8")
    changed = np.array([other_nan[0], -0.0])
    sent, back = sent_and_back([quiet], [changed])
    assert back[0]["__ndarray__"][1] != sent[0]["__ndarray__"][1]  # other bits on the wire
    assert messages.mutated_positions(sent, back) == ()


@pytest.mark.parametrize(
    "before, after",
    [
        (np.array([1.0, 2.0]), np.array([1.0, 2.5])),
        (np.array([1.0, 2.0]), np.array([[1.0, 2.0]])),
        (np.array([np.nan]), np.array([0.0])),
        ([1.0, 2.0], [1.0, 2.0, 3.0]),
        ([1.0, 2.0], (1.0, 2.0)),
        ({"a": 1.0}, {"a": 1.0, "b": 2.0}),
        ([math.nan], [1.0]),
        (1, 1.0),
    ],
    ids=["value", "shape", "nan-replaced", "grown", "type", "key-added", "nan-in-list", "int"],
)
def test_a_changed_argument_is_mutated(before, after):
    sent, back = sent_and_back([0.0, before], [0.0, after])
    assert messages.mutated_positions(sent, back) == (1,)


@pytest.mark.parametrize(
    "back",
    [
        None,
        {"__ndarray__": [[2], "not base64!!"], "type": "ndarray"},
        {"__ndarray__": [[2], "AAAAAAAAAAAAAAAAAAAAAA=="], "type": "ndarray", "x": 1},
        {"__ndarray__": [[10**12], "AAAA"], "type": "ndarray"},
        {"__unencodable__": "too large to send back"},
        {"__seq__": "abc", "type": "list"},
    ],
    ids=["none", "bad-data", "extra-key", "huge-shape", "unencodable", "bad-seq"],
)
def test_anything_malformed_in_place_of_an_argument_counts_as_mutated(back):
    sent = [encode(np.array([1.0, 2.0]))]
    assert messages.mutated_positions(sent, [back]) == (0,)


def test_after_must_hold_one_value_per_argument():
    sent, back = sent_and_back([1.0, 2.0], [1.0])
    with pytest.raises(ProtocolError):
        messages.mutated_positions(sent, back)


def test_comparing_costs_at_most_the_size_of_what_was_sent():
    """A worker cannot make the comparison decode more than the grader sent."""
    sent = [encode(np.zeros(3))]
    huge = {"__ndarray__": [[protocol.MAX_VALUE_ELEMENTS * 100], "A" * 16], "type": "ndarray"}
    assert messages.mutated_positions(sent, [huge]) == (0,)

"""What the grader accepts from a worker: every message checked field by field before use.

A worker runs student code, so each message it sends is hostile data. The functions here take
a message as :func:`autograder.sandbox.protocol.receive` returned it (a dict with a string
``op``) and either return a small record of plain, bounded, cleaned values, or raise
:class:`~autograder.sandbox.protocol.ProtocolError`. A message must have exactly the keys its
``op`` names (none missing, none extra), each of the type stated; strings are cut to a bound and
cleaned (:func:`~autograder.sandbox.text.clean_text`); lists are cut to a bound. The messages, as
a worker sends them::

    {"op": "ready", "isolation": {"level": str, "mechanisms": [str], "missing": [str]}}
    {"op": "refused", "reason": str}   (instead of ready: the worker could not be confined)
    {"op": "loaded", "functions": [str], "errors": [error], "output": packed text}
    {"op": "result", "ok": true, "value": v, "after": [v, ...], "output": packed text}
    {"op": "result", "ok": false, "error": error, "output": packed text}
    {"op": "standin", "fn": str, "args": [v, ...], "kwargs": {str: v}}

where ``v`` is an encoded value (:mod:`autograder.sandbox.protocol`), ``packed text`` is
:func:`~autograder.sandbox.protocol.pack_text`'s base64, and ``error`` a dict with some of the
keys of :data:`ERROR_FIELDS`.

Mutation is decided here too, in the grader: :func:`mutated_positions` compares the arguments
the grader sent with the worker's encoding of them after the call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.sandbox import protocol
from autograder.sandbox.protocol import ProtocolError
from autograder.sandbox.text import clean_text

MAX_FUNCTIONS = 5000
MAX_NAME_CHARS = 100
MAX_ERRORS = 20
MAX_ISOLATION_ITEMS = 50
MAX_ISOLATION_CHARS = 500
ISOLATION_LEVELS = ("full", "partial", "none")

# Each field of an error description: its type, and how many characters of it are kept.
ERROR_FIELDS: dict[str, tuple[type, int]] = {
    "kind": (str, 40),
    "type": (str, 100),
    "message": (str, 2000),
    "where": (str, 100),
    "file": (str, 300),
    "line": (int, 0),
    "traceback": (str, 2000),
    "hint": (str, 300),
    "text": (str, 200),
}


@dataclass(frozen=True)
class Loaded:
    """A worker's answer to ``load``: public callables it found, errors, what the code printed."""

    functions: tuple[str, ...]
    errors: tuple[dict, ...]
    output: str


@dataclass(frozen=True)
class Result:
    """A worker's answer to ``call``; ``value`` and ``after`` are still encoded (not decoded)."""

    ok: bool
    value: Any
    after: list
    error: dict
    output: str


@dataclass(frozen=True)
class StandinRequest:
    """A worker's request to compute ``fn`` with the reference, arguments decoded."""

    fn: str
    args: list
    kwargs: dict


def parse_ready(message: dict) -> dict:
    """The isolation record of a ``ready`` message (sent before any student code ran)."""
    _expect(message, "ready", {"op", "isolation"})
    isolation = message["isolation"]
    _keys(isolation, {"level", "mechanisms", "missing"}, "isolation")
    level = isolation["level"]
    if level not in ISOLATION_LEVELS:
        raise ProtocolError("unknown isolation level")
    return {
        "level": level,
        "mechanisms": _strings(isolation["mechanisms"], MAX_ISOLATION_ITEMS, MAX_ISOLATION_CHARS),
        "missing": _strings(isolation["missing"], MAX_ISOLATION_ITEMS, MAX_ISOLATION_CHARS),
    }


def parse_refused(message: dict) -> str:
    """The sentence of a ``refused`` message (sent instead of ``ready``, before any student code
    ran): why the worker will run none."""
    _expect(message, "refused", {"op", "reason"})
    if type(message["reason"]) is not str:
        raise ProtocolError("reason must be a string")
    return clean_text(message["reason"], MAX_ISOLATION_CHARS)


def parse_loaded(message: dict, output_chars: int) -> Loaded:
    """A ``loaded`` message; function names that are not public identifiers are dropped."""
    _expect(message, "loaded", {"op", "functions", "errors", "output"})
    names = _list(message["functions"], "functions")
    functions = tuple(
        name
        for name in names[:MAX_FUNCTIONS]
        if type(name) is str
        and len(name) <= MAX_NAME_CHARS
        and name.isidentifier()
        and name.isascii()
        and not name.startswith("_")
    )
    errors = tuple(parse_error(e) for e in _list(message["errors"], "errors")[:MAX_ERRORS])
    return Loaded(functions, errors, protocol.unpack_text(message["output"], output_chars))


def parse_result(message: dict, output_chars: int) -> Result:
    """A ``result`` message: ``ok`` and ``value``/``after`` or ``error``, and the output."""
    ok = message.get("ok")
    if ok is True:
        _expect(message, "result", {"op", "ok", "value", "after", "output"})
        after = _list(message["after"], "after")
        return Result(True, message["value"], after, {}, _output(message, output_chars))
    if ok is False:
        _expect(message, "result", {"op", "ok", "error", "output"})
        error = parse_error(message["error"])
        return Result(False, None, [], error, _output(message, output_chars))
    raise ProtocolError("a result's 'ok' must be true or false")


def parse_standin(message: dict, max_elements: int) -> StandinRequest:
    """A ``standin`` request, its arguments decoded with ``max_elements`` for all of them.

    Raises:
        ValueTooLarge: the arguments hold more than ``max_elements`` numbers and items.
        ProtocolError: the request is malformed.
    """
    _expect(message, "standin", {"op", "fn", "args", "kwargs"})
    fn = message["fn"]
    if type(fn) is not str or not fn or len(fn) > 2 * MAX_NAME_CHARS:
        raise ProtocolError("a stand-in's name must be a short string")
    args = _list(message["args"], "args")
    kwargs = message["kwargs"]
    if type(kwargs) is not dict or not all(
        type(k) is str and k.isidentifier() and len(k) <= MAX_NAME_CHARS for k in kwargs
    ):
        raise ProtocolError("a stand-in's keyword arguments must be named by identifiers")
    # One budget for every argument: the bound is on the whole call.
    decoded = protocol.decode_all([*args, *kwargs.values()], max_elements)
    return StandinRequest(
        clean_text(fn), decoded[: len(args)], dict(zip(kwargs, decoded[len(args) :], strict=True))
    )


def parse_error(error: Any) -> dict:
    """An error description with only known fields, each of its type, cut and cleaned."""
    if type(error) is not dict:
        raise ProtocolError("an error must be an object")
    clean: dict[str, Any] = {}
    for key, value in error.items():
        if key not in ERROR_FIELDS:
            raise ProtocolError("an error has an unknown field")
        kind, limit = ERROR_FIELDS[key]
        if value is None:
            clean[key] = None
        elif kind is int and type(value) is int and 0 <= value < 10**9:
            clean[key] = value
        elif kind is str and type(value) is str:
            clean[key] = clean_text(value, limit)
        else:
            raise ProtocolError(f"an error's {key} has the wrong type")
    return clean


def mutated_positions(sent: list, after: list) -> tuple[int, ...]:
    """Positions of the arguments whose value after the call differs from what was sent.

    ``sent`` is the grader's own encoding of the positional arguments; ``after`` is the
    worker's encoding of the same objects after the student function returned. Two values
    are the same when they have the same structure and container types and equal numbers,
    NaN equal to NaN (and -0.0 to 0.0): an argument that went in holding NaN and came back
    holding NaN is untouched. Anything in ``after`` that is malformed, too large or of
    another shape counts as mutated; the work is bounded by the size of ``sent``.

    What this cannot catch: the worker encodes ``after`` itself, with an encoder it built before
    any student code ran (:func:`autograder.sandbox.protocol.make_encoder`), so replacing
    ``json.dumps``, ``protocol.encode`` or numpy functions changes nothing. A worker that lies
    on purpose (rewrites the worker's memory with ctypes, finds that encoder or the worker's
    list of argument objects through ``gc`` and swaps them, or restores its inputs before
    returning) can still report untouched arguments. That only hides its own in-place update
    from this check; the values it returns are checked against the reference all the same.

    Raises:
        ProtocolError: ``after`` does not hold one value per sent argument.
    """
    if len(after) != len(sent):
        raise ProtocolError("'after' must hold one value per argument")
    return tuple(i for i, (s, a) in enumerate(zip(sent, after, strict=True)) if not _same(s, a))


def _same(sent: Any, back: Any, depth: int = 0) -> bool:
    try:
        return _same_value(sent, back, depth)
    except Exception:  # anything malformed on the worker's side: not the value that was sent
        return False


def _same_value(sent: Any, back: Any, depth: int) -> bool:
    if depth > protocol.MAX_DEPTH + 1:
        return False
    kind = type(sent)
    if sent is None or kind in (bool, int, str):
        return type(back) is kind and back == sent
    if kind is float:
        return type(back) is float and (back == sent or (math.isnan(back) and math.isnan(sent)))
    if kind is not dict or type(back) is not dict or back.keys() != sent.keys():
        return False
    if "__ndarray__" in sent:
        return back.get("type") == sent.get("type") and _same_array(
            sent["__ndarray__"], back["__ndarray__"]
        )
    if "__seq__" in sent:
        items, back_items = sent["__seq__"], back["__seq__"]
        return (
            back.get("type") == sent.get("type")
            and type(back_items) is list
            and len(back_items) == len(items)
            and all(_same_value(s, b, depth + 1) for s, b in zip(items, back_items, strict=True))
        )
    if "__map__" in sent:
        mapping, back_mapping = sent["__map__"], back["__map__"]
        return (
            type(back_mapping) is dict
            and back_mapping.keys() == mapping.keys()
            and all(_same_value(v, back_mapping[k], depth + 1) for k, v in mapping.items())
        )
    return back == sent  # an unencodable marker


def _same_array(sent: list, back: Any) -> bool:
    if protocol.array_shape(back) != tuple(sent[0]):
        return False
    if back[1] == sent[1]:
        return True
    # Same shape, other bits: compare values (NaN payloads and the sign of zero may differ).
    count = math.prod(sent[0])
    original = protocol.decode({"__ndarray__": sent}, count)
    returned = protocol.decode({"__ndarray__": back}, count)
    return bool(np.array_equal(original, returned, equal_nan=True))


def _expect(message: dict, op: str, keys: set[str]) -> None:
    if message.get("op") != op:
        raise ProtocolError(f"expected a {op!r} message")
    _keys(message, keys, op)


def _keys(value: Any, keys: set[str], what: str) -> None:
    if type(value) is not dict or value.keys() != keys:
        raise ProtocolError(f"a {what} message must have exactly the fields {sorted(keys)}")


def _list(value: Any, what: str) -> list:
    if type(value) is not list:
        raise ProtocolError(f"{what} must be a list")
    return value


def _strings(value: Any, count: int, chars: int) -> list[str]:
    items = _list(value, "isolation")[:count]
    if not all(type(item) is str for item in items):
        raise ProtocolError("expected a list of strings")
    return [clean_text(item, chars) for item in items]


def _output(message: dict, output_chars: int) -> str:
    return protocol.unpack_text(message["output"], output_chars)

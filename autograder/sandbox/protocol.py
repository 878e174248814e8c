"""The wire format between the trusted grader and a sandboxed worker.

Messages are JSON objects framed by a 4-byte big-endian length. Nothing is
ever unpickled: the trusted side only ever builds plain Python numbers,
strings, lists, dicts and float64 arrays from what a worker sends.

Values are encoded so that the trusted side can rebuild them exactly:

* ``None``, ``bool``, ``int``, ``float`` and ``str`` travel as themselves
  (non-finite floats as the JSON extensions ``NaN`` / ``Infinity``).
* A numpy array travels as ``{"__ndarray__": [shape, data], "type": name}`` where ``data`` is
  the base64 text of its elements as little-endian float64, in C order (one JSON string, not a
  list of numbers: a million elements cost one Python object to parse, not a million).
* Lists and tuples travel as ``{"__seq__": [items], "type": "list" | "tuple" | ...}``.
* Dicts with string keys travel as ``{"__map__": {key: value}, "type": name}``.

The ``type`` field records the Python type the value had on the sending side
(e.g. ``"list"`` when a student returned a list instead of an array); the
receiving side never trusts it for anything but feedback.

Bounds, so that a hostile worker cannot make the grader build more than a few tens of MiB
from one message: a frame holds at most :data:`MAX_MESSAGE_BYTES` of ASCII (``json.dumps``
escapes everything else, so an honest peer never sends a non-ASCII byte, and ASCII text
decodes to one byte a character) and at most :data:`MAX_MESSAGE_TOKENS` of ``[``, ``{`` and
``,``, which bounds the number of objects ``json.loads`` can make (free text, a worker's output,
travels as base64 so that its commas do not count: :func:`pack_text`); a decoded
value holds at most ``max_elements`` numbers and container items (:data:`MAX_VALUE_ELEMENTS` on
the trusted side). Every string a decoded value holds is passed through
:func:`autograder.sandbox.text.clean_text`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.sandbox.text import clean_text

HEADER = struct.Struct(">I")
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
MAX_MESSAGE_TOKENS = 300_000
MAX_VALUE_ELEMENTS = 1_000_000
MAX_DEPTH = 16
MAX_ARRAY_DIMENSIONS = 32
MAX_DIMENSION = 2**31  # numpy's own bound on one dimension is larger; no real value nears it
MAX_TYPE_NAME_CHARS = 80
MAX_STRING_CHARS = 10_000  # of each string in a decoded value (the rest is cut)
_FLOAT64 = np.dtype("<f8")


class ProtocolError(Exception):
    """The peer sent something that is not a well-formed message."""


class MessageTooLarge(ProtocolError):
    """A message is over :data:`MAX_MESSAGE_BYTES` or :data:`MAX_MESSAGE_TOKENS`."""


class ValueTooLarge(ProtocolError):
    """A well-formed value holds more numbers than the receiver accepts."""


class PeerTimeout(Exception):
    """No complete message arrived before the deadline."""


class PeerClosed(Exception):
    """The peer closed the connection (usually: the worker died)."""


def make_encoder() -> Callable[[Any], Any]:
    """A function like :func:`encode` whose helpers are all bound now.

    numpy's functions and types, base64 and the builtins it uses are looked up once, here, and
    kept in the closure: code that later replaces ``numpy.asarray``, ``builtins.isinstance``,
    ``json.dumps`` or this module's attributes does not change what the returned function
    produces. (A worker builds its encoders before any student code runs.)
    """
    asarray, ndarray, generic = np.asarray, np.ndarray, np.generic
    tobytes, b64encode = np.ndarray.tobytes, base64.b64encode
    float64, complex_kind = _FLOAT64, "c"
    real_float, real_int = float.__float__, int.__int__
    type_of, is_instance, absolute, to_list = type, isinstance, abs, list
    str_type, int_type, float_type, bool_type = str, int, float, bool
    list_type, tuple_type, dict_type, complex_type = list, tuple, dict, complex
    plain = (bool_type, str_type)
    sequences = (list_type, tuple_type)
    max_depth, exact_int = MAX_DEPTH, 2**53

    def type_name(value: Any) -> str:
        try:
            return str_type.__str__(type_of(value).__name__)[:MAX_TYPE_NAME_CHARS]
        except Exception:
            return "object"

    def array(value: Any, name: str) -> Any:
        if value.dtype.kind == complex_kind:
            return {"__unencodable__": f"{name} of complex numbers"}
        try:
            floats = asarray(value, dtype=float64)
        except Exception:
            return {"__unencodable__": f"{name} of {value.dtype}"}
        data = b64encode(tobytes(floats)).decode("ascii")
        return {"__ndarray__": [to_list(floats.shape), data], "type": name}

    def inner(value: Any, depth: int) -> Any:
        if depth >= max_depth:
            return {"__unencodable__": "nested too deeply"}
        kind = type_of(value)
        if value is None or kind in plain:
            return value
        if kind is int_type:
            if absolute(value) < exact_int:
                return value
            try:
                return float_type(value)
            except OverflowError:
                return {"__unencodable__": "int too large for a float"}
        if kind is float_type:
            return value
        if is_instance(value, float_type) and not is_instance(value, generic):
            return real_float(value)  # the subclass's real number, whatever its methods claim
        if is_instance(value, int_type) and not is_instance(value, bool_type):
            return inner(real_int(value), depth)
        if is_instance(value, generic):
            return array(asarray(value), type_name(value))
        if is_instance(value, ndarray):
            return array(value, "ndarray")
        if kind in sequences:
            items = [encode_value(v, depth + 1) for v in value]
            return {"__seq__": items, "type": kind.__name__}
        if kind is dict_type and all(type_of(k) is str_type for k in value):
            items = {k: encode_value(v, depth + 1) for k, v in value.items()}
            return {"__map__": items, "type": "dict"}
        if is_instance(value, complex_type):
            return {"__unencodable__": type_name(value)}
        return array(asarray(value, dtype=float64), type_name(value))

    def encode_value(value: Any, depth: int = 0) -> Any:
        try:
            return inner(value, depth)
        except Exception:
            return {"__unencodable__": type_name(value)}

    return encode_value


encode: Callable[..., Any] = make_encoder()
encode.__doc__ = """Turn ``value`` into JSON-ready data (see the module docstring).

Anything that is not a number, string, sequence, mapping or array is
converted with ``numpy.asarray(value, dtype=float)``. Whatever cannot be
converted, for any reason (a hostile ``__array__``, a complex number, a
value nested too deeply), is sent as ``{"__unencodable__": type name}``:
encoding never raises.
"""


def decode(data: Any, max_elements: int | None = None) -> Any:
    """Rebuild a value from :func:`encode`'s output, validating every piece.

    Arrays come back as float64 ``ndarray``; sequences as ``list`` or ``tuple``; unencodable
    values as :class:`Unencodable`; strings and mapping keys cut to :data:`MAX_STRING_CHARS`
    and cleaned by :func:`~autograder.sandbox.text.clean_text`.

    Parameters:
        data: what :func:`json.loads` made of an encoded value.
        max_elements: the most array elements, scalars and container items the value may hold;
            ``None`` for no bound (only for data from the trusted side).

    Raises:
        ValueTooLarge: the value is well formed but holds more than ``max_elements``.
        ProtocolError: anything else is wrong with it.
    """
    return decode_all([data], max_elements)[0]


def decode_all(items: list, max_elements: int | None = None) -> list:
    """:func:`decode` each of ``items``, with one ``max_elements`` bound for all of them."""
    budget = [math.inf if max_elements is None else max_elements]
    return [_decode(item, 0, budget) for item in items]


def _spend(budget: list, count: int) -> None:
    budget[0] -= count
    if budget[0] < 0:
        raise ValueTooLarge("the value holds more numbers than the grader accepts")


def _decode(data: Any, depth: int, budget: list) -> Any:
    _spend(budget, 1)  # every value counts once, an array once for each element
    if type(data) is dict and "__unencodable__" in data and depth <= MAX_DEPTH + 1:
        name = data["__unencodable__"]
        return Unencodable(clean_text(name, 200) if type(name) is str else "object")
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    kind = type(data)
    if data is None or kind in (bool, int, float):
        return data
    if kind is str:
        return clean_text(data, MAX_STRING_CHARS)
    if kind is dict:
        if "__ndarray__" in data:
            return _decode_array(data["__ndarray__"], budget)
        if "__seq__" in data:
            items = _list(data["__seq__"])
            decoded = [_decode(v, depth + 1, budget) for v in items]
            return tuple(decoded) if data.get("type") == "tuple" else decoded
        if "__map__" in data:
            mapping = data["__map__"]
            if type(mapping) is not dict:
                raise ProtocolError("bad mapping")
            return {
                clean_text(k, MAX_STRING_CHARS): _decode(v, depth + 1, budget)
                for k, v in mapping.items()
            }
    raise ProtocolError(f"unexpected value of type {kind.__name__}")


def array_shape(payload: Any) -> tuple[int, ...]:
    """The shape of an encoded array's ``[shape, data]`` payload, validated (not the data)."""
    if not (type(payload) is list and len(payload) == 2):
        raise ProtocolError("an array must be sent as [shape, data]")
    shape = payload[0]
    if not (
        type(shape) is list
        and len(shape) <= MAX_ARRAY_DIMENSIONS
        and all(type(s) is int and 0 <= s <= MAX_DIMENSION for s in shape)
    ):
        raise ProtocolError("bad array shape")
    return tuple(shape)


def _decode_array(payload: Any, budget: list) -> np.ndarray:
    shape = array_shape(payload)
    count = math.prod(shape)
    _spend(budget, count - 1)  # before anything is allocated (the array counted once already)
    data = payload[1]
    if type(data) is not str or len(data) != 4 * math.ceil(8 * count / 3):
        raise ProtocolError("array data does not match its shape")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("array data is not base64") from None
    if len(raw) != 8 * count:
        raise ProtocolError("array data does not match its shape")
    return np.frombuffer(raw, dtype=_FLOAT64).astype(float).reshape(shape)


def type_name_of(data: Any) -> str:
    """The sender's type name for an encoded value (for feedback only), cleaned."""
    if type(data) is dict:
        name = data.get("type", data.get("__unencodable__", "object"))
        return clean_text(name, MAX_TYPE_NAME_CHARS) if type(name) is str else "object"
    if data is None:
        return "NoneType"
    return type(data).__name__


def _list(value: Any) -> list:
    if type(value) is not list:
        raise ProtocolError("expected a list")
    return value


@dataclass(frozen=True)
class Unencodable:
    """A value the worker could not turn into numbers; ``type_name`` says what it was."""

    type_name: str


# -- framing ------------------------------------------------------------------------------------


def structure_tokens(body: bytes | bytearray) -> int:
    """How many ``[``, ``{`` and ``,`` a JSON text holds, strings included.

    Each value ``json.loads`` builds (a number, string, list or dict) but the first follows one
    of these outside a string, so this bounds the objects the text can become; counting inside
    strings too only errs on the side of refusing. Honest messages keep free text (a worker's
    output) out of this count by sending it as base64 (:func:`pack_text`).
    """
    return body.count(b"[") + body.count(b"{") + body.count(b",")


def pack_text(text: str) -> str:
    """Free text as ASCII without ``[``, ``{`` or ``,``: base64 of its UTF-8 (lone surrogates
    kept, for the receiver to clean)."""
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii")


def unpack_text(data: Any, limit: int) -> str:
    """The text :func:`pack_text` packed, cut to ``limit`` characters and cleaned.

    Raises:
        ProtocolError: ``data`` is not base64 text.
    """
    if type(data) is not str:
        raise ProtocolError("packed text must be a string")
    try:
        # enough base64 for ``limit`` characters of four UTF-8 bytes each, and no more
        raw = base64.b64decode(data[: 4 * ((4 * limit + 2) // 3 + 1)], validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("packed text is not base64") from None
    try:  # a lone surrogate, as pack_text sends it, becomes one character for clean_text
        text = raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:  # a cut character at the end, or bytes no honest worker sends
        text = raw.decode("utf-8", "replace")
    return clean_text(text, limit)


def _check_size(body: bytes | bytearray) -> None:
    if len(body) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(f"message of {len(body)} bytes is over the limit")
    # A body shorter than the token limit cannot hold more tokens: skip the scan.
    if len(body) > MAX_MESSAGE_TOKENS and structure_tokens(body) > MAX_MESSAGE_TOKENS:
        raise MessageTooLarge(f"message has more than {MAX_MESSAGE_TOKENS} items")


def send(sock: socket.socket, message: dict) -> None:
    """Send one framed JSON message.

    Raises:
        MessageTooLarge: the message is over a limit; nothing was sent.
    """
    body = json.dumps(message, allow_nan=True).encode("ascii")
    _check_size(body)
    sock.sendall(HEADER.pack(len(body)) + body)


def receive(sock: socket.socket, deadline: float | None = None) -> dict:
    """Receive one framed JSON message, waiting at most until ``deadline`` (``time.monotonic``).

    Raises:
        PeerTimeout: the deadline passed first.
        PeerClosed: the connection ended first.
        ProtocolError: the frame or its JSON is malformed or over a limit.
    """
    (length,) = HEADER.unpack(_read_exactly(sock, HEADER.size, deadline))
    if length > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(f"peer announced a message of {length} bytes")
    body = _read_exactly(sock, length, deadline)
    if not body.isascii():
        raise ProtocolError("message is not ASCII JSON")
    _check_size(body)
    try:
        message = json.loads(body)
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise ProtocolError(f"message is not JSON: {clean_text(str(error), 200)}") from None
    if type(message) is not dict or type(message.get("op")) is not str:
        raise ProtocolError("message is not an object with an 'op'")
    return message


def _read_exactly(sock: socket.socket, count: int, deadline: float | None) -> bytearray:
    buffer = bytearray(count)
    view = memoryview(buffer)
    received = 0
    while received < count:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PeerTimeout
            sock.settimeout(remaining)
        else:
            sock.settimeout(None)
        try:
            got = sock.recv_into(view[received:], min(count - received, 1 << 20))
        except TimeoutError:
            raise PeerTimeout from None
        except OSError as error:
            raise PeerClosed(str(error)) from None
        if not got:
            raise PeerClosed("connection closed")
        received += got
    view.release()
    return buffer

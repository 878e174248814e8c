"""The wire format between the trusted grader and a sandboxed worker.

Messages are JSON objects framed by a 4-byte big-endian length. Nothing is
ever unpickled: the trusted side only ever builds plain Python numbers,
strings, lists, dicts and float64 arrays from what a worker sends.

Values are encoded so that the trusted side can rebuild them exactly:

* ``None``, ``bool``, ``int``, ``float`` and ``str`` travel as themselves
  (non-finite floats as the JSON extensions ``NaN`` / ``Infinity``).
* A numpy array travels as ``{"__ndarray__": [shape, flat float list], "type": name}``.
* Lists and tuples travel as ``{"__seq__": [items], "type": "list" | "tuple" | ...}``.
* Dicts with string keys travel as ``{"__map__": {key: value}, "type": name}``.

The ``type`` field records the Python type the value had on the sending side
(e.g. ``"list"`` when a student returned a list instead of an array); the
receiving side never trusts it for anything but feedback.
"""

from __future__ import annotations

import json
import math
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

HEADER = struct.Struct(">I")
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 16


class ProtocolError(Exception):
    """The peer sent something that is not a well-formed message."""


class PeerTimeout(Exception):
    """No complete message arrived before the deadline."""


class PeerClosed(Exception):
    """The peer closed the connection (usually: the worker died)."""


MAX_ARRAY_DIMENSIONS = 32
MAX_ARRAY_ELEMENTS = 50_000_000


def encode(value: Any, depth: int = 0) -> Any:
    """Turn ``value`` into JSON-ready data (see the module docstring).

    Anything that is not a number, string, sequence, mapping or array is
    converted with ``numpy.asarray(value, dtype=float)``. Whatever cannot be
    converted, for any reason (a hostile ``__array__``, a complex number, a
    value nested too deeply), is sent as ``{"__unencodable__": type name}``:
    encoding never raises.
    """
    try:
        return _encode(value, depth)
    except Exception:
        return {"__unencodable__": _type_name(value)}


def _encode(value: Any, depth: int) -> Any:
    if depth >= MAX_DEPTH:
        return {"__unencodable__": "nested too deeply"}
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is int:
        return value if abs(value) < 2**53 else _finite_or_unencodable(value)
    if type(value) is float:
        return value
    if isinstance(value, float) and not isinstance(value, np.generic):
        return float.__float__(value)  # the subclass's real number, whatever its methods claim
    if isinstance(value, int) and not isinstance(value, bool):
        return _encode(int.__int__(value), depth)
    if isinstance(value, np.generic):
        return _encode_array(np.asarray(value), type(value).__name__)
    if isinstance(value, np.ndarray):
        return _encode_array(value, "ndarray")
    if type(value) in (list, tuple):
        return {"__seq__": [encode(v, depth + 1) for v in value], "type": type(value).__name__}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"__map__": {k: encode(v, depth + 1) for k, v in value.items()}, "type": "dict"}
    if isinstance(value, complex):
        return {"__unencodable__": _type_name(value)}
    return _encode_array(np.asarray(value, dtype=float), _type_name(value))


def _finite_or_unencodable(number: int) -> Any:
    try:
        return float(number)
    except OverflowError:
        return {"__unencodable__": "int too large for a float"}


def _type_name(value: Any) -> str:
    try:
        return str(type(value).__name__)[:80]
    except Exception:
        return "object"


def _encode_array(array: np.ndarray, type_name: str) -> Any:
    if array.dtype.kind == "c":
        return {"__unencodable__": f"{type_name} of complex numbers"}
    try:
        floats = np.asarray(array, dtype=float)
    except Exception:
        return {"__unencodable__": f"{type_name} of {array.dtype}"}
    return {"__ndarray__": [list(floats.shape), floats.ravel().tolist()], "type": type_name}


def decode(data: Any, depth: int = 0) -> Any:
    """Rebuild a value from :func:`encode`'s output, validating every piece.

    Arrays come back as float64 ``ndarray``; sequences as ``list`` or
    ``tuple``; unencodable values as :class:`Unencodable`. Anything else
    raises :class:`ProtocolError`.
    """
    if isinstance(data, dict) and "__unencodable__" in data and depth <= MAX_DEPTH + 1:
        return Unencodable(str(data["__unencodable__"])[:200])
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if isinstance(data, dict):
        if "__ndarray__" in data:
            return _decode_array(data["__ndarray__"])
        if "__seq__" in data:
            items = [decode(v, depth + 1) for v in _list(data["__seq__"])]
            return tuple(items) if data.get("type") == "tuple" else items
        if "__map__" in data:
            mapping = data["__map__"]
            if not isinstance(mapping, dict):
                raise ProtocolError("bad mapping")
            return {str(k): decode(v, depth + 1) for k, v in mapping.items()}
    raise ProtocolError(f"unexpected value of type {type(data).__name__}")


def _decode_array(payload: Any) -> np.ndarray:
    if not (isinstance(payload, list) and len(payload) == 2):
        raise ProtocolError("an array must be sent as [shape, data]")
    shape, flat = payload
    if not (
        isinstance(shape, list)
        and len(shape) <= MAX_ARRAY_DIMENSIONS
        and all(type(s) is int and 0 <= s <= MAX_ARRAY_ELEMENTS for s in shape)
    ):
        raise ProtocolError("bad array shape")
    if not isinstance(flat, list) or math.prod(shape) != len(flat):
        raise ProtocolError("array data does not match its shape")
    if not all(type(v) in (int, float) for v in flat):
        raise ProtocolError("array data is not numeric")
    try:
        return np.array(flat, dtype=float).reshape(shape)
    except (ValueError, TypeError, OverflowError) as error:
        raise ProtocolError(f"array data cannot be rebuilt: {error}") from None


def type_name_of(data: Any) -> str:
    """The sender's type name for an encoded value (for feedback only)."""
    if isinstance(data, dict):
        return str(data.get("type", data.get("__unencodable__", "object")))[:80]
    if data is None:
        return "NoneType"
    return type(data).__name__


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise ProtocolError("expected a list")
    return value


@dataclass(frozen=True)
class Unencodable:
    """A value the worker could not turn into numbers; ``type_name`` says what it was."""

    type_name: str


def send(sock: socket.socket, message: dict) -> None:
    """Send one framed JSON message."""
    body = json.dumps(message, allow_nan=True).encode()
    if len(body) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(body)} bytes is over the limit")
    sock.sendall(HEADER.pack(len(body)) + body)


def receive(sock: socket.socket, deadline: float | None = None) -> dict:
    """Receive one framed JSON message, waiting at most until ``deadline`` (``time.monotonic``)."""
    (length,) = HEADER.unpack(_read_exactly(sock, HEADER.size, deadline))
    if length > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"peer announced a message of {length} bytes")
    try:
        message = json.loads(_read_exactly(sock, length, deadline))
    except (
        UnicodeDecodeError,
        ValueError,
        RecursionError,
    ) as error:  # JSONDecodeError is a ValueError
        raise ProtocolError(f"message is not JSON: {str(error)[:200]}") from None
    if not isinstance(message, dict) or not isinstance(message.get("op"), str):
        raise ProtocolError("message is not an object with an 'op'")
    return message


def _read_exactly(sock: socket.socket, count: int, deadline: float | None) -> bytes:
    chunks = bytearray()
    while len(chunks) < count:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PeerTimeout
            sock.settimeout(remaining)
        else:
            sock.settimeout(None)
        try:
            chunk = sock.recv(min(count - len(chunks), 1 << 20))
        except TimeoutError:
            raise PeerTimeout from None
        except OSError as error:
            raise PeerClosed(str(error)) from None
        if not chunk:
            raise PeerClosed("connection closed")
        chunks += chunk
    return bytes(chunks)

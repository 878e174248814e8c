"""The grader/worker wire format: values survive the trip, malformed data and frames are refused.

Values are sent through real JSON text (``json.dumps``/``json.loads``, as on the wire) or a
real socket pair. Expected values are the inputs themselves, numpy's own conversions, and
the framing rule in the module docstring (4-byte big-endian length, then JSON).
"""

from __future__ import annotations

import base64
import json
import math
import socket
import struct
import threading
import time
import warnings

import numpy as np
import pytest

from autograder.sandbox import protocol
from autograder.sandbox.protocol import (
    MAX_DEPTH,
    MAX_MESSAGE_BYTES,
    PeerClosed,
    PeerTimeout,
    ProtocolError,
    Unencodable,
    decode,
    encode,
    receive,
    send,
    type_name_of,
)


def over_the_wire(value):
    """``value`` encoded, written as JSON text, read back and decoded: what the peer gets."""
    text = json.dumps(encode(value), allow_nan=True)
    return decode(json.loads(text))


def sent_type_name(value) -> str:
    return type_name_of(json.loads(json.dumps(encode(value), allow_nan=True)))


@pytest.fixture
def pair():
    left, right = socket.socketpair()
    yield left, right
    left.close()
    right.close()


def frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


# -- round trips ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, -7, 2**53 - 1, 1.5, -0.0, 1e-300, 1e300, "", "ŷ − y ✓", "a\nb\tc"],
    ids=repr,
)
def test_plain_values_travel_as_themselves(value):
    back = over_the_wire(value)
    assert type(back) is type(value)
    assert back == value
    assert sent_type_name(value) == type(value).__name__
    if isinstance(value, float):
        assert math.copysign(1.0, back) == math.copysign(1.0, value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=repr)
def test_non_finite_floats_travel(value):
    back = over_the_wire(value)
    assert type(back) is float
    assert (math.isnan(back) and math.isnan(value)) or back == value


def test_nested_containers_keep_their_types():
    value = [1, (2.5, "a", None), {"k": [True, (3,)], "empty": {}}, [], ()]
    back = over_the_wire(value)
    assert back == value
    assert type(back) is list
    assert type(back[1]) is tuple
    assert type(back[2]) is dict
    assert type(back[2]["k"][1]) is tuple
    assert type(back[3]) is list and type(back[4]) is tuple
    assert sent_type_name(value) == "list"
    assert sent_type_name((1, 2)) == "tuple"
    assert sent_type_name({"a": 1}) == "dict"


@pytest.mark.parametrize(
    "shape", [(), (0,), (1,), (5,), (2, 3), (2, 0, 4), (1, 1, 1), (3, 1, 2, 1)], ids=str
)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "uint8", "bool"])
def test_arrays_come_back_as_float64_of_the_same_shape_and_values(shape, dtype):
    rng = np.random.default_rng(len(shape) * 10 + len(dtype))
    array = np.asarray(rng.normal(size=shape) * 50).astype(dtype)
    assert type(array) is np.ndarray and array.shape == shape
    back = over_the_wire(array)
    assert isinstance(back, np.ndarray)
    assert back.dtype == np.float64
    assert back.shape == shape
    np.testing.assert_array_equal(back, array.astype(np.float64))
    assert sent_type_name(array) == "ndarray"


def test_arrays_keep_nan_inf_and_negative_zero():
    array = np.array([[np.nan, np.inf], [-np.inf, -0.0]])
    back = over_the_wire(array)
    np.testing.assert_array_equal(back, array)  # equal_nan by default for assert_array_equal
    assert np.signbit(back[1, 1])


def test_a_non_contiguous_view_travels_in_its_own_order():
    array = np.arange(12.0).reshape(3, 4).T[::2]  # shape (2, 3), not C-contiguous
    back = over_the_wire(array)
    assert back.shape == (2, 3)
    np.testing.assert_array_equal(back, [[0.0, 4.0, 8.0], [2.0, 6.0, 10.0]])


@pytest.mark.parametrize(
    "scalar, name",
    [
        (np.float32(1.5), "float32"),
        (np.int64(-7), "int64"),
        (np.int8(3), "int8"),
        (np.bool_(True), "bool"),
        (np.float16(0.25), "float16"),
    ],
    ids=repr,
)
def test_numpy_scalars_keep_their_value_and_type_name(scalar, name):
    back = over_the_wire(scalar)
    assert float(np.asarray(back)) == float(scalar)
    assert np.asarray(back).shape == ()
    assert sent_type_name(scalar) == name


def test_a_float64_scalar_keeps_its_type_name():
    assert sent_type_name(np.float64(2.5)) == "float64"


def test_an_array_inside_containers():
    value = {"theta": np.array([1.0, 2.0]), "history": [np.float32(3.0), 4.0]}
    back = over_the_wire(value)
    np.testing.assert_array_equal(back["theta"], [1.0, 2.0])
    assert float(np.asarray(back["history"][0])) == 3.0
    assert back["history"][1] == 4.0


# -- decode refuses malformed data ----------------------------------------------------------------


def b64(*values: float) -> str:
    """Array data as the format says: base64 of little-endian float64, written out here."""
    return base64.b64encode(struct.pack(f"<{len(values)}d", *values)).decode("ascii")


def test_array_data_is_base64_of_little_endian_float64():
    encoded = encode(np.array([[1.5, -2.0], [0.25, 8.0]]))
    assert encoded == {"__ndarray__": [[2, 2], b64(1.5, -2.0, 0.25, 8.0)], "type": "ndarray"}
    back = decode({"__ndarray__": [[3], b64(1.0, -0.0, 1e300)]})
    np.testing.assert_array_equal(back, [1.0, -0.0, 1e300])
    back[0] = 5.0  # a writable array of its own


@pytest.mark.parametrize(
    "data",
    [
        {"__ndarray__": [[-1], ""]},
        {"__ndarray__": [[1.5], b64(1.0)]},
        {"__ndarray__": [["2"], b64(1.0, 2.0)]},
        {"__ndarray__": ["2", b64(1.0, 2.0)]},
        {"__ndarray__": [2, b64(1.0, 2.0)]},
        {"__ndarray__": [None, b64(1.0)]},
    ],
    ids=repr,
)
def test_decode_refuses_a_bad_shape(data):
    with pytest.raises(ProtocolError):
        decode(data)


@pytest.mark.parametrize(
    "data",
    [
        {"__ndarray__": [[2], b64(1.0)]},
        {"__ndarray__": [[2], b64(1.0, 2.0, 3.0)]},
        {"__ndarray__": [[2, 2], b64(1, 2, 3)]},
        {"__ndarray__": [[], ""]},
        {"__ndarray__": [[0], b64(1.0)]},
        {"__ndarray__": [[1], 1.0]},
        {"__ndarray__": [[2], [1.0, 2.0]]},  # numbers as a list: not the format
    ],
    ids=repr,
)
def test_decode_refuses_data_that_does_not_match_the_shape(data):
    with pytest.raises(ProtocolError):
        decode(data)


@pytest.mark.parametrize(
    "text",
    [b64(1.0, 2.0)[:-4] + "!!!!", b64(1.0, 2.0).replace("A", " ", 1), "=" * 24, None, 7],
    ids=["bad-alphabet", "space", "padding-only", "null", "number"],
)
def test_decode_refuses_array_data_that_is_not_base64(text):
    with pytest.raises(ProtocolError):
        decode({"__ndarray__": [[2], text]})


@pytest.mark.parametrize(
    "data",
    [
        {"value": 1},
        {},
        [1, 2],
        {"__seq__": 5},
        {"__seq__": {"a": 1}},
        {"__map__": [1, 2]},
        {"__map__": {"a": object()}},
        {"__seq__": [[1]]},
        object(),
        b"bytes",
        {1, 2},
    ],
    ids=repr,
)
def test_decode_refuses_unknown_objects(data):
    with pytest.raises(ProtocolError):
        decode(data)


def nested_seq(depth: int):
    data = 1.0
    for _ in range(depth):
        data = {"__seq__": [data], "type": "list"}
    return data


def test_decode_refuses_nesting_too_deep():
    decode(nested_seq(MAX_DEPTH))  # the deepest allowed
    with pytest.raises(ProtocolError):
        decode(nested_seq(MAX_DEPTH + 2))
    with pytest.raises(ProtocolError):
        decode(nested_seq(10_000))  # and without hitting Python's own recursion limit


def test_decode_of_unencodable_gives_the_marker_record():
    back = decode({"__unencodable__": "Widget"})
    assert back == Unencodable("Widget")
    assert len(decode({"__unencodable__": "x" * 10_000}).type_name) <= 200


@pytest.mark.parametrize(
    "data",
    [
        {"__ndarray__": 5},
        {"__ndarray__": [[1], [1.0], [2]]},
        {"__ndarray__": [[True], [1.0]]},
        {"__ndarray__": [[0, 10**30], ""]},
        {"__ndarray__": [[10**30], "AAAA"]},
    ],
    ids=["not-a-pair", "three-items", "bool-in-shape", "absurd-shape", "huge-shape-short-data"],
)
def test_decode_refuses_every_malformed_array_with_protocol_error(data):
    with pytest.raises(ProtocolError):
        decode(data)


# -- encode never raises on hostile objects -------------------------------------------------------


class ArrayRaises:
    def __array__(self, *args, **kwargs):
        raise RuntimeError("no array for you")


class FloatRaises:
    def __float__(self):
        raise ValueError("no float for you")


class FloatNotAFloat:
    def __float__(self):
        return "seven"


class EqualsEverything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


class ArrayOfHostiles:
    def __array__(self, *args, **kwargs):
        return np.array([FloatRaises(), FloatRaises()], dtype=object)


class LyingFloat(float):
    """From tests/submissions/hostile/patches_protocol.py: equal to anything."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__


@pytest.mark.parametrize(
    "value, name",
    [
        (ArrayRaises(), "ArrayRaises"),
        (FloatRaises(), "FloatRaises"),
        (FloatNotAFloat(), "FloatNotAFloat"),
        (EqualsEverything(), "EqualsEverything"),
        (ArrayOfHostiles(), "ArrayOfHostiles"),
        (object(), "object"),
        (1 + 2j, "complex"),
        (lambda: 1, "function"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else v,
)
def test_hostile_objects_become_unencodable(value, name):
    encoded = encode(value)
    json.dumps(encoded)  # it can be sent
    back = over_the_wire(value)
    assert isinstance(back, Unencodable)
    assert back.type_name == name


def test_hostile_objects_inside_containers_become_unencodable():
    back = over_the_wire([1.0, ArrayRaises(), {"x": FloatRaises()}])
    assert back[0] == 1.0
    assert isinstance(back[1], Unencodable)
    assert isinstance(back[2]["x"], Unencodable)


def test_an_object_array_with_hostile_elements_becomes_unencodable():
    array = np.array([FloatRaises(), 1.0], dtype=object)
    assert isinstance(over_the_wire(array), Unencodable)


def test_a_lying_float_arrives_as_an_honest_float():
    back = over_the_wire([LyingFloat(-1.0), LyingFloat(7.0)])
    assert [type(v) for v in back] == [float, float]
    assert back != [5.0, 5.0]  # the lie does not survive the trip
    assert back == [-1.0, 7.0]


def test_a_dict_with_non_string_keys_becomes_unencodable():
    back = over_the_wire({1: "a", 2: "b"})
    assert isinstance(back, Unencodable)


def test_a_self_containing_list_is_cut_off_not_followed_forever():
    loop: list = []
    loop.append(loop)
    json.dumps(encode(loop))  # finishes, and can be sent


def test_a_too_deeply_nested_value_arrives_as_unencodable_not_a_protocol_error():
    value = 1.0
    for _ in range(MAX_DEPTH + 5):
        value = [value]
    back = over_the_wire(value)
    while isinstance(back, list):
        back = back[0]
    assert isinstance(back, Unencodable)


class IntAbsRaises(int):
    def __abs__(self):
        raise RuntimeError("no abs for you")


class FloatSubclassRaises(float):
    def __float__(self):
        raise RuntimeError("no float for you")


class ListIterRaises(list):
    def __iter__(self):
        raise RuntimeError("no iteration for you")


class DictItemsRaise(dict):
    def items(self):
        raise RuntimeError("no items for you")


@pytest.mark.parametrize(
    "value",
    [
        IntAbsRaises(3),
        FloatSubclassRaises(2.0),
        ListIterRaises([1.0]),
        DictItemsRaise(a=1.0),
        10**400,
    ],
    ids=["int-subclass", "float-subclass", "list-subclass", "dict-subclass", "huge-int"],
)
def test_encode_never_raises(value):
    json.dumps(encode(value))


@pytest.mark.parametrize(
    "value", [np.array([1 + 2j, 3 - 1j]), np.complex128(1 + 2j)], ids=["array", "scalar"]
)
def test_complex_numpy_values_are_not_silently_made_real(value):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        back = over_the_wire(value)
    assert isinstance(back, Unencodable)


# -- framing over a socket ------------------------------------------------------------------------


def test_send_and_receive_round_trip(pair):
    left, right = pair
    message = {"op": "call", "fn": "mse", "args": [encode(np.array([1.0, math.nan]))], "n": 3}
    send(left, message)
    send(left, {"op": "exit"})
    got = receive(right, time.monotonic() + 5)
    assert got["op"] == "call" and got["fn"] == "mse" and got["n"] == 3
    np.testing.assert_array_equal(decode(got["args"][0]), [1.0, math.nan])
    assert receive(right, time.monotonic() + 5) == {"op": "exit"}  # one message per receive


def test_the_frame_is_a_big_endian_length_then_json(pair):
    left, right = pair
    send(left, {"op": "ping", "text": "ŷ"})
    header = right.recv(4)
    (length,) = struct.unpack(">I", header)
    body = b""
    while len(body) < length:
        body += right.recv(length - len(body))
    assert json.loads(body.decode("utf-8")) == {"op": "ping", "text": "ŷ"}


def test_receive_reads_a_frame_sent_in_pieces(pair):
    left, right = pair
    data = frame(b'{"op": "slow"}')
    for i in range(len(data)):
        left.sendall(data[i : i + 1])
    assert receive(right, time.monotonic() + 5) == {"op": "slow"}


def test_a_message_at_the_limit_goes_and_one_byte_over_is_refused(pair, monkeypatch):
    left, right = pair
    limit = 1000
    monkeypatch.setattr(protocol, "MAX_MESSAGE_BYTES", limit)
    skeleton = len(b'{"op": "x", "p": ""}')
    send(left, {"op": "x", "p": "a" * (limit - skeleton)})
    assert receive(right, time.monotonic() + 5)["p"] == "a" * (limit - skeleton)
    with pytest.raises(ProtocolError):
        send(left, {"op": "x", "p": "a" * (limit - skeleton + 1)})
    right.setblocking(False)
    with pytest.raises(BlockingIOError):
        right.recv(1)  # nothing at all was written


def test_a_message_over_the_real_limit_is_refused_before_sending(pair):
    left, right = pair
    with pytest.raises(ProtocolError):
        send(left, {"op": "x", "p": "a" * MAX_MESSAGE_BYTES})
    right.setblocking(False)
    with pytest.raises(BlockingIOError):
        right.recv(1)


@pytest.mark.parametrize("length", [MAX_MESSAGE_BYTES + 1, 2**32 - 1])
def test_a_huge_announced_length_is_refused_without_reading_it(pair, length):
    left, right = pair
    left.sendall(struct.pack(">I", length) + b"tail")
    started = time.monotonic()
    with pytest.raises(ProtocolError):
        receive(right, time.monotonic() + 5)
    assert time.monotonic() - started < 1  # it did not wait for the announced bytes
    assert right.recv(16) == b"tail"  # and did not consume what followed the header


def test_a_deadline_raises_peer_timeout(pair):
    _, right = pair
    started = time.monotonic()
    with pytest.raises(PeerTimeout):
        receive(right, started + 0.2)
    assert 0.15 <= time.monotonic() - started < 2


def test_a_deadline_in_the_middle_of_a_message_raises_peer_timeout(pair):
    left, right = pair
    left.sendall(frame(b'{"op": "half"}')[:9])
    with pytest.raises(PeerTimeout):
        receive(right, time.monotonic() + 0.2)


def test_a_deadline_already_past_raises_peer_timeout(pair):
    _, right = pair
    with pytest.raises(PeerTimeout):
        receive(right, time.monotonic() - 1)


@pytest.mark.parametrize("sent", [b"", b"\x00\x00", frame(b'{"op": "cut short"}')[:-3]])
def test_a_closed_peer_raises_peer_closed(pair, sent):
    left, right = pair
    left.sendall(sent)
    left.close()
    with pytest.raises(PeerClosed):
        receive(right, time.monotonic() + 5)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe\x00garbage",
        b'{"op": "call"',
        b'{"fn": "mse"}',
        b'{"op": 5}',
        b'{"op": null}',
        b'["op", "call"]',
        b'"op"',
        b"null",
        b"",
    ],
    ids=repr,
)
def test_garbage_raises_protocol_error(pair, body):
    left, right = pair
    left.sendall(frame(body))
    with pytest.raises(ProtocolError):
        receive(right, time.monotonic() + 5)


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"op": "result", "value": ' + b"1" * 5000 + b"}"],
    ids=["deep-json", "huge-int"],
)
def test_hostile_json_raises_protocol_error(pair, body):
    left, right = pair
    sender = threading.Thread(target=left.sendall, args=(frame(body),), daemon=True)
    sender.start()  # the frame is larger than a socket buffer: send while receiving
    try:
        with pytest.raises(ProtocolError):
            receive(right, time.monotonic() + 5)
    finally:
        sender.join(timeout=5)


# -- bounds and cleaning: what a hostile worker cannot make the grader build ---------------------


def test_strings_and_keys_are_cleaned_of_controls_and_lone_surrogates():
    value = {"k\x1b[2J": ["\x1b]0;pwned\x07", "ok\r\nline", "\ud800x", "tab\tnew\nline"]}
    back = over_the_wire(value)
    assert back == {"k␛[2J": ["␛]0;pwned␇", "ok\nline", "\ufffdx", "tab\tnew\nline"]}
    json.dumps(back, ensure_ascii=False).encode("utf-8")  # writable to a file or page


def test_type_names_and_unencodable_names_are_cleaned():
    weird = type("Evil\x1b[31m\x9b", (), {})
    encoded = json.loads(json.dumps(encode(weird()), allow_nan=True))
    assert decode(encoded).type_name == "Evil␛[31m\ufffd"
    assert decode({"__unencodable__": "a\udcffb\x00"}).type_name == "a\ufffdb␀"
    assert type_name_of({"__seq__": [], "type": "li\x9bst"}) == "li\ufffdst"
    assert type_name_of({"__seq__": [], "type": ["not", "a", "str"]}) == "object"


@pytest.mark.parametrize(
    "data, count",
    [
        ({"__ndarray__": [[10, 10], b64(*[0.0] * 100)]}, 100),
        ({"__seq__": [1.0] * 50, "type": "list"}, 51),
        ({"__map__": {"a": {"__seq__": [1, 2], "type": "list"}}, "type": "dict"}, 4),
    ],
    ids=["array", "list", "nested"],
)
def test_decode_counts_numbers_and_items_against_the_bound(data, count):
    decode(data, max_elements=count)
    with pytest.raises(protocol.ValueTooLarge):
        decode(data, max_elements=count - 1)


def test_a_huge_announced_array_is_refused_before_anything_is_allocated():
    started = time.monotonic()
    with pytest.raises(protocol.ValueTooLarge):
        decode({"__ndarray__": [[2**31, 2**31], "AAAA"]}, max_elements=10**6)
    assert time.monotonic() - started < 0.1


def test_decode_all_shares_one_bound():
    items = [{"__ndarray__": [[3], b64(1, 2, 3)]}, {"__ndarray__": [[3], b64(4, 5, 6)]}]
    assert len(protocol.decode_all(items, 6)) == 2
    with pytest.raises(protocol.ValueTooLarge):
        protocol.decode_all(items, 5)


def test_an_encoder_built_earlier_ignores_later_patches(monkeypatch):
    """The worker reports arguments after a call with an encoder built before student code ran."""
    import builtins

    early = protocol.make_encoder()
    value = [np.array([1.0, 2.0]), 3.0]
    expected = early(value)
    monkeypatch.setattr(np, "asarray", lambda *a, **k: np.zeros(2))
    monkeypatch.setattr(protocol, "encode", lambda *a, **k: {"__unencodable__": "liar"})
    real_isinstance = builtins.isinstance
    builtins.isinstance = lambda *a: False  # undone at once: pytest itself needs it
    try:
        late = early(value)
    finally:
        builtins.isinstance = real_isinstance
    assert late == expected
    assert protocol.make_encoder()(value) != expected  # built after the patch: it would lie


def test_packed_text_keeps_commas_out_of_the_count_and_surrogates_for_cleaning():
    text = "a,b,[c],{d}\n\ud800 ✓ \x1b[0m"
    packed = protocol.pack_text(text)
    assert protocol.structure_tokens(json.dumps(packed).encode()) == 0
    assert protocol.unpack_text(packed, 1000) == "a,b,[c],{d}\n\ufffd ✓ ␛[0m"
    assert protocol.unpack_text(protocol.pack_text("é" * 5000), 10) == "é" * 10
    with pytest.raises(ProtocolError):
        protocol.unpack_text("not base64!", 10)
    with pytest.raises(ProtocolError):
        protocol.unpack_text(["a"], 10)


def test_a_non_ascii_frame_is_refused(pair):
    left, right = pair
    left.sendall(frame('{"op": "x", "t": "ŷ"}'.encode()))
    with pytest.raises(ProtocolError, match="ASCII"):
        receive(right, time.monotonic() + 5)


@pytest.mark.parametrize(
    "body",
    [
        b"[" + b"[]," * protocol.MAX_MESSAGE_TOKENS + b"[]]",
        b'{"op": "x", "v": [' + b"{}," * protocol.MAX_MESSAGE_TOKENS + b"{}]}",
    ],
    ids=["lists", "dicts"],
)
def test_a_frame_with_too_many_items_is_refused_before_parsing(pair, body):
    """Each empty list or dict costs json.loads about 60 bytes for 3 bytes of text."""
    left, right = pair
    sender = threading.Thread(target=left.sendall, args=(frame(body),), daemon=True)
    sender.start()
    try:
        started = time.monotonic()
        with pytest.raises(protocol.MessageTooLarge):
            receive(right, time.monotonic() + 5)
        assert time.monotonic() - started < 1
    finally:
        sender.join(timeout=5)


def test_send_refuses_what_receive_would_refuse(pair):
    left, right = pair
    with pytest.raises(protocol.MessageTooLarge):
        send(left, {"op": "x", "v": [[]] * (protocol.MAX_MESSAGE_TOKENS + 1)})
    right.setblocking(False)
    with pytest.raises(BlockingIOError):
        right.recv(1)

"""Hostile: each function but fit writes a forged frame straight onto the worker's channel to the
grader, in place of the worker's reply: a length of 4 GB, 15 MiB of empty lists (each ~60 bytes
to a JSON parser for 3 bytes of text), an array announcing 2.5 billion elements, a string of
15 MiB with a character that makes it four bytes a character, a reply with wrong fields, bytes
that are not ASCII, and nesting 100,000 deep. fit is honest (its helpers then run as the
reference's)."""

import gc
import json
import socket
import os
import struct

import numpy as np


def _channel():
    for thing in gc.get_objects():
        if isinstance(thing, socket.socket) and thing.fileno() >= 0:
            return thing  # the worker's only open socket: its channel to the grader
    raise RuntimeError("no channel")


def _forge(body, length=None):
    _channel().sendall(struct.pack(">I", len(body) if length is None else length) + body)
    os._exit(0)  # the frame stays readable in the channel after this worker is gone


def mse(y_pred, y_true):
    return _forge(b"", length=2**32 - 1)


def mae(y_pred, y_true):
    return _forge(b"[" + b"[]," * 5_000_000 + b"[]]")


def mse_grad(y_pred, y_true):
    reply = {
        "op": "result",
        "ok": True,
        "value": {"__ndarray__": [[50_000, 50_000], "AAAAAAAAAAA="], "type": "ndarray"},
        "after": [None, None],
        "output": "",
    }
    return _forge(json.dumps(reply).encode())


def mae_grad(y_pred, y_true):
    text = "x" * (15 << 20) + "\\ud83d\\ude00"
    after = '[{"__unencodable__": "x"}, {"__unencodable__": "x"}]'
    body = '{"op": "result", "ok": true, "value": "' + text + '", "after": ' + after + ', "output": ""}'
    return _forge(body.encode())


def predict(theta, x):
    reply = {"op": "result", "ok": "yes", "value": 1.0, "after": [], "output": "", "score": 100}
    return _forge(json.dumps(reply).encode())


def linear_grads(theta, x, y, loss="mse"):
    return _forge('{"op": "result", "ok": true, "value": "ŷ"}'.encode("utf-8"))


def gd_step(theta, grad, lr):
    return _forge(b'{"op": "result", "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    loss_of = mse if loss == "mse" else mae
    theta = np.zeros(2)
    history = []
    for _ in range(epochs):
        history.append(loss_of(predict(theta, x), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history

"""The sandboxed worker: confines itself, then loads and calls student code on request.

Run as ``python -I -m autograder.sandbox.worker --fd N --scratch DIR --limits JSON``
by :mod:`autograder.sandbox.client`, never by hand. Everything in this process
after :func:`confine` returns is untrusted: the grader believes nothing it
says except plain numbers, and checks every one of them itself.

Requests (trusted -> worker) and replies (worker -> trusted)::

    (first, unasked)
        -> {"op": "ready", "isolation": {"level", "mechanisms", "missing"}}
        -> {"op": "refused", "reason": sentence}   (then it exits: no student code runs)
    {"op": "load", "module": name, "chunks": [{"label", "source"}]}
        -> {"op": "loaded", "functions": [...], "errors": [...], "output": packed}
    {"op": "call", "fn": name, "args": [...], "kwargs": {...}, "standins": [names]}
        -> {"op": "result", "ok": true, "value": v, "after": [args after], "output": packed}
        -> {"op": "result", "ok": false, "error": {...}, "output": packed}
       while calling, for each call of a stand-in:
        -> {"op": "standin", "fn": name, "args": [...], "kwargs": {...}}
        <- {"op": "standin_result", "ok": bool, "value": v | "message": str}

``packed`` is :func:`autograder.sandbox.protocol.pack_text`'s base64 of what the code printed;
``after`` is the positional arguments encoded again once the function returned, with an encoder
built before student code ran, for the grader to decide whether the function changed them
(:func:`autograder.sandbox.messages.mutated_positions`). The grader checks every field of every
reply (:mod:`autograder.sandbox.messages`).
"""

from __future__ import annotations

import errno
import importlib
import io
import json
import os
import socket
import sys
import traceback
import types
from pathlib import Path
from typing import Any

import numpy as np  # imported before confinement: numpy reads many files at import

from autograder.sandbox import protocol
from autograder.sandbox.confine import (
    DEFAULT_SCRATCH_BYTES,
    DEFAULT_SCRATCH_INODES,
    DEFAULT_WORKER_IDS,
    Limits,
    confine,
    python_read_paths,
)
from autograder.sandbox.messages import MAX_ERRORS, MAX_FUNCTIONS

MAX_MESSAGE_CHARS = 2000
# Imported before confinement wherever the worker may end up confined to its scratch folder
# (chroot: a root grader without user namespaces, a container), where no module file can be read
# any more: standard modules a submission may import, and numpy's lazily loaded subpackages. Once
# per zygote, about 35 ms.
PRELOADED = (
    "bisect",
    "cmath",
    "collections",
    "copy",
    "csv",
    "dataclasses",
    "fractions",
    "functools",
    "heapq",
    "itertools",
    "math",
    "operator",
    "pprint",
    "random",
    "statistics",
    "string",
    "tempfile",
    "time",
    "typing",
    "numpy.fft",
    "numpy.polynomial",
    "numpy.random",
)
if sys.platform == "linux" and os.geteuid() == 0:
    for _name in PRELOADED:
        importlib.import_module(_name)
TOO_LARGE = {"__unencodable__": "too large to send back"}


class BoundedText(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters written and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.kept = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def take(self) -> str:
        """Return what was kept (with a note of what was dropped) and start afresh."""
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[... {self.dropped} more characters of output dropped]"
        self.parts, self.kept, self.dropped = [], 0, 0
        return text


class Worker:
    """Serves one grader connection: loads one submission and calls its functions."""

    def __init__(self, sock: socket.socket, output_limit: int) -> None:
        self.sock = sock
        self.output = BoundedText(output_limit)
        self.module: types.ModuleType | None = None
        # Built now, before any student code runs: replacing protocol.encode, json.dumps or
        # numpy functions later does not change how arguments are reported after a call.
        self.encode = protocol.make_encoder()
        self.encode_after = protocol.make_encoder()

    def serve(self) -> None:
        while True:
            try:
                message = protocol.receive(self.sock)
            except protocol.PeerClosed:
                return
            op = message["op"]
            if op == "load":
                self.provide(message.get("provided") or {})
                self.reply(self.load(message["module"], message["chunks"]))
            elif op == "call":
                self.reply(self.call(message))
            elif op == "exit":
                return

    def reply(self, message: dict) -> None:
        pairs = message.pop("pairs", [])
        message["output"] = protocol.pack_text(self.output.take())
        try:
            protocol.send(self.sock, message)
            return
        except protocol.MessageTooLarge:
            if message.get("op") != "result" or not message.get("ok"):
                raise
        # Too large for the grader: first the arguments that changed, then the value itself.
        message["after"] = [TOO_LARGE if after != sent else sent for after, sent in pairs]
        try:
            protocol.send(self.sock, message)
        except protocol.MessageTooLarge:
            protocol.send(self.sock, _too_large_result(message["output"]))

    def provide(self, provided: dict) -> None:
        """Register each provided module, its functions stand-ins computed by the grader."""
        for module_name, functions in provided.items():
            module = types.ModuleType(str(module_name))
            for function in functions:
                setattr(module, str(function), self.make_standin(f"{module_name}.{function}"))
            sys.modules[str(module_name)] = module

    def load(self, module_name: str, chunks: list[dict]) -> dict:
        """Execute each chunk (a file, or a notebook's code cells) in one module namespace.

        A chunk that raises does not stop the others: whatever was defined is kept.
        """
        module = types.ModuleType(module_name)
        module.__file__ = str(Path.cwd() / f"{module_name}.py")
        sys.modules[module_name] = module
        errors = []
        for chunk in chunks:
            STUDENT_FILES.add(chunk["filename"])
            try:
                code = compile(chunk["source"], chunk["filename"], "exec")
            except SyntaxError as error:
                errors.append(_describe_syntax_error(error, chunk["label"]))
                continue
            except BaseException as error:  # e.g. RecursionError or MemoryError in the compiler
                errors.append(_describe_error(error, chunk["label"]))
                continue
            with self.captured():
                try:
                    exec(code, module.__dict__)
                except BaseException as error:  # SystemExit and KeyboardInterrupt too
                    errors.append(_describe_error(error, chunk["label"]))
        self.module = module
        functions = sorted(
            name
            for name, value in vars(module).items()
            if type(name) is str
            and name.isidentifier()
            and not name.startswith("_")
            and callable(value)
        )
        # As many as the grader keeps (a `from numpy import *` brings some 600).
        return {
            "op": "loaded",
            "functions": functions[:MAX_FUNCTIONS],
            "errors": errors[:MAX_ERRORS],
        }

    def call(self, message: dict) -> dict:
        name = message["fn"]
        function = getattr(self.module, name, None) if self.module else None
        if not callable(function):
            return {
                "op": "result",
                "ok": False,
                "error": {"kind": "missing", "type": "", "message": name},
            }
        args = [protocol.decode(a) for a in message["args"]]
        kwargs = {k: protocol.decode(v) for k, v in message["kwargs"].items()}
        originals = {n: getattr(self.module, n, None) for n in message["standins"]}
        for standin_name in originals:
            setattr(self.module, standin_name, self.make_standin(standin_name))
        try:
            with self.captured():
                value = function(*args, **kwargs)
            encoded = self.encode(value)
        except BaseException as error:
            return {"op": "result", "ok": False, "error": _describe_error(error, "call")}
        finally:
            for standin_name, original in originals.items():
                setattr(self.module, standin_name, original)
        after = [self.encode_after(a) for a in args]
        return {
            "op": "result",
            "ok": True,
            "value": encoded,
            "after": after,
            # only for reply(), should the message be too large: not sent
            "pairs": list(zip(after, message["args"], strict=True)),
        }

    def make_standin(self, name: str):
        """A function that asks the trusted grader to compute ``name`` with the reference."""

        def standin(*args: Any, **kwargs: Any) -> Any:
            request = {
                "op": "standin",
                "fn": name,
                "args": [self.encode(a) for a in args],
                "kwargs": {k: self.encode(v) for k, v in kwargs.items()},
            }
            try:
                protocol.send(self.sock, request)
            except protocol.MessageTooLarge:
                raise ValueError(
                    f"the arguments given to {name} are too large for the grader to compute it"
                ) from None
            answer = protocol.receive(self.sock)
            if not answer.get("ok"):
                raise ValueError(answer.get("message", f"{name} failed"))
            return protocol.decode(answer["value"])

        standin.__name__ = name.rsplit(".", 1)[-1]
        return standin

    def captured(self):
        return _Redirect(self.output)


class _Redirect:
    """Point ``sys.stdout`` and ``sys.stderr`` at a bounded buffer for the duration."""

    def __init__(self, stream: BoundedText) -> None:
        self.stream = stream

    def __enter__(self) -> None:
        self.saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = self.stream

    def __exit__(self, *exc: object) -> None:
        sys.stdout, sys.stderr = self.saved


def _describe_error(error: BaseException, where: str) -> dict:
    """A plain description of an exception raised by student code.

    The line reported is the last one in the student's own source (not in numpy
    or the standard library), so that feedback points at their code.
    """
    try:
        message = str(error)[:MAX_MESSAGE_CHARS]
    except BaseException:
        message = "(the exception's message could not be shown)"
    frames = [
        f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(_HERE)
    ]
    own = [f for f in frames if f.filename in STUDENT_FILES] or frames
    description = {
        "kind": "exception",
        "type": type(error).__name__,
        "message": message,
        "where": where,
        "file": own[-1].filename if own else None,
        "line": own[-1].lineno if own else None,
        "traceback": "".join(traceback.format_list(frames[-5:]))[:MAX_MESSAGE_CHARS],
    }
    if isinstance(error, OSError):
        hint = _hint_for(error, frames)
        if hint:
            description["hint"] = hint
    return description


def _hint_for(error: OSError, frames: list[traceback.FrameSummary]) -> str | None:
    """A sentence for an OSError that the sandbox itself caused, or None."""
    if any(f.name in PROCESS_STARTERS for f in frames):
        return "starting another process is not allowed while grading"
    if error.errno == errno.EFBIG:
        return "your code wrote more output or file data than grading allows"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"your files filled the {SCRATCH_LIMIT['bytes'] >> 20} MiB (or "
            f"{SCRATCH_LIMIT['inodes']} files) that grading allows for all of them together"
        )
    if error.errno == errno.EPERM and any(f.filename.endswith("socket.py") for f in frames):
        return "network connections and sockets are not available while grading"
    if error.errno == errno.EROFS:
        return "only the current folder can be written to while grading"
    return None


def _describe_syntax_error(error: SyntaxError, where: str) -> dict:
    return {
        "kind": "syntax",
        "type": type(error).__name__,
        "message": str(error.msg)[:MAX_MESSAGE_CHARS],
        "where": where,
        "file": error.filename,
        "line": error.lineno,
        "text": (error.text or "").rstrip()[:200],
    }


def _too_large_result(output: str) -> dict:
    error = {
        "kind": "too_large",
        "type": "",
        "message": "it returned a value too large for the grader to check",
    }
    return {"op": "result", "ok": False, "error": error, "output": output}


_HERE = str(Path(__file__).resolve().parent.parent)
STUDENT_FILES: set[str] = set()
SCRATCH_LIMIT = {"bytes": DEFAULT_SCRATCH_BYTES, "inodes": DEFAULT_SCRATCH_INODES}
PROCESS_STARTERS = {
    "fork",
    "forkpty",
    "_execute_child",
    "_fork_exec",
    "posix_spawn",
    "system",
    "spawnv",
}


def run_worker(sock: socket.socket, scratch: Path, limits: dict, packages: list[str]) -> None:
    """Confine this process, report ready, then serve the grader until it says exit.

    ``limits`` holds ``memory_bytes``, ``cpu_seconds``, ``file_bytes``, ``output_chars`` and
    optionally ``scratch_bytes``, ``scratch_inodes``, ``without`` (steps of
    :func:`~autograder.sandbox.confine.confine` to leave out, for tests) and ``worker_ids``
    (the uid and gid to change to when root without a user namespace).
    """
    _close_inherited_descriptors(keep=sock.fileno())
    confinement = Limits(
        memory_bytes=limits["memory_bytes"],
        cpu_seconds=limits["cpu_seconds"],
        file_bytes=limits["file_bytes"],
        **{k: limits[k] for k in ("scratch_bytes", "scratch_inodes") if k in limits},
    )
    SCRATCH_LIMIT.update(bytes=confinement.scratch_bytes, inodes=confinement.scratch_inodes)
    isolation = confine(
        read_paths=[*python_read_paths(packages), scratch],
        write_paths=[scratch],
        limits=confinement,
        scratch=scratch,
        without=frozenset(limits.get("without", ())),
        worker_ids=tuple(limits.get("worker_ids", DEFAULT_WORKER_IDS)),
    )
    if isolation.refused:
        protocol.send(sock, {"op": "refused", "reason": isolation.refused})
        return
    if "chroot" in isolation.mechanisms:
        os.environ["HOME"] = os.environ["TMPDIR"] = "/"  # the scratch folder, seen from inside
    np.seterr(all="ignore")
    protocol.send(
        sock,
        {
            "op": "ready",
            "isolation": {
                "level": isolation.level,
                "mechanisms": list(isolation.mechanisms),
                "missing": list(isolation.missing),
            },
        },
    )
    Worker(sock, output_limit=limits["output_chars"]).serve()


def _close_inherited_descriptors(keep: int) -> None:
    """Close every descriptor but stdin, stdout, stderr and ``keep``: the worker holds nothing
    of its parent's (the zygote's control socket, the grader's files) when student code runs."""
    try:
        highest = os.sysconf("SC_OPEN_MAX")
    except (AttributeError, ValueError, OSError):
        highest = -1
    if highest <= keep or highest > 1 << 20:
        highest = 1 << 20
    os.closerange(3, keep)
    os.closerange(keep + 1, highest)


def main(argv: list[str] | None = None) -> None:
    """Entry point of a worker started as its own interpreter (the grader's fallback when no
    zygote can fork one): ``--fd N --scratch DIR --limits JSON [--packages a,b]``, exactly as
    the grader's :class:`~autograder.sandbox.client.Sandbox` passes them (no user types them,
    so there is no command-line parser)."""
    arguments = sys.argv[1:] if argv is None else argv
    options = dict(zip(arguments[::2], arguments[1::2], strict=True))
    run_worker(
        socket.socket(fileno=int(options["--fd"])),
        Path(options["--scratch"]),
        json.loads(options["--limits"]),
        options.get("--packages", "numpy").split(","),
    )
    os._exit(0)


if __name__ == "__main__":
    main()

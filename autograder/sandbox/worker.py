"""The sandboxed worker: confines itself, then loads and calls student code on request.

Run as ``python -I -m autograder.sandbox.worker --fd N --scratch DIR --limits JSON``
by :mod:`autograder.sandbox.client`, never by hand. Everything in this process
after :func:`confine` returns is untrusted: the grader believes nothing it
says except plain numbers, and checks every one of them itself.

Requests (trusted -> worker) and replies (worker -> trusted)::

    {"op": "load", "module": name, "chunks": [{"label", "source"}]}
        -> {"op": "loaded", "functions": [...], "errors": [...], "output": str}
    {"op": "call", "fn": name, "args": [...], "kwargs": {...}, "standins": [names]}
        -> {"op": "result", "ok": true, "value": v, "mutated": [arg positions], "output": str}
        -> {"op": "result", "ok": false, "error": {...}, "output": str}
       while calling, for each call of a stand-in:
        -> {"op": "standin", "fn": name, "args": [...], "kwargs": {...}}
        <- {"op": "standin_result", "ok": bool, "value": v | "message": str}
"""

from __future__ import annotations

import argparse
import errno
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
from autograder.sandbox.confine import Limits, confine, python_read_paths

MAX_MESSAGE_CHARS = 2000


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
        message["output"] = self.output.take()
        protocol.send(self.sock, message)

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
            if callable(value) and not name.startswith("_")
        )
        return {"op": "loaded", "functions": functions, "errors": errors}

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
        before = [json.dumps(a) for a in message["args"]]
        originals = {n: getattr(self.module, n, None) for n in message["standins"]}
        for standin_name in originals:
            setattr(self.module, standin_name, self.make_standin(standin_name))
        try:
            with self.captured():
                value = function(*args, **kwargs)
            encoded = protocol.encode(value)
        except BaseException as error:
            return {"op": "result", "ok": False, "error": _describe_error(error, "call")}
        finally:
            for standin_name, original in originals.items():
                setattr(self.module, standin_name, original)
        after = [json.dumps(protocol.encode(a)) for a in args]
        mutated = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if b != a]
        return {"op": "result", "ok": True, "value": encoded, "mutated": mutated}

    def make_standin(self, name: str):
        """A function that asks the trusted grader to compute ``name`` with the reference."""

        def standin(*args: Any, **kwargs: Any) -> Any:
            protocol.send(
                self.sock,
                {
                    "op": "standin",
                    "fn": name,
                    "args": [protocol.encode(a) for a in args],
                    "kwargs": {k: protocol.encode(v) for k, v in kwargs.items()},
                },
            )
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
    if isinstance(error, OSError) and any(f.name in PROCESS_STARTERS for f in frames):
        description["hint"] = "starting another process is not allowed while grading"
    elif isinstance(error, OSError) and error.errno == errno.EFBIG:
        description["hint"] = "your code wrote more output or file data than grading allows"
    return description


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


_HERE = str(Path(__file__).resolve().parent.parent)
STUDENT_FILES: set[str] = set()
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
    """Confine this process, report ready, then serve the grader until it says exit."""
    isolation = confine(
        read_paths=[*python_read_paths(packages), scratch],
        write_paths=[scratch],
        limits=Limits(
            memory_bytes=limits["memory_bytes"],
            cpu_seconds=limits["cpu_seconds"],
            file_bytes=limits["file_bytes"],
        ),
    )
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="autograder.sandbox.worker")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--scratch", type=Path, required=True)
    parser.add_argument("--limits", type=json.loads, required=True)
    parser.add_argument("--packages", default="numpy")
    options = parser.parse_args(argv)
    run_worker(
        socket.socket(fileno=options.fd),
        options.scratch,
        options.limits,
        options.packages.split(","),
    )
    os._exit(0)


if __name__ == "__main__":
    main()

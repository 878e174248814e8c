"""The trusted side of a sandboxed worker: start it, load a submission, call functions, survive it.

A :class:`Sandbox` owns at most one worker process at a time for one
submission. When a call hangs, crashes the process or ends it, the worker is
killed, the failure is described in a sentence for the student, and the next
call starts a fresh worker. A function that hung or crashed once is not run
again (it would only cost the same limit again). Every limit comes from
grading.yaml through :class:`SandboxLimits`.

Nothing a worker leaves behind is trusted. The grader never opens anything in the scratch
folder by path once a worker has run: the workers' stdout and stderr go to a memfd the grader
created (passed to the zygote as a descriptor) and read back by descriptor, at most
``output_chars`` bytes. Every message a worker sends is checked field by field
(:mod:`autograder.sandbox.messages`), its values decoded within
:data:`~autograder.sandbox.protocol.MAX_VALUE_ELEMENTS`, its strings cleaned of control
characters and lone surrogates (:mod:`autograder.sandbox.text`). A stand-in is computed only for
arguments within that bound, and under :data:`STANDIN_MEMORY_BYTES` of address space
(:mod:`autograder.sandbox.memguard`). Whether a function changed its arguments is decided here,
from what the worker reports they hold after the call
(:func:`~autograder.sandbox.messages.mutated_positions`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.errors import GradingError, UsageError
from autograder.sandbox import memguard, messages, protocol
from autograder.sandbox.confine import DEFAULT_SCRATCH_BYTES, DEFAULT_WORKER_IDS, OPTIONAL_STEPS
from autograder.sandbox.reaper import LIVE_WORKERS, become_subreaper, reap_strays
from autograder.sandbox.text import clean_text
from autograder.sandbox.zygote import isolated_python, zygote_for

PACKAGE_PARENT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 15.0
PASSED_THROUGH_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# The grader's environment variable naming the uid (``UID`` or ``UID:GID``) a worker changes to
# when the grader is root and the worker cannot enter a user namespace (a container).
WORKER_IDS_ENV = "AUTOGRADER_WORKER_UID"
# Address space the grader may add while it computes one stand-in (the reference's work on the
# worker's arguments, and encoding its answer).
STANDIN_MEMORY_BYTES = 128 << 20


@dataclass(frozen=True)
class SandboxLimits:
    """Limits for one submission's worker(s); see grading.yaml's ``limits``."""

    call_seconds: float
    submission_seconds: float
    memory_bytes: int
    output_chars: int
    file_bytes: int = 64 << 20  # largest file the worker may write, its stdout/stderr included
    scratch_bytes: int = DEFAULT_SCRATCH_BYTES  # all the worker's files together (its tmpfs)


@dataclass(frozen=True)
class Chunk:
    """A piece of student source run in order: a whole ``.py`` file or one notebook cell."""

    label: str
    filename: str
    source: str


@dataclass(frozen=True)
class CallResult:
    """What a student function returned, rebuilt from plain data in the trusted process."""

    value: Any
    type_name: str
    mutated: tuple[int, ...]
    output: str


# Why a call gave no value: :attr:`CallFailed.kind`. The grader carries it into each check's
# ``CheckResult.failure_kinds`` (and results.json), and everything that must know what went
# wrong (the summary, the terminal table, the integrity probes) reads the kind, never the
# sentence, which is for the student and free to change.
CALL_FAILURE_KINDS: dict[str, str] = {
    "not_implemented": "the function raised NotImplementedError (a stub not yet written)",
    "exception": "the function raised another exception (MemoryError, SystemExit included)",
    "too_large": "the value returned holds more numbers than the grader checks",
    "timeout": "the call did not return within its time limit; the function is not run again",
    "crash": "the call ended the worker (a signal, an exit, garbled data, a broken connection)",
    "skipped": "not run: the function hung or crashed on an earlier call",
    "budget": "not run: the submission's total time limit was used up by earlier calls",
    "missing": "the file defines no function of that name",
    "load": "the file could not be loaded, so nothing in it can be called",
}
# Why loading the submission failed: :attr:`LoadReport.failure_kind`.
LOAD_FAILURE_KINDS: dict[str, str] = {
    "timeout": "code at the top level of the file did not finish within the call time limit",
    "crash": "the file ended the worker while it was loaded",
    "refused": "the grader refused to load it (:meth:`Sandbox.refuse_load`), e.g. unreadable",
}


class CallFailed(Exception):
    """A student function did not return a value; ``sentence`` says why, for the student, and
    ``kind`` (a key of :data:`CALL_FAILURE_KINDS`) says it for the grader."""

    def __init__(self, kind: str, sentence: str, detail: dict | None = None) -> None:
        if kind not in CALL_FAILURE_KINDS:
            raise ValueError(f"unknown call failure kind {kind!r}")
        super().__init__(sentence)
        self.kind = kind
        self.sentence = sentence
        self.detail = detail or {}


StandinHandler = Callable[[str, list, dict], Any]


@dataclass
class LoadReport:
    """What happened when the submission was loaded."""

    functions: tuple[str, ...] = ()
    errors: tuple[dict, ...] = ()
    output: str = ""
    failure: str | None = None  # a sentence when the worker died or hung while loading
    failure_kind: str = ""  # then why, a key of LOAD_FAILURE_KINDS


@dataclass
class Sandbox:
    """Run one submission's functions in confined worker processes.

    Parameters
    ----------
    module_name : str
        The module name the submission defines (e.g. ``"week1"``).
    chunks : sequence of Chunk
        The submission's source, run in order at load.
    scratch : Path
        The only folder the worker may write (and, with the interpreter, read).
    limits : SandboxLimits
    standin_handler : callable(name, args, kwargs) -> value
        Computes a stand-in function trusted-side (the reference's version).
    packages : sequence of str
        Third-party packages the student code may import (read access to their folders).
    provided : mapping of module name to function names
        Modules the student code may import whose functions are stand-ins, computed by
        ``standin_handler`` as ``"module.function"``.
    without : tuple of str
        Confinement steps to leave out (:data:`autograder.sandbox.confine.OPTIONAL_STEPS`), only
        for tests that check what still holds at reduced isolation; recorded as missing. When
        empty, the grader's own environment variable ``AUTOGRADER_CONFINE_WITHOUT`` (names
        separated by commas) is read instead: a worker's environment is built here, never
        inherited, so student code cannot set it.

    When the grader is root and a worker cannot enter a user namespace, the worker changes to the
    uid and gid of ``AUTOGRADER_WORKER_UID`` (``UID`` or ``UID:GID``; default 65534:65534);
    should it fail, the worker runs no student code and :meth:`load` raises
    :class:`~autograder.errors.GradingError`.
    """

    module_name: str
    chunks: Sequence[Chunk]
    scratch: Path
    limits: SandboxLimits
    standin_handler: StandinHandler
    packages: Sequence[str] = ("numpy",)
    provided: Mapping[str, Sequence[str]] = field(default_factory=dict)
    without: tuple[str, ...] = ()
    isolation: dict = field(default_factory=dict)
    load_report: LoadReport | None = None
    workers_started: int = 0
    _process: subprocess.Popen | None = None
    _sock: socket.socket | None = None
    _broken: dict[str, str] = field(default_factory=dict)
    _deadline: float = 0.0
    _load_failure: str | None = None
    _output: int | None = None  # the descriptor of the workers' stdout and stderr
    _output_file: Any = None  # where memfd_create is missing: an unlinked temporary file
    _output_text: str = ""
    _scratch_made: bool = False

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.limits.submission_seconds
        if not self.without:
            names = os.environ.get("AUTOGRADER_CONFINE_WITHOUT", "").split(",")
            self.without = tuple(name.strip() for name in names if name.strip())
        unknown = sorted(set(self.without) - OPTIONAL_STEPS)
        if unknown:
            raise ValueError(
                f"cannot leave out {', '.join(unknown)}: only {', '.join(sorted(OPTIONAL_STEPS))}"
            )
        become_subreaper()

    # -- lifecycle -----------------------------------------------------------------------------

    def load(self) -> LoadReport:
        """Start a worker and load the submission; the report of the first load is kept."""
        self._ensure_worker()
        assert self.load_report is not None
        return self.load_report

    def close(self) -> str:
        """Stop the worker; return (truncated, cleaned) what the workers wrote to their own
        stdout and stderr. Calling it again returns the same text."""
        self._stop_worker(graceful=True)
        reap_strays()
        if self._output is not None:
            self._output_text = self._process_output()
            if self._output_file is not None:
                self._output_file.close()
            else:
                os.close(self._output)
            self._output = self._output_file = None
        return self._output_text

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls -------------------------------------------------------------------------------

    def call(
        self, name: str, *args: Any, standins: Sequence[str] = (), **kwargs: Any
    ) -> CallResult:
        """Call the student's ``name(*args, **kwargs)`` in the worker.

        ``standins`` names student functions to replace, for this call, by the
        reference's (computed here, in the trusted process). Raises
        :class:`CallFailed` when no value comes back.
        """
        if name in self._broken:
            raise CallFailed("skipped", self._broken[name])
        if time.monotonic() >= self._deadline:
            raise CallFailed(
                "budget",
                f"not run: the submission's total time limit of "
                f"{self.limits.submission_seconds:g} s was used up by earlier calls",
            )
        self._ensure_worker()
        if self._load_failure:
            raise CallFailed("load", self._load_failure)
        assert self.load_report is not None
        if name not in self.load_report.functions:
            raise CallFailed("missing", _missing_sentence(name, self.load_report))
        sent_args = [protocol.encode(a) for a in args]
        request = {
            "op": "call",
            "fn": name,
            "args": sent_args,
            "kwargs": {k: protocol.encode(v) for k, v in kwargs.items()},
            "standins": list(standins),
        }
        deadline = min(time.monotonic() + self.limits.call_seconds, self._deadline)
        allowed = set(standins) | {
            f"{m}.{f}" for m, functions in self.provided.items() for f in functions
        }
        try:
            protocol.send(self._sock, request)
            while True:
                reply = protocol.receive(self._sock, deadline)
                if reply["op"] == "standin":
                    self._answer_standin(reply, allowed)
                    continue
                if reply["op"] == "result":
                    return self._result(name, reply, sent_args)
                raise protocol.ProtocolError(f"unexpected {clean_text(reply['op'], 40)!r}")
        except protocol.PeerTimeout:
            limit = self.limits.call_seconds
            over_budget = deadline >= self._deadline
            self._stop_worker(graceful=False)
            sentence = (
                f"{name} was stopped when the submission's total time limit of "
                f"{self.limits.submission_seconds:g} s ran out"
                if over_budget
                else f"{name} did not return within the time limit of {limit:g} s "
                "(an endless loop, or far too much work?)"
            )
            self._broken[name] = f"not run again: {sentence}"
            raise CallFailed("timeout", sentence) from None
        except (protocol.PeerClosed, protocol.ProtocolError, OSError) as error:
            sentence = self._death_sentence(name, error)
            self._broken[name] = f"not run again: {sentence}"
            raise CallFailed("crash", sentence) from None

    def _result(self, name: str, reply: dict, sent_args: list) -> CallResult:
        """A checked ``result`` message as a :class:`CallResult` (or :class:`CallFailed`).

        Raises ProtocolError for a malformed reply (the caller ends the worker).
        """
        result = messages.parse_result(reply, self.limits.output_chars)
        if not result.ok:
            error = result.error
            raise CallFailed(
                _exception_kind(error),
                _exception_sentence(name, error),
                {**error, "output": result.output},
            )
        mutated = messages.mutated_positions(sent_args, result.after)
        try:
            value = protocol.decode(result.value, protocol.MAX_VALUE_ELEMENTS)
        except protocol.ValueTooLarge:
            raise CallFailed(
                "too_large",
                f"{name} returned a value with more than {protocol.MAX_VALUE_ELEMENTS:,} "
                "numbers, too large for the grader to check",
                {"output": result.output},
            ) from None
        return CallResult(value, protocol.type_name_of(result.value), mutated, result.output)

    def _answer_standin(self, message: dict, allowed: set[str]) -> None:
        """Compute a stand-in the worker asked for, if it is one offered for this call and its
        arguments are within bounds; the answer is the reference's value or a sentence."""
        name = clean_text(message["fn"], 80) if type(message.get("fn")) is str else "?"
        try:
            request = messages.parse_standin(message, protocol.MAX_VALUE_ELEMENTS)
        except protocol.ValueTooLarge:
            self._send_standin_refusal(
                f"the arguments given to {name} hold more than "
                f"{protocol.MAX_VALUE_ELEMENTS:,} numbers, too many for the grader to compute it"
            )
            return
        try:
            if request.fn not in allowed:
                raise ValueError(f"{name} is not available here")
            with memguard.address_space_headroom(STANDIN_MEMORY_BYTES):
                value = self.standin_handler(request.fn, request.args, request.kwargs)
                answer = {"op": "standin_result", "ok": True, "value": protocol.encode(value)}
        except MemoryError:
            answer = _refusal(
                f"computing {name} on these arguments needs more than the "
                f"{STANDIN_MEMORY_BYTES >> 20} MiB the grader allows for it "
                "(are the sizes you passed meant to be that large?)"
            )
        except Exception as error:  # the reference refused the arguments: tell the student code
            answer = _refusal(clean_text(str(error), 500))
        try:
            protocol.send(self._sock, answer)
        except protocol.MessageTooLarge:
            self._send_standin_refusal(f"the value of {name} is too large to send back")

    def _send_standin_refusal(self, sentence: str) -> None:
        protocol.send(self._sock, _refusal(sentence))

    # -- worker processes ----------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        if self._process is not None or self._load_failure:
            return
        deadline = min(time.monotonic() + STARTUP_SECONDS, self._deadline + STARTUP_SECONDS)
        self._spawn()
        try:
            message = protocol.receive(self._sock, deadline)
            if message["op"] == "refused":
                reason = messages.parse_refused(message)
                self._stop_worker(graceful=False)
                raise GradingError(f"student code was not run: {reason}")
            isolation = messages.parse_ready(message)
            if not self.isolation:
                self.isolation = isolation
            protocol.send(
                self._sock,
                {
                    "op": "load",
                    "module": self.module_name,
                    "chunks": [vars_of(c) for c in self.chunks],
                    "provided": {m: list(f) for m, f in self.provided.items()},
                },
            )
            load_deadline = min(time.monotonic() + self.limits.call_seconds, self._deadline)
            provided = {f"{m}.{f}" for m, functions in self.provided.items() for f in functions}
            message = protocol.receive(self._sock, load_deadline)
            while message["op"] == "standin":  # top-level code may call a provided module
                self._answer_standin(message, provided)
                message = protocol.receive(self._sock, load_deadline)
            loaded = messages.parse_loaded(message, self.limits.output_chars)
        except protocol.PeerTimeout:
            self._stop_worker(graceful=False)
            self._fail_load(
                "timeout",
                f"loading your file did not finish within {self.limits.call_seconds:g} s: "
                "code at the top level of the file (outside any function) runs when it is "
                "loaded, and it did not finish",
            )
            return
        except (protocol.PeerClosed, protocol.ProtocolError, OSError) as error:
            self._fail_load(
                "crash",
                "your file ended the grading process while it was being loaded: "
                + self._death_sentence(None, error),
            )
            return
        if self.load_report is None:
            self.load_report = LoadReport(loaded.functions, loaded.errors, loaded.output)

    def refuse_load(self, sentence: str) -> None:
        """Do not load the submission at all (the grader found it unreadable: ``sentence`` says
        why, for the student). No worker is started; :meth:`load` reports the failure (kind
        ``"refused"``) and every call fails with kind ``"load"`` and this sentence."""
        self._fail_load("refused", sentence)

    def _fail_load(self, kind: str, sentence: str) -> None:
        self._load_failure = sentence
        if self.load_report is None:
            self.load_report = LoadReport(failure=sentence, failure_kind=kind)

    def _spawn(self) -> None:
        """Start a worker: forked by this grader's zygote, or (fallback) a fresh interpreter."""
        if not self._scratch_made:
            # Once, before any worker ran; each worker mounts its own tmpfs over it.
            self.scratch.mkdir(parents=True, exist_ok=True)
            self._scratch_made = True
        limits = {
            "memory_bytes": self.limits.memory_bytes,
            "cpu_seconds": max(1, int(self.limits.submission_seconds) + 1),
            "file_bytes": self.limits.file_bytes,
            "output_chars": self.limits.output_chars,
            "scratch_bytes": self.limits.scratch_bytes,
            "without": list(self.without),
            "worker_ids": list(worker_ids()),
        }
        output = self._output_descriptor()
        if os.environ.get("AUTOGRADER_WORKER_START", "fork") == "fork":
            try:
                zygote = zygote_for(tuple(self.packages), self._environment(), str(PACKAGE_PARENT))
                LIVE_WORKERS.add(zygote.process.pid)
                self._process, self._sock = zygote.spawn(
                    self.scratch, limits, list(self.packages), output
                )
            except (OSError, ValueError):
                self._process = self._sock = None
        if self._process is None:
            self._process, self._sock = self._spawn_interpreter(limits, output)
        LIVE_WORKERS.add(self._process.pid)
        self.workers_started += 1

    def _output_descriptor(self) -> int:
        """The descriptor all this submission's workers write their stdout and stderr to: a
        memfd (or an unlinked temporary file) made here, never a path in the scratch folder."""
        if self._output is None:
            if hasattr(os, "memfd_create"):
                self._output = os.memfd_create("autograder-worker-output", os.MFD_CLOEXEC)
            else:
                self._output_file = tempfile.TemporaryFile(prefix="autograder-output-")
                self._output = self._output_file.fileno()
        return self._output

    def _spawn_interpreter(
        self, limits: dict, output: int
    ) -> tuple[subprocess.Popen, socket.socket]:
        parent, child = socket.socketpair()
        process = subprocess.Popen(
            isolated_python(
                "autograder.sandbox.worker",
                str(PACKAGE_PARENT),
                "--fd",
                str(child.fileno()),
                "--scratch",
                str(self.scratch),
                "--limits",
                json.dumps(limits),
                "--packages",
                ",".join(self.packages),
            ),
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            cwd=self.scratch,
            env=self._environment(),
            start_new_session=True,
        )
        child.close()
        return process, parent

    def _environment(self) -> dict[str, str]:
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": str(self.scratch),
            "TMPDIR": str(self.scratch),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update({k: os.environ[k] for k in PASSED_THROUGH_ENV if k in os.environ})
        return env

    def _stop_worker(self, graceful: bool) -> None:
        process, sock = self._process, self._sock
        self._process = self._sock = None
        if process is None:
            return
        LIVE_WORKERS.discard(process.pid)
        if graceful and sock is not None:
            with contextlib.suppress(OSError, protocol.ProtocolError):
                protocol.send(sock, {"op": "exit"})
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.5)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.kill()
        process.wait()
        if sock is not None:
            sock.close()

    def _death_sentence(self, name: str | None, error: Exception) -> str:
        process = self._process
        returncode = None
        if process is not None:
            try:
                returncode = process.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                returncode = None
        self._stop_worker(graceful=False)
        who = f"{name} " if name else ""
        if isinstance(error, protocol.ProtocolError):
            return f"{who}made the grading process send garbled data ({error})"
        if returncode is None:
            return f"{who}broke the connection to the grader"
        if returncode < 0:
            sig = -returncode
            reason = {
                signal.SIGSEGV: "a segmentation fault (a crash inside the interpreter or a "
                "C library, e.g. from unbounded recursion)",
                signal.SIGXCPU: "the CPU time limit",
                signal.SIGKILL: "being killed (often: the memory limit)",
                signal.SIGABRT: "an abort (often: running out of memory)",
                signal.SIGBUS: "a bus error",
                signal.SIGSYS: "a forbidden system call",
            }.get(sig, f"signal {_signal_name(sig)}")
            return f"{who}crashed the process: it was ended by {reason}"
        return (
            f"{who}ended the process (exit code {returncode}): "
            "it called os._exit() or something like it"
        )

    def _process_output(self) -> str:
        """The start of what the workers wrote to the output descriptor: a bounded read from
        offset 0, whatever the workers did to the descriptor's offset or size."""
        if self._output is None:
            return ""
        try:
            data = os.pread(self._output, self.limits.output_chars + 1, 0)
        except OSError:
            return ""
        text = clean_text(data.decode("utf-8", "replace"))
        if len(text) > self.limits.output_chars:
            text = text[: self.limits.output_chars] + "\n[... output truncated]"
        return text


def worker_ids() -> tuple[int, int]:
    """The uid and gid of :data:`WORKER_IDS_ENV` in the grader's environment, or the default.

    Raises:
        UsageError: the variable is not ``UID`` or ``UID:GID`` of positive whole numbers.
    """
    text = os.environ.get(WORKER_IDS_ENV, "").strip()
    if not text:
        return DEFAULT_WORKER_IDS
    parts = text.split(":")
    if len(parts) > 2 or not all(p.isascii() and p.isdigit() and int(p) > 0 for p in parts):
        raise UsageError(
            f"{WORKER_IDS_ENV}={text!r}: expected UID or UID:GID, positive whole numbers"
        )
    uid = int(parts[0])
    return uid, int(parts[-1]) if len(parts) == 2 else uid


def _refusal(sentence: str) -> dict:
    return {"op": "standin_result", "ok": False, "message": sentence}


def vars_of(chunk: Chunk) -> dict:
    return {"label": chunk.label, "filename": chunk.filename, "source": chunk.source}


def _missing_sentence(name: str, report: LoadReport) -> str:
    sentence = f"your file does not define a function called {name}"
    if report.errors:
        first = report.errors[0]
        sentence += (
            f" (loading it stopped with {first.get('type')} at line {first.get('line')}"
            f"{' of ' + str(first.get('where')) if first.get('where') not in (None, 'file') else ''}"
            ", so what comes after may never have run)"
        )
    return sentence


def _signal_name(number: int) -> str:
    """``SIGTERM`` for 15; the number itself for a signal Python has no name for."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _exception_kind(error: dict) -> str:
    """The :data:`CALL_FAILURE_KINDS` key of an exception the worker reported."""
    if error.get("kind") in ("too_large", "missing"):
        return str(error["kind"])
    if error.get("type") == "NotImplementedError":
        return "not_implemented"
    return "exception"


def _exception_sentence(name: str, error: dict) -> str:
    kind = str(error.get("type", "an error"))[:80]
    message = str(error.get("message", ""))[:300]
    line = error.get("line")
    if error.get("kind") == "too_large":
        return f"{name} returned a value too large for the grader to check"
    if error.get("kind") == "missing":
        return f"{name} is not a function any more when it is called (something replaced it)"
    if kind == "NotImplementedError":
        return f"{name} is not implemented yet (it still raises NotImplementedError)"
    if kind == "MemoryError":
        return f"{name} used more memory than the limit allows (MemoryError)"
    if kind == "SystemExit":
        return f"{name} called sys.exit() instead of returning a value"
    if error.get("hint"):
        return f"{name} raised {kind}: {message} ({error['hint']})"
    if kind == "RecursionError":
        return f"{name} recursed without end (RecursionError: {message})"
    where = f" at line {line}" if isinstance(line, int) else ""
    return f"{name} raised {kind}{where}: {message}"

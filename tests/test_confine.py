"""Tests for autograder.sandbox.confine: each test confines a fresh Python process and attacks.

The child runs with the project folder as its working directory (so the project is on its
``sys.path``, as with an editable install), imports numpy, confines itself with a scratch folder
as its only write path, tries something forbidden and prints what happened as JSON.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.sandbox.confine import Limits, landlock_abi_version

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference" / "regression_losses.py"
LIMITS = Limits(memory_bytes=256 * 2**20, cpu_seconds=10, file_bytes=2**20)
ABI = landlock_abi_version()

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="confine isolates only on Linux")


def needs_landlock(abi: int) -> pytest.MarkDecorator:
    return pytest.mark.skipif(ABI < abi, reason=f"needs Landlock ABI >= {abi}, kernel has {ABI}")


# argv: scratch folder, limits as JSON, then test-specific arguments.
PRELUDE = """
import json, os, sys
from pathlib import Path
import numpy as np
from autograder.sandbox.confine import Limits, confine, python_read_paths

SCRATCH = Path(sys.argv[1])
LIMITS = Limits(**json.loads(sys.argv[2]))
ARGS = sys.argv[3:]
ISOLATION = confine(python_read_paths(), [SCRATCH], LIMITS)
result = {"level": ISOLATION.level, "mechanisms": ISOLATION.mechanisms,
          "missing": ISOLATION.missing}

def attempt(name, action):
    try:
        value = action()
    except BaseException as exc:
        result[name] = {"error": type(exc).__name__, "errno": getattr(exc, "errno", None),
                        "memory_error": isinstance(exc, MemoryError)}
    else:
        result[name] = {"ok": value if isinstance(value, (int, float, str)) else True}
"""
EPILOGUE = "\nprint(json.dumps(result))\n"


def spawn(
    body: str, scratch: Path, *args: object, limits: Limits = LIMITS, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run PRELUDE + body in a fresh interpreter, single-threaded as confine requires."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env["MKL_NUM_THREADS"] = "1"
    scratch.mkdir(exist_ok=True)
    argv = [str(scratch), json.dumps(limits.__dict__), *map(str, args)]
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + body, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_confined(body: str, tmp_path: Path, *args: object, limits: Limits = LIMITS) -> dict:
    completed = spawn(body + EPILOGUE, tmp_path / "scratch", *args, limits=limits)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.splitlines()[-1])


def denied(outcome: dict) -> bool:
    return outcome.get("error") == "PermissionError"


@needs_landlock(6)
def test_isolation_is_full_on_this_kernel(tmp_path: Path) -> None:
    result = run_confined("", tmp_path)
    assert result["level"] == "full", result["missing"]


@needs_landlock(1)
def test_secrets_are_unreadable_while_stdlib_and_numpy_work(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "answer.py").write_text("ANSWER = 42\n")
    body = """
import importlib
fresh = [m for m in ("statistics", "fractions", "difflib", "csv") if m not in sys.modules]
result["fresh"] = fresh
attempt("stdlib", lambda: [importlib.import_module(m).__name__ for m in fresh] and 1)
attempt("numpy", lambda: float(np.linalg.inv(2 * np.eye(3)).sum()))
attempt("numpy_random", lambda: float(np.random.default_rng(0).normal(size=4).shape[0]))
attempt("read_secret", lambda: open(ARGS[0] + "/answer.py").read())
attempt("list_secret", lambda: os.listdir(ARGS[0]))
attempt("read_etc", lambda: open("/etc/passwd").read())
"""
    result = run_confined(body, tmp_path, secret)
    assert result["fresh"], "the stdlib import check needs modules not yet imported"
    assert result["stdlib"] == {"ok": 1}
    assert result["numpy"] == {"ok": 1.5}
    assert result["numpy_random"] == {"ok": 4.0}
    assert denied(result["read_secret"])
    assert denied(result["list_secret"])
    assert denied(result["read_etc"])


@needs_landlock(1)
def test_project_files_are_unreadable(tmp_path: Path) -> None:
    assert REFERENCE.is_file()
    body = """
attempt("read_reference", lambda: open(ARGS[0]).read())
attempt("list_project", lambda: os.listdir(ARGS[1]))
attempt("import_reference", lambda: __import__("reference.regression_losses"))
"""
    result = run_confined(body, tmp_path, REFERENCE, ROOT)
    assert denied(result["read_reference"])
    assert denied(result["list_project"])
    assert result["import_reference"]["error"] == "ModuleNotFoundError"


@needs_landlock(1)
def test_writes_only_inside_scratch(tmp_path: Path) -> None:
    keep = tmp_path / "keep.txt"
    keep.write_text("grader data")
    body = """
def write_inside():
    (SCRATCH / "sub").mkdir()
    (SCRATCH / "sub" / "a.txt").write_text("hello")
    (SCRATCH / "sub" / "a.txt").rename(SCRATCH / "b.txt")
    return (SCRATCH / "b.txt").read_text()

attempt("inside", write_inside)
attempt("new_outside", lambda: open(ARGS[0] + "/outside.txt", "w").write("x"))
attempt("overwrite", lambda: open(ARGS[1], "w").write("x"))
attempt("delete", lambda: os.remove(ARGS[1]))
"""
    result = run_confined(body, tmp_path, tmp_path, keep)
    assert result["inside"] == {"ok": "hello"}
    assert denied(result["new_outside"])
    assert denied(result["overwrite"])
    assert denied(result["delete"])
    assert not (tmp_path / "outside.txt").exists()
    assert keep.read_text() == "grader data"


def test_cannot_fork_spawn_or_start_threads(tmp_path: Path) -> None:
    body = """
import ctypes, subprocess, threading

def fork():
    if os.fork() == 0:
        os._exit(0)

def thread():
    worker = threading.Thread(target=lambda: None)
    worker.start()
    worker.join()

attempt("fork", fork)
attempt("spawn", lambda: subprocess.run(["/bin/true"]).returncode)
attempt("thread", thread)
attempt("setsid_fork", lambda: (os.setsid(), fork()))
# Undoing it: a fresh PID namespace, or a nested user namespace to get the capability for one.
libc = ctypes.CDLL(None, use_errno=True)
result["unshare_pid"] = libc.unshare(0x20000000)
result["unshare_user_pid"] = libc.unshare(0x10000000 | 0x20000000)
result["unshare_user"] = libc.unshare(0x10000000)
attempt("fork_after_unshare", fork)
"""
    result = run_confined(body, tmp_path)
    assert result["fork"].get("error") == "OSError"
    assert "error" in result["spawn"]
    assert result["thread"].get("error") == "RuntimeError"
    assert "error" in result["setsid_fork"]
    assert result["unshare_pid"] == result["unshare_user_pid"] == result["unshare_user"] == -1
    assert result["fork_after_unshare"].get("error") == "OSError"


@needs_landlock(6)
def test_cannot_signal_the_grader(tmp_path: Path) -> None:
    body = """
import signal
result["ppid"] = os.getppid()
attempt("probe", lambda: os.kill(os.getppid(), 0))
if "error" in result["probe"]:  # never send SIGTERM to the test process if the probe got through
    attempt("terminate", lambda: os.kill(os.getppid(), signal.SIGTERM))
"""
    result = run_confined(body, tmp_path)
    assert result["ppid"] == os.getpid()
    assert denied(result["probe"])
    assert denied(result["terminate"])
    os.kill(os.getpid(), 0)  # and this process is alive


def test_no_tcp_or_udp(tmp_path: Path) -> None:
    with (
        socket.create_server(("127.0.0.1", 0)) as listener,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver,
    ):
        receiver.bind(("127.0.0.1", 0))
        body = """
import socket
port, udp_port = int(ARGS[0]), int(ARGS[1])
attempt("tcp", lambda: socket.create_connection(("127.0.0.1", port), timeout=2))
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
attempt("udp", lambda: udp.sendto(b"leak", ("127.0.0.1", udp_port)))
"""
        result = run_confined(body, tmp_path, listener.getsockname()[1], receiver.getsockname()[1])
        listener.setblocking(False)
        receiver.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
        with pytest.raises(BlockingIOError):
            receiver.recv(16)
    assert "error" in result["tcp"]
    assert "error" in result["udp"]


def test_memory_budget(tmp_path: Path) -> None:
    body = """
attempt("within", lambda: len(bytearray(LIMITS.memory_bytes // 2)))
attempt("beyond", lambda: len(bytearray(2 * LIMITS.memory_bytes)))
attempt("numpy_beyond", lambda: np.ones(LIMITS.memory_bytes // 4).size)
"""
    result = run_confined(body, tmp_path)
    assert result["within"] == {"ok": LIMITS.memory_bytes // 2}
    assert result["beyond"]["memory_error"]
    assert result["numpy_beyond"]["memory_error"]


def test_file_size_limit(tmp_path: Path) -> None:
    body = """
attempt("within", lambda: (SCRATCH / "small").write_bytes(bytes(LIMITS.file_bytes // 2)))
attempt("beyond", lambda: (SCRATCH / "big").write_bytes(bytes(2 * LIMITS.file_bytes)))
"""
    result = run_confined(body, tmp_path)
    assert result["within"] == {"ok": LIMITS.file_bytes // 2}
    assert result["beyond"]["error"] == "OSError"
    assert (tmp_path / "scratch" / "big").stat().st_size <= LIMITS.file_bytes


def test_cpu_loop_is_killed(tmp_path: Path) -> None:
    limits = Limits(memory_bytes=LIMITS.memory_bytes, cpu_seconds=1, file_bytes=LIMITS.file_bytes)
    started = time.monotonic()
    completed = spawn("while True:\n    pass\n", tmp_path / "scratch", limits=limits, timeout=10)
    assert completed.returncode in (-signal.SIGXCPU, -signal.SIGKILL), completed.stderr
    assert time.monotonic() - started < 5

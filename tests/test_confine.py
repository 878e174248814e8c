"""Tests for autograder.sandbox.confine: each test confines a fresh Python process and attacks.

The child runs with the project folder as its working directory (so the project is on its
``sys.path``, as with an editable install), imports numpy, confines itself with a scratch folder
as its only write path (replaced by a private tmpfs, which becomes its working directory), tries
something forbidden and prints what happened as JSON. What the child wrote is only visible
to the child: checks of its files are made in the child.
"""

from __future__ import annotations

import errno
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
from autograder.sandbox.mounts import SHARED_TEMP_FOLDERS

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference" / "regression_losses" / "regression_losses.py"
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
WITHOUT = json.loads(sys.argv[3])
ARGS = sys.argv[4:]
BEFORE = {}  # what the test body's BEFORE_CONFINE part observed while still unconfined
exec(os.environ.get("BEFORE_CONFINE", ""))
READ = python_read_paths() + [Path(p) for p in json.loads(os.environ.get("EXTRA_READ", "[]"))]
ISOLATION = confine(READ, [SCRATCH], LIMITS, scratch=SCRATCH, without=WITHOUT)
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
    body: str,
    scratch: Path,
    *args: object,
    limits: Limits = LIMITS,
    timeout: float = 30,
    without: tuple[str, ...] = (),
    before: str = "",
    extra_read: tuple[Path, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run PRELUDE + body in a fresh interpreter, single-threaded as confine requires;
    ``before`` runs just before confining; ``extra_read`` are read paths besides Python's."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env["MKL_NUM_THREADS"] = "1"
    env["BEFORE_CONFINE"] = before
    env["EXTRA_READ"] = json.dumps([str(p) for p in extra_read])
    scratch.mkdir(parents=True, exist_ok=True)
    argv = [str(scratch), json.dumps(limits.__dict__), json.dumps(without), *map(str, args)]
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + body, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_confined(
    body: str,
    tmp_path: Path,
    *args: object,
    limits: Limits = LIMITS,
    without: tuple[str, ...] = (),
    before: str = "",
    extra_read: tuple[Path, ...] = (),
) -> dict:
    completed = spawn(
        body + EPILOGUE,
        tmp_path / "scratch",
        *args,
        limits=limits,
        without=without,
        before=before,
        extra_read=extra_read,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.splitlines()[-1])
    assert set(without) <= {m.split(":")[0] for m in result["missing"]}
    return result


def denied(outcome: dict) -> bool:
    return outcome.get("error") == "PermissionError"


def not_there(outcome: dict) -> bool:
    return outcome.get("error") == "FileNotFoundError"


def failed(outcome: dict) -> bool:
    return "error" in outcome


# Confinement as on a kernel without Landlock (run just before confining).
NO_LANDLOCK = "import autograder.sandbox.confine as _c\n_c.landlock_abi_version = lambda: 0\n"

# Landlock alone: the private mount namespace, which hides /tmp (where tmp_path is), left out.
LANDLOCK_ONLY = ("mount namespace",)


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
    for without in ((), LANDLOCK_ONLY):
        result = run_confined(body, tmp_path / "-".join(without), secret, without=without)
        assert result["fresh"], "the stdlib import check needs modules not yet imported"
        assert result["stdlib"] == {"ok": 1}
        assert result["numpy"] == {"ok": 1.5}
        assert result["numpy_random"] == {"ok": 4.0}
        stop = denied if without else failed  # with /tmp hidden, the secret is not even there
        assert stop(result["read_secret"])
        assert stop(result["list_secret"])
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
    # a project under /tmp (a CI runner's clone) is hidden by the private /tmp, except the
    # folders leading to its .venv's numpy, bound back, which Landlock refuses to list
    under_tmp = any(ROOT.resolve().is_relative_to(Path(f).resolve()) for f in SHARED_TEMP_FOLDERS)
    stop = (lambda outcome: denied(outcome) or not_there(outcome)) if under_tmp else denied
    assert stop(result["read_reference"])
    assert stop(result["list_project"])
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
    for without in ((), LANDLOCK_ONLY):
        result = run_confined(body, tmp_path / "-".join(without), tmp_path, keep, without=without)
        assert result["inside"] == {"ok": "hello"}
        stop = denied if without else failed  # hidden /tmp: not there, or read-only
        assert stop(result["new_outside"])
        assert stop(result["overwrite"])
        assert stop(result["delete"])
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
def udp():
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    return sender.sendto(b"leak", ("127.0.0.1", udp_port))
attempt("udp", udp)
"""
        # Both with the seccomp filter (no socket at all) and without it (the namespace and
        # Landlock stop them).
        ports = listener.getsockname()[1], receiver.getsockname()[1]
        result = run_confined(body, tmp_path, *ports)
        bare = run_confined(body, tmp_path / "bare", *ports, without=("seccomp",))
        listener.setblocking(False)
        receiver.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
        with pytest.raises(BlockingIOError):
            receiver.recv(16)
    assert denied(result["tcp"]) and denied(result["udp"])
    assert "error" in bare["tcp"] and "error" in bare["udp"]


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
result["big_size"] = (SCRATCH / "big").stat().st_size
"""
    result = run_confined(body, tmp_path)
    assert result["within"] == {"ok": LIMITS.file_bytes // 2}
    assert result["beyond"]["error"] == "OSError"
    assert result["beyond"]["errno"] == errno.EFBIG
    assert result["big_size"] <= LIMITS.file_bytes


def test_cpu_loop_is_killed(tmp_path: Path) -> None:
    limits = Limits(memory_bytes=LIMITS.memory_bytes, cpu_seconds=1, file_bytes=LIMITS.file_bytes)
    started = time.monotonic()
    completed = spawn("while True:\n    pass\n", tmp_path / "scratch", limits=limits, timeout=10)
    assert completed.returncode in (-signal.SIGXCPU, -signal.SIGKILL), completed.stderr
    assert time.monotonic() - started < 5


# -- the private scratch tmpfs ---------------------------------------------------------------


def test_the_scratch_is_a_private_capped_tmpfs(tmp_path: Path) -> None:
    """Writes stop at the cap with ENOSPC, whatever the number of files, and none reaches the
    folder the caller made; what that folder held before is not seen."""
    limits = Limits(
        memory_bytes=LIMITS.memory_bytes,
        cpu_seconds=10,
        file_bytes=4 * 2**20,
        scratch_bytes=8 * 2**20,
        scratch_inodes=200,
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "left-before.txt").write_text("a previous worker's file")
    body = """
def fill(size, count):
    written = 0
    for i in range(count):
        with open(f"f{size}-{i}", "wb") as out:
            written += out.write(bytes(size))
    return written

result["cwd_is_scratch"] = os.getcwd() == str(SCRATCH)
result["sees_before"] = os.path.exists(SCRATCH / "left-before.txt")
attempt("big_files", lambda: fill(2**20, 100))
result["used"] = sum(os.path.getsize(f) for f in os.listdir("."))
for f in os.listdir("."):
    os.remove(f)
attempt("many_files", lambda: fill(0, 10_000))
result["files"] = len(os.listdir("."))
"""
    result = run_confined(body, tmp_path, limits=limits)
    assert result["cwd_is_scratch"]
    assert not result["sees_before"]
    assert result["big_files"]["errno"] == errno.ENOSPC
    assert 7 * 2**20 <= result["used"] <= limits.scratch_bytes
    assert result["many_files"]["errno"] == errno.ENOSPC
    assert 100 < result["files"] < limits.scratch_inodes
    assert os.listdir(scratch) == ["left-before.txt"]  # nothing reached the real folder
    assert "scratch-tmpfs" in result["mechanisms"]


def test_shared_temporary_folders_are_hidden_and_read_only(tmp_path: Path) -> None:
    assert str(tmp_path).startswith("/tmp/"), "this test needs pytest's tmp_path under /tmp"
    planted = tmp_path / "planted.txt"
    planted.write_text("for the grader only")
    body = """
result["exists"] = os.path.exists(ARGS[0])
attempt("write_tmp", lambda: open("/tmp/new.txt", "w").write("x"))
"""
    hidden = run_confined(body, tmp_path, planted)
    visible = run_confined(body, tmp_path / "visible", planted, without=LANDLOCK_ONLY)
    assert not hidden["exists"]
    assert hidden["write_tmp"]["errno"] in (errno.EROFS, errno.EACCES)
    assert "private-tmp" in hidden["mechanisms"]
    assert visible["exists"]  # the control: without the mount namespace the path is there
    assert not Path("/tmp/new.txt").exists()


def test_what_the_worker_reads_beneath_tmp_is_bound_back_and_nothing_else(tmp_path: Path) -> None:
    """A virtual environment made under /tmp (as CI runners do) stays importable, and /tmp is
    hidden all the same: only the paths the worker reads are bound back."""
    assert str(tmp_path).startswith("/tmp/"), "this test needs pytest's tmp_path under /tmp"
    venv = tmp_path / "venv" / "site-packages"
    (venv / "kit_helper").mkdir(parents=True)
    (venv / "kit_helper" / "__init__.py").write_text("VALUE = 7\n")
    neighbour = tmp_path / "venv" / "neighbour.txt"  # beside the bound folder, not in it
    neighbour.write_text("for the grader only")
    planted = tmp_path / "planted.txt"
    planted.write_text("for the grader only")
    body = """
sys.path.insert(0, ARGS[0])
attempt("import", lambda: __import__("kit_helper").VALUE)
result["planted"] = os.path.exists(ARGS[1])
result["neighbour"] = os.path.exists(ARGS[2])
attempt("write_bound", lambda: open(os.path.join(ARGS[0], "new.py"), "w").write("x"))
attempt("write_tmp", lambda: open("/tmp/new.txt", "w").write("x"))
"""
    result = run_confined(body, tmp_path, venv, planted, neighbour, extra_read=(venv,))
    assert result["import"] == {"ok": 7}
    assert not result["planted"]
    assert not result["neighbour"]
    assert "private-tmp" in result["mechanisms"]
    assert not [m for m in result["missing"] if m.startswith("private-tmp")], result["missing"]
    assert failed(result["write_tmp"])
    assert failed(result["write_bound"])
    assert not (venv / "new.py").exists()
    assert sorted(p.name for p in venv.iterdir()) == ["kit_helper"]
    # and without Landlock: the bound folder is mounted read-only
    result = run_confined(
        body,
        tmp_path / "no-landlock",
        venv,
        planted,
        neighbour,
        extra_read=(venv,),
        before=NO_LANDLOCK,
    )
    assert result["import"] == {"ok": 7}
    assert "landlock-fs" not in result["mechanisms"]
    assert result["write_bound"]["errno"] == errno.EROFS
    assert not (venv / "new.py").exists()


# -- the seccomp filter ----------------------------------------------------------------------

UNIX_PROBE = """
import socket
def connect():
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(ARGS[0])
    client.sendall(b"hello")
    return 1
attempt("connect", connect)
attempt("socket", lambda: socket.socket(socket.AF_UNIX).fileno())
attempt("socketpair", lambda: len(socket.socketpair()))
"""
BEFORE_PROBE = """
import socket as _socket
_client = _socket.socket(_socket.AF_UNIX)
_client.connect(sys.argv[4])
_client.close()
"""


def accepted(listener: socket.socket) -> int:
    count = 0
    listener.setblocking(False)
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


@pytest.mark.parametrize("without", [(), ("mount namespace",)], ids=["full", "no-mount-ns"])
def test_no_new_socket_reaches_a_unix_listener(tmp_path: Path, without) -> None:
    """A listener on a pathname socket the worker's uid may use: reachable before confining
    (the control), never after; with the mount namespace left out its path is visible, and
    only the seccomp filter stops the connection."""
    path = tmp_path / "l.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        path.chmod(0o777)
        listener.listen(8)
        result = run_confined(
            UNIX_PROBE, tmp_path / "w", path, without=without, before=BEFORE_PROBE
        )
        assert accepted(listener) == 1  # the connection made before confining, no other
    for name in ("connect", "socket", "socketpair"):
        assert denied(result[name]) and result[name]["errno"] == errno.EPERM, result[name]
    assert "seccomp" in result["mechanisms"]


def test_without_the_filter_the_listener_is_reached(tmp_path: Path) -> None:
    """The control for the test above: the gap the filter closes is real on this machine."""
    path = tmp_path / "l.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        path.chmod(0o777)
        listener.listen(8)
        result = run_confined(
            UNIX_PROBE, tmp_path / "w", path, without=("mount namespace", "seccomp")
        )
        assert accepted(listener) == 1
    assert result["connect"] == {"ok": 1}
    assert result["level"] == "partial"


def test_io_uring_and_process_access_are_refused(tmp_path: Path) -> None:
    body = """
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
machine = os.uname().machine
numbers = {"x86_64": {"io_uring_setup": 425, "ptrace": 101, "pidfd_getfd": 438},
           "aarch64": {"io_uring_setup": 425, "ptrace": 117, "pidfd_getfd": 438}}[machine]
for name, number in numbers.items():
    ctypes.set_errno(0)
    code = libc.syscall(ctypes.c_long(number), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0))
    result[name] = [code, ctypes.get_errno()]
"""
    result = run_confined(body, tmp_path)
    for name in ("io_uring_setup", "ptrace", "pidfd_getfd"):
        assert result[name] == [-1, errno.EPERM], name


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the x32 ABI exists on x86_64 only")
def test_an_x32_system_call_kills_the_process(tmp_path: Path) -> None:
    """socket() through the x32 numbering (bit 30 set) would slip past a filter that only
    compared numbers; the filter kills instead."""
    body = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print("before", flush=True)
libc.syscall(ctypes.c_long(0x40000000 | 41), ctypes.c_long(1), ctypes.c_long(1), ctypes.c_long(0))
print("survived", flush=True)
"""
    completed = spawn(body, tmp_path / "scratch")
    assert completed.stdout.splitlines() == ["before"]
    assert completed.returncode == -signal.SIGSYS


def run_filter(
    program: list[tuple[int, int, int, int]], arch: int, number: int, arg0: int = 0
) -> int:
    """A classic-BPF interpreter for the instructions the filter uses: what it returns."""
    data = {0: number, 4: arch, 16: arg0 & 0xFFFFFFFF}
    accumulator, pc = 0, 0
    while True:
        code, jt, jf, k = program[pc]
        if code == 0x20:  # ld [k]
            accumulator = data[k]
        elif code == 0x06:  # ret k
            return k
        elif code in (0x15, 0x35):  # jeq / jge
            taken = accumulator == k if code == 0x15 else accumulator >= k
            pc += jt if taken else jf
        else:
            raise AssertionError(f"unexpected BPF code {code:#x}")
        pc += 1


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_the_filter_refuses_exactly_its_list(machine) -> None:
    from autograder.sandbox import seccomp

    pid = 4242
    program = seccomp.filter_program(machine, pid)
    arch, x32, numbers = seccomp._ARCHITECTURES[machine]
    assert set(numbers) == set(seccomp.DENIED) | set(seccomp.SIGNALLING)
    denied = {numbers[name] for name in seccomp.DENIED}
    signalling = {numbers[name] for name in seccomp.SIGNALLING}
    eperm, allow, kill = 0x00050000 | errno.EPERM, 0x7FFF0000, 0x80000000
    for number in range(600):
        expected = eperm if number in denied else allow
        assert run_filter(program, arch, number, pid) == expected, number
        if number in signalling:  # any target but the worker itself: refused
            for target in (pid + 1, 1, 0, -1, -pid):
                assert run_filter(program, arch, number, target) == eperm, (number, target)
    other_arch = 0x40000003  # AUDIT_ARCH_I386
    assert run_filter(program, other_arch, 41) == kill
    assert run_filter(program, arch, 0x40000000 | 41) == (kill if x32 else allow)
    with pytest.raises(OSError):
        seccomp.filter_program("sparc64", pid)


def test_leaving_steps_out_lowers_the_level_and_says_so(tmp_path: Path) -> None:
    result = run_confined("", tmp_path, without=("seccomp",))
    assert result["level"] == "partial"
    assert "seccomp: left out on request" in result["missing"]
    assert "seccomp" not in result["mechanisms"]

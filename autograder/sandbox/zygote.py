"""A fork server for workers: a clean interpreter that has imported numpy once and forks workers.

Starting a fresh interpreter and importing numpy costs about 80 ms of CPU per
worker; forking a process that has already done so costs a few. The zygote
is started by the grader with the same scrubbed environment and ``-I``
bootstrap as a worker, imports only numpy, the listed packages and the
sandbox's own modules (never a reference, a check or a config), and then
serves requests on a SOCK_SEQPACKET control socket:

* ``{"op": "spawn", "scratch", "limits", "packages"}`` with one file descriptor
  attached (SCM_RIGHTS): the grader's output file for the worker (a memfd the grader
  made and reads back by descriptor; no one opens anything in the scratch folder by
  path). The zygote forks a worker; the child closes the control socket, starts its
  own session, points stdin at /dev/null and stdout/stderr at that descriptor, and runs
  :func:`autograder.sandbox.worker.run_worker` (which confines it). The reply
  ``{"op": "spawned", "pid"}`` carries the grader's end of a fresh socketpair
  as an SCM_RIGHTS file descriptor; the zygote keeps neither end, so no
  worker inherits another's channel.
* ``{"op": "wait", "pid", "timeout"}``: the worker's exit status
  (``subprocess`` convention: negative for a signal), or null if it still runs.

Each grader process owns one zygote per package set (:func:`zygote_for`).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

MAX_MESSAGE = 1 << 16


def serve(control: socket.socket) -> None:
    """The zygote's loop (runs in the zygote process)."""
    from autograder.sandbox.worker import run_worker

    statuses: dict[int, int] = {}
    while True:
        data, fds, _flags, _address = socket.recv_fds(control, MAX_MESSAGE, 1)
        if not data:
            return
        request = json.loads(data)
        if request["op"] == "spawn":
            if len(fds) != 1:
                raise OSError("a spawn request must carry the worker's output descriptor")
            output = fds.pop()
            scratch = Path(request["scratch"])
            parent_end, child_end = socket.socketpair()
            pid = os.fork()
            if pid == 0:  # the worker
                try:
                    control.close()
                    parent_end.close()
                    os.setsid()
                    devnull = os.open(os.devnull, os.O_RDONLY)
                    os.dup2(devnull, 0)
                    os.dup2(output, 1)
                    os.dup2(output, 2)
                    os.close(devnull)
                    os.close(output)
                    os.chdir(scratch)
                    os.environ["HOME"] = os.environ["TMPDIR"] = str(scratch)
                    run_worker(child_end, scratch, request["limits"], request["packages"])
                finally:
                    os._exit(0)
            child_end.close()
            os.close(output)
            reply = json.dumps({"op": "spawned", "pid": pid}).encode()
            socket.send_fds(control, [reply], [parent_end.fileno()])
            parent_end.close()
        elif request["op"] == "wait":
            pid, deadline = int(request["pid"]), time.monotonic() + float(request["timeout"])
            while True:
                _reap(statuses)
                if pid in statuses or time.monotonic() >= deadline:
                    break
                time.sleep(0.002)
            control.send(
                json.dumps({"op": "status", "returncode": statuses.pop(pid, None)}).encode()
            )
        for fd in fds:  # none is expected with any other request
            os.close(fd)
        _reap(statuses)


def _reap(statuses: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[pid] = os.waitstatus_to_exitcode(status)


def main() -> None:
    """Entry point of the zygote process: ``--fd N --packages numpy,...``."""
    fd = int(sys.argv[sys.argv.index("--fd") + 1])
    packages = sys.argv[sys.argv.index("--packages") + 1].split(",")
    for package in packages:
        importlib.import_module(package)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when it ends
    serve(socket.socket(fileno=fd))
    os._exit(0)


def isolated_python(module: str, bootstrap_path: str, *arguments: str) -> list[str]:
    """The command that runs ``module.main()`` in an isolated interpreter (``-I``: no user site,
    no PYTHON* variables), importing the kit from ``bootstrap_path`` only."""
    bootstrap = (
        f"import sys; sys.path.insert(0, {bootstrap_path!r}); from {module} import main; main()"
    )
    return [sys.executable, "-I", "-c", bootstrap, *arguments]


class ZygoteWorker:
    """A worker forked by the zygote, with the methods of ``subprocess.Popen`` the sandbox uses."""

    def __init__(self, zygote: Zygote, pid: int) -> None:
        self.zygote = zygote
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.zygote.wait(self.pid, 0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self.zygote.wait(self.pid, 3600.0 if timeout is None else timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
        return self.returncode

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGKILL)


class Zygote:
    """The grader's handle on its zygote process."""

    def __init__(self, packages: tuple[str, ...], env: dict[str, str], bootstrap_path: str) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            isolated_python(
                "autograder.sandbox.zygote",
                bootstrap_path,
                "--fd",
                str(child.fileno()),
                "--packages",
                ",".join(packages),
            ),
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        child.close()
        self.control = parent

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(
        self, scratch: Path, limits: dict, packages: list[str], output: int
    ) -> tuple[ZygoteWorker, socket.socket]:
        """Fork a worker whose stdout and stderr are the file descriptor ``output``."""
        request = {"op": "spawn", "scratch": str(scratch), "limits": limits, "packages": packages}
        socket.send_fds(self.control, [json.dumps(request).encode()], [output])
        self.control.settimeout(30.0)
        data, fds, _flags, _address = socket.recv_fds(self.control, MAX_MESSAGE, 1)
        reply = json.loads(data)
        if reply.get("op") != "spawned" or len(fds) != 1:
            raise OSError("the zygote did not spawn a worker")
        return ZygoteWorker(self, int(reply["pid"])), socket.socket(fileno=fds[0])

    def wait(self, pid: int, timeout: float) -> int | None:
        self.control.send(json.dumps({"op": "wait", "pid": pid, "timeout": timeout}).encode())
        self.control.settimeout(timeout + 30.0)
        reply = json.loads(self.control.recv(MAX_MESSAGE))
        return reply.get("returncode")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.control.close()
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()


_ZYGOTES: dict[tuple[str, ...], Zygote] = {}


def zygote_for(packages: tuple[str, ...], env: dict[str, str], bootstrap_path: str) -> Zygote:
    """This grader process's zygote for ``packages`` (started, or restarted if it died)."""
    zygote = _ZYGOTES.get(packages)
    if zygote is None or not zygote.alive:
        zygote = _ZYGOTES[packages] = Zygote(packages, env, bootstrap_path)
    return zygote


def forget_zygotes() -> None:
    """Drop this process's zygote handles without touching the zygotes.

    For a grader process forked from another: the zygotes it inherited, and their control
    sockets, are its parent's (two processes talking on one socket would mix their
    requests), so it starts its own when it first needs one. The parent's stay running.
    """
    _ZYGOTES.clear()


if __name__ == "__main__":
    main()

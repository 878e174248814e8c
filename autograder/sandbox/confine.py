"""Confine the current process before it imports untrusted student code.

A freshly started worker calls :func:`confine` on itself, once, after it has imported everything
it needs and before it runs student code. Every step is best effort; the returned
:class:`Isolation` says what is in force and what could not be applied. In order:

1. rlimits: address space (current VmSize + budget), CPU seconds, file size (SIGXFSZ ignored, so
   an over-large write raises ``OSError``), no core dumps.
2. ``PR_SET_NO_NEW_PRIVS``.
3. New user, network and PID namespaces, with the process's own uid and gid mapped to themselves:
   files stay accessible through their owner bits, the process holds no capability in the initial
   namespace, and its network namespace has only a loopback that is down (no TCP, no UDP).
4. A private mount namespace (:mod:`autograder.sandbox.mounts`): the shared temporary folders
   (``/tmp``, ``/var/tmp``, ``/dev/shm``) hidden under empty read-only tmpfs, and the
   ``scratch`` folder replaced by a fresh tmpfs of ``limits.scratch_bytes`` (``nosuid``,
   ``nodev``, ``noexec``), which becomes the working directory: the worker's files are capped as
   a whole, never reach the disk nor the folder the grader made, and vanish with the worker.
5. No fork: the first child created in the new PID namespace is its init; it exits at once, so the
   namespace is dead and every later fork, clone or thread creation fails, even as root. The kernel
   refuses another CLONE_NEWPID while this one is pending, so student code cannot undo it.
   ``RLIMIT_NPROC = 0`` is set too; alone it stops any uid but 0: the kernel exempts real uid 0
   from RLIMIT_NPROC whatever its capabilities, also inside a user namespace.
6. No nested user namespaces.
7. Landlock: read-only access beneath ``read_paths``, full access beneath ``write_paths`` (opened
   after step 4, so on the tmpfs), no TCP bind or connect, no signals to and no abstract unix
   sockets of processes outside the sandbox.
8. Only for a process that is root and could not enter a user namespace (a container whose
   seccomp profile refuses them, as Docker's default does without ``CAP_SYS_ADMIN``): it would
   keep root's capabilities and every file root can open. So the scratch folder is given to
   ``worker_ids`` (default 65534:65534, "nobody"), the process changes its root folder to the
   scratch folder (``chroot``: nothing outside it can be named any more, ``/proc`` included), then
   drops every supplementary group and changes its real, effective and saved uid and gid to
   ``worker_ids`` ("unprivileged-uid"), which clears its capabilities and makes RLIMIT_NPROC
   bind. If the uid cannot be changed, or neither chroot nor Landlock holds (the uid could read
   every world-readable file), :attr:`Isolation.refused` says why, and the caller must not run
   untrusted code.
9. Lock-down: not dumpable, every capability dropped. (While it holds the capabilities of its own
   user namespace, a process mapped to uid 0 still bypasses the permission bits of root-owned
   files.)
10. seccomp (:mod:`autograder.sandbox.seccomp`): no new socket of any kind (so no pathname unix
   socket either, which Landlock does not govern), no io_uring, no ptrace or cross-process memory
   access, no signal to another process, no namespace, mount, chroot or change of uid; system
   calls of a foreign architecture kill the process.

The caller must:

- start the worker single-threaded and keep it so: set ``OPENBLAS_NUM_THREADS``,
  ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` to 1 in its environment before numpy is imported
  (unshare refuses a multi-threaded process, and no thread can be started after confining);
- import every package the student code may use before confining, and pass their directories
  (:func:`python_read_paths`) plus the student's own folder as ``read_paths``: ``site-packages``,
  the working directory and the project folder are not readable afterwards;
- give the worker its output channels (a pipe, or a memfd, which RLIMIT_FSIZE caps) before
  confining, and enforce a wall-clock timeout from the parent, which may still signal the worker;
- create every socket the worker needs before confining: afterwards it can make none.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
import signal
import stat
import sys
import sysconfig
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox import mounts, seccomp

if sys.platform != "win32":
    import resource

__all__ = [
    "OPTIONAL_STEPS",
    "Isolation",
    "Limits",
    "confine",
    "landlock_abi_version",
    "python_read_paths",
]

# The ids a root process without a user namespace changes to: "nobody" and "nogroup" (Debian,
# Ubuntu, Alpine), "nobody" (Fedora); any uid the kernel accepts will do.
DEFAULT_WORKER_IDS = (65534, 65534)


DEFAULT_SCRATCH_BYTES = 64 << 20
DEFAULT_SCRATCH_INODES = 4096


@dataclass(frozen=True)
class Limits:
    """Resource limits of a confined worker.

    Attributes:
        memory_bytes: address space the worker may map on top of what it maps when confined.
        cpu_seconds: CPU time after which the kernel sends SIGXCPU (and SIGKILL one second later,
            should the worker catch SIGXCPU).
        file_bytes: size of the largest file the worker may write (RLIMIT_FSIZE); it also caps a
            stdout redirected to a file.
        scratch_bytes: what all files in the scratch tmpfs may hold together.
        scratch_inodes: how many files and folders the scratch tmpfs may hold.
    """

    memory_bytes: int
    cpu_seconds: int
    file_bytes: int
    scratch_bytes: int = DEFAULT_SCRATCH_BYTES
    scratch_inodes: int = DEFAULT_SCRATCH_INODES

    def __post_init__(self) -> None:
        for name in (
            "memory_bytes",
            "cpu_seconds",
            "file_bytes",
            "scratch_bytes",
            "scratch_inodes",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive int, got {value!r}")


@dataclass(frozen=True)
class Isolation:
    """What :func:`confine` put in force.

    Attributes:
        level: ``"full"`` when the namespaces, the scratch tmpfs, no-fork, Landlock's
            filesystem, network and signal restrictions and the seccomp filter are all in force;
            ``"partial"`` when some of them are; ``"none"`` when nothing beyond rlimits (and
            no_new_privs) is.
        mechanisms: what is in force, in the order applied, e.g. ``("rlimits", "no_new_privs",
            "user+net namespace", "mount namespace", "private-tmp", "scratch-tmpfs",
            "no-fork", ..., "landlock-fs", "landlock-net", "landlock-signal-scope",
            "seccomp")``.
        missing: what could not be applied, each as ``"<mechanism>: <reason>"``.
        refused: empty, or why untrusted code must not run at all in this process: it is root
            without a user namespace and could not change to an unprivileged uid, or could
            neither chroot nor use Landlock.
    """

    level: str
    mechanisms: tuple[str, ...]
    missing: tuple[str, ...]
    refused: str = ""


_ESSENTIAL = (
    "user+net namespace",
    "scratch-tmpfs",
    "no-fork",
    "landlock-fs",
    "landlock-net",
    "landlock-signal-scope",
    "seccomp",
)
# Steps a caller may leave out (tests use it to check what holds at reduced isolation).
OPTIONAL_STEPS = frozenset({"mount namespace", "seccomp"})

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_PR_SET_DUMPABLE = 4
_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

# Landlock (include/uapi/linux/landlock.h). These syscall numbers are shared by x86_64 and aarch64.
_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_FS_EXECUTE = 1 << 0
_FS_WRITE_FILE = 1 << 1
_FS_READ_FILE = 1 << 2
_FS_READ_DIR = 1 << 3
_FS_ABI1 = (1 << 13) - 1  # EXECUTE … MAKE_SYM
_FS_REFER = 1 << 13  # ABI 2
_FS_TRUNCATE = 1 << 14  # ABI 3
_FS_IOCTL_DEV = 1 << 15  # ABI 5
_FS_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_FS_READ_RIGHTS = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_NET_TCP_BIND_AND_CONNECT = (1 << 0) | (1 << 1)  # ABI 4
_SCOPE_ABSTRACT_UNIX_SOCKET_AND_SIGNAL = (1 << 0) | (1 << 1)  # ABI 6


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # __attribute__((packed)) in the kernel header
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


def confine(
    read_paths: Sequence[Path],
    write_paths: Sequence[Path],
    limits: Limits,
    scratch: Path | None = None,
    without: Collection[str] = (),
    worker_ids: tuple[int, int] = DEFAULT_WORKER_IDS,
) -> Isolation:
    """Confine the calling process for good; call once, before any untrusted code runs.

    Parameters:
        read_paths: files and directories the process may still read (and execute) beneath;
            paths that do not exist are skipped. Start from :func:`python_read_paths`.
        write_paths: files and directories the process may read, create, write and delete
            beneath, typically the scratch folder.
        limits: the resource limits.
        scratch: the folder to replace by a private tmpfs (step 4) and make the working
            directory; without it there is no scratch tmpfs and the level is at most partial.
        without: names from :data:`OPTIONAL_STEPS` to leave out, recorded as missing.
        worker_ids: the uid and gid a root process changes to when it cannot enter a user
            namespace (step 8).

    Returns:
        What is in force and what is missing; see :class:`Isolation`. On a platform other than
        Linux only the rlimits are applied and the level is ``"none"``.
    """
    mechanisms: list[str] = []
    missing: list[str] = []

    def step(name: str, action: Callable[[], object]) -> bool:
        error = _error_of(action)
        if error is None:
            mechanisms.append(name)
        else:
            missing.append(f"{name}: {error}")
        return error is None

    if sys.platform == "win32":
        return Isolation("none", (), ("rlimits: not available on Windows",))
    rlimits_set, rlimit_errors = _apply_rlimits(limits)
    missing += rlimit_errors
    if rlimits_set:
        mechanisms.append("rlimits")
    if sys.platform != "linux":
        missing.append(f"namespaces, no-fork, landlock: not available on {sys.platform}")
        return Isolation("none", tuple(mechanisms), tuple(missing))

    step("no_new_privs", lambda: _prctl(_PR_SET_NO_NEW_PRIVS, 1))
    in_userns = step("user+net namespace", _enter_namespaces)
    if "mount namespace" in without:
        missing.append("mount namespace: left out on request")
    elif step("mount namespace", mounts.enter_mount_namespace):
        if scratch is None:
            missing.append("scratch-tmpfs: no scratch folder given")
        else:
            _private_scratch(scratch, limits, read_paths, mechanisms, missing)
    sealed_error = "no new PID namespace"
    if in_userns and _pid_namespace_pending():
        sealed_error = _error_of(_seal_pid_namespace)
    nproc_error = _error_of(lambda: _lower_rlimit(resource.RLIMIT_NPROC, 0, 0))
    if in_userns:
        # Only inside its own user namespace: outside it, as root, this would set the host's limit.
        step("no-nested-userns", _forbid_nested_user_namespaces)
    # Root of the namespace it started in: every capability, every file. Step 8 applies.
    contained = not in_userns and os.geteuid() == 0
    if contained and scratch is not None:
        # Before Landlock, which rules on the scratch folder as it is when it is opened.
        step("scratch-given-away", lambda: _give_scratch_away(scratch, worker_ids))

    abi = landlock_abi_version()
    if abi == 0:
        missing.append(
            "landlock: not available (not in this kernel, or refused by a seccomp profile)"
        )
    else:
        error = _error_of(lambda: _apply_landlock(read_paths, write_paths, abi, missing))
        if error is not None:
            missing.append(f"landlock: {error}")
        else:
            mechanisms.append("landlock-fs")
            if abi >= 4:
                mechanisms.append("landlock-net")
            else:
                missing.append(f"landlock-net: Landlock ABI {abi} < 4")
            if abi >= 6:
                mechanisms += ["landlock-signal-scope", "landlock-abstract-unix-scope"]
            else:
                missing.append(f"landlock-signal-scope: Landlock ABI {abi} < 6")

    refused = ""
    if contained:
        if scratch is None:
            missing.append("chroot: no scratch folder given")
        else:
            step("chroot", lambda: _change_root(scratch))
        uid, gid = worker_ids
        if not step("unprivileged-uid", lambda: _become(uid, gid)):
            refused = (
                "the worker runs as root without a user namespace and could not change to the "
                f"unprivileged uid {uid} ({missing[-1].partition(': ')[2]})"
            )
        elif "chroot" not in mechanisms and "landlock-fs" not in mechanisms:
            chroot_error = next((m for m in missing if m.startswith("chroot:")), "chroot: ?")
            refused = (
                f"the worker, as uid {uid} without a user namespace or Landlock, could read "
                f"every file that uid may read: it could not be confined to its scratch folder "
                f"({chroot_error})"
            )
    step("not-dumpable", lambda: _prctl(_PR_SET_DUMPABLE, 0))
    caps_dropped = step("caps-dropped", _drop_capabilities)

    # The real uid now: after step 8 a contained process is no longer uid 0.
    nproc_binds = nproc_error is None and os.getuid() != 0 and (in_userns or caps_dropped)
    if sealed_error is None or nproc_binds:
        mechanisms.append("no-fork")
    else:
        nproc_reason = nproc_error or "RLIMIT_NPROC does not bind real uid 0 or a capable process"
        missing.append(f"no-fork: {sealed_error}; {nproc_reason}")

    if "seccomp" in without:
        missing.append("seccomp: left out on request")
    else:
        step("seccomp", seccomp.deny_sockets)

    in_force = [name in mechanisms for name in _ESSENTIAL]
    level = "full" if all(in_force) else "partial" if any(in_force) else "none"
    if refused:
        level = "none"
    return Isolation(level, tuple(mechanisms), tuple(missing), refused)


def _private_scratch(
    scratch: Path,
    limits: Limits,
    read_paths: Sequence[Path],
    mechanisms: list[str],
    missing: list[str],
) -> None:
    try:
        hidden, notes = mounts.private_scratch(
            scratch, limits.scratch_bytes, limits.scratch_inodes, read_paths
        )
    except OSError as error:
        missing.append(f"scratch-tmpfs: {error}")
        return
    if hidden:
        mechanisms.append("private-tmp")
    missing.extend(f"private-tmp: {note}" for note in notes)
    mechanisms.append("scratch-tmpfs")


def python_read_paths(packages: Sequence[str] = ("numpy",)) -> list[Path]:
    """Paths a confined interpreter must read to keep importing the stdlib and ``packages``.

    These are the entries of the base interpreter's stdlib directory (lib-dynload included) but
    not its ``site-packages``, each named package's directory and its ``<name>.libs`` sibling
    (where auditwheel puts bundled shared libraries), the system library directories,
    ``/etc/ld.so.cache``, ``/dev/null`` and ``/dev/urandom``; only those that exist. Neither
    a whole ``site-packages``, nor the working directory, nor the project folder is included.

    Raises:
        ModuleNotFoundError: a package in ``packages`` cannot be found.
    """
    base = {
        "base": sys.base_prefix,
        "installed_base": sys.base_prefix,
        "platbase": sys.base_exec_prefix,
        "installed_platbase": sys.base_exec_prefix,
    }
    paths: list[Path] = []
    for key in ("stdlib", "platstdlib"):
        stdlib = Path(sysconfig.get_path(key, vars=base))
        if stdlib.is_dir():
            # Entry by entry, since a Landlock rule covers a whole tree and the base interpreter's
            # site-packages may hold anything, the grader's own package and hidden checks included.
            # (Import still finds stdlib modules: the interpreter listed this directory at startup.)
            paths += [p for p in sorted(stdlib.iterdir()) if p.name not in _SITE_DIRS]
    paths += [Path(entry) for entry in sys.path if Path(entry).name == "lib-dynload"]
    for name in packages:
        paths += _package_paths(name)
    paths += [Path(p) for p in _SYSTEM_READ_PATHS]
    return list(dict.fromkeys(p for p in paths if p.exists()))


def landlock_abi_version() -> int:
    """The Landlock ABI version the running kernel offers, or 0 without Landlock (or Linux)."""
    if sys.platform != "linux":
        return 0
    try:
        return _syscall(
            _SYS_LANDLOCK_CREATE_RULESET,
            None,
            ctypes.c_size_t(0),
            ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION),
        )
    except OSError:
        return 0


_SITE_DIRS = frozenset({"site-packages", "dist-packages"})
_SYSTEM_READ_PATHS = (
    "/usr/lib",
    "/lib",
    "/lib64",
    "/usr/lib64",
    "/etc/ld.so.cache",
    "/dev/null",
    "/dev/urandom",
)


def _package_paths(name: str) -> list[Path]:
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise ModuleNotFoundError(f"python_read_paths: no package named {name!r}", name=name)
    if spec.submodule_search_locations:
        roots = [Path(location) for location in spec.submodule_search_locations]
    elif spec.origin is not None:
        roots = [Path(spec.origin)]
    else:
        roots = []
    return roots + [root.with_name(f"{name}.libs") for root in roots]


def _error_of(action: Callable[[], object]) -> str | None:
    """Run ``action``; return None on success, else the reason it failed."""
    try:
        action()
    except (OSError, ValueError) as exc:
        return str(exc)
    return None


def _proc_status() -> dict[str, str]:
    with open("/proc/self/status") as status:
        return {key: value.strip() for key, _, value in (line.partition(":") for line in status)}


def _lower_rlimit(which: int, soft: int, hard: int) -> None:
    """Set a limit, never above its current hard limit (raising that would need privilege)."""
    current_hard = resource.getrlimit(which)[1]
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
    resource.setrlimit(which, (min(soft, hard), hard))


def _apply_rlimits(limits: Limits) -> tuple[int, list[str]]:
    """Apply the four rlimits; return how many were set and a reason for each failure."""
    errors: list[str] = []
    if sys.platform == "linux":
        vm_size = int(_proc_status()["VmSize"].split()[0]) * 1024  # "123456 kB"
        budget = vm_size + limits.memory_bytes
        memory_error = _error_of(lambda: _lower_rlimit(resource.RLIMIT_AS, budget, budget))
    else:
        memory_error = "no /proc/self/status to measure the current address space"
    if memory_error is not None:
        errors.append(f"RLIMIT_AS: {memory_error}")
    cpu = limits.cpu_seconds
    for name, which, soft, hard in (
        # The hard limit, one second later, sends SIGKILL to a worker that catches SIGXCPU.
        ("RLIMIT_CPU", resource.RLIMIT_CPU, cpu, cpu + 1),
        ("RLIMIT_FSIZE", resource.RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes),
        ("RLIMIT_CORE", resource.RLIMIT_CORE, 0, 0),
    ):
        error = _error_of(
            lambda which=which, soft=soft, hard=hard: _lower_rlimit(which, soft, hard)
        )
        if error is not None:
            errors.append(f"{name}: {error}")
    set_count = 4 - len(errors)
    # Ignored, SIGXFSZ no longer kills: the write that crosses RLIMIT_FSIZE fails with EFBIG.
    error = _error_of(lambda: signal.signal(signal.SIGXFSZ, signal.SIG_IGN))
    if error is not None:
        errors.append(f"SIGXFSZ ignored: {error}")
    return set_count, errors


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> int:
    if result == -1:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")
    return result


def _syscall(number: int, *args: object) -> int:
    return _check(_libc().syscall(ctypes.c_long(number), *args), f"syscall {number}")


def _prctl(option: int, value: int) -> None:
    zero = ctypes.c_ulong(0)
    _check(_libc().prctl(option, ctypes.c_ulong(value), zero, zero, zero), f"prctl({option})")


def _enter_namespaces() -> None:
    """Unshare user, network and (if allowed) PID namespaces, keeping the same uid and gid."""
    threads = _proc_status().get("Threads", "1")
    if threads != "1":
        raise ValueError(
            f"{threads} threads are running and unshare needs one; set OPENBLAS_NUM_THREADS=1, "
            "OMP_NUM_THREADS=1 and MKL_NUM_THREADS=1 before importing numpy",
        )
    uid, gid = os.geteuid(), os.getegid()
    libc = _libc()
    if libc.unshare(ctypes.c_int(_CLONE_NEWUSER | _CLONE_NEWNET | _CLONE_NEWPID)) != 0:
        _check(libc.unshare(ctypes.c_int(_CLONE_NEWUSER | _CLONE_NEWNET)), "unshare")
    # Without privilege in the parent namespace a process may map only its own ids, and must
    # deny setgroups before it writes its gid_map.
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


def _pid_namespace_pending() -> bool:
    """Whether fork would create a new PID namespace's init."""
    try:
        return os.readlink("/proc/self/ns/pid") != os.readlink("/proc/self/ns/pid_for_children")
    except FileNotFoundError:  # what the link reads while the new namespace has no process yet
        return True


def _seal_pid_namespace() -> None:
    """Create the new PID namespace's init and let it exit: no process can start there again."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def _forbid_nested_user_namespaces() -> None:
    # This limit is per user namespace and its owner may lower it; at 0, student code cannot
    # create a nested user namespace to regain capabilities in it.
    Path("/proc/sys/user/max_user_namespaces").write_text("0")


def _drop_bounding_set() -> None:
    libc = _libc()
    for capability in range(64):
        # Emptying the bounding set stops an execve as uid 0 from regaining capabilities. It
        # fails with EINVAL past the last capability, or EPERM when there is nothing to drop
        # (or no CAP_SETPCAP left to drop it with: after step 8, where no execve can regain any).
        if libc.prctl(_PR_CAPBSET_DROP, ctypes.c_ulong(capability), *(ctypes.c_ulong(0),) * 3):
            break


def _give_scratch_away(scratch: Path, worker_ids: tuple[int, int]) -> None:
    """Make the scratch folder the worker's own (0700), for it to write once it is not root.

    The grader made the folder inside one that only root may enter, so no worker can have
    replaced it by a link; ``O_NOFOLLOW`` refuses one all the same."""
    fd = os.open(scratch, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        os.fchown(fd, *worker_ids)
        os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def _change_root(scratch: Path) -> None:
    """Make the scratch folder the root folder and the working directory."""
    os.chroot(scratch)
    os.chdir("/")


def _become(uid: int, gid: int) -> None:
    """Change real, effective and saved uid and gid, with no supplementary group; the kernel
    clears every capability when no uid is 0 any more."""
    if uid == 0 or gid == 0:
        raise ValueError("uid and gid 0 are root's")
    _drop_bounding_set()  # while CAP_SETPCAP is held
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid,) * 3 or os.getresgid() != (gid,) * 3 or os.getgroups():
        raise OSError(f"the ids are {os.getresuid()}, {os.getresgid()}, {os.getgroups()}")


def _drop_capabilities() -> None:
    _drop_bounding_set()
    libc = _libc()
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()  # all zero: no effective, permitted or inheritable capability
    _check(libc.capset(ctypes.byref(header), data), "capset")


def _landlock_fs_rights(abi: int) -> int:
    rights = _FS_ABI1
    if abi >= 2:
        rights |= _FS_REFER
    if abi >= 3:
        rights |= _FS_TRUNCATE
    if abi >= 5:
        rights |= _FS_IOCTL_DEV
    return rights


def _apply_landlock(
    read_paths: Sequence[Path], write_paths: Sequence[Path], abi: int, missing: list[str]
) -> None:
    """Restrict this process with a Landlock ruleset; note skipped paths in ``missing``."""
    fs_rights = _landlock_fs_rights(abi)
    attr = _RulesetAttr(
        handled_access_fs=fs_rights,
        handled_access_net=_NET_TCP_BIND_AND_CONNECT if abi >= 4 else 0,
        scoped=_SCOPE_ABSTRACT_UNIX_SOCKET_AND_SIGNAL if abi >= 6 else 0,
    )
    ruleset = _syscall(
        _SYS_LANDLOCK_CREATE_RULESET,
        ctypes.byref(attr),
        ctypes.c_size_t(ctypes.sizeof(attr)),
        ctypes.c_uint32(0),
    )
    try:
        # No net rule is added: every TCP bind and connect is refused.
        for paths, rights in ((read_paths, _FS_READ_RIGHTS), (write_paths, fs_rights)):
            for path in paths:
                error = _error_of(lambda path=path, rights=rights: _allow(ruleset, path, rights))
                if error is not None:
                    missing.append(f"landlock-fs: {path} skipped: {error}")
        _syscall(_SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)


def _allow(ruleset: int, path: Path, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= _FS_FILE_RIGHTS  # the kernel rejects directory rights on a file (EINVAL)
        rule = _PathBeneathAttr(rights, fd)
        _syscall(
            _SYS_LANDLOCK_ADD_RULE,
            ctypes.c_int(ruleset),
            ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH),
            ctypes.byref(rule),
            ctypes.c_uint32(0),
        )
    finally:
        os.close(fd)

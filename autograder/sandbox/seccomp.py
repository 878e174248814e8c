"""A seccomp filter for a confined worker: no new sockets, nothing that reaches other processes.

Landlock (ABI 7 and before) does not govern ``connect`` to a pathname unix socket, so a worker
could talk to any listener its uid may write to: a Docker socket, a database, an agent in
``/tmp``. The worker needs no new socket: its channel to the grader exists before it is
confined. :func:`deny_sockets` installs a classic BPF filter (``prctl(PR_SET_SECCOMP,
SECCOMP_MODE_FILTER)``, which ``PR_SET_NO_NEW_PRIVS`` allows without privilege) under which

* ``socket`` and ``socketpair`` fail with ``EPERM``;
* so do ``io_uring_setup``/``enter``/``register`` (io_uring can open sockets and connect without
  passing through those system calls), ``ptrace``, ``process_vm_readv``/``writev`` and
  ``pidfd_getfd`` (reading or taking over another process), ``bpf``, ``perf_event_open``,
  ``userfaultfd`` and the kernel keyring calls (kernel attack surface a Python worker never uses);
* so do ``kill``, ``tkill``, ``tgkill``, ``rt_sigqueueinfo`` and ``rt_tgsigqueueinfo`` aimed at
  any process but the worker itself (``kill(-1)`` and process groups included), and
  ``pidfd_open``/``pidfd_send_signal``: in a container, where the worker shares its uid with
  other workers (or, without a uid to change to, with the grader) and Landlock may be missing,
  this is what keeps it from signalling them;
* so do new namespaces and mounts (``unshare``, ``setns``, ``mount``, ``umount2``,
  ``pivot_root``, ``chroot`` and the new mount API) and every change of uid, gid or groups:
  whatever identity and root folder the worker was confined with, it keeps;
* a system call made through another architecture's entry (i386 ``int 0x80`` on x86_64, or the
  x32 ABI, whose numbers carry bit 30) kills the process: the numbers above would not match there.

The filter is known for x86_64 and aarch64 (numbers from the kernel's ``syscall_64.tbl`` and
``asm-generic/unistd.h``); elsewhere :func:`deny_sockets` raises ``OSError`` and confine records
the mechanism as missing. A filter cannot be removed, and is inherited by any child.
It compares a signal's target (the first argument's low 32 bits, a ``pid_t``) with the pid it is
given, so it must be installed by the worker itself.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os

# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6];
_NR_OFFSET = 0
_ARCH_OFFSET = 4
_ARG0_LOW_OFFSET = 16  # args[0]'s low 32 bits on a little-endian machine (x86_64, aarch64)

_BPF_LD_W_ABS = 0x00 | 0x00 | 0x20  # BPF_LD | BPF_W | BPF_ABS
_BPF_JEQ_K = 0x05 | 0x10 | 0x00  # BPF_JMP | BPF_JEQ | BPF_K
_BPF_JGE_K = 0x05 | 0x30 | 0x00  # BPF_JMP | BPF_JGE | BPF_K
_BPF_RET_K = 0x06 | 0x00  # BPF_RET | BPF_K

_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000

_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_X32_SYSCALL_BIT = 0x40000000

DENIED = (
    "socket",
    "socketpair",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "add_key",
    "request_key",
    "keyctl",
    "pidfd_open",
    "pidfd_send_signal",
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setfsuid",
    "setfsgid",
    "setgroups",
)
# Allowed only when their first argument (the target process) is the worker itself.
SIGNALLING = ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")

# machine: (AUDIT_ARCH_*, x32 bit to refuse, system call numbers)
_ARCHITECTURES: dict[str, tuple[int, bool, dict[str, int]]] = {
    "x86_64": (
        0xC000003E,
        True,
        {
            "socket": 41,
            "socketpair": 53,
            "kill": 62,
            "ptrace": 101,
            "setuid": 105,
            "setgid": 106,
            "setreuid": 113,
            "setregid": 114,
            "setgroups": 116,
            "setresuid": 117,
            "setresgid": 119,
            "setfsuid": 122,
            "setfsgid": 123,
            "rt_sigqueueinfo": 129,
            "pivot_root": 155,
            "chroot": 161,
            "mount": 165,
            "umount2": 166,
            "tkill": 200,
            "tgkill": 234,
            "add_key": 248,
            "request_key": 249,
            "keyctl": 250,
            "unshare": 272,
            "rt_tgsigqueueinfo": 297,
            "perf_event_open": 298,
            "setns": 308,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "bpf": 321,
            "userfaultfd": 323,
            "pidfd_send_signal": 424,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "open_tree": 428,
            "move_mount": 429,
            "fsopen": 430,
            "fsconfig": 431,
            "fsmount": 432,
            "fspick": 433,
            "pidfd_open": 434,
            "pidfd_getfd": 438,
            "mount_setattr": 442,
        },
    ),
    "aarch64": (
        0xC00000B7,
        False,
        {
            "umount2": 39,
            "mount": 40,
            "pivot_root": 41,
            "chroot": 51,
            "unshare": 97,
            "ptrace": 117,
            "kill": 129,
            "tkill": 130,
            "tgkill": 131,
            "rt_sigqueueinfo": 138,
            "setregid": 143,
            "setgid": 144,
            "setreuid": 145,
            "setuid": 146,
            "setresuid": 147,
            "setresgid": 149,
            "setfsuid": 151,
            "setfsgid": 152,
            "setgroups": 159,
            "socket": 198,
            "socketpair": 199,
            "add_key": 217,
            "request_key": 218,
            "keyctl": 219,
            "rt_tgsigqueueinfo": 240,
            "perf_event_open": 241,
            "setns": 268,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "bpf": 280,
            "userfaultfd": 282,
            "pidfd_send_signal": 424,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "open_tree": 428,
            "move_mount": 429,
            "fsopen": 430,
            "fsconfig": 431,
            "fsmount": 432,
            "fspick": 433,
            "pidfd_open": 434,
            "pidfd_getfd": 438,
            "mount_setattr": 442,
        },
    ),
}


class _SockFilter(ctypes.Structure):
    _fields_ = (
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    )


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter)))


def filter_program(machine: str, pid: int) -> list[tuple[int, int, int, int]]:
    """The BPF program for ``machine`` (``os.uname().machine``) and the worker ``pid``, as
    (code, jt, jf, k) tuples.

    Raises:
        OSError: no filter is known for this architecture.
    """
    if machine not in _ARCHITECTURES:
        raise OSError(errno.ENOSYS, f"no seccomp filter for the {machine} architecture")
    audit_arch, refuse_x32, numbers = _ARCHITECTURES[machine]
    program = [
        (_BPF_LD_W_ABS, 0, 0, _ARCH_OFFSET),
        (_BPF_JEQ_K, 1, 0, audit_arch),  # this architecture: skip the kill
        (_BPF_RET_K, 0, 0, _RET_KILL_PROCESS),
        (_BPF_LD_W_ABS, 0, 0, _NR_OFFSET),
    ]
    if refuse_x32:
        program += [(_BPF_JGE_K, 0, 1, _X32_SYSCALL_BIT), (_BPF_RET_K, 0, 0, _RET_KILL_PROCESS)]
    denied = sorted(numbers[name] for name in DENIED)
    signalling = sorted(numbers[name] for name in SIGNALLING)
    # Jumps go forward only. After the comparisons come, in order: ALLOW; the signal check
    # (load the target, ALLOW if it is the worker); ERRNO. Offsets count from the next one.
    comparisons = len(denied) + len(signalling)
    allow_at = len(program) + comparisons
    check_at, errno_at = allow_at + 1, allow_at + 4
    for number in denied:
        here = len(program)
        program.append((_BPF_JEQ_K, errno_at - here - 1, 0, number))
    for number in signalling:
        here = len(program)
        program.append((_BPF_JEQ_K, check_at - here - 1, 0, number))
    program += [
        (_BPF_RET_K, 0, 0, _RET_ALLOW),
        (_BPF_LD_W_ABS, 0, 0, _ARG0_LOW_OFFSET),
        (_BPF_JEQ_K, 0, 1, pid & 0xFFFFFFFF),
        (_BPF_RET_K, 0, 0, _RET_ALLOW),
        (_BPF_RET_K, 0, 0, _RET_ERRNO | errno.EPERM),
    ]
    return program


def deny_sockets() -> None:
    """Install the filter on the calling process (and its future threads and children), with
    the calling process as the only one it may signal.

    Raises:
        OSError: no filter is known for this architecture, or the kernel refused it.
    """
    program = filter_program(os.uname().machine, os.getpid())
    instructions = (_SockFilter * len(program))(*(_SockFilter(*i) for i in program))
    fprog = _SockFprog(len(program), instructions)
    libc = _libc()
    zero = ctypes.c_ulong(0)
    result = libc.prctl(
        ctypes.c_int(_PR_SET_SECCOMP),
        ctypes.c_ulong(_SECCOMP_MODE_FILTER),
        ctypes.byref(fprog),
        zero,
        zero,
    )
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"prctl(PR_SET_SECCOMP): {os.strerror(number)}")


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)

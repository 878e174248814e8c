"""Run a command the way Docker's default profile runs a root container: a helper for tests.

``python tests/container_profile.py [--no-landlock] [--no-setuid] -- COMMAND...`` empties the
capability bounding set down to Docker's default capabilities (so root keeps CAP_DAC_OVERRIDE,
CAP_KILL, CAP_SETUID, CAP_SYS_CHROOT ... but not CAP_SYS_ADMIN), sets no_new_privs, installs a
seccomp filter that refuses what Docker's default seccomp profile refuses a container without
CAP_SYS_ADMIN here (``unshare``, ``setns``, ``mount``, ``umount2``, ``clone`` with a namespace flag,
``clone3``), and then executes COMMAND, which inherits all of it. ``--no-landlock`` refuses
Landlock's three system calls too (profiles written before Landlock refuse them with EPERM);
``--no-setuid`` also drops CAP_SETUID and CAP_SETGID (a root that cannot change its uid),
``--no-chroot`` CAP_SYS_CHROOT.

Numbers are x86_64's and aarch64's (the kernel's syscall_64.tbl and asm-generic/unistd.h).
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys

# Docker's default capabilities (moby oci/caps/defaults.go).
DOCKER_CAPABILITIES = {
    "CHOWN": 0,
    "DAC_OVERRIDE": 1,
    "FOWNER": 3,
    "FSETID": 4,
    "KILL": 5,
    "SETGID": 6,
    "SETUID": 7,
    "SETPCAP": 8,
    "NET_BIND_SERVICE": 10,
    "NET_RAW": 13,
    "SYS_CHROOT": 18,
    "MKNOD": 27,
    "AUDIT_WRITE": 29,
    "SETFCAP": 31,
}
NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
# machine: (AUDIT_ARCH_*, refused numbers, clone, clone3, landlock's three)
NUMBERS = {
    "x86_64": (0xC000003E, {"unshare": 272, "setns": 308, "mount": 165, "umount2": 166}, 56),
    "aarch64": (0xC00000B7, {"unshare": 97, "setns": 268, "mount": 40, "umount2": 39}, 220),
}
CLONE3 = 435
LANDLOCK = (444, 445, 446)

LD_W_ABS, JEQ_K, JSET_K, RET_K = 0x20, 0x15, 0x45, 0x06
ALLOW, ERRNO = 0x7FFF0000, 0x00050000


class SockFilter(ctypes.Structure):
    _fields_ = (
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    )


class SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter)))


def program(machine: str, no_landlock: bool) -> list[tuple[int, int, int, int]]:
    arch, refused, clone = NUMBERS[machine]
    eperm = [*refused.values(), *(LANDLOCK if no_landlock else ())]
    code = [(LD_W_ABS, 0, 0, 4), (JEQ_K, 1, 0, arch), (RET_K, 0, 0, ALLOW), (LD_W_ABS, 0, 0, 0)]
    for number in eperm:  # each: the next instruction returns EPERM, else skip it
        code += [(JEQ_K, 0, 1, number), (RET_K, 0, 0, ERRNO | errno.EPERM)]
    code += [(JEQ_K, 0, 1, CLONE3), (RET_K, 0, 0, ERRNO | errno.ENOSYS)]
    code += [
        (JEQ_K, 0, 3, clone),
        (LD_W_ABS, 0, 0, 16),  # clone's flags: the low half of args[0]
        (JSET_K, 0, 1, NAMESPACE_FLAGS),
        (RET_K, 0, 0, ERRNO | errno.EPERM),
        (RET_K, 0, 0, ALLOW),
    ]
    return code


def main(argv: list[str]) -> None:
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1 :]
    keep = set(DOCKER_CAPABILITIES.values())
    if "--no-setuid" in options:
        keep -= {DOCKER_CAPABILITIES["SETUID"], DOCKER_CAPABILITIES["SETGID"]}
    if "--no-chroot" in options:
        keep.discard(DOCKER_CAPABILITIES["SYS_CHROOT"])
    libc = ctypes.CDLL(None, use_errno=True)
    zero = ctypes.c_ulong(0)
    for capability in range(64):
        if capability not in keep:
            if libc.prctl(24, ctypes.c_ulong(capability), zero, zero, zero) != 0:  # CAPBSET_DROP
                break
    if libc.prctl(38, ctypes.c_ulong(1), zero, zero, zero) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    code = program(os.uname().machine, "--no-landlock" in options)
    instructions = (SockFilter * len(code))(*(SockFilter(*i) for i in code))
    fprog = SockFprog(len(code), instructions)
    if libc.prctl(22, ctypes.c_ulong(2), ctypes.byref(fprog), zero, zero) != 0:  # SECCOMP filter
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])

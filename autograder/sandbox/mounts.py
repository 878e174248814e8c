"""A private mount namespace in which a worker's scratch folder is a small tmpfs of its own.

Called by :func:`autograder.sandbox.confine.confine` after it entered a new user namespace
(which gives it the capability to mount there) and before Landlock (which forbids mounting).
In order:

1. :func:`enter_mount_namespace`: a new mount namespace, with every mount made private, so
   that nothing mounted here propagates to the host and nothing the host mounts appears here.
2. :func:`private_scratch`: an empty read-only tmpfs over each shared temporary folder
   (``/tmp``, ``/var/tmp``, ``/dev/shm``), which hides what others keep there (listening
   sockets, other submissions' folders, files of the grader); what the worker must still read
   beneath one (a virtual environment made under ``/tmp``, as CI runners do) is bound back at
   its own path, and nothing else; then a tmpfs of ``size_bytes`` and ``inodes`` over the scratch
   folder (its path made anew inside a hidden folder), ``nosuid,nodev,noexec``; then the
   process moves into it.

Whatever the worker writes from then on stays in its own memory-backed tmpfs: it is capped as
a whole (a write past the cap fails with ``ENOSPC``), it never reaches the disk or the folder
the grader created, and it disappears with the worker's mount namespace when the worker ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

SHARED_TEMP_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm")
_HIDING_OPTIONS = "size=64k,nr_inodes=256,mode=0755"  # room for bind points

_CLONE_NEWNS = 0x00020000
_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_MNT_DETACH = 2
_SAFE_FLAGS = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
# statvfs's ST_* flags and the MS_* flags they stand for (noexec, noatime, nodiratime, relatime)
_STATVFS_TO_MOUNT = ((8, _MS_NOEXEC), (1024, 1024), (2048, 2048), (4096, 1 << 21))


def enter_mount_namespace() -> None:
    """Unshare the mount namespace and make every mount in it private (recursively)."""
    _check(_libc().unshare(ctypes.c_int(_CLONE_NEWNS)), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE, None)


def private_scratch(
    scratch: Path, size_bytes: int, inodes: int, visible: Sequence[Path]
) -> tuple[list[str], list[str]]:
    """Mount a fresh tmpfs over ``scratch`` (after hiding the shared temporary folders) and chdir.

    Parameters:
        scratch: the worker's scratch folder; it becomes the working directory.
        size_bytes: the most bytes all files in it may hold together.
        inodes: the most files and folders it may hold.
        visible: paths the worker must still read; one beneath a shared temporary folder (and
            outside ``scratch``) is bound back at its own path in the hiding tmpfs.

    Returns:
        The folders hidden, and a note for each left visible or writable.

    Raises:
        OSError: a mount failed; the folders hidden so far are shown again.
    """
    scratch = Path(os.path.realpath(scratch))
    hidden: list[str] = []
    notes: list[str] = []
    try:
        for name in SHARED_TEMP_FOLDERS:
            folder = Path(os.path.realpath(name))
            if str(folder) in hidden or not folder.is_dir() or folder.is_relative_to(scratch):
                continue
            needed = _outermost(
                Path(os.path.realpath(p))
                for p in visible
                if _beneath(p, folder) and not _beneath(p, scratch)
            )
            note = _hide(folder, needed)
            if note is None:
                hidden.append(str(folder))
            else:
                notes.append(f"{name} not hidden: {note}")
        scratch.mkdir(parents=True, exist_ok=True)  # anew, when it was in a hidden folder
        options = f"size={size_bytes},nr_inodes={inodes},mode=0700"
        _mount("tmpfs", str(scratch), "tmpfs", _SAFE_FLAGS, options)
    except OSError:
        for folder in reversed(hidden):
            _libc().umount2(folder.encode(), ctypes.c_int(_MNT_DETACH))
        raise
    for folder in hidden:
        # Read-only, so that these tiny tmpfs cannot be a second place to write.
        try:
            _mount(None, folder, None, _MS_REMOUNT | _MS_RDONLY | _SAFE_FLAGS, None)
        except OSError as error:
            notes.append(f"{folder} hidden but left writable (64 KiB): {error.strerror}")
    os.chdir(scratch)
    return hidden, notes


def _hide(folder: Path, needed: Sequence[Path]) -> str | None:
    """Mount the hiding tmpfs over ``folder`` and bind each of ``needed`` back; None when
    done, else why ``folder`` is left as it was."""
    kept: list[tuple[Path, int]] = []
    try:
        # opened before the folder is hidden: bound back from these descriptors afterwards
        for path in needed:
            kept.append((path, os.open(path, os.O_PATH | os.O_CLOEXEC)))
    except OSError as error:
        _close(kept)
        return f"it holds {error.filename}, which the worker reads: {error.strerror}"
    _mount("tmpfs", str(folder), "tmpfs", _SAFE_FLAGS, _HIDING_OPTIONS)
    try:
        for path, descriptor in kept:
            _bind_back(path, descriptor)
    except OSError as error:
        _libc().umount2(str(folder).encode(), ctypes.c_int(_MNT_DETACH))
        return f"what the worker reads beneath it could not be bound back ({error})"
    finally:
        _close(kept)
    return None


def _outermost(paths: Iterable[Path]) -> list[Path]:
    """``paths`` without those beneath another of them (binding the outer one shows both)."""
    chosen: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(outer) for outer in chosen):
            chosen.append(path)
    return chosen


def _bind_back(path: Path, descriptor: int) -> None:
    """Bind what ``descriptor`` (opened with O_PATH before ``path``'s folder was hidden) names
    at ``path``, making the mount point in the hiding tmpfs first."""
    if stat.S_ISDIR(os.fstat(descriptor).st_mode):
        path.mkdir(parents=True, exist_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644))
    _mount(f"/proc/self/fd/{descriptor}", str(path), None, _MS_BIND | _MS_REC, None)
    # read-only, whatever Landlock adds: a venv the grader imports must not be the worker's to
    # rewrite. A bind keeps the source mount's flags, and a user namespace may not clear those
    # (EPERM), so they are all given again.
    _mount(None, str(path), None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _kept_flags(path), None)


def _kept_flags(path: Path) -> int:
    """The mount flags of the file system at ``path`` that a remount must repeat."""
    found = os.statvfs(path).f_flag
    flags = _MS_NOSUID | _MS_NODEV
    for statvfs_flag, mount_flag in _STATVFS_TO_MOUNT:
        if found & statvfs_flag:
            flags |= mount_flag
    return flags


def _close(kept: Sequence[tuple[Path, int]]) -> None:
    for _, descriptor in kept:
        with contextlib.suppress(OSError):
            os.close(descriptor)


def _beneath(path: Path, folder: Path) -> bool:
    with contextlib.suppress(OSError, ValueError):
        return Path(os.path.realpath(path)).is_relative_to(folder)
    return False


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None):
    encoded = [None if s is None else s.encode() for s in (source, target, fstype, data)]
    result = _libc().mount(encoded[0], encoded[1], encoded[2], ctypes.c_ulong(flags), encoded[3])
    _check(result, f"mount {target}")

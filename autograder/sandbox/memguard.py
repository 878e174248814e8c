"""Bound the memory the grader may take while it computes something a worker asked for.

A stand-in runs the reference in the grader on arguments the student code chose. Bounding the
arguments (:data:`autograder.sandbox.protocol.MAX_VALUE_ELEMENTS`) is not enough: a few small
integers can be a shape (``make_weights(16000, 16000, 0)`` asks for 2 GB), and two modest arrays
can broadcast to their product. :func:`address_space_headroom` lowers this process's soft
``RLIMIT_AS`` to its current size plus a headroom for the duration, so that an allocation past
it fails at once with ``MemoryError`` (numpy and Python both raise it when ``mmap`` or ``brk``
fail) instead of growing the grader; on leaving, the previous limit is restored. Only the soft
limit moves: lowering and raising it back up to the hard limit needs no privilege.

The limit is per process: while it is in force, another thread of the grader that maps more
than the headroom fails too. The grader's only other thread (``grade`` imports matplotlib
meanwhile) maps a few tens of MiB at most.

One library does not survive a failed allocation: OpenBLAS maps the calling thread's work
buffer (about 32 MiB) on the first matrix product that thread computes, and when that ``mmap``
fails it prints "Memory allocation still failed after 10 retries, giving up" and exits the
process. :func:`address_space_headroom` therefore computes one product before it first
lowers the limit, so that the buffer exists already (OpenBLAS's own threads map theirs when
they start, at import).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

import numpy as np

if sys.platform.startswith("linux"):
    import resource
else:  # the kit grades on Linux; elsewhere nothing is bounded here
    resource = None

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_BLAS_READY: list[bool] = []


def address_space_bytes() -> int | None:
    """This process's mapped address space (``VmSize``), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return None


def warm_up_blas() -> None:
    """Make the BLAS map this thread's work buffer now: one 256 x 256 product, about 1 ms
    (OpenBLAS computes smaller products without the buffer)."""
    square = np.ones((256, 256))
    _ = square @ square  # computed for its side effect
    _BLAS_READY.append(True)


@contextlib.contextmanager
def address_space_headroom(extra_bytes: int) -> Iterator[bool]:
    """Within the block, this process may map at most ``extra_bytes`` more than on entering.

    Yields whether the bound is in force (False off Linux, or when the size cannot be read).
    """
    if resource is not None and not _BLAS_READY:
        warm_up_blas()
    size = address_space_bytes() if resource is not None else None
    if size is None:
        yield False
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = size + extra_bytes
    for current in (soft, hard):
        if current != resource.RLIM_INFINITY:
            cap = min(cap, current)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield True
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

"""Pictures drawn once per distinct content, within one grader process.

A feedback picture depends only on the numbers :func:`collect` gathered (the student's answers
and the reference's) and on the assignment's figure code. Most students of a class give the
same numbers (every correct solution does), so most pictures are a picture some earlier student
already got. :func:`content_key` names the content: the figure code's bytes and the numbers, each
float as a 32-bit float (what the eye can see of it, and equal for two computations that differ
only in their last bits), with every type, shape and string written out; anything else (an
object the worker sent that is none of these, a structure too deep or too large) has no key and
is drawn afresh. :class:`PictureCache` keeps the last :data:`CACHE_ENTRIES` contents drawn.

A picture found here is drawn from the first student's numbers, which equal this student's to
7 significant digits: its captions (which print 3 or 4) and its pixels are the same.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections import OrderedDict
from pathlib import Path
from types import ModuleType
from typing import Any, Generic, TypeVar

import numpy as np

CACHE_ENTRIES = 64  # about 3 pictures of 30-80 KB each per entry: under 16 MB
# AUTOGRADER_PICTURE_CACHE=N keeps N contents instead (0: draw every picture afresh, the
# benchmark's baseline)
CACHE_ENTRIES_VARIABLE = "AUTOGRADER_PICTURE_CACHE"
MAX_KEYED_BYTES = 8 * 2**20  # numbers beyond this are not worth hashing: drawn afresh
MAX_DEPTH = 20

T = TypeVar("T")


class _NoKey(Exception):
    """The content holds something :func:`content_key` does not name."""


def content_key(module: ModuleType, data: Any) -> str | None:
    """A name for what ``module.figures(data)`` draws, or None when there is none."""
    source = _source_digest(getattr(module, "__file__", None) or "")
    if source is None:
        return None
    digest = hashlib.sha256(source)
    budget = [MAX_KEYED_BYTES]
    try:
        _feed(digest, data, 0, budget)
    except (_NoKey, RecursionError):
        return None
    return digest.hexdigest()


@functools.cache
def _source_digest(path: str) -> bytes | None:
    """The figure code's bytes, hashed (read once per grader process: the kit's own file)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).digest()
    except OSError:
        return None


def _feed(digest: Any, value: Any, depth: int, budget: list[int]) -> None:
    if depth > MAX_DEPTH:
        raise _NoKey
    if value is None:
        digest.update(b"N")
    elif isinstance(value, (bool, np.bool_)):
        digest.update(b"B1" if value else b"B0")
    elif isinstance(value, (int, np.integer)):
        digest.update(b"I" + str(int(value)).encode() + b";")
    elif isinstance(value, (float, np.floating)):
        digest.update(b"F" + _floats(np.asarray([value])))
    elif isinstance(value, str):
        encoded = value.encode("utf-8", "surrogatepass")
        _spend(budget, len(encoded))
        digest.update(b"S" + str(len(encoded)).encode() + b";" + encoded)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise _NoKey
        _spend(budget, value.size * 4)
        digest.update(b"A" + value.dtype.kind.encode() + repr(value.shape).encode())
        digest.update(
            _floats(value) if value.dtype.kind == "f" else value.astype(np.int64).tobytes()
        )
    elif isinstance(value, (list, tuple)):
        digest.update((b"L" if isinstance(value, list) else b"T") + str(len(value)).encode() + b";")
        for item in value:
            _feed(digest, item, depth + 1, budget)
    elif isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise _NoKey
        digest.update(b"D" + str(len(value)).encode() + b";")
        for key in sorted(value):
            _feed(digest, key, depth + 1, budget)
            _feed(digest, value[key], depth + 1, budget)
    else:
        raise _NoKey


def _floats(values: np.ndarray) -> bytes:
    """Floats as 32-bit floats, every NaN the same NaN and -0.0 as 0.0."""
    single = np.ascontiguousarray(values, dtype=np.float32).copy()
    single[np.isnan(single)] = np.nan
    single[single == 0] = 0.0
    return single.tobytes()


def _spend(budget: list[int], amount: int) -> None:
    budget[0] -= amount
    if budget[0] < 0:
        raise _NoKey


def configured_entries() -> int:
    """:data:`CACHE_ENTRIES`, or the number in ``$AUTOGRADER_PICTURE_CACHE`` (0 or more)."""
    text = os.environ.get(CACHE_ENTRIES_VARIABLE, "")
    return int(text) if text.isdigit() and len(text) < 7 else CACHE_ENTRIES


class PictureCache(Generic[T]):
    """The last ``entries`` renderings, by :func:`content_key` (none kept when 0)."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self.entries = entries
        self._kept: OrderedDict[str, T] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: str | None) -> T | None:
        if key is None or key not in self._kept:
            self.misses += 1
            return None
        self.hits += 1
        self._kept.move_to_end(key)
        return self._kept[key]

    def put(self, key: str | None, value: T) -> None:
        if key is None or self.entries == 0:
            return
        self._kept[key] = value
        self._kept.move_to_end(key)
        while len(self._kept) > self.entries:
            self._kept.popitem(last=False)

"""Shards: the K-th of N stable slices of a class, so that many machines can grade one class.

``autograder grade-batch SUBS --out OUT --shard K/N`` grades only the submissions of slice K
(counted from 1 to N); a plain ``grade-batch SUBS --out OUT`` afterwards finds every result
up to date and writes the class files.

Which slice a submission is in depends on its own id and N only, never on the other
students: the first 8 bytes of the SHA-256 of the id's key, as an unsigned big-endian
number, modulo N, plus 1. So a student who joins late, or a submission that turns out not to
be gradable, moves nobody else, and every machine computes the same slices whatever its
Python (no ``hash()``, which is salted per process). The id is the entry's
(:attr:`autograder.batch.discover.Entry.student_id`, the name of its results folder; a
Gradescope group is one entry, the members of a group are never split).

The key is the id with the case-collision suffix of
:func:`autograder.batch.discover.case_free_id` removed, case-folded: ``Zoe`` and ``zoe``
become ``Zoe-<hash>`` and ``zoe-<hash>`` only when both are in the class, and both keep the
slice they had alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from autograder.batch.discover import Entry, case_free_id
from autograder.errors import UsageError

# K/N: two whole numbers of at most 9 digits (a bound that keeps int() cheap on any input)
_SHARD = re.compile(r"([0-9]{1,9})/([0-9]{1,9})")


@dataclass(frozen=True)
class Shard:
    """Slice ``index`` of ``count`` (1 <= index <= count); raises :class:`UsageError` otherwise."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1:
            raise UsageError(
                f"--shard {self.index}/{self.count}: N, the number of slices, must be at least 1"
            )
        if not 1 <= self.index <= self.count:
            raise UsageError(
                f"--shard {self.index}/{self.count}: K counts the slices from 1, so it must be "
                f"between 1 and {self.count}"
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, student_id: str) -> bool:
        """Whether the submission with this id is in this slice."""
        return slice_of(student_id, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """``"K/N"`` as a :class:`Shard`; anything else raises :class:`UsageError` (one sentence)."""
    match = _SHARD.fullmatch(text.strip())
    if match is None:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise UsageError(
            f"--shard must be K/N, two whole numbers such as 2/3 for the second of three "
            f"slices, not {shown!r}"
        )
    return Shard(int(match[1]), int(match[2]))


def shard_key(student_id: str) -> str:
    """What decides a submission's slice: its id without a case-collision suffix, case-folded."""
    return case_free_id(student_id).casefold()


def slice_of(student_id: str, count: int) -> int:
    """The slice (1 to ``count``) of the submission with this id, from its id alone."""
    digest = hashlib.sha256(shard_key(student_id).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select(entries: Sequence[Entry], shard: Shard) -> list[Entry]:
    """The entries of ``shard``'s slice, in their order; not-graded entries included (each is
    in exactly one slice like everybody else)."""
    return [entry for entry in entries if shard.holds(entry.student_id)]

"""Every file the kit writes for a grade: one writer per format, a registry of them for one
submission and one for a class, and the one way a file is written.

- :mod:`.atomic`: :func:`~.atomic.write_bytes_atomic` and its text, JSON and JSON Lines
  forms. Every output goes through it: whole or not at all, valid UTF-8.
- :mod:`.student`: what ``autograder grade`` writes for one submission
  (:data:`~.student.STUDENT_OUTPUTS`: report.json, the feedback pages, results.json last).
- :mod:`.classfiles`: what ``autograder grade-batch`` writes for the class once every student
  is done (:data:`~.classfiles.CLASS_OUTPUTS`: the summary, class.json, grades.csv,
  scores.jsonl, moodle.csv, the similarity report), from one :class:`~.classfiles.ClassRecord`.

Each format's own module makes its content from the typed records (:mod:`autograder.export`,
:mod:`autograder.feedback.pages`, :mod:`autograder.batch.summary`,
:mod:`autograder.integrity.report`, :func:`autograder.grading.results.to_gradescope`); the
registries say what is written, in which order, under which names. A new format is one
writer and one line in a registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

Record = TypeVar("Record")


@dataclass(frozen=True)
class Output(Generic[Record]):
    """One format: the files it writes into the output folder and how.

    ``files`` are the names announced to the user (pictures beside a page are not listed);
    ``write(record, out)`` writes them (each atomically) and returns whether it wrote
    anything (False: this format does not apply, e.g. no similarity report was made, and any
    stale copy of its files was removed).
    """

    name: str
    files: tuple[str, ...]
    write: Callable[[Record, Path], bool]

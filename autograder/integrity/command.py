"""What ``grade-batch`` calls once the class is graded: the integrity report, start to finish.

:func:`compare_class` fingerprints every submission's code (nothing is run for that) and runs
every student's functions on the probe set in the sandbox (only those grading did not already
find correct), both in ``jobs`` processes (:mod:`.examine`); then it joins the two kinds of
evidence into pairs. :meth:`Comparison.write` writes them as ``similarity.csv`` and
``similarity.html`` (:func:`write_integrity_report` does both). Nothing is raised for a
submission that cannot be read or run: that student is listed as not compared, with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.batch.discover import Entry
from autograder.config import AssignmentConfig
from autograder.grading.diagnosis import load_catalog
from autograder.grading.results import StudentResult
from autograder.grading.runner import load_reference
from autograder.integrity.code_similarity import code_matches
from autograder.integrity.examine import Task, examine_class
from autograder.integrity.fingerprints import boilerplate_hashes
from autograder.integrity.pairs import CODE_SUPPORTING, Pair, join
from autograder.integrity.probe_run import ProbeTask, plan
from autograder.integrity.probes import probe_set
from autograder.integrity.report import (
    CSV_NAME,
    HTML_NAME,
    ReportInputs,
    UnitsOf,
    write_report,
)
from autograder.integrity.shared_answers import AnswerClassifier, shared_answers
from autograder.integrity.sources import CodeText, Unit, given_code, submission_code, unit

INSTALL_HINT = "pip install 'sign-of-the-gradient[integrity]'"


def missing_dependency() -> str | None:
    """Why the report cannot be made here (a sentence), or None when it can.

    The report needs copydetect, an optional dependency (the ``integrity`` extra).
    """
    try:
        import copydetect.utils  # noqa: F401
    except ImportError:
        return f"the integrity report needs the copydetect package ({INSTALL_HINT})"
    return None


@dataclass(frozen=True)
class Comparison:
    """The pairs worth a look, and what the report says about them; nothing written yet.

    ``units_of`` reads a submission's code again when the report shows it: write the report
    (:meth:`write`) while the submissions are still where they were found.
    """

    pairs: tuple[Pair, ...]
    inputs: ReportInputs
    units_of: UnitsOf
    seconds: float

    @property
    def flagged(self) -> int:
        return sum(1 for p in self.pairs if p.flagged)

    def line(self) -> str:
        """One line for the terminal."""
        count = len(self.pairs)
        return (
            f"Integrity report: {count} pair{'' if count == 1 else 's'} worth a look, "
            f"{self.flagged} flagged "
            f"({HTML_NAME}, {CSV_NAME}; {self.seconds:.1f} s)"
        )

    def write(self, out: Path) -> IntegrityReport:
        """Write ``out/similarity.csv`` and ``out/similarity.html``, each atomically."""
        csv_path, html_path = write_report(out, self.pairs, self.inputs, self.units_of)
        return IntegrityReport(csv_path, html_path, self.pairs, self.seconds)


@dataclass(frozen=True)
class IntegrityReport:
    """What was written, and the pairs."""

    csv: Path
    html: Path
    pairs: tuple[Pair, ...]
    seconds: float

    @property
    def flagged(self) -> int:
        return sum(1 for p in self.pairs if p.flagged)


def write_integrity_report(
    entries: Sequence[Entry],
    students: Sequence[StudentResult],
    assignment: AssignmentConfig,
    config_path: Path,
    out: Path,
    jobs: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> IntegrityReport:
    """Compare the class's submissions (:func:`compare_class`) and write ``out/similarity.csv``
    and ``similarity.html``."""
    return compare_class(entries, students, assignment, config_path, jobs, on_progress).write(out)


def compare_class(
    entries: Sequence[Entry],
    students: Sequence[StudentResult],
    assignment: AssignmentConfig,
    config_path: Path,
    jobs: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Compare the class's submissions: fingerprint the code, probe the functions, join.

    Parameters
    ----------
    entries : the submissions found (``grade-batch``'s discovery), in class order.
    students : the batch's results (``BatchOutcome.students``); a student's grade tells which
        functions need not run again (those that passed all their checks, or hung). A student
        missing here has every function probed.
    assignment, config_path : the assignment graded and the grading.yaml it came from (the
        probing processes load it again, as the grader processes do).
    jobs : how many processes examine submissions at once.
    on_progress : called as ``on_progress(done, total)`` after each submission is examined
        (fingerprinted and probed), for a progress line; the comparisons after that take a
        second or two.
    """
    started = time.monotonic()
    reference = load_reference(assignment)
    probes = probe_set(assignment, reference)
    results = {s.student_id: s.result for s in students if s.graded}
    unreadable = {e.student_id: e.problem for e in entries if e.problem}
    tasks = []
    for entry in entries:
        if entry.problem:
            continue
        planned = plan(entry.student_id, entry.path, results.get(entry.student_id), probes)
        probe = planned if isinstance(planned, ProbeTask) else None
        known = None if isinstance(planned, ProbeTask) else planned
        tasks.append(Task(entry.student_id, entry.path, probe, known))
    boilerplate = boilerplate_hashes(given_code(assignment))
    examined = {
        e.student_id: e
        for e in examine_class(tasks, assignment, config_path, boilerplate, jobs, on_progress)
    }
    unreadable |= {s: e.problem for s, e in examined.items() if e.problem}
    order = [e.student_id for e in entries]
    documents = [examined[s].fingerprints if s in examined else None for s in order]
    matches, code_summary = code_matches(documents, CODE_SUPPORTING)

    classifier = AnswerClassifier(
        assignment, reference, probes, load_catalog(assignment.checks_dir)
    )
    answers = [e.answers for e in examined.values() if e.problem is None]
    classified = {a.student_id: classifier.classify(a) for a in answers if a.problem is None}
    not_probed = {a.student_id: a.problem for a in answers if a.problem is not None}
    shared, answer_summary = shared_answers(classified, not_probed, tuple(probes))

    rows = join(order, matches, shared)
    inputs = ReportInputs(
        assignment=assignment.name,
        students=len(entries),
        code=code_summary,
        answers=answer_summary if probes else None,
        given_files=tuple(
            sorted(
                p.name for p in assignment.release_dir.iterdir() if p.suffix in (".py", ".ipynb")
            )
        ),
        unreadable=unreadable,
    )
    fingerprints_of = dict(zip(order, documents, strict=True))
    paths = {e.student_id: e.path for e in entries}
    codes: dict[str, CodeText] = {}

    def units_of(student: str, weighted: Sequence[tuple[int, float]]) -> list[Unit]:
        document = fingerprints_of.get(student)
        if document is None:
            return []
        if student not in codes:  # read again only the few submissions the report shows
            try:
                codes[student] = submission_code(paths[student], assignment.module)
            except Exception:
                return []
        return [unit(codes[student], document.unit_starts, index) for index, _ in weighted]

    return Comparison(tuple(rows), inputs, units_of, time.monotonic() - started)

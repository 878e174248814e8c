"""``autograder grade-batch``: find the class's submissions, grade them, write the class files.

Per student, ``OUT/<student>/`` holds exactly what ``autograder grade`` writes
(:mod:`autograder.outputs.student`). For the class, once every student has been processed:
the files of :data:`autograder.outputs.classfiles.CLASS_OUTPUTS` (the summary, ``class.json``,
the LMS exports, the similarity report), each atomically, so an interrupted run never leaves a
half-class gradebook behind; rerun the same command to resume.

With ``--scheduler tcp://HOST:PORT`` (:mod:`autograder.batch.cluster`) each student is graded
as a task on a dask.distributed cluster, in a sandbox on its worker; the results and the
class files are written here all the same. It cannot be combined with ``--shard`` (the
cluster already spreads the class over its machines).

With ``--shard K/N`` (:mod:`autograder.batch.shards`) only the K-th of N stable slices of the
class is graded and no class file is written: shards run on many machines into one OUT, then a
plain run reuses every result and writes the class files.

Every class file lists every student found, each on their own row
(:mod:`autograder.batch.rows`). The student's name, Canvas user id and email come from the
roster where it gives them, else from the export (a Canvas file name, Gradescope's metadata);
see :func:`autograder.export.roster.with_known`. Whatever is printed passes through
:func:`autograder.report.terminal_text`: student ids are file names and reasons are exception
messages, either may hold terminal escape sequences.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.batch.discover import DiscoveryError, Entry, discover, unpack_zip
from autograder.batch.rows import class_rows, class_summary, known_students
from autograder.batch.runner import BatchOutcome, Progress, default_jobs, grade_batch
from autograder.batch.shards import Shard, select
from autograder.batch.summary import summary_text
from autograder.config import AssignmentConfig, GradingConfig
from autograder.errors import UsageError
from autograder.export.roster import Roster, RosterError, with_known
from autograder.grading.runner import weaker_than_full
from autograder.outputs.classfiles import CLASS_OUTPUTS, ClassRecord, write_class_outputs
from autograder.report import terminal_text

if TYPE_CHECKING:
    from autograder.integrity.command import Comparison


@dataclass(frozen=True)
class BatchOptions:
    """What ``autograder grade-batch`` grades, where it writes, and how.

    ``submissions`` is a folder or a zip in any layout :func:`discover` knows; ``out`` the
    folder for every student's results and the class files; ``jobs`` the grader processes
    (None: one per core); ``force`` regrades students whose results are up to date;
    ``figures`` draws the feedback pictures; ``roster`` is the optional roster CSV;
    ``similarity`` writes the integrity report; ``canvas_assignment_id`` goes into grades.csv;
    ``shard``, when given, grades only that slice of the class and writes no class file (see
    :mod:`autograder.batch.shards`); ``scheduler``, when given, is the address of the
    dask.distributed scheduler whose workers grade (see :mod:`autograder.batch.cluster`).
    """

    submissions: Path
    out: Path
    jobs: int | None = None
    force: bool = False
    figures: bool = True
    roster: Path | None = None
    similarity: bool = True
    canvas_assignment_id: int | None = None
    shard: Shard | None = None
    scheduler: str | None = None


def grade_class(options: BatchOptions, config: GradingConfig, assignment_name: str | None) -> int:
    """Grade a class and write the class files; return the exit status (0, or 130 when
    interrupted). Misuse raises :class:`UsageError` before anything is graded.

    With ``options.shard``, only that slice is graded and no class file is written (nor the
    integrity report): :func:`_finish_shard`.
    """
    assignment = config.assignment(assignment_name)
    jobs = options.jobs if options.jobs is not None else default_jobs()
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    if options.scheduler is not None:
        _check_scheduler(options)
    roster = None
    if options.roster is not None:
        from autograder.export.roster import load_roster

        try:
            roster = load_roster(options.roster)
        except RosterError as error:
            raise UsageError(str(error)) from None
    out: Path = options.out
    # the integrity report reads the submissions again while it is written: an unpacked zip
    # stays until the class files are written
    with _unpacked(options.submissions) as source:
        try:
            entries = discover(
                source, assignment.module, assignment.name, list(assignment.functions)
            )
        except DiscoveryError as error:  # name the zip the user gave, not our temporary copy
            raise UsageError(str(error).replace(str(source), str(options.submissions))) from None
        try:  # a roster that contradicts the export stops the run before anything is graded
            with_known(roster, known_students(entries))
        except RosterError as error:
            raise UsageError(str(error)) from None
        # a shard grades its slice of the class; everything else about the run is the same
        chosen_entries = entries if options.shard is None else select(entries, options.shard)
        out.mkdir(parents=True, exist_ok=True)
        default = (
            ""
            if assignment_name or len(config.assignments) == 1
            else " (the default; --assignment chooses)"
        )
        print(terminal_text(_opening_line(options, f"{assignment.name!r}{default}", entries, jobs)))
        if options.shard is not None and not chosen_entries:
            print(terminal_text(_shard_line(options, entries, chosen_entries)))
            return 0
        outcome = _grade(options, chosen_entries, assignment, config.path, jobs)
        if outcome.interrupted:
            finished = sum(1 for s in outcome.students if s.result is not None)
            print(
                terminal_text(
                    f"\nInterrupted: {finished} of {len(chosen_entries)} students have results "
                    f"in {out}; run the same command again to grade the rest."
                ),
                file=sys.stderr,
            )
            return 130
        if options.shard is not None:
            return _finish_shard(options, entries, chosen_entries, outcome, assignment)
        similarity = _compare(options, entries, outcome, assignment, config, jobs)
        files = write_class_files(
            entries,
            outcome,
            assignment,
            out,
            roster,
            options.canvas_assignment_id,
            similarity=similarity,
        )
    stats = class_summary(class_rows(entries, outcome), assignment)
    print(
        terminal_text(summary_text(stats, reused=outcome.reused, wall_seconds=outcome.wall_seconds))
    )
    print(terminal_text(f"Class files: {out}/{', '.join(files)}"))
    _warn_about_isolation(outcome)
    return 0


def _check_scheduler(options: BatchOptions) -> None:
    """Refuse ``--scheduler`` with ``--shard`` or without dask.distributed (one sentence each)."""
    from autograder.batch.cluster import missing_dependency

    if options.shard is not None:
        raise UsageError(
            "--scheduler and --shard cannot be combined: the dask cluster already spreads the "
            "whole class over its workers, so give only --scheduler"
        )
    reason = missing_dependency()
    if reason:
        raise UsageError(reason)


def _grade(
    options: BatchOptions,
    entries: Sequence[Entry],
    assignment: AssignmentConfig,
    config_path: Path,
    jobs: int,
) -> BatchOutcome:
    """Grade ``entries`` with local grader processes, or on the dask cluster."""
    if options.scheduler is None:
        return grade_batch(
            entries,
            assignment,
            config_path,
            options.out,
            jobs,
            force=options.force,
            on_progress=Progress(len(entries)),
            figures=options.figures,
        )
    from autograder.batch.cluster import grade_on_cluster

    def refused(sentence: str) -> None:
        print(
            terminal_text(f"autograder: warning: {sentence}: no student is sent to it"),
            file=sys.stderr,
        )

    return grade_on_cluster(
        entries,
        assignment,
        config_path,
        options.out,
        options.scheduler,
        force=options.force,
        on_progress=Progress(len(entries)),
        figures=options.figures,
        on_worker_refused=refused,
    )


def _opening_line(
    options: BatchOptions, assignment: str, entries: Sequence[Entry], jobs: int
) -> str:
    """What is graded (``assignment`` as it is to be shown), how and where: the first line a
    run prints."""
    layout = entries[0].layout if entries else "plain"
    people = sum(len(e.students) for e in entries)
    groups = f" of {people} students" if people != len(entries) else ""
    submissions = "1 submission" if len(entries) == 1 else f"{len(entries)} submissions"
    what = f"{submissions}{groups} ({layout} layout) of {assignment}"
    if options.scheduler is not None:
        return f"Grading {what} on the dask cluster at {options.scheduler} into {options.out}"
    if options.shard is None:
        return f"Grading {what} with {jobs} grader processes into {options.out}"
    return (
        f"Shard {options.shard} of {what}: grading its slice with {jobs} grader processes "
        f"into {options.out}"
    )


def _shard_line(options: BatchOptions, entries: Sequence[Entry], chosen: Sequence[Entry]) -> str:
    """How much of the class the shard's slice holds, and that the class files wait for a
    plain run (the command to type)."""
    people = sum(len(e.students) for e in chosen)
    students = f" ({people} students)" if people != len(chosen) else ""
    return (
        f"Shard {options.shard}: {len(chosen)} of the class's {len(entries)} submissions"
        f"{students} are in this slice; the class files (class.json, grades.csv, the summary, "
        "...) are left to a plain run once every shard has finished: autograder grade-batch "
        f"{options.submissions} --out {options.out}"
    )


def _finish_shard(
    options: BatchOptions,
    entries: Sequence[Entry],
    chosen: Sequence[Entry],
    outcome: BatchOutcome,
    assignment: AssignmentConfig,
) -> int:
    """A shard's last words: its slice's summary (each not-graded student of the slice named
    with the reason, as no class file will say it yet) and :func:`_shard_line`. Writes
    nothing: the class files describe the whole class, which no shard has."""
    stats = class_summary(class_rows(chosen, outcome), assignment)
    print(
        terminal_text(summary_text(stats, reused=outcome.reused, wall_seconds=outcome.wall_seconds))
    )
    print(terminal_text(_shard_line(options, entries, chosen)))
    _warn_about_isolation(outcome)
    stale = [name for each in CLASS_OUTPUTS for name in each.files if (options.out / name).exists()]
    if stale:
        print(
            terminal_text(
                f"{options.out} still holds {', '.join(stale)} from an earlier plain run; "
                "only the next plain run rewrites them."
            )
        )
    return 0


def isolation_warning(outcome: BatchOutcome) -> str | None:
    """One line when a submission's code ran with less than the full sandbox (its results'
    ``extra_data.isolation`` level is neither ``full`` nor ``not needed``), else None: as
    ``autograder grade`` warns for one submission, once for the run. A container whose seccomp
    profile refuses user namespaces grades every student this way."""
    weaker = [
        s.result.isolation
        for s in outcome.students
        if s.result is not None and weaker_than_full(s.result.isolation)
    ]
    if not weaker:
        return None
    graded = sum(1 for s in outcome.students if s.result is not None)
    levels = " or ".join(sorted({repr(str(i.get("level", "none"))) for i in weaker}))
    missing = "; ".join(str(m) for m in weaker[0].get("missing", [])) or "unknown"
    if len(missing) > 400:
        missing = missing[:400] + "..."
    return (
        f"autograder: warning: {len(weaker)} of {graded} submissions ran with isolation "
        f"{levels}, not full (missing: {missing}); their results.json say so in "
        "extra_data.isolation"
    )


def _warn_about_isolation(outcome: BatchOutcome) -> None:
    warning = isolation_warning(outcome)
    if warning:
        print(terminal_text(warning), file=sys.stderr)


@contextlib.contextmanager
def _unpacked(submissions: Path) -> Iterator[Path]:
    """The folder to discover in: ``submissions`` itself, or a zip's contents in a temporary
    folder removed on leaving."""
    if not (submissions.is_file() and submissions.suffix == ".zip"):
        yield submissions
        return
    unpacked = Path(tempfile.mkdtemp(prefix="autograder-unpacked-"))
    try:
        try:
            source = unpack_zip(submissions, unpacked)
        except DiscoveryError as error:
            raise UsageError(str(error).replace(str(unpacked), str(submissions))) from None
        yield source
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)


def _compare(
    options: BatchOptions,
    entries: list[Entry],
    outcome: BatchOutcome,
    assignment: AssignmentConfig,
    config: GradingConfig,
    jobs: int,
) -> Comparison | None:
    """The comparison of the submissions for the similarity report, or None: --no-similarity,
    or copydetect missing (said on stderr). Without one, no stale report is left (see
    :func:`autograder.outputs.classfiles.write_similarity`)."""
    if not options.similarity:
        return None
    from autograder.integrity.command import compare_class, missing_dependency

    reason = missing_dependency()
    if reason:
        print(terminal_text(f"No integrity report: {reason}."), file=sys.stderr)
        return None
    comparison = compare_class(entries, outcome.students, assignment, config.path, jobs)
    print(terminal_text(comparison.line()))
    return comparison


def write_class_files(
    entries: Sequence[Entry],
    outcome: BatchOutcome,
    assignment: AssignmentConfig,
    out: Path,
    roster: Roster | None,
    canvas_assignment_id: int | None,
    similarity: Comparison | None = None,
) -> list[str]:
    """Write every class file (:data:`autograder.outputs.classfiles.CLASS_OUTPUTS`) into
    ``out``, a row per student; return the file names announced, in order.

    Each entry gives a row to each of its students (a Gradescope group: every member, with the
    group's result). class.json and the summary list them in the entries' order; the
    gradebook exports order them by name (see :mod:`autograder.export.common`). A student
    who is not graded has no score anywhere and their reason in class.json and the summary.
    Raises RosterError when the roster contradicts the export (see
    :func:`autograder.export.roster.with_known`), before anything is written.
    """
    record = class_record(entries, outcome, assignment, roster, canvas_assignment_id, similarity)
    return write_class_outputs(record, out)


def class_record(
    entries: Sequence[Entry],
    outcome: BatchOutcome,
    assignment: AssignmentConfig,
    roster: Roster | None,
    canvas_assignment_id: int | None = None,
    similarity: Comparison | None = None,
    timestamp: datetime | None = None,
) -> ClassRecord:
    """What the class files say (see :class:`ClassRecord`); ``timestamp`` defaults to now."""
    rows = class_rows(entries, outcome)
    integrity = (len(similarity.pairs), similarity.flagged) if similarity is not None else None
    return ClassRecord(
        assignment=assignment,
        rows=tuple(rows),
        people=with_known(roster, known_students(entries)),
        statistics=replace(class_summary(rows, assignment), integrity=integrity),
        timestamp=timestamp or datetime.now(timezone.utc),
        canvas_assignment_id=canvas_assignment_id,
        similarity=similarity,
    )

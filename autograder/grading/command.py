"""Grade one submission and write its files: the entry function behind ``autograder grade``.

A submission that is broken in any way is *graded* (status 0, the reason in its results);
only misuse raises :class:`~autograder.errors.UsageError`: a path that is no submission, an
``out`` that is a file, a sandbox weaker than ``require_isolation`` asks for, results that
cannot be written. Nothing is written before the grade is complete.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from autograder.config import GradingConfig
from autograder.errors import UsageError
from autograder.report import terminal_text


@dataclass(frozen=True)
class GradeOptions:
    """What to grade and where to write it.

    ``path`` is a ``.py`` file, a notebook or a folder; ``out`` the folder for results.json and
    the rest; ``seed`` overrides the seed policy; ``require_isolation`` refuses to write
    anything unless the full sandbox was in force.
    """

    path: Path
    out: Path
    seed: int | None = None
    require_isolation: bool = False


def grade_one(options: GradeOptions, config: GradingConfig, assignment_name: str | None) -> int:
    """Grade ``options.path`` into ``options.out``, print its table; return the exit status (0).

    Without ``assignment_name`` the assignment is the one whose module the submission is
    named after, else grading.yaml's only (or first) assignment.
    """
    _import_matplotlib_meanwhile()
    from autograder.grading.runner import grade_submission, weaker_than_full, write_outputs
    from autograder.grading.submission import SubmissionNotFound, read_submission
    from autograder.outputs.student import ANSWER_OUTPUT
    from autograder.report import score_table

    assignment = (
        assignment_name is None and config.for_submission(options.path)
    ) or config.assignment(assignment_name)
    if options.out.exists() and not options.out.is_dir():
        raise UsageError(
            f"{options.out}: exists and is not a folder; --out names the folder for results.json"
        )
    try:
        submission = read_submission(options.path, assignment.module, list(assignment.functions))
    except SubmissionNotFound as error:
        raise UsageError(str(error)) from None
    output = grade_submission(assignment, submission, seed=options.seed)
    level = output.result.isolation.get("level", "none")
    if weaker_than_full(output.result.isolation):
        missing = "; ".join(output.result.isolation.get("missing", [])) or "unknown"
        if options.require_isolation:
            raise UsageError(
                f"the sandbox is only {level!r} on this machine ({missing}); "
                "nothing was written because --require-isolation was given"
            )
        print(f"autograder: warning: isolation is {level!r}, not full ({missing})", file=sys.stderr)
    try:
        write_outputs(output, options.out)
    except OSError as error:
        raise UsageError(
            f"{options.out}: the results could not be written ({error.strerror or error})"
        ) from None
    print(score_table([output.result]))
    print(terminal_text(f"Results: {options.out / 'results.json'}"))
    if output.answer is not None:
        print(
            terminal_text(
                f"Answer to the question, for a person to grade: {options.out / ANSWER_OUTPUT}"
            )
        )
    elif assignment.question is not None:
        print(
            "No answer to the lesson's question was found: it is read from ANSWER.md beside the "
            "code in a submission folder, or from a notebook's answer cell."
        )
    return 0


def _import_matplotlib_meanwhile() -> None:
    """Import the picture code in a thread while grading waits on the worker (saves ~0.1 s)."""

    def load() -> None:
        import matplotlib.backends.backend_agg
        import matplotlib.figure  # noqa: F401

    threading.Thread(target=load, daemon=True).start()

"""The files of one graded submission, in the order they are written.

``results.json`` comes last: a folder holding one is complete, and ``grade-batch`` reuses it on
a re-run when the submission and the grading config are unchanged. Every file is written
atomically, so an interrupted run leaves each file old or new, never half.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.feedback.pages import FEEDBACK_HTML, FEEDBACK_MARKDOWN, render, write_feedback
from autograder.grading.results import to_gradescope
from autograder.outputs import Output
from autograder.outputs.atomic import write_bytes_atomic, write_json_atomic

ANSWER_OUTPUT = "answer.md"

if TYPE_CHECKING:
    from autograder.grading.runner import GradeOutput


def write_report_json(output: GradeOutput, out: Path) -> bool:
    """``report.json``: pytest-json-report's report of the check run, points in its metadata."""
    write_json_atomic(out / "report.json", output.report)
    return True


def write_feedback_pages(output: GradeOutput, out: Path) -> bool:
    """``feedback.md`` and ``feedback.html`` (and their pictures, when they could be drawn)."""
    from autograder.grading.runner import quiet_numerics

    pictures = []
    if output.feedback_module is not None and output.feedback_data is not None:
        try:
            with quiet_numerics():
                pictures = render(output.feedback_module, output.feedback_data)
        except Exception:  # a picture that cannot be drawn must not cost the results
            pictures = []
    write_feedback(output.result, output.title, pictures, out, output.lesson)
    return True


def write_answer(output: GradeOutput, out: Path) -> bool:
    """``answer.md``: the student's answer to the lesson's question (:func:`write_answer_file`)."""
    return write_answer_file(output.answer, out)


def write_answer_file(answer: str | None, out: Path) -> bool:
    """``answer.md`` in ``out``: the student's answer to the lesson's question, as they wrote
    it (a person grades it), when the assignment has a question and they answered it; an
    answer file of an earlier grading goes when there is none now. Also called when
    ``grade-batch`` reuses a result: the answer may have changed where the code did not."""
    path = out / ANSWER_OUTPUT
    if answer is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return False
    write_bytes_atomic(path, (answer + "\n").encode("utf-8"))
    return True


def write_results_json(output: GradeOutput, out: Path) -> bool:
    """``results.json``: the Gradescope results format (:func:`to_gradescope`)."""
    write_json_atomic(out / "results.json", to_gradescope(output.result))
    return True


STUDENT_OUTPUTS: tuple[Output[GradeOutput], ...] = (
    Output("report", ("report.json",), write_report_json),
    Output("feedback", (FEEDBACK_MARKDOWN, FEEDBACK_HTML), write_feedback_pages),
    Output("answer", (ANSWER_OUTPUT,), write_answer),
    Output("results", ("results.json",), write_results_json),  # last: it marks the folder done
)


def write_student_outputs(output: GradeOutput, out: Path) -> list[str]:
    """Write every format of :data:`STUDENT_OUTPUTS` into ``out``; return the files announced."""
    written = []
    for each in STUDENT_OUTPUTS:
        if each.write(output, out):
            written += each.files
    return written

"""The last step of ``run_autograder`` on Gradescope: the results.json Gradescope reads.

``run_autograder`` (see :mod:`autograder.release.gradescope`) first grades the submission with
``autograder grade --out STAGING/out``, a folder only root can reach, its output in
``STAGING/grade.log``. Then it starts this module, a fresh trusted process, once the grader and
every sandbox worker have ended::

    python -m autograder.release.gradescope_run ROOT STAGING STATUS MODULE

(ROOT is ``/autograder``; STATUS the grader's exit status; MODULE the module students upload,
named in the sentence shown when nothing could be graded). It

- takes the grader's results (the score is the grader's, nothing else sets it);
- renders the top-level ``output`` as Markdown (``output_format: md``): the score when it may be
  shown, the summary and what the code printed fenced as code, so no text from the submission
  becomes markup (:func:`autograder.feedback.pages.markdown_fence`); each check's output stays
  plain text, as Gradescope shows it in a fixed-width block;
- reads ``submission_metadata.json``: the group's members go into ``extra_data`` and, for a
  group, into the output; earlier submissions' scores go into ``extra_data`` and, only when this
  submission's total is shown, the best of them into the output; none of it changes the score;
- writes ``ROOT/results/results.json`` atomically, replacing whatever is there. Student code
  cannot write that folder, and were it able to, this write comes after all of it.

It exits 0 once results.json is written; run_autograder writes a minimal one otherwise.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.feedback.pages import markdown_fence, markdown_inline
from autograder.grading.results import GradeResult, from_gradescope, student_view
from autograder.outputs.atomic import write_json_atomic

MAX_LOG_CHARS = 4000  # of the grader's own output, kept in extra_data for the instructor


@dataclass(frozen=True)
class Member:
    """One submitter, as Gradescope lists them."""

    id: str
    name: str
    email: str


@dataclass(frozen=True)
class SubmissionMetadata:
    """What run_autograder uses of ``submission_metadata.json``.

    ``users`` are the submitters (more than one for a group submission); ``previous_scores``
    the scores Gradescope recorded for this student's earlier submissions, for display only;
    ``problem`` says why the file could not be read ("" when it could).
    """

    submission_id: str = ""
    users: tuple[Member, ...] = ()
    previous_scores: tuple[float, ...] = ()
    problem: str = ""


def read_metadata(path: Path) -> SubmissionMetadata:
    """The metadata Gradescope wrote at ``path``; an empty record saying why when it is unusable.

    Entries that do not have the expected shape are left out, one by one.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SubmissionMetadata(problem=f"{path.name}: not found")
    except (OSError, ValueError) as error:
        return SubmissionMetadata(problem=f"{path.name}: not readable JSON ({error})")
    if not isinstance(data, dict):
        return SubmissionMetadata(problem=f"{path.name}: not a JSON object")
    users = tuple(
        Member(
            id=str(user.get("id") or ""),
            name=str(user.get("name") or ""),
            email=str(user.get("email") or ""),
        )
        for user in _list(data.get("users"))
        if isinstance(user, dict)
    )
    scores = []
    for previous in _list(data.get("previous_submissions")):
        score = previous.get("score") if isinstance(previous, dict) else None
        try:
            value = float(score)  # a number in Gradescope's documentation; "7.5" is read too
        except (TypeError, ValueError):
            continue
        if math.isfinite(value):
            scores.append(value)
    return SubmissionMetadata(
        submission_id=str(data.get("id") or ""),
        users=users,
        previous_scores=tuple(scores),
    )


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def markdown_output(result: GradeResult, metadata: SubmissionMetadata) -> str:
    """The top-level output, in Markdown: what :func:`student_view` allows at submission."""
    view = student_view(result)
    lines = []
    if view.total_shown:
        lines += [f"**Score: {view.score:g} / {view.max_score:g}**", ""]
    lines += [*markdown_fence(view.summary), ""]
    if view.printed.strip():
        lines += [
            "What your code printed (it plays no part in the grade):",
            "",
            *markdown_fence(view.printed),
            "",
        ]
    lines += _submission_lines(metadata, total_shown=view.total_shown)
    return "\n".join(lines).rstrip("\n")


def _submission_lines(metadata: SubmissionMetadata, total_shown: bool) -> list[str]:
    lines = []
    if len(metadata.users) > 1:
        names = ", ".join(
            markdown_inline(user.name or user.email or user.id) for user in metadata.users
        )
        lines += [f"Graded for the group: {names}.", ""]
    if metadata.previous_scores and total_shown:
        # Gradescope's record of earlier grades, shown as it is; it never changes this grade
        lines += [
            f"Earlier submissions: {len(metadata.previous_scores)}; the best scored "
            f"{max(metadata.previous_scores):g}.",
            "",
        ]
    return lines


def metadata_record(metadata: SubmissionMetadata) -> dict[str, Any]:
    """What ``extra_data`` keeps of the metadata (stored by Gradescope, never shown)."""
    return {
        "submission_id": metadata.submission_id,
        "users": [{"id": u.id, "name": u.name, "email": u.email} for u in metadata.users],
        "previous_submissions": len(metadata.previous_scores),
        "previous_scores": list(metadata.previous_scores),
        "metadata_problem": metadata.problem,
    }


def final_results(
    graded: dict[str, Any] | None, metadata: SubmissionMetadata, status: int, module: str, log: str
) -> dict[str, Any]:
    """results.json from the grader's own (``graded``, None when there is none) and the metadata."""
    extra = {"gradescope": metadata_record(metadata), "grader_status": status}
    if log:
        extra["grader_log"] = log[-MAX_LOG_CHARS:]
    if graded is not None:
        data = dict(graded)
        data["output"] = markdown_output(from_gradescope(graded), metadata)
        data["output_format"] = "md"
        data["test_output_format"] = "text"
        data["extra_data"] = {**graded.get("extra_data", {}), **extra}
        return data
    output = (
        f"The autograder could not grade this submission (the grader ended with status {status}; "
        f"your instructor sees why). Did you upload `{module}.py` or one notebook?"
    )
    return {
        "score": 0,
        "execution_time": 0,
        "output": "\n\n".join([output, *_submission_lines(metadata, total_shown=False)]).strip(),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
        "extra_data": {**extra, "graded": False},
    }


def read_graded(path: Path) -> dict[str, Any] | None:
    """The grader's results.json at ``path``, or None when there is none fit to use."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        from_gradescope(data)  # the grader's own format: refuse anything that does not read back
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return data if isinstance(data.get("tests"), list) else None


def write_results(root: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as ``root/results/results.json``, whole, in place of whatever is there."""
    target = root / "results" / "results.json"
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)  # a rename cannot replace a folder
    write_json_atomic(target, data)
    return target


def main(argv: list[str] | None = None) -> int:
    """``ROOT STAGING STATUS MODULE``, exactly as run_autograder passes them (no user types them,
    so there is no command-line parser)."""
    root, staging, status, module = sys.argv[1:] if argv is None else argv
    log_path = Path(staging) / "grade.log"
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
    data = final_results(
        read_graded(Path(staging) / "out" / "results.json"),
        read_metadata(Path(root) / "submission_metadata.json"),
        int(status),
        module,
        log,
    )
    write_results(Path(root), data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

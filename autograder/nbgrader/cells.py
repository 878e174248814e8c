"""What the hidden part of each nbgrader test cell runs: the kit's points for one function.

Each test cell of the source notebook ends with ``points_for("<function>", assignment=...)``.
``nbgrader autograde`` runs the notebook with the working folder
``autograded/<student>/<assignment>/``; :func:`points_for` walks up from there to the course
root, grades the student's submitted notebook (``submitted/<student>/<assignment>/``) once
per kernel with the kit's sandboxed engine, exactly as ``autograder grade`` would (same file,
same hash, so the same seed), and returns the points earned by the checks of that function.
nbgrader takes a cell's final number as its score (points, not a fraction), so the
notebook's nbgrader total equals the kit's score.

The test cells themselves are not given to the sandbox: code cells whose nbgrader metadata
says ``grade`` are blanked (kept, so cells are numbered as the student sees them). Nothing
is written to stderr, which nbgrader would score as a failed test.

Trust: nbgrader runs the student's cells unsandboxed in the same kernel, before these calls,
so a hostile notebook could tamper with them. ``autograder nbgrader-import`` grades outside
any kernel and its scores (manual scores) take precedence over these.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

from autograder.config import GradingConfig, load_config
from autograder.grading.results import GradeResult
from autograder.grading.submission import Submission, notebook_chunks, read_submission
from autograder.nbgrader.points import earned_by_function, function_points

COURSE_MARKERS = ("nbgrader_config.py", "gradebook.db")

_GRADES: dict[tuple[str, str, str, str], GradeResult] = {}  # one grade per kernel and notebook


class CellError(RuntimeError):
    """The notebook cannot be graded here; the message is one sentence for the instructor."""


def points_for(
    function: str,
    assignment: str | None = None,
    config: str | None = None,
    notebook: str | None = None,
) -> float:
    """The points the kit gives this notebook's ``function`` (a float nbgrader reads as the score).

    ``config`` is a grading.yaml (default: the course's ``grading.yaml``, else the kit's);
    ``notebook`` is the notebook's file name (default: ``<module>.ipynb``).
    """
    with _quiet():
        root = course_root(Path.cwd())
        grading = load_config(config_path(root, config))
        settings = grading.assignment(assignment)
        path = notebook_to_grade(root, Path.cwd(), notebook or f"{settings.module}.ipynb")
        result = grade_notebook(grading, settings.name, path)
        worth = function_points(settings)
        if function not in worth:
            raise CellError(f"{settings.name} has no checks of a function called {function!r}")
        pairs = ((c.check_id, c.score) for c in result.checks)
        earned = earned_by_function(pairs, settings)[function]
    # A builtin float: nbgrader cannot parse numpy's "np.float64(1.0)" and gives full credit then;
    # more than the cell's points is an error.
    return float(min(max(round(earned, 6), 0.0), worth[function]))


def course_root(folder: Path) -> Path:
    """The nbgrader course folder above ``folder`` (not ``folder``: students' files land there)."""
    folder = folder.resolve()
    for parent in folder.parents:
        if any((parent / marker).is_file() for marker in COURSE_MARKERS):
            return parent
    if len(folder.parents) >= 3 and folder.parents[1].name == "autograded":
        return folder.parents[2]
    raise CellError(
        f"found no nbgrader course above {folder} (a folder holding nbgrader_config.py or "
        "gradebook.db)"
    )


def config_path(root: Path, explicit: str | None) -> Path:
    """``explicit``, else the course's grading.yaml, else the kit's (never the working folder's)."""
    if explicit:
        return Path(explicit)
    if (root / "grading.yaml").is_file():
        return root / "grading.yaml"
    from autograder.kit import kit_config_path

    return kit_config_path()


def notebook_to_grade(root: Path, folder: Path, name: str) -> Path:
    """``submitted/<student>/<assignment>/name`` when autograding, else ``folder/name``.

    It is the file ``autograder grade`` would grade, so the hash, hence the seed, are the same.
    """
    parts = folder.resolve().relative_to(root).parts
    if len(parts) == 3 and parts[0] == "autograded":
        submitted = root / "submitted" / parts[1] / parts[2] / name
        if submitted.is_file():
            return submitted
    if not (folder / name).is_file():
        raise CellError(f"{folder / name}: no such notebook to grade")
    return folder / name


def grade_notebook(config: GradingConfig, assignment: str, path: Path) -> GradeResult:
    """The kit's grade of the notebook at ``path`` without its test cells, once per file content."""
    from autograder.grading.runner import grade_submission

    settings = config.assignment(assignment)
    submission = without_test_cells(read_submission(path, settings.module))
    key = (str(path.resolve()), submission.sha256, str(config.path), assignment)
    if key not in _GRADES:
        _GRADES[key] = grade_submission(settings, submission, feedback=False).result
    return _GRADES[key]


def without_test_cells(submission: Submission) -> Submission:
    """``submission`` with the source of every nbgrader grade cell blanked (hash and seed kept)."""
    if submission.problem or submission.kind != "notebook":
        return submission
    notebook = json.loads(submission.path.read_bytes().decode("utf-8"))
    for cell in notebook.get("cells", []):
        nbgrader = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        if isinstance(nbgrader, dict) and nbgrader.get("grade") and cell.get("cell_type") == "code":
            cell["source"] = ""
    chunks, problem = notebook_chunks(json.dumps(notebook).encode("utf-8"), submission.path.name)
    return dataclasses.replace(submission, chunks=chunks, problem=problem)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No warnings, and nothing on stderr (Python's or the process's), while grading."""
    saved = os.dup(2)
    try:
        with (
            open(os.devnull, "w") as sink,
            warnings.catch_warnings(),
            contextlib.redirect_stderr(io.StringIO()),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)

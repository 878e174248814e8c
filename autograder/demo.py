"""``autograder demo``: grade the bundled sample submissions and print what the grader found.

The samples live in the assignment's ``samples_dir`` (by convention
``reference/<assignment>/samples/``): correct solutions in several styles, and
one file per catalogued mistake named ``<function>__<mistake>.py``. The demo grades the correct ones and the most
common mistakes, each in its own sandbox, exactly as ``autograder grade``
would, and keeps every results.json.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from autograder.config import AssignmentConfig
from autograder.grading.diagnosis import load_mistakes_module
from autograder.grading.runner import grade_submission, load_reference, write_outputs
from autograder.grading.submission import read_submission
from autograder.report import score_table


def demo_submissions(assignment: AssignmentConfig) -> list[Path]:
    """The correct samples, then the common mistakes (``DEMO`` in the assignment's mistakes.py)."""
    folder = assignment.samples_dir
    if folder is None:
        return []
    correct = sorted(folder.glob("correct_*.py"))
    mistakes_module = load_mistakes_module(assignment.checks_dir)
    names = getattr(mistakes_module, "DEMO", None) or sorted(p.stem for p in folder.glob("*__*.py"))
    return correct + [folder / f"{name}.py" for name in names if (folder / f"{name}.py").exists()]


def run_demo(assignment: AssignmentConfig, out: Path | None) -> int:
    """Grade the samples, print the class table, write each results.json under ``out``."""
    submissions = demo_submissions(assignment)
    if not submissions:
        print(
            f"There are no sample submissions for {assignment.name} "
            f"(its samples_dir is {assignment.samples_dir or 'not set'})."
        )
        return 1
    out = Path(out) if out else Path(tempfile.mkdtemp(prefix="autograder-demo-"))
    print(
        f"Grading {len(submissions)} sample submissions of {assignment.name!r}, each in its own "
        "sandbox (a correct one in each style, then one per common mistake)...\n"
    )
    reference = load_reference(assignment)
    results = []
    for path in submissions:
        output = grade_submission(
            assignment,
            read_submission(path, assignment.module, list(assignment.functions)),
            reference=reference,
        )
        write_outputs(output, out / path.stem)
        results.append(output.result)
    print(score_table(results))
    print(
        f"\nEach submission's results.json, report.json and feedback.html are in {out}/<submission>/."
    )
    mistaken = next((p for p in submissions if "__" in p.stem), None)
    if mistaken is not None:
        function, _, mistake = mistaken.stem.partition("__")
        print(
            f"For instance, what a student whose {function} has the mistake "
            f"'{mistake.replace('_', ' ')}' reads: {out / mistaken.stem / 'feedback.html'}"
        )
    return 0

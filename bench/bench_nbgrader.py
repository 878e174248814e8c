"""nbgrader's side of the benchmark: the same submissions, as notebooks, through ``nbgrader autograde``.

A temporary course gets the kit's nbgrader source notebook
(``autograder nbgrader-source``), ``nbgrader generate_assignment``, then one
submitted notebook per student: the released notebook with each answer cell
replaced by that student's function, and the student's top-level code
(imports, helpers, and whatever else they wrote outside functions) at the
head of the first answer cell, so a hang at import hangs nbgrader too. Only
``nbgrader autograde`` is timed.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSIGNMENT = "regression_losses"
TIMESTAMP = "2026-01-01 12:00:00.000000 UTC"
CELL_TIMEOUT = 30  # nbgrader's default; the kit's own limits stop every hang first (see README)


def split_module(text: str, functions: list[str]) -> tuple[str, dict[str, str]]:
    """A student module's top-level code outside the API functions, and each function's source."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text, {}
    lines = text.splitlines(keepends=True)
    taken, sources = set(), {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in functions:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            sources[node.name] = "".join(lines[start : node.end_lineno])
            taken.update(range(start, node.end_lineno))
    rest = "".join(line for index, line in enumerate(lines) if index not in taken)
    return rest, sources


def student_notebook(release: dict, text: str, functions: list[str]) -> dict:
    rest, sources = split_module(text, functions)
    notebook = json.loads(json.dumps(release))
    first = True
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if not grade_id.startswith("answer_") or grade_id == "answer_question":
            continue
        function = grade_id.removeprefix("answer_")
        body = sources.get(function, "".join(cell["source"]))
        if first:
            body, first = rest + "\n\n" + body, False
        cell["source"] = body
    return notebook


def nbgrader(course: Path, *args: str) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [str(BIN / "nbgrader"), *args],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
        timeout=3600,
    )


def run_nbgrader(class_folder: Path, course: Path) -> float:
    """Grade ``class_folder``'s submissions with nbgrader; return the seconds autograde took."""
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'bench'\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
        f"c.Execute.timeout = {CELL_TIMEOUT}\n"
    )
    subprocess.run(
        [str(BIN / "autograder"), "nbgrader-source", "--course", str(course)],
        check=True,
        capture_output=True,
    )
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    release = course / "release" / ASSIGNMENT
    release_notebook = json.loads((release / f"{ASSIGNMENT}.ipynb").read_text())
    functions = ["mse", "mae", "mse_grad", "mae_grad", "predict", "linear_grads", "gd_step", "fit"]
    for path in sorted(class_folder.glob("*.py")):
        folder = course / "submitted" / path.stem / ASSIGNMENT
        shutil.copytree(release, folder)
        notebook = student_notebook(release_notebook, path.read_text(), functions)
        (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(notebook, indent=1))
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    started = time.monotonic()
    nbgrader(course, "autograde", ASSIGNMENT)
    return time.monotonic() - started

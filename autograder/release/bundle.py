"""The student bundle: what ``autograder release --out DIR`` writes, checked for leaks first.

The bundle is the assignment's release folder (lesson, public tests,
experiment) with the stubs and the notebook generated afresh from the
reference. Before anything is written, every file is scanned; the release is
refused, with one sentence naming the file and what leaked, if a file holds a
solution marker, a line of the reference's solutions, the reference itself,
a hidden check, the mistake catalog, the graders' model answer or grading
configuration. The bundle is
assembled in a temporary folder and moved into place whole, so a refused or
failed release leaves nothing half-written, and an existing non-empty folder
is never overwritten.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import tempfile
from pathlib import Path

from autograder.config import AssignmentConfig, GradingConfig
from autograder.grading.runner import load_reference
from autograder.lesson import LessonMarkupError
from autograder.outputs.atomic import write_bytes_atomic
from autograder.release.notebook import build_notebook, notebook_text
from autograder.release.selfcheck_data import RuleError, selfcheck_json
from autograder.release.stubs import MARKERS, StubError, solution_lines, stubs_for

SELFCHECK_TEMPLATE = Path(__file__).with_name("selfcheck_template.py")
SKIPPED_NAMES = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".DS_Store"}


class ReleaseError(Exception):
    """The bundle cannot be written; the message is one sentence for the instructor."""


def read_lesson(assignment: AssignmentConfig) -> str:
    """The lesson's text; a missing lesson is a :class:`ReleaseError` naming the file."""
    if not assignment.lesson.is_file():
        raise ReleaseError(
            f"{assignment.lesson}: the lesson is missing (the notebook is built from it)"
        )
    return assignment.lesson.read_text(encoding="utf-8")


def generated_files(assignment: AssignmentConfig) -> dict[str, str]:
    """The stubs, the notebook and the self-check's data, generated from the reference and the lesson."""
    try:
        stubs = stubs_for(assignment.reference_file)
    except StubError as error:
        raise ReleaseError(str(error)) from None
    try:
        notebook = build_notebook(
            read_lesson(assignment),
            stubs,
            assignment.module,
            list(assignment.functions),
            assignment.experiment,
        )
    except LessonMarkupError as error:
        raise ReleaseError(f"{assignment.lesson}: {error}") from None
    except ValueError as error:  # the stubs lack a function grading.yaml lists
        raise ReleaseError(f"{assignment.reference_file}: {error}") from None
    try:
        data = selfcheck_json(assignment, load_reference(assignment))
    except RuleError as error:
        raise ReleaseError(str(error)) from None
    return {
        f"{assignment.module}.py": stubs,
        f"{assignment.module}.ipynb": notebook_text(notebook),
        "selfcheck_data.json": data,
    }


def bundle_files(assignment: AssignmentConfig) -> dict[str, bytes]:
    """Every file of the bundle, by its path relative to the bundle's root."""
    files: dict[str, bytes] = {}
    for path in sorted(assignment.release_dir.rglob("*")):
        relative = path.relative_to(assignment.release_dir)
        if path.is_dir() or any(part in SKIPPED_NAMES for part in relative.parts):
            continue
        files[relative.as_posix()] = path.read_bytes()
    for name, text in generated_files(assignment).items():
        files[name] = text.encode("utf-8")
    files["selfcheck.py"] = SELFCHECK_TEMPLATE.read_bytes()
    return files


def find_leaks(
    files: dict[str, bytes], config: GradingConfig, assignment: AssignmentConfig
) -> list[str]:
    """Sentences naming each file of ``files`` that holds something students must not see."""
    reference_text = assignment.reference_file.read_text(encoding="utf-8")
    secret_lines = set(solution_lines(reference_text))
    hidden_names = {p.name for p in assignment.checks_dir.rglob("*.py")} | {config.path.name}
    hidden_texts = {p.read_bytes() for p in assignment.checks_dir.rglob("*.py")}
    hidden_texts |= {config.path.read_bytes(), reference_text.encode("utf-8")}
    answer_sentences = model_answer_sentences(assignment)
    check_sources = hidden_check_sources(assignment)
    leaks = []
    for name, data in files.items():
        text = data.decode("utf-8", errors="replace")
        found = [m for m in MARKERS if m in text]
        if found:
            leaks.append(f"{name} contains the marker {found[0]!r}")
        elif Path(name).name in hidden_names:
            leaks.append(f"{name} has the name of a hidden grading file")
        elif data in hidden_texts:
            leaks.append(f"{name} is a copy of the reference, a hidden check or the grading config")
        elif any(sentence in " ".join(text.split()) for sentence in answer_sentences):
            leaks.append(f"{name} contains a sentence of the graders' model answer")
        elif any(line.strip() in secret_lines for line in text.splitlines()):
            line = next(line.strip() for line in text.splitlines() if line.strip() in secret_lines)
            leaks.append(f"{name} contains a line of the reference solution ({line!r})")
        elif any(source in text for source in check_sources):
            leaks.append(f"{name} contains the code of a hidden check")
        elif "checks_dir:" in text and "assignments:" in text:
            leaks.append(f"{name} looks like grading configuration")
    return leaks


MIN_SENTENCE = 40  # shorter sentences of a model answer may well be in a lesson too


def model_answer_sentences(assignment: AssignmentConfig) -> list[str]:
    """The model answer's sentences of ``MIN_SENTENCE`` characters or more, whitespace made
    single spaces (none if the assignment has no model answer)."""
    question = assignment.question
    if question is None or question.model_answer is None:
        return []
    text = " ".join(question.model_answer.read_text(encoding="utf-8").split())
    sentences = re.split(r"(?<=[.!?:;])\s+", text)
    return [s for s in sentences if len(s) >= MIN_SENTENCE]


def hidden_check_sources(assignment: AssignmentConfig) -> set[str]:
    """The source text of every function in the assignment's hidden check files."""
    sources = set()
    for path in assignment.checks_dir.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                segment = ast.get_source_segment(text, node)
                if segment and segment.count("\n") >= 2:
                    sources.add(segment)
    return sources


def write_release(config: GradingConfig, assignment: AssignmentConfig, out: Path) -> list[str]:
    """Write the checked bundle to ``out`` (which must not exist, or be empty); return its files."""
    files = bundle_files(assignment)
    leaks = find_leaks(files, config, assignment)
    if leaks:
        more = f" (and {len(leaks) - 1} more problems)" if len(leaks) > 1 else ""
        raise ReleaseError(f"refusing to write the student bundle: {leaks[0]}{more}")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(
            f"{out} already exists and is not empty; choose a new folder or remove it"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, data in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        # mkdtemp makes the folder 0700; a bundle is handed out, so it gets the mode a new
        # folder gets (0755 under the usual umask 022), as its files do
        staging.chmod(0o777 & ~_umask())
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(files)


def _umask() -> int:
    """The process's umask (read by setting it, then setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def update_sources(assignment: AssignmentConfig) -> list[Path]:
    """Write the generated stubs and notebook into the release folder (they are committed)."""
    written = []
    for name, text in generated_files(assignment).items():
        path = assignment.release_dir / name
        write_bytes_atomic(path, text.encode("utf-8"), mode=0o644)  # students read these
        written.append(path)
    return written

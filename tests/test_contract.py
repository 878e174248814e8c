"""The contract every assignment of the kit's grading.yaml keeps, and an engine that names none.

The assignments are read from grading.yaml when the tests are collected, so an assignment
added there is covered here without editing this file. For each one:

- the reference gets full marks, every check passed and no mistake named;
- the released stub gets 0, every check saying its function is not implemented, and no load
  problem;
- each sample ``correct_*.py`` gets full marks; each sample ``<function>__<mistake>.py`` loses
  points only on checks tagged with ``<function>``, each diagnosed as ``<mistake>``, and the
  catalog and the samples name the same mistakes;
- the public checks, run as a student runs them, pass on every correct solution, fail on the
  stub saying "not implemented", and fail on a sample mistake only where they test its function;
- the self-check names each sample's mistake and tells no correct solution it made one;
- ``autograder release`` writes a bundle holding none of the hidden tree (reference, checks,
  catalog, samples, model answer) nor grading.yaml, nothing between solution markers;
- the committed stubs, notebook and self-check data are what ``autograder generate`` makes today.

Every submission is graded once, in a real sandbox, and the results shared by the tests
(module-scoped caches).

And the engine: no file under ``autograder/`` names an assignment (see ENGINE RULES below).
"""

from __future__ import annotations

import ast
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from autograder.config import AssignmentConfig, load_config

KIT = load_config(REPO_ROOT / "grading.yaml")
NAMES = list(KIT.assignments)
MARKERS = (
    "### BEGIN SOLUTION",
    "### END SOLUTION",
    "### BEGIN HIDDEN TESTS",
    "### END HIDDEN TESTS",
)
NOT_IMPLEMENTED = "not implemented yet"


def samples(name: str, pattern: str) -> list[Path]:
    folder = KIT.assignments[name].samples_dir
    return sorted(folder.glob(pattern)) if folder is not None else []


CORRECT = [(name, path) for name in NAMES for path in samples(name, "correct_*.py")]
MISTAKES = [(name, path) for name in NAMES for path in samples(name, "*__*.py")]


def sample_id(value) -> str:
    name, path = value
    return f"{name}-{path.stem}"


# -- grading, once per submission ----------------------------------------------------------------


@pytest.fixture(scope="module")
def graded():
    """``graded(name, path)``: the GradeResult of ``path`` as a submission to ``name`` (cached)."""
    from autograder.grading.runner import grade_submission, load_reference
    from autograder.grading.submission import read_submission

    references, results = {}, {}

    def grade(name: str, path: Path):
        if (name, path) not in results:
            assignment = KIT.assignments[name]
            if name not in references:
                references[name] = load_reference(assignment)
            submission = read_submission(path, assignment.module, list(assignment.functions))
            results[name, path] = grade_submission(
                assignment, submission, reference=references[name], feedback=False
            ).result
        return results[name, path]

    return grade


def unfinished(result) -> str:
    """The checks that did not get full points, with what they said (for assertion messages)."""
    return "\n".join(
        f"{c.check_id}: {c.score}/{c.max_score} {c.output[:300]}"
        for c in result.checks
        if c.score < c.max_score
    )


@pytest.mark.parametrize("name", NAMES)
def test_the_reference_gets_full_marks(graded, name):
    assignment = KIT.assignments[name]
    result = graded(name, assignment.reference_file)
    assert result.score == assignment.max_score > 0, unfinished(result)
    assert not result.load_problems
    assert all(c.passed and c.mistake is None for c in result.checks)
    assert {c.check_id for c in result.checks} == set(assignment.checks)


@pytest.mark.parametrize("name", NAMES)
def test_the_released_stub_gets_zero_saying_not_implemented(graded, name):
    assignment = KIT.assignments[name]
    result = graded(name, assignment.release_dir / f"{assignment.module}.py")
    assert result.score == 0
    assert not result.load_problems
    assert all(NOT_IMPLEMENTED in c.output for c in result.checks), unfinished(result)
    assert "Nothing is implemented yet" in result.output


@pytest.mark.parametrize("sample", CORRECT, ids=sample_id)
def test_a_correct_sample_gets_full_marks(graded, sample):
    name, path = sample
    result = graded(name, path)
    assert result.score == KIT.assignments[name].max_score, unfinished(result)
    assert not result.load_problems
    assert all(c.mistake is None for c in result.checks)


@pytest.mark.parametrize("sample", MISTAKES, ids=sample_id)
def test_a_sample_mistake_costs_only_its_functions_points_and_is_named(graded, sample):
    name, path = sample
    function, _, mistake = path.stem.partition("__")
    assignment = KIT.assignments[name]
    assert function in assignment.functions, f"{path.name} names no function of {name}"
    result = graded(name, path)
    assert not result.load_problems
    lost = [c for c in result.checks if c.score < c.max_score]
    assert lost, f"{path.name} gets full marks"
    assert all(c.tags == [function] or c.tags == (function,) for c in lost), unfinished(result)
    assert {c.mistake for c in lost} == {mistake}, unfinished(result)
    lesson = assignment.lesson.read_text(encoding="utf-8")
    for check in lost:
        section = re.search(r"\(See the lesson, section “(.+?)”\.\)", check.output)
        assert section, check.output
        assert f"\n## {section[1]}\n" in lesson, f"the lesson has no section {section[1]!r}"


@pytest.mark.parametrize("name", NAMES)
def test_the_catalog_and_the_samples_name_the_same_mistakes(name):
    from autograder.grading.diagnosis import load_catalog

    catalog = {f"{m.function}__{m.name}" for m in load_catalog(KIT.assignments[name].checks_dir)}
    assert catalog
    assert catalog == {path.stem for n, path in MISTAKES if n == name}


@pytest.mark.parametrize("name", NAMES)
def test_every_check_is_worth_points_to_one_function(graded, name):
    """Each check grades exactly one student function (its tag), so a mistake can cost only
    that function's points."""
    assignment = KIT.assignments[name]
    result = graded(name, assignment.reference_file)
    for check in result.checks:
        assert len(check.tags) == 1 and check.tags[0] in assignment.functions, check.check_id


# -- the public checks, run as a student runs them -----------------------------------------------

# Runs pytest in each folder given, in one interpreter, and prints
# {folder: {"status", "ran": [test], "failed": {test: first line of its failure}}} as its last line.
PUBLIC_CHECKS_DRIVER = """
import json, sys
import pytest

class Outcomes:
    def __init__(self):
        self.ran, self.failed = [], {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.ran.append(report.nodeid.rsplit("::", 1)[-1])
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = crash.message if crash else str(report.longrepr)
            self.failed[report.nodeid.rsplit("::", 1)[-1]] = message

modules = sys.argv[1].split(",")
results = {}
for folder in sys.argv[2:]:
    for name in modules:
        sys.modules.pop(name, None)
    outcomes = Outcomes()
    status = pytest.main(
        ["-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:terminal", folder],
        plugins=[outcomes],
    )
    results[folder] = {"status": int(status), "ran": outcomes.ran, "failed": outcomes.failed}
print(json.dumps(results))
"""


@pytest.fixture(scope="module", autouse=True)
def public_processes(tmp_path_factory):
    """The public checks of every assignment on its reference, samples and stub: one
    interpreter per assignment, each folder a student's folder, started as this module starts
    (they need no sandbox, and run while the grading tests wait on theirs)."""
    runs = {}
    for name in NAMES:
        assignment = KIT.assignments[name]
        root = tmp_path_factory.mktemp(f"public-{name}")
        folders = {}
        solutions = [assignment.reference_file, *samples(name, "*.py")]
        stub = assignment.release_dir / f"{assignment.module}.py"
        for solution in [*solutions, stub]:
            label = "stub" if solution == stub else solution.stem
            folder = root / label
            folder.mkdir()
            shutil.copy(assignment.public_tests, folder)
            shutil.copy(solution, folder / f"{assignment.module}.py")
            folders[label] = folder
        modules = [f"test_{assignment.module}", assignment.module, *assignment.provides]
        process = subprocess.Popen(
            [sys.executable, "-c", PUBLIC_CHECKS_DRIVER, ",".join(modules)]
            + [str(f) for f in folders.values()],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
            cwd=root,
        )
        runs[name] = (process, folders)
    yield runs
    for process, _ in runs.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.fixture(scope="module")
def public_runs(public_processes):
    """{assignment: {folder label: {"status", "ran", "failed"}}} once the runs have ended."""
    outcomes = {}
    for name, (process, folders) in public_processes.items():
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-2000:]
        by_folder = json.loads(stdout.strip().splitlines()[-1])
        outcomes[name] = {label: by_folder[str(f)] for label, f in folders.items()}
    return outcomes


def public_function(test: str, functions) -> str | None:
    """The function a public check tests: a parameter naming one, else the longest name the
    test's name starts with (``test_<function>_...``)."""
    parameter = re.search(r"\[(.+)\]$", test)
    if parameter and parameter[1] in functions:
        return parameter[1]
    base = test.split("[")[0].removeprefix("test_")
    names = [f for f in functions if base == f or base.startswith(f"{f}_")]
    return max(names, key=len) if names else None


@pytest.mark.parametrize("name", NAMES)
def test_public_checks_pass_with_the_reference_and_every_correct_sample(public_runs, name):
    labels = [KIT.assignments[name].reference_file.stem]
    labels += [p.stem for n, p in CORRECT if n == name]
    for label in labels:
        run = public_runs[name][label]
        assert run["ran"] and run["status"] == 0 and run["failed"] == {}, (label, run)


@pytest.mark.parametrize("name", NAMES)
def test_every_function_has_public_checks(public_runs, name):
    functions = KIT.assignments[name].functions
    ran = public_runs[name][KIT.assignments[name].reference_file.stem]["ran"]
    assert {public_function(test, functions) for test in ran} >= set(functions)


@pytest.mark.parametrize("name", NAMES)
def test_public_checks_on_the_stub_say_not_implemented(public_runs, name):
    run = public_runs[name]["stub"]
    assert run["ran"] and sorted(run["failed"]) == sorted(run["ran"]), run
    assert all(NOT_IMPLEMENTED in why for why in run["failed"].values()), run["failed"]


@pytest.mark.parametrize("sample", MISTAKES, ids=sample_id)
def test_a_sample_mistake_fails_only_its_functions_public_checks(public_runs, sample):
    name, path = sample
    function = path.stem.partition("__")[0]
    failed = public_runs[name][path.stem]["failed"]
    functions = KIT.assignments[name].functions
    assert {public_function(test, functions) for test in failed} <= {function}, failed


# -- the lesson and the experiment ----------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_lesson_has_the_parts_the_notebook_places(name):
    from autograder.release.notebook import lesson_parts

    assignment = KIT.assignments[name]
    parts = lesson_parts(assignment.lesson.read_text(encoding="utf-8"))
    assert parts.teaching, "the lesson teaches nothing before its section 'What you implement'"
    assert parts.implement, "the lesson has no section 'What you implement'"
    assert (parts.experiment is not None) == (assignment.experiment is not None), (
        "a section 'The experiment' goes with grading.yaml's experiment, and only with it"
    )
    assert (parts.question is not None) == (assignment.question is not None), (
        "a section 'Question ...' goes with grading.yaml's question, and only with it"
    )


@pytest.mark.parametrize("name", NAMES)
def test_each_workflow_is_led_to_its_own_self_check(name):
    """The lesson as a file student reads it sends them to ``python selfcheck.py``; as the
    notebook says it, to the self-check cell, never to a file it does not use."""
    from autograder.lesson import file_wording, notebook_wording
    from autograder.release.notebook import lesson_parts

    assignment = KIT.assignments[name]
    readme = assignment.lesson.read_text(encoding="utf-8")
    as_file = lesson_parts(file_wording(readme))
    as_notebook = lesson_parts(notebook_wording(readme))
    assert as_file.check is not None and "python selfcheck.py" in as_file.check
    assert as_notebook.check is not None and "self-check cell" in as_notebook.check
    notebook_text = "\n".join(
        part or "" for part in (as_notebook.implement, as_notebook.check, as_notebook.experiment)
    )
    notebook_text += as_notebook.question or ""
    for file_only in ("python selfcheck.py", f"Open `{assignment.module}.py`", "ANSWER.md"):
        assert file_only not in notebook_text, f"the notebook tells its reader: {file_only}"
    if as_notebook.experiment is not None:
        assert "experiment cell" in as_notebook.experiment
        assert f"python {assignment.experiment.script}" not in as_notebook.experiment


def _executed(folder: Path, notebook: dict) -> list[tuple[str, dict]]:
    """Run every cell of ``notebook`` in a fresh kernel in ``folder``: (cell id, output) pairs."""
    import nbformat
    from nbclient import NotebookClient

    node = nbformat.reads(json.dumps(notebook), as_version=4)
    client = NotebookClient(
        node, timeout=180, allow_errors=True, resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    return [(cell.get("id"), output) for cell in node.cells for output in cell.get("outputs", [])]


@pytest.mark.slow
@pytest.mark.parametrize("filled", [False, True], ids=["as-released", "filled-in"])
@pytest.mark.parametrize("name", NAMES)
def test_run_all_of_the_released_notebook_raises_nothing(releases, tmp_path, name, filled):
    """Run All, as released (every function a stub) and with the reference's functions in
    their cells: no cell ends in an error, nothing is written to stderr, and no cell but the
    experiment's shows a value; the self-check speaks of the notebook."""
    from autograder.release.notebook import module_cells

    assignment = KIT.assignments[name]
    folder = tmp_path / "student"
    shutil.copytree(releases[name], folder)
    for module, given in assignment.provides.items():  # the student's earlier assignment
        shutil.copy(KIT.assignment(given.source).reference_file, folder / f"{module}.py")
    notebook = json.loads((folder / f"{assignment.module}.ipynb").read_text(encoding="utf-8"))
    functions = list(assignment.functions)
    if filled:
        _, solutions = module_cells(assignment.reference_file.read_text("utf-8"), functions)
        cells = {cell.get("id"): cell for cell in notebook["cells"]}
        for function, source in solutions:
            cells[f"answer-{function}"]["source"] = source
    outputs = _executed(folder, notebook)
    errors = [(c, o["ename"], o["evalue"]) for c, o in outputs if o["output_type"] == "error"]
    assert not errors
    assert not [(c, o["text"]) for c, o in outputs if o.get("name") == "stderr"]
    assert {c for c, o in outputs if o["output_type"] == "execute_result"} <= {"run-experiment"}
    said = "".join(o["text"] for c, o in outputs if c == "self-check" and o.get("name") == "stdout")
    passing = len(functions) if filled else 0
    assert (
        f"Self-check of the functions of this notebook: {passing} of {len(functions)} functions"
        in said
    ), said
    assert "Run this cell again after every change." in said
    assert "pytest" not in said


EXPERIMENTS = [name for name in NAMES if KIT.assignments[name].experiment is not None]


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_the_experiment_runs_on_the_reference_and_draws_its_picture(tmp_path, name):
    """As a student runs it: beside their module (and the modules it may import, which the
    grader provides), with the reference's code in each."""
    assignment = KIT.assignments[name]
    experiment = assignment.experiment
    shutil.copy(assignment.release_dir / experiment.script, tmp_path)
    shutil.copy(assignment.reference_file, tmp_path / f"{assignment.module}.py")
    for module, provided in assignment.provides.items():
        shutil.copy(provided.reference, tmp_path / f"{module}.py")
    completed = subprocess.run(
        [sys.executable, experiment.script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert completed.returncode == 0, completed.stdout[-1000:] + completed.stderr[-2000:]
    if experiment.picture:
        assert (tmp_path / experiment.picture).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


# -- the students' self-check --------------------------------------------------------------------


@pytest.fixture(scope="module")
def selfchecks(tmp_path_factory):
    """Each assignment's self-check module and data, imported from a copy of its bundle files."""
    template = REPO_ROOT / "autograder" / "release" / "selfcheck_template.py"
    loaded = {}
    for name in NAMES:
        assignment = KIT.assignments[name]
        folder = tmp_path_factory.mktemp(f"selfcheck-{name}")
        for path in (assignment.public_tests, assignment.release_dir / "selfcheck_data.json"):
            shutil.copy(path, folder)
        shutil.copy(template, folder / "selfcheck.py")
        # the public checks import the student's module: a correct one sits beside them
        shutil.copy(assignment.reference_file, folder / f"{assignment.module}.py")
        sys.path.insert(0, str(folder))
        spec = importlib.util.spec_from_file_location(
            f"selfcheck_of_{name}", folder / "selfcheck.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        loaded[name] = (module, json.loads((folder / "selfcheck_data.json").read_text()), folder)
    yield loaded
    for name, (_module, _data, folder) in loaded.items():
        sys.path.remove(str(folder))
        forget_public_checks(name)


def forget_public_checks(name: str) -> None:
    """Drop an assignment's public checks and the module they imported from ``sys.modules``."""
    module = KIT.assignments[name].module
    for imported in (f"test_{module}", module, *KIT.assignments[name].provides):
        sys.modules.pop(imported, None)


def student_module(path: Path):
    spec = importlib.util.spec_from_file_location(f"student_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("sample", MISTAKES, ids=sample_id)
def test_the_self_check_names_each_sample_mistake(selfchecks, sample):
    from autograder.grading.diagnosis import load_catalog

    name, path = sample
    function, _, mistake = path.stem.partition("__")
    module, data, folder = selfchecks[name]
    summary = next(
        m.summary
        for m in load_catalog(KIT.assignments[name].checks_dir)
        if (m.function, m.name) == (function, mistake)
    )
    forget_public_checks(name)
    sys.path.insert(0, str(folder))  # first: its public checks, not another assignment's
    try:
        hint = module.name_the_mistake(student_module(path), function, data)
    finally:
        sys.path.remove(str(folder))
        forget_public_checks(name)
    assert hint is not None and hint.startswith(summary + ":"), hint


@pytest.mark.parametrize("sample", CORRECT, ids=sample_id)
def test_the_self_check_tells_no_correct_sample_it_made_a_mistake(selfchecks, sample):
    name, path = sample
    module, data, folder = selfchecks[name]
    student = student_module(path)
    forget_public_checks(name)
    sys.path.insert(0, str(folder))
    try:
        for function in KIT.assignments[name].functions:
            assert module.name_the_mistake(student, function, data) is None, function
    finally:
        sys.path.remove(str(folder))
        forget_public_checks(name)


# -- the release ---------------------------------------------------------------------------------


def solution_region_lines(reference: str) -> set[str]:
    """The lines between the reference's solution markers, stripped: code students must write
    (short ones such as ``return x`` are left out: a stub may well hold them elsewhere)."""
    lines, inside = set(), False
    for line in reference.splitlines():
        text = line.strip()
        if text.startswith("### BEGIN SOLUTION"):
            inside = True
        elif text.startswith("### END SOLUTION"):
            inside = False
        elif inside and len(text) >= 12 and not text.startswith("#"):
            lines.add(text)
    return lines


def hidden_files(assignment: AssignmentConfig) -> list[Path]:
    """Every file students must not get: the reference's folder (solution, checks, catalog,
    samples), the checks folder and model answer wherever grading.yaml puts them."""
    folders = {assignment.reference_file.parent, assignment.checks_dir}
    if assignment.samples_dir is not None:
        folders.add(assignment.samples_dir)
    files = {p for folder in folders for p in folder.rglob("*") if p.is_file()}
    if assignment.question and assignment.question.model_answer:
        files.add(assignment.question.model_answer)
    return sorted(p for p in files if "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """``autograder release --assignment NAME --out DIR`` of every assignment: {name: DIR}."""
    from autograder.cli import main

    out = {}
    for name in NAMES:
        folder = tmp_path_factory.mktemp(f"release-{name}") / "bundle"
        assert main(["release", "--assignment", name, "--out", str(folder)]) == 0
        out[name] = folder
    return out


@pytest.mark.parametrize("name", NAMES)
def test_the_release_leaks_nothing(releases, name):
    assignment = KIT.assignments[name]
    bundle = {
        p.relative_to(releases[name]).as_posix(): p.read_bytes()
        for p in releases[name].rglob("*")
        if p.is_file()
    }
    expected = {
        p.relative_to(assignment.release_dir).as_posix()
        for p in assignment.release_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and ".pytest_cache" not in p.parts
    }
    assert set(bundle) == expected | {"selfcheck.py"}
    secret_lines = solution_region_lines(assignment.reference_file.read_text(encoding="utf-8"))
    assert secret_lines
    hidden = hidden_files(assignment)
    hidden_names = {p.name for p in hidden} - {assignment.reference_file.name}
    hidden_texts = {p.read_bytes() for p in hidden} | {KIT.path.read_bytes()}
    answer = ""
    if assignment.question and assignment.question.model_answer:
        answer = " ".join(assignment.question.model_answer.read_text(encoding="utf-8").split())
    for file_name, data in bundle.items():
        text = data.decode("utf-8", errors="replace")
        assert not any(marker in text for marker in MARKERS), file_name
        assert Path(file_name).name not in hidden_names | {KIT.path.name}, file_name
        assert data not in hidden_texts, file_name
        leaked = [line for line in text.splitlines() if line.strip() in secret_lines]
        assert not leaked, (file_name, leaked[:3])
        assert not answer or answer[:80] not in " ".join(text.split()), file_name


@pytest.mark.parametrize("name", NAMES)
def test_the_committed_generated_files_are_current(name):
    from autograder.release.bundle import generated_files

    assignment = KIT.assignments[name]
    for file_name, text in generated_files(assignment).items():
        assert (assignment.release_dir / file_name).read_text(encoding="utf-8") == text, (
            f"{assignment.release_dir.name}/{file_name} is stale: run `autograder generate`"
        )


# -- ENGINE RULES: the engine names no assignment ------------------------------------------------
#
# For every file under autograder/ (the kit's course, which a wheel copies to autograder/_course/,
# is not the engine; nor are the made-up example files `autograder new` copies, under
# autograder/authoring/templates/, which only rules 1 and 5 apply to):
#
# 1. no assignment's name or module name appears as a word, anywhere (code, docstrings, comments);
# 2. no name of a file that belongs to one assignment appears: the files of its two folders and
#    those grading.yaml names (the experiment's picture), except the names the engine gives every
#    assignment's files (CONVENTIONS);
# 3. no student function name of any assignment appears as a word in code: identifiers, and the
#    text of string literals that are not docstrings;
# 4. in docstrings and comments, no such name is written as code: `name`, ``name``, or name(;
# 5. no lesson section is named by its number ("section 9"): the engine finds a lesson's parts by
#    their headings, whatever their numbers.
#
# A word is a run of letters, digits and underscores, so `loss_grad` holds neither `loss` nor
# `grad`. Docstrings and comments may use made-up examples (`week1`, `loss_grad`), and ordinary
# English that happens to be a function's name ("fit for a sentence").

ENGINE = REPO_ROOT / "autograder"
EXAMPLES_FOR_AUTHORS = ENGINE / "authoring" / "templates"
CONVENTIONS = {
    "README.md",
    "feedback_figures.py",
    "selfcheck_data.json",
    "mistakes.py",
    "test_checks.py",
}
WORD = r"(?<![A-Za-z0-9_]){}(?![A-Za-z0-9_])"
# lower case: Canvas's "Section 1" (a section of a course) is another thing
SECTION_NUMBER = re.compile(r"\bsections? \d+")


def engine_files() -> list[Path]:
    return sorted(
        p
        for p in ENGINE.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and not p.is_relative_to(ENGINE / "_course")
        and p.suffix not in {".pyc", ".png", ".so"}
    )


def words_pattern(words) -> re.Pattern:
    return re.compile(
        "|".join(WORD.format(re.escape(w)) for w in sorted(words, key=len, reverse=True))
    )


def assignment_words() -> set[str]:
    return {w for a in KIT.assignments.values() for w in (a.name, a.module)}


def assignment_file_names() -> set[str]:
    names = set()
    for a in KIT.assignments.values():
        for folder in {a.release_dir, a.reference_file.parent, a.checks_dir, a.samples_dir} - {
            None
        }:
            names |= {
                p.name for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            }
        if a.experiment is not None:
            names |= {a.experiment.script, a.experiment.picture} - {None}
        if a.question is not None and a.question.model_answer is not None:
            names.add(a.question.model_answer.name)
    return names - CONVENTIONS


def function_words() -> set[str]:
    return {f for a in KIT.assignments.values() for f in a.functions}


def written_as_code(words) -> re.Pattern:
    """Any of ``words`` in backticks, or called: `w`, ``w``, w(."""
    return re.compile(
        "|".join(
            rf"`{{1,2}}{re.escape(w)}`{{1,2}}|{WORD.format(re.escape(w))}\("
            for w in sorted(words, key=len, reverse=True)
        )
    )


def code_and_prose(source: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """A Python file's code (identifiers, string literals that are not docstrings) and its
    prose (docstrings, comments), as (line number, text of that line) pairs."""
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            if isinstance(node.value.value, str):
                docstrings.add((node.lineno, node.col_offset))
    code, prose = [], []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT or token.start in docstrings:
            kind = prose
        elif token.type in (tokenize.STRING, tokenize.NAME):
            kind = code
        elif token.type == getattr(tokenize, "FSTRING_MIDDLE", None):  # Python 3.12 and later
            kind = code
        else:
            continue
        for offset, line in enumerate(token.string.splitlines()):
            kind.append((token.start[0] + offset, line))
    return code, prose


def engine_findings() -> list[str]:
    """Every place in the engine that breaks one of the rules, as ``file:line: what``."""
    names, files = words_pattern(assignment_words()), words_pattern(assignment_file_names())
    functions, as_code = words_pattern(function_words()), written_as_code(function_words())
    findings = []
    for path in engine_files():
        where = path.relative_to(REPO_ROOT)
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            for rule, pattern in (("names an assignment", names), ("names its file", files)):
                if pattern is files and path.is_relative_to(EXAMPLES_FOR_AUTHORS):
                    continue
                if found := pattern.search(line):
                    findings.append(f"{where}:{number}: {rule}: {found[0]}")
            if found := SECTION_NUMBER.search(line):
                findings.append(f"{where}:{number}: names a lesson section by number: {found[0]}")
        if path.suffix != ".py" or path.is_relative_to(EXAMPLES_FOR_AUTHORS):
            continue
        code, prose = code_and_prose(text)
        for number, piece in code:
            if found := functions.search(piece):
                findings.append(f"{where}:{number}: a student function in code: {found[0]}")
        for number, piece in prose:
            if found := as_code.search(piece):
                findings.append(f"{where}:{number}: a student function written as code: {found[0]}")
    return findings


def test_the_engine_names_no_assignment_its_files_or_its_functions():
    assert engine_findings() == []


def test_the_engine_rules_find_what_they_are_meant_to_find(tmp_path):
    """The scanner itself, on a file that breaks each rule once and on prose it must allow."""
    name = NAMES[0]
    assignment = KIT.assignments[name]
    function = next(f for f in assignment.functions if "_" in f or len(f) > 3)
    file_name = sorted(assignment_file_names())[0]
    code, prose = code_and_prose(
        f'"""Grade ``{function}`` here."""\n'
        f"# calls {function}(x) later\n"
        f"x = {function!r}\n"
        f"def g():\n    '''{function} as a plain word is prose.'''\n    return {function}_values\n"
    )
    functions = words_pattern(function_words())
    assert [n for n, piece in code if functions.search(piece)] == [3]
    as_code = written_as_code(function_words())
    assert [n for n, piece in prose if as_code.search(piece)] == [1, 2]
    assert words_pattern({name}).search(f"in {name}.py")
    assert not words_pattern({name}).search(f"test_{name}_x")
    assert words_pattern(assignment_file_names()).search(f"open({file_name!r})")
    assert SECTION_NUMBER.search("the hidden checks (section 9)")

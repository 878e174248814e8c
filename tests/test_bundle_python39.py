"""The student bundle runs on Python 3.9, and without matplotlib.

Students run what ``autograder release`` writes (stubs, public tests, ``selfcheck.py``,
``feedback_figures.py``, the experiment) with whatever Python they have; the bundle supports
3.9, one version below the kit. These tests read every Python file of every assignment's
bundle (and the authoring templates a new assignment's bundle starts from) for what 3.9 lacks:
its grammar (``ast.parse`` with ``feature_version=(3, 9)``), and the 3.10 features that parse on
3.9 but fail when run there (``zip(strict=...)``, ``isinstance(x, A | B)``, ``X | None`` in an
annotation that is evaluated). That cannot find everything (a function 3.9's library lacks):
``.ci/smoke-versions`` runs the bundle on a real 3.9. Here the bundle also runs without
matplotlib, made unimportable in the student's interpreter.
"""

from __future__ import annotations

import ast
import functools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from autograder.config import load_config
from autograder.release.bundle import bundle_files

KIT = load_config(REPO_ROOT / "grading.yaml")
NAMES = list(KIT.assignments)
TEMPLATES = REPO_ROOT / "autograder" / "authoring" / "templates"
OLDEST = (3, 9)

# Names 3.10 added that a 3.9 bundle must not use (the ones a bundle is likely to reach for).
NEW_IN_3_10 = {"pairwise", "aiter", "anext", "bit_count", "TypeAlias", "ParamSpec", "TypeGuard"}


@functools.cache
def bundle_of(name: str) -> dict[str, bytes]:
    """What ``autograder release`` writes for the assignment ``name``: {path: bytes}."""
    return bundle_files(KIT.assignments[name])


def _future_annotations(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )


def _has_union(node: ast.AST | None) -> bool:
    return node is not None and any(
        isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr) for n in ast.walk(node)
    )


def too_new_for_3_9(text: str, name: str) -> list[str]:
    """What in the Python source ``text`` fails on Python 3.9: one line per finding."""
    try:
        tree = ast.parse(text, name, feature_version=OLDEST)
    except SyntaxError as error:
        return [f"{name}:{error.lineno}: 3.9 cannot parse it ({error.msg})"]
    found = []
    evaluated = not _future_annotations(tree)  # else annotations stay strings
    for node in ast.walk(tree):
        line = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "zip" and any(k.arg == "strict" for k in node.keywords):
                found.append(f"{line}: zip(strict=...) is 3.10+")
            if node.func.id in ("isinstance", "issubclass") and len(node.args) == 2:
                if _has_union(node.args[1]):
                    found.append(f"{line}: {node.func.id} with A | B is 3.10+; use (A, B)")
        if evaluated and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
            if any(_has_union(a.annotation) for a in every) or _has_union(node.returns):
                found.append(f"{line}: an X | Y annotation of {node.name} is evaluated on 3.9")
        if evaluated and isinstance(node, ast.AnnAssign) and _has_union(node.annotation):
            found.append(f"{line}: an X | Y annotation is evaluated on 3.9")
        named = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
        if named in NEW_IN_3_10:
            found.append(f"{line}: {named} is 3.10+")
    return found


def test_the_check_finds_each_thing_3_9_lacks():
    cases = {
        "match x:\n    case 1:\n        pass\n": "cannot parse",
        "pairs = zip(a, b, strict=True)\n": "zip(strict",
        "ok = isinstance(x, int | float)\n": "isinstance with A | B",
        "def f(x: int | None) -> None:\n    pass\n": "annotation of f",
        "def f(x) -> int | None:\n    pass\n": "annotation of f",
        "x: int | None = None\n": "annotation is evaluated",
        "from itertools import pairwise\nprint(pairwise)\n": "pairwise is 3.10+",
        "n = (5).bit_count()\n": "bit_count is 3.10+",
    }
    for source, finding in cases.items():
        found = too_new_for_3_9(source, "example.py")
        assert len(found) == 1 and finding in found[0], (source, found)
    postponed = "from __future__ import annotations\n\ndef f(x: int | None) -> dict | None:\n    y: int | None = x\n"
    assert too_new_for_3_9(postponed, "example.py") == []
    assert too_new_for_3_9("ok = isinstance(x, (int, float)) and zip(a, b)\n", "example.py") == []


@pytest.mark.parametrize("name", NAMES)
def test_every_python_file_of_the_bundle_runs_on_3_9(name):
    files = bundle_of(name)
    python = {path: data for path, data in files.items() if path.endswith(".py")}
    assert "selfcheck.py" in python and f"{KIT.assignments[name].module}.py" in python
    found = [f for path, data in python.items() for f in too_new_for_3_9(data.decode(), path)]
    assert found == []


def test_the_authoring_templates_of_a_bundle_run_on_3_9():
    paths = [*(TEMPLATES / "assignments").glob("*.py"), *(TEMPLATES / "reference").glob("*.py")]
    assert len(paths) >= 3
    found = [f for p in paths for f in too_new_for_3_9(p.read_text(), p.name)]
    assert found == []


# -- without matplotlib ------------------------------------------------------------------------

# Runs a script as ``python SCRIPT`` would, in an interpreter where importing matplotlib fails
# as it does where it is not installed (ModuleNotFoundError).
WITHOUT_MATPLOTLIB = """\
import runpy, sys

class NoMatplotlib:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "matplotlib":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoMatplotlib())
for loaded in [m for m in sys.modules if m.partition(".")[0] == "matplotlib"]:
    del sys.modules[loaded]
sys.path.insert(0, "")
sys.argv = [sys.argv[1]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def student_folder(tmp_path: Path, name: str) -> Path:
    """The released bundle with the reference as the student's module, and the modules the
    grader provides beside it (as a student who did the earlier assignment has them)."""
    assignment = KIT.assignments[name]
    folder = tmp_path / "bundle"
    folder.mkdir()
    for path, data in bundle_of(name).items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    shutil.copy(assignment.reference_file, folder / f"{assignment.module}.py")
    for module, provided in assignment.provides.items():
        shutil.copy(provided.reference, folder / f"{module}.py")
    return folder


def run_without_matplotlib(folder: Path, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_MATPLOTLIB, script],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
    )


@pytest.mark.parametrize("name", NAMES)
def test_the_self_check_without_matplotlib_says_so_in_one_line(tmp_path, name):
    folder = student_folder(tmp_path, name)
    done = run_without_matplotlib(folder, "selfcheck.py")
    functions = len(KIT.assignments[name].functions)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{functions} of {functions} functions pass their public checks" in done.stdout
    skipped = [line for line in done.stdout.splitlines() if "matplotlib" in line]
    assert skipped == [
        "Pictures skipped: matplotlib is not installed (pip install matplotlib to get them)."
    ]
    assert not list(folder.glob("*.png")) and done.stderr == ""


EXPERIMENTS = [name for name in NAMES if KIT.assignments[name].experiment is not None]


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_the_experiment_without_matplotlib_prints_its_numbers_and_one_line(tmp_path, name):
    experiment = KIT.assignments[name].experiment
    folder = student_folder(tmp_path, name)
    done = run_without_matplotlib(folder, experiment.script)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    skipped = [line for line in lines if "matplotlib" in line]
    assert skipped == [
        f"The picture {experiment.picture} is skipped: matplotlib is not installed "
        "(pip install matplotlib)."
    ]
    assert len(lines) >= 3 and not list(folder.glob("*.png")) and done.stderr == ""

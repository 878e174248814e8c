"""The Gradescope bundle run as Gradescope runs it: setup.sh, then run_autograder, as root.

The zip is built with ``autograder gradescope-bundle`` and unpacked into a Gradescope-shaped
tree (``<tmp>/autograder/{source,submission,results}``, ``submission_metadata.json``).
``setup.sh`` runs for real but for its install steps (``AUTOGRADER_SETUP_INSTALL=0``: no apt-get,
no pip; this interpreter, which has the kit, is given to run_autograder as ``AUTOGRADER_PYTHON``)
and the user it would create (``nobody`` exists already). Then ``run_autograder`` grades a
correct, a wrong, a missing, a hostile, a linked and a group's submission, and the hostile one
again where user namespaces are refused, as in Docker. FORMATS.md gives Gradescope's contract;
the validator of results.json is test_cli's.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from conftest import samples_of
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from test_cli import check_gradescope_results

from autograder.cli import main
from autograder.config import load_config
from autograder.kit import kit_config_path
from autograder.release.gradescope import CONSTRAINTS
from autograder.release.gradescope_run import (
    Member,
    SubmissionMetadata,
    final_results,
    read_graded,
    read_metadata,
)

as_root = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0,
    reason="Gradescope runs setup.sh and run_autograder as root on Linux",
)

KIT = load_config(kit_config_path())
ASSIGNMENT = KIT.assignment("regression_losses")
FULL_MARKS = sum(check.points for check in ASSIGNMENT.checks.values())
STUDENT_UID = pwd.getpwnam("nobody").pw_uid  # setup.sh uses it rather than make a user


@pytest.fixture
def tmp_path():
    """A folder others may traverse, as Gradescope's ``/`` (pytest's own are its user's alone,
    so the unprivileged user could not reach source/ whatever its mode)."""
    folder = Path(tempfile.mkdtemp(prefix="gradescope-run-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    assert main(["gradescope-bundle", "--assignment", ASSIGNMENT.name, "--out", str(out)]) == 0
    return out


def gradescope_tree(bundle: Path, tmp_path: Path, files: dict[str, str | Path], meta=None) -> Path:
    """``tmp_path/autograder`` as Gradescope lays it out, after setup.sh: source/ (the zip),
    submission/ (``files``: name to text or to a file to copy), submission_metadata.json."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # zipfile does not restore modes
            if info.external_attr >> 16:
                (root / "source" / info.filename).chmod((info.external_attr >> 16) & 0o777)
    (root / "submission").mkdir()
    for name, content in files.items():
        if isinstance(content, Path):
            shutil.copy(content, root / "submission" / name)
        else:
            (root / "submission" / name).write_text(content, encoding="utf-8")
    (root / "submission_metadata.json").write_text(
        json.dumps(meta if meta is not None else metadata_of([("Ada Byron", "ada@example.edu")])),
        encoding="utf-8",
    )
    setup = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")],
        env={
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "AUTOGRADER_ROOT": str(root),
            "AUTOGRADER_SETUP_INSTALL": "0",
            "AUTOGRADER_STUDENT_USER": "nobody",
        },
        cwd=root / "source",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert setup.returncode == 0, setup.stderr
    # the image build copies run_autograder to /autograder, whence Gradescope runs it
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    return root


def metadata_of(users: list[tuple[str, str]], previous: list = ()) -> dict:
    """submission_metadata.json as Gradescope writes it (the fields the kit reads, and others)."""
    return {
        "id": 123456,
        "created_at": "2026-12-08T02:00:00.000000-08:00",
        "assignment": {"due_date": "2026-12-10T23:59:00.000000-08:00", "title": "Losses"},
        "submission_method": "upload",
        "users": [
            {"email": email, "id": 1000 + number, "name": name}
            for number, (name, email) in enumerate(users)
        ],
        "previous_submissions": list(previous),
    }


def run_autograder(root: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """run_autograder as Gradescope runs it: as root, in /autograder; then its results.json."""
    completed = subprocess.run(
        [str(root / "run_autograder")],
        cwd=root,
        env={
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": "/root",
            "AUTOGRADER_ROOT": str(root),
            "AUTOGRADER_PYTHON": sys.executable,
            "AUTOGRADER_STUDENT_USER": "nobody",
        },
        capture_output=True,
        text=True,
        timeout=240,
    )
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert check_gradescope_results(results) == []
    return completed, results


@as_root
def test_a_correct_submission_gets_full_marks(bundle, tmp_path):
    root = gradescope_tree(
        bundle, tmp_path, {"regression_losses.py": samples_of(ASSIGNMENT.name) / "correct_loops.py"}
    )
    completed, results = run_autograder(root)
    assert completed.returncode == 0, completed.stderr
    assert results["score"] == FULL_MARKS == sum(t["max_score"] for t in results["tests"])
    assert {t["status"] for t in results["tests"]} == {"passed"}
    assert results["output_format"] == "md" and results["test_output_format"] == "text"
    assert isinstance(results["execution_time"], float | int)
    # some checks are held back, so (as Gradescope does) the total is not in the output
    assert "**Score" not in results["output"] and "total is not shown yet" in results["output"]
    assert results["extra_data"]["graded"] is True
    assert results["extra_data"]["grader_status"] == 0
    assert results["extra_data"]["isolation"]["level"] == "full"
    assert [p.name for p in (root / "results").iterdir()] == ["results.json"]


@as_root
def test_a_wrong_submission_gets_part_of_the_marks(bundle, tmp_path):
    wrong = samples_of(ASSIGNMENT.name) / "mse_grad__sign_flipped.py"
    root = gradescope_tree(bundle, tmp_path, {"my_work.py": wrong})
    _, results = run_autograder(root)
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert 0 < results["score"] < FULL_MARKS
    assert results["score"] == sum(t["score"] for t in results["tests"])
    assert failed and all(t["score"] < t["max_score"] for t in failed)
    assert {tag for t in failed for tag in t["tags"]} == {"mse_grad"}


@as_root
def test_nothing_to_grade_still_writes_results(bundle, tmp_path):
    root = gradescope_tree(bundle, tmp_path, {"notes.txt": "I forgot to upload my code"})
    completed, results = run_autograder(root)
    assert results["score"] == 0 and results["tests"] == []
    assert "autograder:" in completed.stdout  # the grader's own output, for the instructor
    assert "Did you upload `regression_losses.py` or one notebook?" in results["output"]
    assert results["extra_data"]["grader_status"] == 2
    assert "autograder:" in results["extra_data"]["grader_log"]


HOSTILE = """
import json
import os

ROOT = {root!r}
print("UID", os.getuid())
TARGETS = [
    ROOT + "/source/reference/regression_losses/regression_losses.py",
    ROOT + "/source/reference/regression_losses/checks/test_checks.py",
    ROOT + "/source/grading.yaml",
    "/autograder/source/reference/regression_losses/regression_losses.py",
]
for target in TARGETS:
    try:
        with open(target) as handle:
            print("LEAKED", target, handle.read()[:4000])
    except OSError as error:
        print("READ-REFUSED", type(error).__name__)
try:
    os.listdir(ROOT + "/source")
    print("LISTED-SOURCE")
except OSError as error:
    print("LIST-REFUSED", type(error).__name__)
forged = {{"score": 100, "output": "FORGED", "tests": [], "extra_data": {{"forged": True}}}}
for target in [ROOT + "/results/results.json", ROOT + "/results/forged.json"]:
    try:
        with open(target, "w") as handle:
            json.dump(forged, handle)
        print("FORGED", target)
    except OSError as error:
        print("WRITE-REFUSED", type(error).__name__)
"""


@as_root
def test_a_hostile_submission_reads_no_secret_and_forges_no_score(bundle, tmp_path):
    root_path = tmp_path / "autograder"
    correct = (samples_of(ASSIGNMENT.name) / "correct_vectorised.py").read_text(encoding="utf-8")
    hostile = HOSTILE.format(root=str(root_path)) + "\n" + correct
    root = gradescope_tree(bundle, tmp_path, {"regression_losses.py": hostile})
    assert root == root_path
    # as if a weaker sandbox had let it write there: the trusted results.json replaces it
    (root / "results").mkdir()
    (root / "results" / "results.json").write_text('{"score": 100, "tests": []}')
    _, results = run_autograder(root)
    printed = results["extra_data"]["printed"]
    assert printed.count("READ-REFUSED") == 4 and "LIST-REFUSED" in printed, printed
    assert printed.count("WRITE-REFUSED") == 2, printed
    assert "LEAKED" not in printed and "FORGED" not in printed and "LISTED" not in printed
    # the trusted grade of the correct code it carries, nothing it tried to write
    assert results["score"] == FULL_MARKS != 100
    assert "forged" not in results["extra_data"]
    assert [p.name for p in (root / "results").iterdir()] == ["results.json"]
    # and no line of the reference's solution reached anything the student sees
    reference = root / "source" / ASSIGNMENT.reference_file.relative_to(KIT.root)
    secret = [line.strip() for line in reference.read_text().splitlines() if "np." in line]
    shown = results["output"] + "".join(t["output"] for t in results["tests"])
    assert secret and not any(line in shown for line in secret)


@as_root
def test_a_submission_that_links_to_the_reference_is_not_graded_as_it(bundle, tmp_path):
    """The grader reads the submission as root: a link into source/ must not lend it the
    reference (a zip may hold symbolic links)."""
    root = gradescope_tree(bundle, tmp_path, {})
    reference = root / "source" / ASSIGNMENT.reference_file.relative_to(KIT.root)
    (root / "submission" / "regression_losses.py").symlink_to(reference)
    _, results = run_autograder(root)
    assert results["score"] == 0
    assert "symbolic link" in results["output"] + results["extra_data"]["grader_log"]


@as_root
def test_a_group_submission_is_graded_once_for_everyone_and_metadata_sets_no_score(
    bundle, tmp_path
):
    users = [("Ada Byron", "ada@example.edu"), ("<img src=x onerror=alert(1)> *Bob*", "b@x.org")]
    previous = [
        {"submission_time": "2026-12-07T10:00:00-08:00", "score": 100.0, "results": {}},
        {"submission_time": "2026-12-07T11:00:00-08:00", "score": "12.5", "results": {}},
        {"submission_time": "2026-12-07T12:00:00-08:00", "score": None, "results": {}},
    ]
    wrong = samples_of(ASSIGNMENT.name) / "mse_grad__sign_flipped.py"
    root = gradescope_tree(
        bundle, tmp_path, {"regression_losses.py": wrong}, metadata_of(users, previous)
    )
    _, results = run_autograder(root)
    recorded = results["extra_data"]["gradescope"]
    assert recorded["submission_id"] == "123456"
    assert [(u["name"], u["email"], u["id"]) for u in recorded["users"]] == [
        (name, email, str(1000 + n)) for n, (name, email) in enumerate(users)
    ]
    assert recorded["previous_scores"] == [100.0, 12.5] and recorded["previous_submissions"] == 2
    assert recorded["metadata_problem"] == ""
    # the grade is the grader's alone; an earlier 100 neither sets nor shows it
    assert 0 < results["score"] < FULL_MARKS
    output = results["output"]
    assert "Graded for the group: Ada Byron, " in output
    assert "&lt;img src=x onerror=alert\\(1\\)&gt; \\*Bob\\*" in output
    assert "<img" not in output and "100" not in output and "Earlier submissions" not in output


@as_root
def test_the_source_is_root_s_alone_after_setup(bundle, tmp_path):
    root = gradescope_tree(bundle, tmp_path, {"regression_losses.py": "x = 1\n"})
    for path in [root / "source", *(root / "source").rglob("*")]:
        info = path.lstat()
        assert info.st_uid == 0 and info.st_gid == 0, path
        assert stat.S_IMODE(info.st_mode) & 0o077 == 0, path
    reference = root / "source" / ASSIGNMENT.reference_file.relative_to(KIT.root)
    as_student = subprocess.run(
        ["cat", str(reference)],
        user=STUDENT_UID,
        group=STUDENT_UID,
        extra_groups=[],
        capture_output=True,
        text=True,
    )
    assert as_student.returncode != 0 and "Permission denied" in as_student.stderr
    assert subprocess.run(["cat", str(reference)], capture_output=True).returncode == 0


def test_setup_sh_passes_bash_n_and_installs_with_the_constraints(bundle):
    with zipfile.ZipFile(bundle) as archive:
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
        constraints = archive.read("constraints.txt").decode()
        names = set(archive.namelist())
    for script in (setup, run):
        checked = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    assert constraints == CONSTRAINTS.read_text(encoding="utf-8")
    commands = setup.replace("\\\n", " ").splitlines()  # continued lines joined
    pip_lines = [line for line in commands if "pip install" in line]
    assert len(pip_lines) == 2
    assert all('-c "$SOURCE/constraints.txt"' in line for line in pip_lines)
    assert "setup.py" not in names  # its build hook would copy the reference into the package


# -- the constraints pin every runtime dependency ------------------------------------------------

TARGET_MARKERS = {  # what setup.sh installs on: gradescope/autograder-base
    "python_version": "3.10",
    "python_full_version": "3.10.12",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][A-Za-z0-9.+!-]*)$")


def pins(text: str) -> dict[str, str]:
    """The constraints as {canonical name: version}; every line must be a comment or a pin."""
    found = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"not a name==version pin: {line!r}"
        found[canonicalize_name(match[1])] = match[2]
    return found


def runtime_requirements() -> list[Requirement]:
    """The kit's runtime dependencies, from pyproject.toml."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the installed kit's metadata says the same
        listed = [r for r in metadata.requires("sign-of-the-gradient") or [] if "extra ==" not in r]
    else:
        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        listed = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    return [Requirement(r) for r in listed]


def needed_on_the_target(requirement: Requirement, extra: str = "") -> bool:
    return requirement.marker is None or requirement.marker.evaluate(
        {**TARGET_MARKERS, "extra": extra}
    )


def dependency_closure(requirements: list[Requirement]) -> set[str]:
    """The names of ``requirements`` and, through the installed packages' metadata, of everything
    they need on Python 3.10 (a package not installed here is a leaf)."""
    names, stack = set(), list(requirements)
    while stack:
        requirement = stack.pop()
        name = canonicalize_name(requirement.name)
        if name in names:
            continue
        names.add(name)
        try:
            requires = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            child = Requirement(line)
            extras = requirement.extras or {""}
            if any(needed_on_the_target(child, extra) for extra in extras):
                stack.append(child)
    return names


def test_the_constraints_pin_every_runtime_dependency():
    pinned = pins(CONSTRAINTS.read_text(encoding="utf-8"))
    direct = runtime_requirements()
    assert direct
    for requirement in direct:
        version = pinned.get(canonicalize_name(requirement.name))
        assert version, f"{requirement.name} is not pinned"
        assert requirement.specifier.contains(version, prereleases=True), (requirement, version)
    missing = dependency_closure(direct) - set(pinned)
    assert not missing, f"not pinned: {sorted(missing)}"
    # Python 3.10 needs what a newer Python does not (pytest's backports), and the build its tools
    assert {"tomli", "exceptiongroup", "pip", "setuptools"} <= set(pinned)


def test_the_pin_check_finds_what_is_missing():
    with pytest.raises(AssertionError, match="not a name==version pin"):
        pins("numpy>=1.26\n")
    closure = dependency_closure([Requirement("pytest>=8")])
    assert {"pytest", "pluggy", "iniconfig", "packaging", "tomli", "exceptiongroup"} <= closure
    assert closure - set(pins("pytest==9.2.0\npluggy==1.7.0\n"))


# -- as in Docker: no user namespace for anyone ----------------------------------------------------

# Run a command the way Docker's default seccomp profile leaves a container's root: unshare and
# a clone that makes any namespace fail with EPERM (clone3 with ENOSYS, so the C library falls
# back to clone, whose flags a filter can read). With ``NO_LANDLOCK`` set, Landlock's system
# calls fail with ENOSYS too, as on a kernel without it. x86_64 only (its system call numbers).
WITHOUT_NAMESPACES = r"""
import ctypes, os, sys
ALLOW, ERRNO = 0x7FFF0000, 0x00050000
EPERM, ENOSYS = 1, 38
LOAD, JEQ, JSET, JGE, RET = 0x20, 0x15, 0x45, 0x35, 0x06
NEW_NAMESPACES = 0x7E020000  # CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
landlock = os.environ.pop("NO_LANDLOCK", "") == "1"
program = [
    (LOAD, 0, 0, 4), (JEQ, 1, 0, 0xC000003E), (RET, 0, 0, ALLOW),  # another architecture
    (LOAD, 0, 0, 0),
    (JEQ, 0, 1, 435), (RET, 0, 0, ERRNO | ENOSYS),  # clone3
    (JGE, 0, 2, 444), (JGE, 1, 0, 447), (RET, 0, 0, (ERRNO | ENOSYS) if landlock else ALLOW),
    (JEQ, 0, 1, 272), (RET, 0, 0, ERRNO | EPERM),  # unshare
    (JEQ, 1, 0, 56), (RET, 0, 0, ALLOW),  # clone
    (LOAD, 0, 0, 16), (JSET, 0, 1, NEW_NAMESPACES), (RET, 0, 0, ERRNO | EPERM),
    (RET, 0, 0, ALLOW),
]
class Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]
class Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Instruction))]
instructions = (Instruction * len(program))(*program)
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
fprog = Program(len(program), instructions)
if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
    sys.exit(f"seccomp: {os.strerror(ctypes.get_errno())}")
os.execv(sys.argv[1], sys.argv[1:])
"""


def run_without_namespaces(root: Path, landlock: bool, student: str) -> dict:
    """run_autograder as in a Docker container (see WITHOUT_NAMESPACES), with ``student`` as
    the user setup.sh made; its results.json."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/root",
        "AUTOGRADER_ROOT": str(root),
        "AUTOGRADER_PYTHON": sys.executable,
        "AUTOGRADER_STUDENT_USER": student,
        "NO_LANDLOCK": "" if landlock else "1",
    }
    refused = subprocess.run(
        [sys.executable, "-c", WITHOUT_NAMESPACES, "/usr/bin/unshare", "--user", "true"],
        env=env,
        capture_output=True,
    )
    assert refused.returncode != 0, "the filter must refuse a user namespace"
    subprocess.run(
        [sys.executable, "-c", WITHOUT_NAMESPACES, str(root / "run_autograder")],
        cwd=root,
        env=env,
        capture_output=True,
        timeout=240,
    )
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert check_gradescope_results(results) == []
    return results


@as_root
@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the filter knows x86_64's numbers")
@pytest.mark.parametrize("landlock", [True, False], ids=["landlock", "no-landlock"])
def test_without_user_namespaces_student_code_runs_as_the_student_user(bundle, tmp_path, landlock):
    """As on Gradescope: the worker becomes the uid run_autograder passes (that of the user
    setup.sh made; here an existing system user other than nobody, to tell it from the
    sandbox's default), and the hostile submission still reads and forges nothing."""
    student = next(
        n for n in ("daemon", "bin", "games") if n in {u.pw_name for u in pwd.getpwall()}
    )
    root_path = tmp_path / "autograder"
    correct = (samples_of(ASSIGNMENT.name) / "correct_vectorised.py").read_text(encoding="utf-8")
    hostile = HOSTILE.format(root=str(root_path)) + "\n" + correct
    root = gradescope_tree(bundle, tmp_path, {"regression_losses.py": hostile})
    results = run_without_namespaces(root, landlock, student)
    isolation = results["extra_data"]["isolation"]
    assert "user+net namespace" not in isolation["mechanisms"], isolation
    assert ("landlock-fs" in isolation["mechanisms"]) == landlock, isolation
    assert "unprivileged-uid" in isolation["mechanisms"], isolation
    printed = results["extra_data"]["printed"]
    assert f"UID {pwd.getpwnam(student).pw_uid}\n" in printed, printed
    assert printed.count("READ-REFUSED") == 4 and printed.count("WRITE-REFUSED") == 2, printed
    assert "LEAKED" not in printed and "FORGED" not in printed
    assert results["score"] == FULL_MARKS


# -- the last step alone: metadata and Markdown --------------------------------------------------


def graded_result(printed: str = "", visibility: str = "visible") -> dict:
    """A grader's results.json (the fields from_gradescope reads) with one check of 3 points."""
    check = {"check": "a", "cases": 1, "cases_failed": 0}
    return {
        "score": 3,
        "execution_time": 0.5,
        "output": "the grader's own text",
        "tests": [
            {
                "name": "a: the first check",
                "score": 3,
                "max_score": 3,
                "status": "passed",
                "output": "ok",
                "visibility": visibility,
                "tags": ["a"],
                "extra_data": check,
            }
        ],
        "extra_data": {"max_score": 3, "submission": "week1.py", "printed": printed},
    }


def test_metadata_that_is_missing_or_malformed_is_said_and_changes_nothing(tmp_path):
    path = tmp_path / "submission_metadata.json"
    assert read_metadata(path) == SubmissionMetadata(problem="submission_metadata.json: not found")
    path.write_text("{not json")
    assert "not readable JSON" in read_metadata(path).problem
    path.write_text("[]")
    assert read_metadata(path).problem == "submission_metadata.json: not a JSON object"
    path.write_text(
        json.dumps(
            {
                "id": 9,
                "users": [{"name": "Ada"}, "not a user"],
                "previous_submissions": [{"score": "7"}, {"score": "NaN"}, {"score": []}, 3],
            }
        )
    )
    assert read_metadata(path) == SubmissionMetadata("9", (Member("", "Ada", ""),), (7.0,))


def test_the_output_is_markdown_in_which_no_submission_text_is_markup():
    printed = "```\n<b>bold</b> **not bold**"
    metadata = SubmissionMetadata("1", (Member("1", "Ada", "a@x"),), (2.5, 1.0))
    data = final_results(graded_result(printed), metadata, 0, "week1", "log")
    assert data["score"] == 3 and data["output_format"] == "md"
    output = data["output"]
    assert output.startswith("**Score: 3 / 3**\n")
    assert "````\n```\n<b>bold</b> **not bold**\n````" in output  # fenced longer than its run
    # the total is shown, so the best earlier score is too; one member: no group line
    assert "Earlier submissions: 2; the best scored 2.5." in output and "group" not in output
    assert data["extra_data"]["gradescope"]["previous_scores"] == [2.5, 1.0]
    assert data["extra_data"]["grader_log"] == "log" and data["extra_data"]["max_score"] == 3


def test_while_a_check_is_held_back_no_total_and_no_earlier_score_is_shown():
    metadata = SubmissionMetadata("1", (), (3.0,))
    output = final_results(graded_result(visibility="hidden"), metadata, 0, "week1", "")["output"]
    assert "Score" not in output and "Earlier" not in output and "3.0" not in output


def test_a_results_file_that_does_not_read_back_is_not_used(tmp_path):
    path = tmp_path / "results.json"
    for text in ("", "[1]", '{"score": 1}', '{"score": "x", "tests": []}'):
        path.write_text(text)
        assert read_graded(path) is None, text
    path.write_text(json.dumps(graded_result()))
    assert read_graded(path) == graded_result()

"""``autograder gradescope-bundle``: a Gradescope autograder zip that grades with this kit.

Gradescope builds an image by running ``setup.sh`` once, then runs
``run_autograder`` per submission in ``/autograder``: the student's files are
in ``/autograder/submission`` and the script must write
``/autograder/results/results.json``. The zip holds, at its root, those two
scripts, ``constraints.txt`` (the pinned versions setup.sh installs: see
``gradescope-constraints.txt`` beside this module) and a copy of what grading needs: the engine
(``autograder/``), ``grading.yaml``, the assignment's reference, hidden checks, release folder and
the other files its grading.yaml entry names, and ``pyproject.toml`` so ``setup.sh`` can install
the kit. No ``setup.py``: its build hook would copy the course (the reference) into the
installed package, which student code may read.

``setup.sh`` installs the kit in ``/opt/kit``, creates the unprivileged user for student code and
makes the source folder root's alone; ``run_autograder`` grades as root into a private folder
and has :mod:`autograder.release.gradescope_run` write results.json last. Both honour
``AUTOGRADER_ROOT`` (default ``/autograder``), so the bundle can be tried in a temporary folder;
their headers list the other variables a trial may set.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import yaml

from autograder.config import AssignmentConfig, GradingConfig
from autograder.release.bundle import ReleaseError

CONSTRAINTS = Path(__file__).with_name("gradescope-constraints.txt")

SETUP_SH = """\
#!/usr/bin/env bash
# Runs once, as root, when Gradescope builds the autograder image (gradescope/autograder-base:
# Ubuntu 22.04, python3 3.10). It installs the kit in a virtual environment with the versions
# pinned in constraints.txt, creates the unprivileged user for student code, and makes the source
# folder (the reference, the hidden checks) readable by root only.
#
# To try it outside Gradescope (the kit's tests do), these variables change it:
#   AUTOGRADER_ROOT=DIR          instead of /autograder
#   AUTOGRADER_SETUP_INSTALL=0   no apt-get, no virtual environment, no pip: run_autograder is
#                                then given an interpreter that has the kit, as AUTOGRADER_PYTHON
#   AUTOGRADER_STUDENT_USER=NAME the unprivileged user (default autograder-student), created
#                                when missing
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
KIT=/opt/kit
STUDENT="${AUTOGRADER_STUDENT_USER:-autograder-student}"

if [ "${AUTOGRADER_SETUP_INSTALL:-1}" != 0 ]; then
    export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3 python3-venv python3-pip > /dev/null
    python3 -m venv "$KIT"
    # pip and setuptools first, pinned: the kit is then built with that setuptools (no isolation)
    "$KIT/bin/python" -m pip install --quiet --no-cache-dir -c "$SOURCE/constraints.txt" \\
        --upgrade pip setuptools
    "$KIT/bin/python" -m pip install --quiet --no-cache-dir --no-build-isolation \\
        -c "$SOURCE/constraints.txt" "$SOURCE"
    # the environment holds no course file (no setup.py is bundled, so no course is copied into
    # the package): student code may read it, it must not write it
    chmod -R go+rX,go-w "$KIT"
fi

if ! id -u "$STUDENT" > /dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent \\
        --shell /usr/sbin/nologin "$STUDENT"
fi

# the reference and the hidden checks: root's alone
chown -R root:root "$SOURCE"
chmod -R go-rwx "$SOURCE"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Runs once per submission, as root, in /autograder (Gradescope copies it to
# /autograder/run_autograder): grades /autograder/submission and writes
# /autograder/results/results.json, always, and last.
#
# The grader (a trusted process, root) reads the reference and hidden checks in source/, which
# only root may read; the student's code runs in the kit's sandbox workers, never as this
# process. The grader writes into a folder only root can reach; then a fresh trusted process
# (autograder.release.gradescope_run) adds what submission_metadata.json says (group members,
# earlier scores, for display only), renders the feedback as Markdown and swaps results.json
# into place atomically, after every worker has ended: whatever the student's code may have put
# there is replaced.
#
# Where the kernel refuses the sandbox a user namespace (Docker, as on Gradescope), a worker
# started as root changes to an unprivileged uid before it runs student code: the uid of the user
# setup.sh made, passed as AUTOGRADER_WORKER_UID (the sandbox's default otherwise: 65534, nobody).
#
# AUTOGRADER_ROOT (default /autograder), AUTOGRADER_PYTHON (default /opt/kit/bin/python, which
# setup.sh makes) and AUTOGRADER_STUDENT_USER (as for setup.sh) let the bundle be tried elsewhere.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-/opt/kit/bin/python}}"
STUDENT="${{AUTOGRADER_STUDENT_USER:-autograder-student}}"
RESULTS="$ROOT/results/results.json"
if [ -z "${{AUTOGRADER_WORKER_UID:-}}" ] && id -u "$STUDENT" > /dev/null 2>&1; then
    export AUTOGRADER_WORKER_UID="$(id -u "$STUDENT"):$(id -g "$STUDENT")"
fi

chmod -R go-rwx "$ROOT/source"  # as setup.sh left it, whatever happened to the image since
mkdir -p "$ROOT/results"
chmod go-w "$ROOT/results"
STAGING="$(mktemp -d "${{TMPDIR:-/tmp}}/autograder-run.XXXXXX")" || exit 1  # mode 0700, root's
trap 'rm -rf "$STAGING"' EXIT
cd "$STAGING" || exit 1  # not source/: nothing is imported from the working folder

"$PYTHON" -m autograder.cli grade "$ROOT/submission" --out "$STAGING/out" \\
    --config "$ROOT/source/grading.yaml" --assignment '{assignment}' > "$STAGING/grade.log" 2>&1
status=$?
cat "$STAGING/grade.log"  # Gradescope keeps this script's output for the instructor alone

if ! "$PYTHON" -m autograder.release.gradescope_run "$ROOT" "$STAGING" "$status" '{module}'; then
    # the kit's Python itself failed: Gradescope still needs a results file, and not one that
    # anything but this script wrote
    printf '{{"score": 0, "output": "The autograder failed (status %s); your instructor will grade '\\
'this submission.", "tests": []}}\\n' "$status" > "$RESULTS.partial"
    mv -f "$RESULTS.partial" "$RESULTS"  # a rename in the same folder: whole or not at all
fi
"""


def needed_assignments(
    config: GradingConfig, assignment: AssignmentConfig
) -> list[AssignmentConfig]:
    """The assignment and those whose references it imports (``provides``), transitively."""
    needed, stack = [], [assignment]
    while stack:
        current = stack.pop()
        if current.name not in {a.name for a in needed}:
            needed.append(current)
            stack += [config.assignment(p.source) for p in current.provides.values()]
    return needed


def trimmed_config(config: GradingConfig, assignment: AssignmentConfig) -> str:
    """grading.yaml with only the assignments the bundle holds, this one the default."""
    data = yaml.safe_load(config.path.read_text(encoding="utf-8"))
    keep = {a.name for a in needed_assignments(config, assignment)}
    data["assignments"] = {name: body for name, body in data["assignments"].items() if name in keep}
    data["default_assignment"] = assignment.name
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def bundle_members(config: GradingConfig, assignment: AssignmentConfig) -> dict[str, Path]:
    """Every file of the bundle's source tree (but grading.yaml), by its path inside the zip.
    Raises :class:`ReleaseError` when the kit is not installed from its source (a wheel)."""
    root = config.root
    kit = Path(__file__).resolve().parents[1]
    if not (kit.parent / "pyproject.toml").is_file():
        raise ReleaseError(
            f"the Gradescope bundle installs the kit from its source, which this installation "
            f"lacks ({kit.parent} holds no pyproject.toml): run gradescope-bundle from a clone "
            "of the kit (or an editable install, pip install -e)"
        )
    members: dict[str, Path] = {}
    for path in sorted(kit.rglob("*")):
        relative = path.relative_to(kit.parent)
        if not path.is_file() or "__pycache__" in relative.parts:
            continue
        if path.is_relative_to(kit / "_course"):
            continue  # a wheel's copy of the kit's course: the bundle takes what it needs below
        members[relative.as_posix()] = path
    for needed in needed_assignments(config, assignment):
        # the release folder is public anyway, and grading.yaml names it
        for folder in (needed.checks_dir, needed.release_dir):
            for path in sorted(folder.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    members[path.relative_to(root).as_posix()] = path
        members[needed.reference_file.relative_to(root).as_posix()] = needed.reference_file
        if needed.question is not None and needed.question.model_answer is not None:
            # not needed to grade, but grading.yaml names it, and the file must load
            answer = needed.question.model_answer
            members[answer.relative_to(root).as_posix()] = answer
    members["pyproject.toml"] = kit.parent / "pyproject.toml"
    members["README.md"] = kit.parent / "README.md"
    return members


def write_gradescope_bundle(
    config: GradingConfig, assignment: AssignmentConfig, out: Path
) -> list[str]:
    """Write the autograder zip to ``out``; return the names inside it."""
    members = bundle_members(config, assignment)
    scripts = {
        "setup.sh": SETUP_SH,
        "run_autograder": RUN_AUTOGRADER.format(
            assignment=assignment.name, module=assignment.module
        ),
    }
    texts = {"constraints.txt": CONSTRAINTS.read_text(encoding="utf-8")}
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.partial")
    with zipfile.ZipFile(staging, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, text in scripts.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, text)
        for name, text in texts.items():
            bundle.writestr(name, text)
        for name, path in members.items():
            bundle.write(path, name)
        bundle.writestr("grading.yaml", trimmed_config(config, assignment))
    staging.replace(out)
    return [*scripts, *texts, *members, "grading.yaml"]

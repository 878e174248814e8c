"""``autograder gradescope-bundle``: a Gradescope autograder zip that grades with this kit.

Gradescope builds an image by running ``setup.sh`` once, then runs
``run_autograder`` per submission in ``/autograder``: the student's files are
in ``/autograder/submission`` and the script must write
``/autograder/results/results.json``. The zip holds, at its root, those two
scripts and a copy of what grading needs: the engine (``autograder/``),
``grading.yaml``, the assignment's reference, hidden checks, release folder and the other
files its grading.yaml entry names, and
``pyproject.toml`` so ``setup.sh`` can install the kit and its dependencies.
``run_autograder`` honours ``AUTOGRADER_ROOT`` (default ``/autograder``) so
the bundle can be tried in a temporary folder.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import yaml

from autograder.config import AssignmentConfig, GradingConfig

SETUP_SH = """\
#!/usr/bin/env bash
# Runs once, as root, when Gradescope builds the autograder image.
set -euo pipefail
apt-get update -qq
apt-get install -y -qq python3 python3-pip python3-venv > /dev/null
python3 -m venv /opt/kit
/opt/kit/bin/pip install --quiet /autograder/source
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Runs once per submission. Grades /autograder/submission into /autograder/results/results.json.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-/opt/kit/bin/python}}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
PYTHONPATH="$ROOT/source" "$PYTHON" -m autograder.cli grade "$ROOT/submission" \\
    --out "$ROOT/results" --config "$ROOT/source/grading.yaml" --assignment {assignment}
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
    # grading could not start (e.g. no submission file): Gradescope still needs a results file
    printf '{{"score": 0, "output": "The autograder could not grade this submission (exit status %s). '\\
'Did you upload {module}.py or one notebook?", "tests": []}}\\n' "$status" > "$ROOT/results/results.json"
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
    """Every file of the bundle's source tree (but grading.yaml), by its path inside the zip."""
    root = config.root
    kit = Path(__file__).resolve().parents[1]
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
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.partial")
    with zipfile.ZipFile(staging, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, text in scripts.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, text)
        for name, path in members.items():
            bundle.write(path, name)
        bundle.writestr("grading.yaml", trimmed_config(config, assignment))
    staging.replace(out)
    return [*scripts, *members, "grading.yaml"]

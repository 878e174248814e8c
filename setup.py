"""Build hook: a wheel carries the kit's own course (grading.yaml and the folders it names).

Everything else about the build is in pyproject.toml. The course tree lives at the
repository root (``grading.yaml``, ``assignments/``, ``reference/``), outside the
``autograder`` package; a wheel built without it would install a kit whose
``autograder demo`` and ``autograder grade`` find no grading.yaml. This hook copies the
tree into the built package as ``autograder/_course/`` (found by ``autograder.kit``).
An editable install does not need it: there the checkout is the course.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
COURSE_FILES = ["grading.yaml"]
COURSE_FOLDERS = ["assignments", "reference"]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


class BuildWithCourse(build_py):
    """``build_py`` that also copies the kit's course into ``autograder/_course``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "autograder" / "_course"
        shutil.rmtree(target, ignore_errors=True)
        for name in COURSE_FILES:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(HERE / name, target / name)
        for name in COURSE_FOLDERS:
            shutil.copytree(HERE / name, target / name, ignore=IGNORED)


setup(cmdclass={"build_py": BuildWithCourse})

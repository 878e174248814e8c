"""Where the kit's own course lives: the checkout it runs from, or the copy a wheel carries.

The kit's grading.yaml names its folders relative to itself (``reference/``,
``assignments/``). In a checkout that is the repository
root; a built wheel carries the same tree as package data under
``autograder/_course/`` (see ``setup.py``), so that ``autograder demo`` and
``autograder grade`` work from a plain ``pip install`` as from a checkout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_COURSE = PACKAGE_DIR / "_course"


def kit_root() -> Path:
    """The folder holding the kit's own grading.yaml."""
    if (BUNDLED_COURSE / "grading.yaml").is_file():
        return BUNDLED_COURSE
    return PACKAGE_DIR.parent


def kit_config_path() -> Path:
    """The kit's own grading.yaml."""
    return kit_root() / "grading.yaml"

"""Shared fixtures for the kit's own tests."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_PATH = REPO_ROOT / "reference" / "regression_losses.py"


def load_module_from_path(name: str, path: Path) -> ModuleType:
    """Import the Python file at ``path`` as a fresh module called ``name``.

    The module is not added to ``sys.modules``, so loading the reference never
    shadows a student's ``regression_losses`` imported elsewhere in the run.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load a Python module from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def reference() -> ModuleType:
    """The hidden reference solution, ``reference/regression_losses.py``, loaded by path."""
    return load_module_from_path("reference_regression_losses", REFERENCE_PATH)

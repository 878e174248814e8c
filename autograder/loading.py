"""Import a trusted Python file (a reference, a catalog, figure code) by its path."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType


def load_file_module(path: Path, prefix: str) -> ModuleType:
    """Execute the file at ``path`` as a fresh module (not registered in ``sys.modules``).

    The module's name is ``prefix`` plus the file's stem and a hash of its path, so files of
    the same name in two assignments never meet.
    """
    path = Path(path)
    name = f"_{prefix}_{path.stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load a Python module from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

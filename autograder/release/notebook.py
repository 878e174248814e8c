"""Build the student notebook from the same sources as the stubs: the lesson and the stub module.

Layout: the lesson (README sections before "What you implement") in markdown;
the module's preamble (imports, constants, helpers) in one code cell; one
markdown heading and one code cell per student function; a self-check cell
that runs the public checks on the notebook's own functions; the experiment;
the question for the grader with an answer cell. The output is deterministic
(fixed cell ids, no outputs), so a test can prove the committed notebook is
what the generator makes today.

The self-check and experiment cells are the kit's own: they import files beside
the notebook and IPython, which the grader's sandbox does not have. Their
metadata marks them (:func:`autograder.grading.submission.kit_cell_metadata`),
and grading leaves them out.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence

from autograder.grading.submission import kit_cell_metadata

SECTION = re.compile(r"^## ", re.MULTILINE)
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

SELF_CHECK = '''\
# Self-check: runs the public checks (test_{module}.py, beside this notebook) on the
# functions defined above, names common mistakes and draws your pictures. Run it after every change.
import sys
import types


def _as_module(namespace, name):
    """The notebook's definitions as a module, functions re-bound to look up names in it."""
    module = types.ModuleType(name)
    module.__dict__.update({k: v for k, v in namespace.items() if not k.startswith("__")})
    for key, value in list(module.__dict__.items()):
        if isinstance(value, types.FunctionType) and value.__module__ == "__main__":
            rebound = types.FunctionType(
                value.__code__, module.__dict__, value.__name__, value.__defaults__, value.__closure__
            )
            rebound.__kwdefaults__ = value.__kwdefaults__
            rebound.__doc__ = value.__doc__
            module.__dict__[key] = rebound
    return module


sys.modules["{module}"] = _as_module(globals(), "{module}")
import selfcheck

selfcheck.main(inline=True)
'''

EXPERIMENT = """\
# The experiment (run the self-check cell first: it makes this notebook importable as {module}).
%run sign_flip_experiment.py
from IPython.display import Image

Image("sign_flip.png")
"""

ANSWER = "YOUR ANSWER HERE"


def split_sections(readme: str) -> tuple[str, list[str]]:
    """The README's text before its first ``## `` heading, and each ``## `` section."""
    parts = SECTION.split(readme)
    head, sections = parts[0], ["## " + part for part in parts[1:]]
    return head.strip(), [s.strip() for s in sections]


def module_cells(source: str, functions: Sequence[str]) -> tuple[str, list[tuple[str, str]]]:
    """A module's preamble (everything but the student functions) and each function's source.

    A function runs to the last indented line after it, so a comment that closes its body
    (``### END SOLUTION`` in a reference, which the syntax tree leaves out) stays with it.
    Raises ValueError naming the functions the module does not define.
    """
    lines = source.splitlines()
    spans: dict[str, tuple[int, int]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in functions:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            end = node.end_lineno
            while end < len(lines) and (not lines[end].strip() or lines[end][:1] in " \t"):
                end += 1
            while not lines[end - 1].strip():
                end -= 1
            spans[node.name] = (start, end)
    missing = [f for f in functions if f not in spans]
    if missing:
        raise ValueError(f"it defines no function called {', '.join(missing)}")
    inside = {i for start, end in spans.values() for i in range(start, end)}
    preamble = "\n".join(line for i, line in enumerate(lines) if i not in inside)
    preamble = re.sub(r"\n{3,}", "\n\n\n", preamble).strip() + "\n"
    return preamble, [(f, "\n".join(lines[slice(*spans[f])]) + "\n") for f in functions]


def build_notebook(readme: str, stubs: str, module: str, functions: Sequence[str]) -> dict:
    """The student notebook as an nbformat 4.5 dictionary."""
    head, sections = split_sections(readme)
    by_number = {re.match(r"## (\d+)\.", s)[1]: s for s in sections if re.match(r"## (\d+)\.", s)}
    lesson = [s for number, s in by_number.items() if int(number) <= 5]
    preamble, function_sources = module_cells(stubs, functions)
    cells = [_markdown("lesson", "\n\n".join([head, *lesson]))]
    cells.append(_markdown("what-you-implement", by_number.get("6", "")))
    cells.append(_code("module-preamble", preamble))
    for name, source in function_sources:
        cells.append(_markdown(f"heading-{name}", f"### `{name}`"))
        cells.append(_code(f"answer-{name}", source))
    cells.append(_markdown("check-your-work", by_number.get("7", "")))
    cells.append(_code("self-check", SELF_CHECK.replace("{module}", module), kit=True))
    cells.append(_markdown("experiment", by_number.get("8", "")))
    cells.append(_code("run-experiment", EXPERIMENT.replace("{module}", module), kit=True))
    cells.append(_markdown("grading", by_number.get("9", "")))
    cells.append(_markdown("question", by_number.get("10", "")))
    cells.append(_markdown("answer", ANSWER))
    return {"cells": cells, "metadata": NOTEBOOK_METADATA, "nbformat": 4, "nbformat_minor": 5}


def notebook_text(notebook: dict) -> str:
    """Serialise like Jupyter does (one-space indent, sorted keys, trailing newline)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _source(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _markdown(cell_id: str, text: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": _source(text)}


def _code(cell_id: str, text: str, kit: bool = False) -> dict:
    """A code cell; ``kit`` marks it as the kit's own, left out when the notebook is graded."""
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": kit_cell_metadata(text) if kit else {},
        "outputs": [],
        "source": _source(text),
    }

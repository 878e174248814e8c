"""Build the student notebook from the same sources as the stubs: the lesson and the stub module.

Layout: the lesson (README sections before "What you implement") in markdown;
what to implement; the module's preamble (imports, constants, helpers) in one
code cell; one markdown heading and one code cell per student function; a
self-check cell that runs the public checks on the notebook's own functions;
the experiment (grading.yaml's ``experiment``: its script and picture); how
grading works; the question for the grader with an answer cell. The lesson's
parts are found by their headings (:func:`lesson_parts`), not their numbers. The output is deterministic
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
from dataclasses import dataclass

from autograder.config import ExperimentConfig
from autograder.grading.submission import (
    ANSWER_CELL_ID,
    ANSWER_PLACEHOLDER,
    kit_cell_metadata,
)
from autograder.lesson import notebook_wording, split_sections

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

status = selfcheck.main(inline=True)  # 0 when every function passes its public checks
'''

# -e: the script's sys.exit (1 while a function is not implemented, after saying which) ends
# the script, not the cell with a traceback
EXPERIMENT = """\
# The experiment (run the self-check cell first: it makes this notebook importable as {module}).
%run -e {script}
"""
# Without matplotlib the experiment draws nothing (and says so in one line): nothing to show.
SHOW_PICTURE = """\
from pathlib import Path

from IPython.display import Image

Image({picture}) if Path({picture}).exists() else None
"""

ANSWER = ANSWER_PLACEHOLDER

# The parts of a lesson after its teaching, each recognised by its heading (an optional number,
# then these words, in any case): "## 6. What you implement", "## Check your work", ...
PART_HEADINGS = {
    "implement": "what you implement",
    "check": "check your work",
    "experiment": "the experiment",
    "grading": "how you are graded",
    "question": "question",
}
_NUMBERED = re.compile(r"^\d+\.\s*")


@dataclass(frozen=True)
class LessonParts:
    """A lesson (the release folder's README.md) cut into the parts a notebook places apart.

    ``teaching`` is the text before the first ``## `` heading and every section before
    "What you implement"; from that section on, each section is the part its heading names
    (see :data:`PART_HEADINGS`), and a section that names none, or a part a second time, is
    kept in ``other``. Each part is the whole section, heading included, or None.
    """

    teaching: str
    implement: str | None = None
    check: str | None = None
    experiment: str | None = None
    grading: str | None = None
    question: str | None = None
    other: tuple[str, ...] = ()


def section_title(section: str) -> str:
    """A section's heading without ``## `` and its number: ``"How you are graded"``."""
    return _NUMBERED.sub("", section.splitlines()[0].removeprefix("## ").strip())


def lesson_parts(readme: str) -> LessonParts:
    """Cut ``readme`` into its teaching and the parts that follow it (see :class:`LessonParts`)."""
    head, sections = split_sections(readme)
    teaching, parts, other = [head] if head else [], {}, []
    for section in sections:
        title = section_title(section).lower()
        part = next((p for p, words in PART_HEADINGS.items() if title.startswith(words)), None)
        if not parts and part != "implement":
            teaching.append(section)
        elif part is not None and part not in parts:
            parts[part] = section
        else:
            other.append(section)
    return LessonParts(teaching="\n\n".join(teaching), other=tuple(other), **parts)


def experiment_source(module: str, script: str, picture: str | None) -> str:
    """The notebook's experiment cell: run the script, then show the picture it writes."""
    text = EXPERIMENT.format(module=module, script=script)
    if picture:
        text += SHOW_PICTURE.format(picture=json.dumps(picture))
    return text


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


def build_notebook(
    readme: str,
    stubs: str,
    module: str,
    functions: Sequence[str],
    experiment: ExperimentConfig | None = None,
) -> dict:
    """The student notebook as an nbformat 4.5 dictionary.

    The lesson is worded for the notebook (:func:`notebook_wording`). A part the lesson lacks
    (:func:`lesson_parts`) has no cell; the experiment cell is there when the assignment has an
    experiment (grading.yaml's ``experiment``). Raises :class:`LessonMarkupError` for unpaired
    markers, ValueError when the stubs lack a function.
    """
    lesson = lesson_parts(notebook_wording(readme))
    preamble, function_sources = module_cells(stubs, functions)
    cells = [_markdown("lesson", lesson.teaching)]
    if lesson.implement is not None:
        cells.append(_markdown("what-you-implement", lesson.implement))
    cells.append(_code("module-preamble", preamble))
    for name, source in function_sources:
        cells.append(_markdown(f"heading-{name}", f"### `{name}`"))
        cells.append(_code(f"answer-{name}", source))
    if lesson.check is not None:
        cells.append(_markdown("check-your-work", lesson.check))
    cells.append(_code("self-check", SELF_CHECK.replace("{module}", module), kit=True))
    if lesson.experiment is not None:
        cells.append(_markdown("experiment", lesson.experiment))
    if experiment is not None:
        run = experiment_source(module, experiment.script, experiment.picture)
        cells.append(_code("run-experiment", run, kit=True))
    if lesson.grading is not None:
        cells.append(_markdown("grading", lesson.grading))
    for number, section in enumerate(lesson.other, start=1):
        cells.append(_markdown(f"more-{number}", section))
    if lesson.question is not None:
        cells.append(_markdown("question", lesson.question))
        cells.append(_markdown(ANSWER_CELL_ID, ANSWER))
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

"""Reading a submission: which file is graded, notebooks as code cells, and a broken notebook.

Notebooks are built here as plain JSON (nbformat 4's layout: a "cells" list whose items have
"cell_type" and "source", a string or a list of lines); hashes are computed here with hashlib.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import pytest
from conftest import SAMPLES

from autograder.grading.submission import (
    MAX_SOURCE_BYTES,
    Submission,
    SubmissionNotFound,
    read_submission,
)

MODULE = "regression_losses"
CORRECT = SAMPLES / "regression_losses" / "correct_vectorised.py"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_notebook(path: Path, cells: list[dict]) -> Path:
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path


def code(source: str | list[str]) -> dict:
    return {
        "cell_type": "code",
        "metadata": {},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


# -- which file ------------------------------------------------------------------------------------


def test_a_python_file_is_read_whole(tmp_path):
    path = tmp_path / "my_attempt.py"
    text = "def mse(y_pred, y_true):\n    return 0.0  # ŷ\n"
    path.write_text(text, encoding="utf-8")
    submission = read_submission(path, MODULE)
    assert isinstance(submission, Submission)
    assert submission.path == path
    assert submission.kind == "python"
    assert submission.problem is None
    assert [chunk.source for chunk in submission.chunks] == [text]
    assert submission.chunks[0].filename.endswith(".py")
    assert submission.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_sample_file_hash_is_of_its_bytes():
    submission = read_submission(CORRECT, MODULE)
    assert submission.sha256 == sha256_of(CORRECT)
    assert len(submission.sha256) == 64


def test_a_folder_with_the_module_file(tmp_path):
    (tmp_path / "helpers.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
    target = tmp_path / f"{MODULE}.py"
    target.write_bytes(CORRECT.read_bytes())
    submission = read_submission(tmp_path, MODULE)
    assert submission.path == target
    assert submission.kind == "python"
    assert submission.chunks[0].source == CORRECT.read_text(encoding="utf-8")
    assert submission.sha256 == sha256_of(target)


def test_a_folder_with_exactly_one_notebook(tmp_path):
    (tmp_path / "helpers.py").write_text("x = 1\n", encoding="utf-8")
    path = write_notebook(tmp_path / "week3.ipynb", [code("a = 1\n")])
    submission = read_submission(tmp_path, MODULE)
    assert submission.path == path
    assert submission.kind == "notebook"
    assert submission.problem is None
    assert submission.sha256 == sha256_of(path)


def test_jupyter_checkpoints_do_not_count_as_a_second_notebook(tmp_path):
    path = write_notebook(tmp_path / "week3.ipynb", [code("a = 1\n")])
    checkpoints = tmp_path / ".ipynb_checkpoints"
    checkpoints.mkdir()
    write_notebook(checkpoints / "week3-checkpoint.ipynb", [code("a = 0\n")])
    write_notebook(tmp_path / ".hidden.ipynb", [code("a = 0\n")])
    assert read_submission(tmp_path, MODULE).path == path


def test_a_folder_with_two_notebooks_names_both(tmp_path):
    write_notebook(tmp_path / "draft.ipynb", [code("a = 1\n")])
    write_notebook(tmp_path / "final.ipynb", [code("a = 2\n")])
    with pytest.raises(SubmissionNotFound) as info:
        read_submission(tmp_path, MODULE)
    message = str(info.value)
    assert "draft.ipynb" in message and "final.ipynb" in message
    assert str(tmp_path) in message
    assert "\n" not in message


def test_an_empty_folder(tmp_path):
    with pytest.raises(SubmissionNotFound) as info:
        read_submission(tmp_path, MODULE)
    message = str(info.value)
    assert str(tmp_path) in message
    assert f"{MODULE}.py" in message and "notebook" in message


def test_a_folder_with_one_python_file_of_another_name_grades_it(tmp_path):
    """An upload under another name (as on Gradescope) is still the student's work."""
    (tmp_path / "regression_loss.py").write_text("x = 1\n", encoding="utf-8")  # misspelt
    (tmp_path / "notes.txt").write_text("not code", encoding="utf-8")
    assert read_submission(tmp_path, MODULE).path == tmp_path / "regression_loss.py"


def test_a_folder_with_several_python_files_of_other_names(tmp_path):
    (tmp_path / "regression_loss.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "helpers.py").write_text("y = 2\n", encoding="utf-8")
    with pytest.raises(SubmissionNotFound, match=f"holds neither {MODULE}.py nor a notebook"):
        read_submission(tmp_path, MODULE)


def test_a_missing_path(tmp_path):
    path = tmp_path / "nobody" / f"{MODULE}.py"
    with pytest.raises(SubmissionNotFound) as info:
        read_submission(path, MODULE)
    assert str(path) in str(info.value)


# -- notebooks -------------------------------------------------------------------------------------


def test_code_cells_in_order_with_labels_and_markdown_skipped(tmp_path):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [
            markdown("# Regression losses\n\n%not code, and not a magic\n"),
            code(["import numpy as np\n", "\n", "a = 1\n"]),  # source as a list of lines
            markdown("Now the loss:"),
            {"cell_type": "raw", "metadata": {}, "source": "raw text, never run"},
            code("def mse(y_pred, y_true):\n    return 0.0"),  # source as one string
            code([]),
        ],
    )
    submission = read_submission(path, MODULE)
    assert submission.kind == "notebook" and submission.problem is None
    assert [chunk.label for chunk in submission.chunks] == [
        "code cell 1",
        "code cell 2",
        "code cell 3",
    ]
    assert [chunk.source for chunk in submission.chunks] == [
        "import numpy as np\n\na = 1\n",
        "def mse(y_pred, y_true):\n    return 0.0",
        "",
    ]
    assert len({chunk.filename for chunk in submission.chunks}) == 3  # tracebacks tell cells apart
    joined = "".join(chunk.source for chunk in submission.chunks)
    assert "Regression losses" not in joined and "raw text" not in joined


def test_magics_and_shell_lines_are_commented_out_keeping_line_numbers(tmp_path):
    lines = [
        "%matplotlib inline",
        "import numpy as np",
        "!pip install numpy",
        "if True:",
        "    %time y = np.zeros(3)",
        "    x = 1",
        "!ls -la",
        "z = 2",
    ]
    path = write_notebook(tmp_path / "nb.ipynb", [code([line + "\n" for line in lines])])
    (chunk,) = read_submission(path, MODULE).chunks
    out = chunk.source.splitlines()
    assert len(out) == len(lines)
    tree = ast.parse(chunk.source)  # now valid Python
    assignments = {
        node.targets[0].id: node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assign)
    }
    assert assignments == {"x": 6, "z": 8}  # the magic's own 'y =' is commented, not run
    for number in (1, 3, 5, 7):
        code_part, hash_sign, comment = out[number - 1].partition("#")
        assert hash_sign and comment.strip() == lines[number - 1].strip()  # kept, as a comment
        assert "%" not in code_part and "!" not in code_part
    for number in (2, 4, 6, 8):
        assert out[number - 1] == lines[number - 1]  # plain Python untouched


def test_a_cell_magic_cell_still_parses(tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [code("%%time\nw = 3\n")])
    (chunk,) = read_submission(path, MODULE).chunks
    tree = ast.parse(chunk.source)
    (assign,) = [n for n in ast.walk(tree) if isinstance(n, ast.Assign)]
    assert assign.lineno == 2


def test_valid_python_with_operator_continuation_lines_is_left_alone(tmp_path):
    source = "ok = (\n    1\n    != 2\n)\nrest = (\n    7\n    % 3\n)\n"
    ast.parse(source)  # the premise: this is valid Python
    path = write_notebook(tmp_path / "nb.ipynb", [code(source)])
    (chunk,) = read_submission(path, MODULE).chunks
    assert chunk.source == source


def test_a_notebook_that_is_not_json_is_a_problem_not_an_error(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [{"cell_type": "code", "source": "a = 1', encoding="utf-8")
    submission = read_submission(path, MODULE)
    assert submission.kind == "notebook"
    assert submission.chunks == ()
    assert submission.problem and "broken.ipynb" in submission.problem
    assert "JSON" in submission.problem
    assert "\n" not in submission.problem
    assert submission.sha256 == sha256_of(path)


def test_a_notebook_that_is_not_utf8_is_a_problem(tmp_path):
    path = tmp_path / "latin1.ipynb"
    path.write_bytes('{"cells": [], "note": "café"}'.encode("latin-1"))
    submission = read_submission(path, MODULE)
    assert submission.problem and "latin1.ipynb" in submission.problem


@pytest.mark.parametrize(
    "content",
    ['{"metadata": {}, "nbformat": 4}', '{"cells": "a = 1"}', "[1, 2, 3]", '"cells"', "17"],
    ids=["no-cells", "cells-not-a-list", "a-list", "a-string", "a-number"],
)
def test_a_notebook_without_a_list_of_cells_is_a_problem(tmp_path, content):
    path = tmp_path / "odd.ipynb"
    path.write_text(content, encoding="utf-8")
    submission = read_submission(path, MODULE)
    assert submission.chunks == ()
    assert submission.problem and "odd.ipynb" in submission.problem
    assert "cells" in submission.problem or "JSON" in submission.problem


def test_odd_cells_are_skipped_not_fatal(tmp_path):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        ["not a cell", 42, {"source": "no type"}, code("b = 2\n"), {"cell_type": "code"}],
    )
    submission = read_submission(path, MODULE)
    assert submission.problem is None
    assert [c.source for c in submission.chunks] == ["b = 2\n", ""]


def test_a_python_file_over_the_size_limit_is_a_problem(tmp_path):
    path = tmp_path / "big.py"
    path.write_bytes(b"# padding\n" * (MAX_SOURCE_BYTES // 10 + 10))
    submission = read_submission(path, MODULE)
    assert submission.problem and "big.py" in submission.problem
    assert submission.chunks == ()


def test_the_hash_of_a_large_file_is_of_all_its_bytes(tmp_path):
    path = tmp_path / "big.py"
    path.write_bytes(b"# padding\n" * (MAX_SOURCE_BYTES // 10 + 10) + b"x = 'the end'\n")
    assert read_submission(path, MODULE).sha256 == sha256_of(path)


@pytest.mark.parametrize(
    "content",
    [
        '{"cells": [], "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"cells": [], "nbformat": ' + "4" * 5000 + "}",
    ],
    ids=["deeply-nested", "huge-number"],
)
def test_a_hostile_notebook_is_a_problem_not_a_crash(tmp_path, content):
    path = tmp_path / "hostile.ipynb"
    path.write_text(content, encoding="utf-8")
    submission = read_submission(path, MODULE)
    assert submission.problem and "hostile.ipynb" in submission.problem

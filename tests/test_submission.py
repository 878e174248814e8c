"""Reading a submission: which file is graded, notebooks as code cells, and a broken notebook.

Notebooks are built here as plain JSON (nbformat 4's layout: a "cells" list whose items have
"cell_type" and "source", a string or a list of lines); hashes are computed here with hashlib.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import signal
from pathlib import Path

import pytest
from conftest import REFERENCE_PATH, REPO_ROOT, samples_of

from autograder.grading.submission import (
    MAX_SOURCE_BYTES,
    Submission,
    SubmissionAmbiguous,
    SubmissionNotFound,
    SubmissionRefused,
    read_submission,
)
from autograder.release.notebook import module_cells

MODULE = "regression_losses"
CORRECT = samples_of("regression_losses") / "correct_vectorised.py"


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


def test_a_folder_with_several_python_files_of_other_names_names_them(tmp_path):
    (tmp_path / "regression_loss.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "helpers.py").write_text("y = 2\n", encoding="utf-8")
    with pytest.raises(SubmissionAmbiguous) as info:
        read_submission(tmp_path, MODULE)
    message = str(info.value)
    assert "regression_loss.py" in message and "helpers.py" in message
    assert str(tmp_path) in message and "\n" not in message


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


# -- which candidate of a folder -------------------------------------------------------------------
#
# A released folder: the stub regression_losses.py (every function raises NotImplementedError),
# the notebook, and the kit's other files (selfcheck.py, the public tests, ...), which define
# functions of their own and must never be taken for the student's work.

RELEASE_DIR = REPO_ROOT / "assignments" / MODULE
FLIPPED = samples_of(MODULE) / "mse_grad__sign_flipped.py"
FUNCTIONS = ("mse", "mse_grad", "mae", "mae_grad", "predict", "linear_grads", "gd_step", "fit")


def released_folder(folder: Path, answers_from: Path | None) -> Path:
    """The student bundle as released; with ``answers_from``, its notebook's answers filled in."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in RELEASE_DIR.iterdir():
        shutil.copy(path, folder / path.name)
    shutil.copy(
        REPO_ROOT / "autograder" / "release" / "selfcheck_template.py", folder / "selfcheck.py"
    )
    if answers_from is not None:
        _, sources = module_cells(answers_from.read_text(encoding="utf-8"), FUNCTIONS)
        answers = dict(sources)
        notebook = json.loads((folder / f"{MODULE}.ipynb").read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            name = cell["id"].removeprefix("answer-")
            if cell["id"].startswith("answer-"):
                cell["source"] = answers[name]
        (folder / f"{MODULE}.ipynb").write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return folder


@pytest.mark.parametrize("functions", [None, FUNCTIONS], ids=["public-functions", "assignment"])
def test_a_completed_notebook_beside_the_untouched_stub_is_graded(tmp_path, functions):
    folder = released_folder(tmp_path / "handed_in", REFERENCE_PATH)
    submission = read_submission(folder, MODULE, functions)
    assert submission.path == folder / f"{MODULE}.ipynb"
    assert submission.kind == "notebook" and submission.problem is None
    (note,) = [n for n in submission.notes if f"{MODULE}.py" in n]
    assert "NotImplementedError" in note and f"{MODULE}.ipynb" in note


def test_the_released_notebook_filled_in_grades_full_marks_without_load_problems(tmp_path, grade):
    """The kit's own cells (self-check: `import selfcheck`; experiment: %run and IPython) are
    left out, so a correct notebook handed in inside the released folder loses nothing."""
    folder = released_folder(tmp_path / "handed_in", REFERENCE_PATH)
    result = grade(folder)
    assert result.submission == f"{MODULE}.ipynb"
    assert result.load_problems == ()
    assert result.score == result.max_score == 20
    for word in ("selfcheck", "IPython", "Problems loading"):
        assert word not in result.output


def test_the_released_notebook_untouched_grades_its_stub_as_nothing_implemented(tmp_path, grade):
    folder = released_folder(tmp_path / "untouched", None)
    submission = read_submission(folder, MODULE, FUNCTIONS)
    assert submission.path == folder / f"{MODULE}.py"  # neither implements anything: the module
    result = grade(folder / f"{MODULE}.ipynb")
    assert result.score == 0 and result.load_problems == ()
    assert "Nothing is implemented yet" in result.output


def test_an_implemented_module_beside_the_stub_notebook_is_graded(tmp_path):
    folder = released_folder(tmp_path / "handed_in", None)
    shutil.copy(CORRECT, folder / f"{MODULE}.py")
    submission = read_submission(folder, MODULE)
    assert submission.path == folder / f"{MODULE}.py"
    assert any("NotImplementedError" in n and f"{MODULE}.ipynb" in n for n in submission.notes)


def test_two_implementations_that_differ_are_not_guessed_between(tmp_path):
    folder = released_folder(tmp_path / "handed_in", CORRECT)
    shutil.copy(FLIPPED, folder / f"{MODULE}.py")
    with pytest.raises(SubmissionAmbiguous) as info:
        read_submission(folder, MODULE, FUNCTIONS)
    message = str(info.value)
    assert isinstance(info.value, SubmissionNotFound)  # grade exits 2 with it
    assert f"{MODULE}.py" in message and f"{MODULE}.ipynb" in message
    assert str(folder) in message and "\n" not in message


def test_the_same_functions_in_the_module_and_the_notebook_grade_the_module(tmp_path):
    """E.g. a notebook exported with nbconvert: same functions, other text around them."""
    folder = released_folder(tmp_path / "handed_in", CORRECT)
    exported = "# In[1]:\n\nimport numpy as np\n\n\n" + CORRECT.read_text(encoding="utf-8")
    (folder / f"{MODULE}.py").write_text(exported, encoding="utf-8")
    submission = read_submission(folder, MODULE, FUNCTIONS)
    assert submission.path == folder / f"{MODULE}.py"
    assert any("same functions" in n for n in submission.notes)


def test_two_python_files_that_both_implement_the_assignment_are_named(tmp_path):
    shutil.copy(CORRECT, tmp_path / "attempt_one.py")
    shutil.copy(FLIPPED, tmp_path / "attempt_two.py")
    with pytest.raises(SubmissionAmbiguous) as info:
        read_submission(tmp_path, MODULE, FUNCTIONS)
    assert "attempt_one.py" in str(info.value) and "attempt_two.py" in str(info.value)


def test_an_implemented_file_beside_one_without_the_functions_is_graded(tmp_path):
    shutil.copy(CORRECT, tmp_path / "my_losses.py")
    (tmp_path / "helpers.py").write_text("SCALE = 2\n", encoding="utf-8")
    assert read_submission(tmp_path, MODULE, FUNCTIONS).path == tmp_path / "my_losses.py"
    assert read_submission(tmp_path, MODULE).path == tmp_path / "my_losses.py"


def test_a_copy_worked_in_beside_the_released_stub_is_graded(tmp_path):
    """Other .py files count when they define the assignment's functions (not selfcheck.py)."""
    folder = released_folder(tmp_path / "handed_in", None)
    shutil.copy(CORRECT, folder / "my_regression_losses.py")
    submission = read_submission(folder, MODULE, FUNCTIONS)
    assert submission.path == folder / "my_regression_losses.py"


def test_a_candidate_with_a_syntax_error_is_not_ruled_out(tmp_path):
    """It cannot be judged statically, so it is graded (and its syntax error reported)."""
    folder = released_folder(tmp_path / "handed_in", None)
    (folder / f"{MODULE}.py").write_text(
        "def mse(y_pred, y_true):\n    return (\n", encoding="utf-8"
    )
    submission = read_submission(folder, MODULE, FUNCTIONS)
    assert submission.path == folder / f"{MODULE}.py"


def test_docstring_and_pass_bodies_count_as_not_implemented(tmp_path):
    (tmp_path / f"{MODULE}.py").write_text(
        'def mse(y_pred, y_true):\n    """The mean squared error."""\n    pass\n\n\n'
        "def mae(y_pred, y_true):\n    ...\n\n\n"
        "def fit(x, y):\n    raise NotImplementedError('later')\n",
        encoding="utf-8",
    )
    write_notebook(tmp_path / "work.ipynb", [code(CORRECT.read_text(encoding="utf-8"))])
    assert read_submission(tmp_path, MODULE).path == tmp_path / "work.ipynb"


def test_several_notebooks_none_implemented_are_named(tmp_path):
    write_notebook(
        tmp_path / "a.ipynb", [code("def mse(y_pred, y_true):\n    raise NotImplementedError\n")]
    )
    write_notebook(tmp_path / "b.ipynb", [code("x = 1\n")])
    with pytest.raises(SubmissionAmbiguous, match=r"a\.ipynb and b\.ipynb"):
        read_submission(tmp_path, MODULE)


# -- links, pipes and devices ----------------------------------------------------------------------


@pytest.fixture
def deadline():
    """Fail instead of hanging if something opens a named pipe and waits for a writer."""

    def expired(signum, frame):
        raise TimeoutError("blocked on a named pipe")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_module_that_links_to_the_reference_is_refused(tmp_path):
    """Before: a link to the reference scored 20/20."""
    (tmp_path / f"{MODULE}.py").symlink_to(REFERENCE_PATH)
    with pytest.raises(SubmissionRefused) as info:
        read_submission(tmp_path, MODULE)
    message = str(info.value)
    assert f"{MODULE}.py" in message and "symbolic link" in message and "\n" not in message


def test_a_submission_file_that_is_a_link_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("shadow-line-4242:$6$hash:19000\n", encoding="utf-8")
    link = tmp_path / "student.py"
    link.symlink_to(secret)
    with pytest.raises(SubmissionRefused, match="symbolic link") as info:
        read_submission(link, MODULE)
    assert "shadow-line-4242" not in str(info.value)


def test_a_link_anywhere_in_the_folder_refuses_the_submission(tmp_path):
    shutil.copy(CORRECT, tmp_path / f"{MODULE}.py")
    (tmp_path / "notes.txt").symlink_to("/etc/passwd")
    with pytest.raises(SubmissionRefused, match=r"notes\.txt"):
        read_submission(tmp_path, MODULE)


def test_a_named_pipe_is_refused_without_blocking(tmp_path, deadline):
    pipe = tmp_path / f"{MODULE}.py"
    os.mkfifo(pipe)
    with pytest.raises(SubmissionRefused, match="named pipe"):
        read_submission(tmp_path, MODULE)
    with pytest.raises(SubmissionRefused, match="named pipe"):
        read_submission(pipe, MODULE)


def test_a_device_is_refused(tmp_path):
    with pytest.raises(SubmissionRefused, match="device"):
        read_submission(Path("/dev/null"), MODULE)


# -- cell magics, kit cells, invalid characters -----------------------------------------------------


def test_a_cell_magic_cell_is_left_out_with_a_note(tmp_path):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [
            code("%%writefile regression_losses.py\ndef mse(y_pred, y_true):\n    return 0\n"),
            code("\n  %%bash\necho hello; rm -rf nothing\n"),
            code("a = 1\n"),
        ],
    )
    submission = read_submission(path, MODULE)
    assert [(c.label, c.source) for c in submission.chunks] == [("code cell 3", "a = 1\n")]
    assert len(submission.notes) == 2
    assert "code cell 1" in submission.notes[0] and "%%writefile" in submission.notes[0]
    assert "code cell 2" in submission.notes[1] and "%%bash" in submission.notes[1]


def test_a_cell_magic_cell_graded_in_the_sandbox_costs_nothing(tmp_path, grade):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [
            code("%%writefile notes.txt\nThis is: not Python at all (\n"),
            code(CORRECT.read_text(encoding="utf-8")),
        ],
    )
    result = grade(path)
    assert result.load_problems == ()
    assert result.score == result.max_score


def test_an_edited_kit_cell_is_left_out_with_a_note(tmp_path):
    notebook = json.loads((RELEASE_DIR / f"{MODULE}.ipynb").read_text(encoding="utf-8"))
    kit = [c for c in notebook["cells"] if c.get("metadata", {}).get("autograder")]
    assert {c["id"] for c in kit} == {"self-check", "run-experiment"}
    kit[0]["source"] = kit[0]["source"] + ["\n", "def mse(y_pred, y_true):\n", "    return 1.0\n"]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    submission = read_submission(path, MODULE)
    joined = "".join(c.source for c in submission.chunks)
    assert "import selfcheck" not in joined and "IPython" not in joined
    assert "return 1.0" not in joined
    (note,) = submission.notes
    assert "kit" in note and "not graded" in note
    numbers = [int(c.label.split()[-1]) for c in submission.chunks]
    code_cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert max(numbers) < len(code_cells)  # the kit cells keep their numbers, after the answers


def test_lone_surrogates_in_a_notebook_are_replaced(tmp_path):
    path = tmp_path / "nb.ipynb"
    text = '{"cells": [{"cell_type": "code", "metadata": {}, "source": "s = \\"\\ud800\\"\\nt = 2\\n"}]}'
    path.write_text(text, encoding="utf-8")
    submission = read_submission(path, MODULE)
    assert submission.problem is None
    (chunk,) = submission.chunks
    assert chunk.source == 's = "\ufffd"\nt = 2\n'
    chunk.source.encode("utf-8")  # sendable as UTF-8 to the worker


# -- what `autograder grade` says ------------------------------------------------------------------


@pytest.mark.parametrize("case", ["two-python-files", "a-link"])
def test_grade_exits_2_with_one_sentence_naming_the_files(tmp_path, capsys, case):
    from autograder.cli import main

    folder = tmp_path / "handed_in"
    folder.mkdir()
    if case == "two-python-files":
        shutil.copy(CORRECT, folder / "attempt_one.py")
        shutil.copy(FLIPPED, folder / "attempt_two.py")
        names = ["attempt_one.py", "attempt_two.py"]
    else:
        (folder / f"{MODULE}.py").symlink_to(REFERENCE_PATH)
        names = [f"{MODULE}.py", "symbolic link"]
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("autograder: ") and "\n" not in error
    for name in names:
        assert name in error
    assert not (out / "results.json").exists()


# -- the answer to the lesson's question -----------------------------------------------------------


def answer_cell(source: str) -> dict:
    return {**markdown(source), "id": "answer"}


def test_the_notebooks_answer_cell_is_the_answer(tmp_path):
    path = write_notebook(
        tmp_path / "regression_losses.ipynb",
        [
            markdown("## 10. Question"),
            answer_cell(["The sign is in ", "2(ŷ − y).\n"]),
            code("x = 1"),
        ],
    )
    assert read_submission(path, MODULE).answer == "The sign is in 2(ŷ − y)."


@pytest.mark.parametrize("text", ["YOUR ANSWER HERE", "  YOUR ANSWER HERE\n", "", "\n\n"])
def test_an_untouched_or_empty_answer_cell_is_no_answer(tmp_path, text):
    path = write_notebook(tmp_path / "regression_losses.ipynb", [answer_cell(text)])
    assert read_submission(path, MODULE).answer is None


def test_a_notebook_without_an_answer_cell_has_no_answer(tmp_path):
    path = write_notebook(tmp_path / "regression_losses.ipynb", [markdown("my answer"), code("1")])
    assert read_submission(path, MODULE).answer is None


def test_a_long_answer_is_cut_and_says_so(tmp_path):
    path = write_notebook(tmp_path / "regression_losses.ipynb", [answer_cell("word " * 10_000)])
    answer = read_submission(path, MODULE).answer
    assert answer.endswith("[cut at 20,000 characters]")
    assert len(answer) < 20_100


def test_answer_md_beside_the_graded_file_of_a_folder_is_the_answer(tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    shutil.copy(CORRECT, folder / "regression_losses.py")
    (folder / "ANSWER.md").write_text("In the gradient.\n", encoding="utf-8")
    submission = read_submission(folder, MODULE)
    assert submission.path.name == "regression_losses.py"
    assert submission.answer == "In the gradient."
    assert read_submission(folder / "regression_losses.py", MODULE).answer is None  # a lone file


def test_a_linked_answer_file_is_not_followed(tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("for the grader only", encoding="utf-8")
    folder = tmp_path / "mallory"
    folder.mkdir()
    shutil.copy(CORRECT, folder / "regression_losses.py")
    (folder / "ANSWER.md").symlink_to(secret)
    with pytest.raises(SubmissionRefused, match=r"'ANSWER\.md', a symbolic link"):
        read_submission(folder, MODULE)  # as for any link in a submission folder


@pytest.mark.parametrize(
    "cell",
    [
        {"cell_type": "code", "id": "answer", "metadata": {}, "source": "x = 1", "outputs": []},
        {"cell_type": "markdown", "id": "answer", "metadata": {}, "source": None},
        {"cell_type": "markdown", "id": "answer", "metadata": {}, "source": [1, None]},
        {"cell_type": "raw", "id": "answer", "metadata": {}, "source": "text"},
    ],
    ids=["code", "null", "not-text", "raw"],
)
def test_only_a_markdown_answer_cell_of_text_is_an_answer(tmp_path, cell):
    path = write_notebook(tmp_path / "regression_losses.ipynb", [cell])
    assert read_submission(path, MODULE).answer is None


def test_an_answers_control_characters_are_written_out(tmp_path):
    path = write_notebook(
        tmp_path / "regression_losses.ipynb", [answer_cell("red \x1b[31mtext\x00\n\tnext line")]
    )
    assert read_submission(path, MODULE).answer == "red \\x1b[31mtext\\x00\n\tnext line"

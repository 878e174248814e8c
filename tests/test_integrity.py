"""The class integrity report, end to end: a real class, real sandboxes, the files it writes.

The class (built under tmp_path from tests/submissions/integrity/, the kit's samples and the
released stub and notebook) plants three pairs that must be flagged and holds honest
look-alikes that must not be (tests/submissions/integrity/README.md says which is which):

* copied and renamed: ``copy_original`` / ``copy_renamed``; ``stub_source`` (the stub filled
  in) / ``notebook_copy`` (the same bodies renamed, in the released notebook's cells);
* shared rare wrong answers in different code: ``rare_wrong_a`` / ``rare_wrong_b``;
* honest: ``correct_vectorised`` (sample) / ``honest_vectorised`` (same style); ``stub_source``
  / ``honest_stub`` (same stub, same natural one-liners); two untouched stubs; the same two
  catalogued mistakes made independently (``common_mistake_a`` / ``common_mistake_b``); other
  correct styles; a hostile submission whose answers lie, crash and hand inputs back.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from autograder.batch.discover import discover
from autograder.config import load_config
from autograder.grading.diagnosis import load_catalog
from autograder.grading.results import StudentResult
from autograder.grading.runner import grade_submission, load_reference
from autograder.grading.submission import read_submission
from autograder.integrity.command import write_integrity_report
from autograder.integrity.pairs import join
from autograder.integrity.probe_run import ProbeTask, run_probes
from autograder.integrity.probes import probe_set
from autograder.integrity.shared_answers import (
    CATALOGUED,
    WRONG,
    AnswerClassifier,
    shared_answers,
)

REPO = Path(__file__).resolve().parents[1]
PLANTED = REPO / "tests" / "submissions" / "integrity"
SAMPLES = REPO / "reference" / "regression_losses" / "samples"
RELEASE = REPO / "assignments" / "regression_losses"

FLAGGED = {
    ("copy_original", "copy_renamed"),
    ("notebook_copy", "stub_source"),
    ("rare_wrong_a", "rare_wrong_b"),
}
LOOK_ALIKES = [
    ("correct_vectorised", "honest_vectorised"),
    ("honest_stub", "stub_source"),
    ("honest_stub", "notebook_copy"),
    ("untouched_stub_1", "untouched_stub_2"),
    ("common_mistake_a", "common_mistake_b"),
]


def bodies(path: Path) -> dict[str, str]:
    """The bodies of a ``*.bodies.py`` file, by function (see the folder's README)."""
    found: dict[str, list[str]] = {}
    name = None
    for line in path.read_text().splitlines():
        marker = re.match(r"# --- (\w+)$", line)
        if marker:
            name = marker.group(1)
            found[name] = []
        elif name is not None:
            found[name].append(line)
    return {function: "\n".join(lines) for function, lines in found.items()}


def fill(text: str, filled: dict[str, str]) -> str:
    """``text`` (stub code) with each named function's placeholder replaced by its body."""
    for function, body in filled.items():
        placeholder = re.compile(
            rf"(def {function}\(.*?)    # YOUR CODE HERE\n    raise NotImplementedError\(\)",
            re.DOTALL,
        )
        indented = "\n".join(f"    {line}" if line else "" for line in body.splitlines())
        text, count = placeholder.subn(lambda m, b=indented: m.group(1) + b, text, count=1)
        assert count == 1, f"the stub has no placeholder for {function}"
    return text


def filled_notebook(filled: dict[str, str]) -> str:
    notebook = json.loads((RELEASE / "regression_losses.ipynb").read_text())
    for cell in notebook["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for function, body in filled.items():
            if cell["cell_type"] == "code" and source.startswith(f"def {function}("):
                cell["source"] = fill(source, {function: body})
    return json.dumps(notebook)


def build_class(folder: Path) -> None:
    folder.mkdir()
    for name in (
        "copy_original",
        "copy_renamed",
        "honest_vectorised",
        "rare_wrong_a",
        "rare_wrong_b",
        "common_mistake_a",
        "common_mistake_b",
        "hostile_answers",
    ):
        shutil.copy(PLANTED / f"{name}.py", folder / f"{name}.py")
    for name in ("correct_vectorised", "correct_loops", "correct_oop_style"):
        shutil.copy(SAMPLES / f"{name}.py", folder / f"{name}.py")
    stub = (RELEASE / "regression_losses.py").read_text()
    (folder / "stub_source.py").write_text(fill(stub, bodies(PLANTED / "stub_source.bodies.py")))
    (folder / "honest_stub.py").write_text(fill(stub, bodies(PLANTED / "honest_stub.bodies.py")))
    (folder / "untouched_stub_1.py").write_text(stub)
    (folder / "untouched_stub_2.py").write_text(stub)
    (folder / "notebook_copy.ipynb").write_text(
        filled_notebook(bodies(PLANTED / "notebook_copy.bodies.py"))
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Grade the class in this process, then write the integrity report; return the out folder."""
    config = REPO / "grading.yaml"
    assignment = load_config(config).assignment("regression_losses")
    folder = tmp_path_factory.mktemp("integrity") / "class"
    build_class(folder)
    entries = discover(folder, assignment.module, assignment.name)
    reference = load_reference(assignment)
    students = [
        StudentResult(
            e.student_id,
            grade_submission(
                assignment,
                read_submission(e.path, assignment.module),
                reference=reference,
                feedback=False,
            ).result,
        )
        for e in entries
    ]
    out = folder.parent / "out"
    out.mkdir()
    outcome = write_integrity_report(entries, students, assignment, config, out, jobs=2)
    return out, outcome, len(entries)


def rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "similarity.csv").read_text())))


def pair_of(row: dict[str, str]) -> tuple[str, str]:
    return tuple(sorted((row["student_a"], row["student_b"])))  # type: ignore[return-value]


def test_the_planted_pairs_and_only_they_are_flagged(report):
    out, outcome, students = report
    assert students == 16
    table = rows(out)
    assert {pair_of(r) for r in table if r["flagged"] == "yes"} == FLAGGED
    assert outcome.flagged == len(FLAGGED)
    listed = {pair_of(r) for r in table}
    for pair in LOOK_ALIKES:
        assert tuple(sorted(pair)) not in listed, f"honest look-alikes {pair} are listed"
    assert not any("hostile_answers" in pair for pair in listed)


def test_the_csv_names_the_evidence(report):
    out, _, _ = report
    table = {pair_of(r): r for r in rows(out)}
    assert set(rows(out)[0]) >= {"student_a", "student_b", "flagged", "evidence"}

    rare = table[("rare_wrong_a", "rare_wrong_b")]
    # both divide the sum of squared errors (1, -2, 0) by n - 1 = 2, and count the tie as +1/4
    assert "mse(y_pred=[4, 1, 2], y_true=[3, 3, 2]) gave 2.5" in rare["evidence"]
    assert "[0.25, -0.25, 0.25, -0.25]" in rare["evidence"]
    assert rare["shared_wrong_functions"] == "mse mae_grad"
    assert rare["code_share_a"] == ""  # their code does not match: the answers alone flag them

    copied = table[("copy_original", "copy_renamed")]
    assert float(copied["code_share_a"]) >= 0.8 and float(copied["code_share_b"]) >= 0.8
    for function in ("fit", "linear_grads", "mae_grad"):
        assert function in copied["code_functions_a"] and function in copied["code_functions_b"]
    # the renamed helper is found under its own name on each side
    assert "_paired" in copied["code_functions_a"] and "_to_arrays" in copied["code_functions_b"]

    notebook = table[("notebook_copy", "stub_source")]
    assert "fit" in notebook["evidence"] and "linear_grads" in notebook["evidence"]


def test_the_page_says_worth_a_look_shows_why_and_what_was_excluded(report):
    out, _, _ = report
    page = (out / "similarity.html").read_text()
    for text in (page, (out / "similarity.csv").read_text()):
        assert "plagiar" not in text.lower()
    assert "worth a look" in page
    assert "What was compared, and what was left out" in page
    assert "files handed out" in page and "regression_losses.py" in page
    assert "catalog, which many students have on their own" in page
    assert "<script>" not in page  # the hostile submission's text never reaches the page raw
    # the matching functions are shown, without their docstrings
    assert "d_intercept = np.sum(residual_grad)" in page
    assert "Mean squared error" not in page


def _answers(assignment, reference, probes, path: Path, student: str):
    task = ProbeTask(student, path, tuple(probes), {})
    return run_probes(assignment, reference, probes, task)


def test_the_same_catalogued_mistakes_are_not_evidence_but_would_be_without_the_catalog():
    assignment = load_config(REPO / "grading.yaml").assignment("regression_losses")
    reference = load_reference(assignment)
    probes = probe_set(assignment, reference)
    answers = [
        _answers(assignment, reference, probes, PLANTED / f"{name}.py", name)
        for name in ("common_mistake_a", "common_mistake_b")
    ]
    with_catalog = AnswerClassifier(
        assignment, reference, probes, load_catalog(assignment.checks_dir)
    )
    classified = {a.student_id: with_catalog.classify(a) for a in answers}
    for student in classified.values():
        assert (student["mse_grad"].kind, student["mse_grad"].detail) == (
            CATALOGUED,
            "sign_flipped",
        )
        assert (student["gd_step"].kind, student["gd_step"].detail) == (CATALOGUED, "ascent")
    shared, _ = shared_answers(classified, {}, tuple(probes))
    assert shared == {}

    # the same answers without a catalog are rare shared wrong answers in two functions
    blind = AnswerClassifier(assignment, reference, probes, [])
    classified = {a.student_id: blind.classify(a) for a in answers}
    assert classified["common_mistake_a"]["mse_grad"].kind == WRONG
    shared, _ = shared_answers(classified, {}, tuple(probes))
    flagged = [p for p in join(["common_mistake_a", "common_mistake_b"], [], shared) if p.flagged]
    assert [(p.a, p.b) for p in flagged] == [("common_mistake_a", "common_mistake_b")]
    assert set(flagged[0].answer_functions) >= {"mse_grad", "gd_step"}

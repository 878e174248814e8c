"""The parts of the integrity report, one at a time: fingerprints, the code index, the probe set,
what is and is not a shared wrong answer, the CSV's safety, and another assignment."""

from __future__ import annotations

import csv
import io
import shutil

import numpy as np
import pytest
from conftest import REPO_ROOT as REPO

from autograder.batch.discover import discover
from autograder.config import load_config
from autograder.grading.diagnosis import load_catalog
from autograder.grading.results import CheckResult, GradeResult
from autograder.grading.runner import load_reference
from autograder.integrity.code_similarity import code_matches
from autograder.integrity.command import write_integrity_report
from autograder.integrity.fingerprints import boilerplate_hashes, fingerprint, normalise
from autograder.integrity.pairs import Pair, join
from autograder.integrity.probe_run import (
    CORRECT_WHEN_GRADED,
    HUNG_WHEN_GRADED,
    Answer,
    ProbeTask,
    StudentAnswers,
    plan,
    run_probes,
)
from autograder.integrity.probes import docstring_probes, probe_set
from autograder.integrity.report import similarity_csv
from autograder.integrity.shared_answers import (
    CATALOGUED,
    CORRECT,
    DOWNSTREAM,
    NO_ANSWER,
    PLACEHOLDER,
    WRONG,
    AnswerClassifier,
    answer_key,
    rare_limit,
    shared_answers,
)
from autograder.integrity.sources import given_code
from autograder.sandbox.protocol import Unencodable

NOTHING = np.zeros(0, dtype=np.int64)
PLANTED = REPO / "tests" / "submissions" / "integrity"
SAMPLES = REPO / "reference" / "regression_losses" / "samples"


@pytest.fixture(scope="module")
def regression():
    assignment = load_config(REPO / "grading.yaml").assignment("regression_losses")
    reference = load_reference(assignment)
    return assignment, reference, probe_set(assignment, reference)


# -- code ----------------------------------------------------------------------------------------


def test_renaming_and_comments_do_not_change_the_normalised_code():
    first, _ = normalise("def f(a, b):\n    # the gap\n    gap = a - b\n    return gap * gap\n")
    second, _ = normalise("def g(x, y):\n    d = x - y  # renamed\n\n    return d * d\n")
    assert first == second
    assert normalise("return np.mean(e)")[0] != normalise("return float(e)")[0]  # builtins stay


def test_an_untouched_stub_has_no_code_of_its_own(regression):
    assignment, _, _ = regression
    given = boilerplate_hashes(given_code(assignment))
    stub = (assignment.release_dir / f"{assignment.module}.py").read_text()
    document = fingerprint(stub, given)
    assert document.hashes.size > 0 and document.given.all()
    matches, summary = code_matches([document, fingerprint(stub, given)], 0.0)
    assert matches == [] and summary.empty == 2


def test_a_renamed_copy_matches_and_a_different_solution_does_not():
    original = (PLANTED / "copy_original.py").read_text()
    documents = [
        fingerprint(original, NOTHING),
        fingerprint((PLANTED / "copy_renamed.py").read_text(), NOTHING),
        fingerprint((SAMPLES / "correct_loops.py").read_text(), NOTHING),
    ]
    matches, _ = code_matches(documents, 0.3)
    assert [(m.a, m.b) for m in matches] == [(0, 1)]
    assert matches[0].share_a > 0.8 and matches[0].share_b > 0.8


ONE_LINER = "def mse(p, t):\n    return float(np.mean((np.asarray(p) - np.asarray(t)) ** 2))\n\n"


def test_a_shared_one_line_function_weighs_nothing():
    # the same one-line mse beside two unrelated programs
    first = ONE_LINER + (SAMPLES / "correct_loops.py").read_text()
    second = ONE_LINER + (SAMPLES / "correct_oop_style.py").read_text()
    alone = fingerprint(first, NOTHING), fingerprint(second, NOTHING)
    matches, summary = code_matches(list(alone), 0.0)
    assert summary.compared_pairs == 1  # they do share fingerprints...
    assert all("mse" not in str(m.units_a) for m in matches) and all(
        m.share < 0.1 for m in matches
    )  # ... which weigh (almost) nothing


def test_code_that_many_share_weighs_little():
    helper = (PLANTED / "copy_original.py").read_text()
    others = [
        (SAMPLES / name).read_text()
        for name in ("correct_loops.py", "correct_oop_style.py", "correct_vectorised.py")
    ] + [(PLANTED / name).read_text() for name in ("rare_wrong_a.py", "common_mistake_b.py")]

    def helper_match(holders: int):
        """The match between the first two of six documents, ``holders`` of which hold the helper."""
        texts = [helper + "\n" + other if i < holders else other for i, other in enumerate(others)]
        texts.append((PLANTED / "common_mistake_a.py").read_text())
        matches, _ = code_matches([fingerprint(t, NOTHING) for t in texts], 0.0)
        names = [f"s{i}" for i in range(len(texts))]
        flagged = [p for p in join(names, matches, {}) if p.flagged]
        return next(m for m in matches if (m.a, m.b) == (0, 1)), flagged

    rare, _ = helper_match(2)
    common, flagged = helper_match(5)
    assert common.weight < 0.5 * rare.weight  # the same code, held by five of six, weighs less
    assert flagged == []


def test_two_alike_are_near_identical_but_a_solution_many_wrote_alike_is_common():
    original = (PLANTED / "copy_original.py").read_text()
    renamed = (PLANTED / "copy_renamed.py").read_text()
    others = [(SAMPLES / n).read_text() for n in ("correct_loops.py", "correct_oop_style.py")]
    matches, _ = code_matches([fingerprint(t, NOTHING) for t in [original, renamed, *others]], 0.3)
    assert [(m.a, m.b, m.near_identical) for m in matches] == [(0, 1, True)]
    # five submissions of one solution: a common solution, not evidence against any two
    crowd = [original, renamed, original, renamed, original]
    matches, summary = code_matches([fingerprint(t, NOTHING) for t in crowd], 0.3)
    assert summary.near_identical_limit == 3
    assert matches == [] and summary.compared_pairs == 0  # not even compared


# -- answers -------------------------------------------------------------------------------------


def test_probes_come_from_the_catalog_module_or_the_reference_docstrings(regression):
    assignment, reference, probes = regression
    assert list(probes) == list(assignment.functions)
    assert probes["mse"][0] == (([4.0, 1.0, 2.0], [3.0, 3.0, 2.0]), {})  # mistakes.PROBES
    # the reference's docstring example: >>> mse([4.0, 1.0], [3.0, 3.0])
    assert docstring_probes(reference, "mse") == [(([4.0, 1.0], [3.0, 3.0]), {})]
    assert docstring_probes(reference, "no_such_function") == []


def test_answer_keys_round_to_six_digits():
    assert answer_key(np.array([2.5, 1.0])) == answer_key([2.5000000001, 1.0])
    assert answer_key(0.0) == answer_key(-0.0)
    assert answer_key(2.5) != answer_key(2.50001)
    assert answer_key((np.array([1.0, 2.0]), [3.0])) == answer_key([[1.0, 2.0], [3.0]])
    assert rare_limit(16) == 2 and rare_limit(1000) == 5


def _student(probes, **answers) -> StudentAnswers:
    return StudentAnswers(
        "s",
        {f: tuple(Answer(v) for v in values) for f, values in answers.items()},
        {f: CORRECT_WHEN_GRADED for f in probes if f not in answers},
    )


def test_what_is_and_is_not_a_wrong_answer(regression):
    assignment, reference, probes = regression
    classifier = AnswerClassifier(
        assignment, reference, probes, load_catalog(assignment.checks_dir)
    )

    def kind(**answers):
        return {
            f: (c.kind, c.detail)
            for f, c in classifier.classify(_student(probes, **answers)).items()
        }

    # the probes' correct answers, worked out by hand: errors (1, -2, 0) and (-1, -3)
    assert kind(mse=[5 / 3, 5.0])["mse"] == (CORRECT, "")
    assert kind(mse=[2.5, 10.0])["mse"] == (WRONG, "")  # over n - 1: no catalogued mistake
    assert kind(mse=[5.0, 10.0])["mse"] == (CATALOGUED, "sum_not_mean")
    assert kind(mse=[None, 5.0])["mse"] == (NO_ANSWER, "")
    assert kind(mse=["2.5", 5.0])["mse"] == (NO_ANSWER, "")
    assert kind(mse=[Unencodable("EqualsEverything"), 5.0])["mse"] == (NO_ANSWER, "")
    theta, grad = [1.0, 1.0], [0.0, 0.0]
    assert kind(gd_step=[theta, grad])["gd_step"] == (PLACEHOLDER, "")  # inputs handed back
    # linear_grads wrong only because its mse_grad is wrong: counted at mse_grad
    found = kind(mse_grad=[[5.0], [1, 1, 1]], linear_grads=[[9.0, 9.0], [9.0, 9.0]])
    assert found["mse_grad"] == (WRONG, "")
    assert found["linear_grads"] == (DOWNSTREAM, "mse_grad")


def test_a_wrong_answer_many_give_is_common_not_evidence(regression):
    assignment, reference, probes = regression
    classifier = AnswerClassifier(assignment, reference, probes, [])
    classified = {f"s{i}": classifier.classify(_student(probes, mse=[2.5, 10.0])) for i in range(3)}
    shared, summary = shared_answers(classified, {}, tuple(probes))
    assert shared == {} and summary.rare_limit == 2
    [(entry, holders)] = summary.common_wrong
    assert (entry.function, entry.shown, holders) == ("mse", "2.5", 3)
    shared, _ = shared_answers(dict(list(classified.items())[:2]), {}, tuple(probes))
    assert list(shared) == [("s0", "s1")]


def _result(checks: list[CheckResult], load_problems=(), load_failure_kind="") -> GradeResult:
    return GradeResult(
        "regression_losses",
        "x.py",
        0.0,
        1.0,
        0.1,
        "",
        tuple(checks),
        0,
        "0" * 64,
        "0",
        load_problems=tuple(load_problems),
        load_failure_kind=load_failure_kind,
    )


def _check(function: str, passed: bool, output: str = "", kinds=()) -> CheckResult:
    return CheckResult(
        f"{function}_values",
        function,
        1.0 if passed else 0.0,
        1.0,
        passed,
        output,
        "visible",
        (function,),
        failure_kinds=tuple(kinds),
    )


def test_grading_tells_what_need_not_run_again(regression):
    _, _, probes = regression
    result = _result(
        [
            _check("mse", True),
            # what the grader decides from is the kind, never the sentence for the student
            _check("mae", False, "✗ 0 of 8 cases right.", kinds=("timeout",)),
            _check("mse_grad", False, "mse_grad did not return within the time limit", ["wrong"]),
            _check("mae_grad", False, "✗ 0 of 8 cases right.", kinds=("wrong", "skipped")),
            _check("predict", False, "✗ 0 of 8 cases right.", kinds=("crash",)),
        ]
    )
    task = plan("s", REPO / "x.py", result, probes)
    assert isinstance(task, ProbeTask)
    assert task.not_probed == {
        "mse": CORRECT_WHEN_GRADED,
        "mae": HUNG_WHEN_GRADED,
        "mae_grad": HUNG_WHEN_GRADED,
        "predict": HUNG_WHEN_GRADED,
    }
    assert "mse_grad" in task.functions and "fit" in task.functions  # no checks known: probed
    hung = _result([], ["loading your file ..."], load_failure_kind="timeout")
    assert plan("s", REPO / "x.py", hung, probes).problem
    said_so = _result([], ["loading your file did not finish within 2 s"], load_failure_kind="")
    assert isinstance(plan("s", REPO / "x.py", said_so, probes), ProbeTask)


def test_the_csv_is_safe_in_a_spreadsheet():
    pair = Pair("=HYPERLINK(1)", "b\x1b[2J", None, (), True, ("reason",))
    text = similarity_csv([pair], lambda student, units: [])
    assert '"\'=HYPERLINK(1)"' in text and "\x1b" not in text


# -- another assignment: dict answers, provided modules --------------------------------------------


def test_another_assignment_is_probed_and_classified_the_same_way():
    assignment = load_config(REPO / "grading.yaml").assignment("backprop_sign")
    reference = load_reference(assignment)
    probes = probe_set(assignment, reference)
    classifier = AnswerClassifier(
        assignment, reference, probes, load_catalog(assignment.checks_dir)
    )
    samples = REPO / "reference" / "backprop_sign" / "samples"
    found = {}
    for name in ("correct_vectorised", "backward__sign_flipped"):
        task = ProbeTask(name, samples / f"{name}.py", tuple(probes), {})
        found[name] = classifier.classify(run_probes(assignment, reference, probes, task))
    assert {f: c.kind for f, c in found["correct_vectorised"].items()} == dict.fromkeys(
        probes, CORRECT
    )
    backward = found["backward__sign_flipped"]["backward"]
    assert (backward.kind, backward.detail) == (CATALOGUED, "sign_flipped")


def test_an_empty_class_and_a_class_of_one_get_a_report(tmp_path, regression):
    assignment, _, _ = regression
    config = REPO / "grading.yaml"
    empty = write_integrity_report([], [], assignment, config, tmp_path, jobs=1)
    assert empty.pairs == () and "No pair stands out" in empty.html.read_text()
    (tmp_path / "class").mkdir()
    shutil.copy(SAMPLES / "correct_loops.py", tmp_path / "class" / "only.py")
    entries = discover(tmp_path / "class", assignment.module, assignment.name)
    seen = []
    one = write_integrity_report(
        entries, [], assignment, config, tmp_path, jobs=1, on_progress=lambda *d: seen.append(d)
    )
    assert one.pairs == () and seen == [(1, 1)]
    assert csv_rows(one.csv) == []


def csv_rows(path):
    return list(csv.DictReader(io.StringIO(path.read_text())))

"""The pytest plugin that runs an assignment's checks against one sandboxed submission.

Check modules are plain pytest files in the assignment's checks folder. A
check is a test function marked with the student functions it grades::

    @grades("loss_grad")
    def test_loss_grad_values(verdict, reference, rng):
        '''loss_grad: values on edge cases and random inputs

        The rest of the docstring says why the check matters, for the student.'''

Its id is the function name without ``test_``; its points and visibility come
from grading.yaml; what it grades, from its marker as
:func:`autograder.grading.graded.graded_functions` reads it (the one rule). The plugin provides the fixtures ``verdict`` (cases that
call the student through the sandbox), ``reference`` (the trusted reference
module), ``rng`` (seeded per submission and per check), ``tolerances`` and
``sandbox``, turns each check's cases into a :class:`CheckResult`, and adds
points to pytest-json-report's metadata. It does nothing outside the grader.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from autograder.config import AssignmentConfig
from autograder.grading.diagnosis import Mistake, diagnose
from autograder.grading.graded import graded_functions
from autograder.grading.results import CheckResult, spoken_list
from autograder.grading.verdict import WRONG, Verdict, signature_names
from autograder.sandbox.client import CallResult, Sandbox

grades = pytest.mark.grades


def check_id(item: pytest.Item) -> str:
    return item.name.removeprefix("test_")


class GradingPlugin:
    """State and hooks of one grading run (one submission)."""

    def __init__(
        self,
        assignment: AssignmentConfig,
        sandbox: Sandbox,
        reference: ModuleType,
        catalog: Sequence[Mistake],
        seed: int,
    ) -> None:
        self.assignment = assignment
        self.student_sandbox = sandbox
        self.reference_module = reference
        self.catalog = catalog
        self.seed = seed
        self.graded = graded_functions(assignment.checks_dir)
        self.records: dict[str, CheckResult] = {}
        self.function_ok: dict[str, bool] = {}
        self.config_problem: str | None = None
        # sentences for checks that could not run in the grader (a crash of the check itself,
        # a check file that does not import): the submission cannot be graded while any exist
        self.grader_errors: list[str] = []
        # the stand-ins the current check's calls asked for (reset as each check starts)
        self.standins_called: set[str] = set()
        answer_standin = sandbox.standin_handler

        def recording_standin_handler(name: str, args: list, kwargs: dict) -> Any:
            self.standins_called.add(name)
            return answer_standin(name, args, kwargs)

        sandbox.standin_handler = recording_standin_handler
        self.signatures = {
            name: signature_names(getattr(reference, name))
            for name in assignment.functions
            if callable(getattr(reference, name, None))
        }

    # -- collection ------------------------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line(
            "markers", "grades(*functions, partial=True): student functions a check grades"
        )

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        found = [check_id(item) for item in items]
        missing = sorted(set(self.assignment.checks) - set(found))
        unknown = sorted(set(found) - set(self.assignment.checks))
        untagged = sorted(name for name in found if name not in self.graded)
        strangers = sorted(
            f"{name} ({function})"
            for name, graded in self.graded.items()
            for function in graded.functions
            if function not in self.assignment.functions
        )
        problems = []
        if missing:
            problems.append(f"lists checks that do not exist: {', '.join(missing)}")
        if unknown:
            problems.append(f"gives no points for the checks {', '.join(unknown)}")
        if untagged:
            problems.append(f"has checks without a @grades marker: {', '.join(untagged)}")
        if strangers:
            problems.append(
                f"has checks grading functions not listed under functions: {', '.join(strangers)}"
            )
        if problems:
            self.config_problem = f"assignment {self.assignment.name} " + "; ".join(problems)
            items[:] = []

    # -- fixtures --------------------------------------------------------------------------------

    @pytest.fixture
    def verdict(self) -> Verdict:
        return Verdict(self._call_student, self.signatures, dict(self.assignment.tolerances))

    @pytest.fixture
    def reference(self) -> ModuleType:
        return self.reference_module

    @pytest.fixture
    def tolerances(self) -> dict[str, float]:
        return dict(self.assignment.tolerances)

    @pytest.fixture
    def sandbox(self) -> Sandbox:
        return self.student_sandbox

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(request.node.name.encode())])

    # -- running ---------------------------------------------------------------------------------

    def _call_student(self, function: str, args: tuple, kwargs: dict) -> CallResult:
        return self.student_sandbox.call(
            function, *args, standins=self.standins_for(function), **kwargs
        )

    def standins_for(self, function: str) -> list[str]:
        """Dependencies (transitively) of ``function`` that have not passed every check so far.

        Those run as the reference's versions, so that a mistake is charged once.
        """
        seen: list[str] = []
        stack = list(self.assignment.functions.get(function, ()))
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.append(name)
                stack.extend(self.assignment.functions.get(name, ()))
        return sorted(name for name in seen if not self.function_ok.get(name, False))

    def _replaced_after_visible_failures(self) -> list[str]:
        """The student functions the current check's calls ran as stand-ins (the reference's
        version, :meth:`standins_for`) because they failed a check the student sees
        (``visible``): those its output may name. A function that failed only checks held back
        is not named, so that nothing is told of them."""
        seen_failing = {
            tag
            for record in self.records.values()
            if not record.passed and record.visibility == "visible"
            for tag in record.tags
        }
        return sorted(self.standins_called & seen_failing)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        self.standins_called.clear()
        outcome = yield
        verdict = getattr(item, "funcargs", {}).get("verdict")
        if isinstance(verdict, Verdict):
            record = self._conclude(item, verdict)
            if not record.passed:
                pytest.fail(record.output, pytrace=False)
        return outcome

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = report.nodeid.rsplit("::", 1)[-1].removeprefix("test_")
        if report.failed and name not in self.records:
            self.grader_errors.append(
                f"{self._file_of(report.nodeid)}: the check {name} stopped with an error "
                f"in the grader ({_crash_message(report)})"
            )

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.grader_errors.append(
                f"{self._file_of(report.nodeid)}: the check file could not be loaded "
                f"({_crash_message(report)})"
            )

    def _file_of(self, nodeid: str) -> str:
        return str(self.assignment.checks_dir / nodeid.split("::", 1)[0])

    @pytest.hookimpl(optionalhook=True)
    def pytest_json_runtest_metadata(self, item: pytest.Item, call: pytest.CallInfo) -> dict:
        if call.when != "call":
            return {}
        record = self.records.get(check_id(item))
        if record is None:
            return {}
        return {
            "check": record.check_id,
            "points": record.max_score,
            "score": record.score,
            "tags": list(record.tags),
            "visibility": record.visibility,
            "mistake": record.mistake,
        }

    def _conclude(self, item: pytest.Item, verdict: Verdict) -> CheckResult:
        identifier = check_id(item)
        config = self.assignment.checks[identifier]
        graded = self.graded[identifier]
        tags, partial = graded.functions, graded.partial
        title, why = _docstring_parts(item)
        failed = verdict.failed
        total = len(verdict.cases)
        fraction = verdict.fraction
        passed = total > 0 and not failed
        score = config.points * (fraction if partial else float(passed))
        diagnosis = diagnose(verdict.cases, self.catalog, self.reference_module) if failed else None
        if passed:
            lines = [f"✓ All {total} cases right." if total > 1 else "✓ Its one case is right."]
        elif total == 0:
            lines = ["✗ No case could be run."]
        else:
            lines = [f"✗ {total - len(failed)} of {total} case{'s' if total > 1 else ''} right."]
            example = verdict.smallest_failure()
            lines.append(_failure_text(example, failed))
            if diagnosis:
                lines.append(f"What went wrong: {diagnosis.sentence}")
        replaced = self._replaced_after_visible_failures()
        if replaced:
            yours = spoken_list(replaced)
            its, versions = (
                ("its", "a correct one") if len(replaced) == 1 else ("their", "correct ones")
            )
            lines.insert(
                1,
                f"Your {yours} did not pass {its} own checks, so this check ran {versions} in "
                f"place of yours: your own {tags[0]} may still go wrong when it calls yours.",
            )
        if why:
            lines.append(f"Why it matters: {why}")
        record = CheckResult(
            check_id=identifier,
            name=title or identifier,
            score=round(score, 6),
            max_score=config.points,
            passed=passed,
            output="\n".join(lines),
            visibility=config.visibility,
            tags=tags,
            cases=total,
            cases_failed=len(failed),
            mistake=diagnosis.mistake.name if diagnosis else None,
            mistake_summary=diagnosis.mistake.summary if diagnosis else None,
            failure_kinds=verdict.failure_kinds(),
        )
        self.records[identifier] = record
        for function in tags:
            self.function_ok[function] = self.function_ok.get(function, True) and passed
        return record


def _crash_message(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The last line of a failed report's exception, e.g. ``IndexError: index 3 is out of range``."""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if not message:
        lines = [line for line in str(report.longrepr or "").splitlines() if line.strip()]
        errors = [line[1:].strip() for line in lines if line.startswith("E ")]
        message = (errors or lines or ["no details"])[-1]
    return " ".join(str(message).split())[:300]


def _failure_text(example: Any, failed: list) -> str:
    """The failing case's line. Its text may hold the submission's (an exception message):
    its later lines are indented, so none can pass for a line of the kit's."""
    sentences = {c.failure for c in failed}
    failure = str(example.failure).replace("\n", "\n    ")
    if len(sentences) == 1 and example.failure_kind != WRONG:
        return f"Every failing case: {failure}"
    return f"Smallest failing case: {failure}"


def _docstring_parts(item: pytest.Item) -> tuple[str, str]:
    doc = (getattr(item, "function", None).__doc__ or "").strip()
    if not doc:
        return "", ""
    title, _, rest = doc.partition("\n")
    return title.strip(), " ".join(rest.split())

"""Grading results as plain typed records, and their Gradescope ``results.json`` form.

Every exporter (Gradescope, LTI, Canvas, Moodle, feedback pages) reads these
records; nothing reads the worker's output directly.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MAX_TEST_OUTPUT_CHARS = 4000
MAX_TOP_OUTPUT_CHARS = 8000


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check for one submission."""

    check_id: str
    name: str
    score: float
    max_score: float
    passed: bool
    output: str
    visibility: str
    tags: tuple[str, ...]
    cases: int = 0
    cases_failed: int = 0
    mistake: str | None = None  # the catalog name of the diagnosed misconception, if any
    mistake_summary: str | None = None


@dataclass(frozen=True)
class GradeResult:
    """Everything known about grading one submission."""

    assignment: str
    submission: str
    score: float
    max_score: float
    execution_time: float
    output: str
    checks: tuple[CheckResult, ...]
    seed: int
    sha256: str
    kit_version: str
    isolation: dict = field(default_factory=dict)
    load_problems: tuple[str, ...] = ()
    graded: bool = True  # False when grading itself failed (not the submission)
    config_fingerprint: str = ""  # hash of grading.yaml, checks and reference (for re-runs)


@dataclass(frozen=True)
class StudentResult:
    """One student's entry in a batch: their result, or why grading itself failed."""

    student_id: str
    result: GradeResult | None
    failure: str | None = None  # set when the grader (not the submission) failed

    @property
    def graded(self) -> bool:
        return self.result is not None and self.failure is None and self.result.graded


def to_gradescope(result: GradeResult) -> dict[str, Any]:
    """The Gradescope autograder results format (``results.json``)."""
    return {
        "score": round(result.score, 4),
        "execution_time": round(result.execution_time, 3),
        "output": _cut(result.output, MAX_TOP_OUTPUT_CHARS),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": check.name,
                "number": f"{number}",
                "score": round(check.score, 4),
                "max_score": check.max_score,
                "status": "passed" if check.passed else "failed",
                "output": _cut(check.output, MAX_TEST_OUTPUT_CHARS),
                "visibility": check.visibility,
                "tags": list(check.tags),
                "extra_data": {
                    "check": check.check_id,
                    "cases": check.cases,
                    "cases_failed": check.cases_failed,
                    "mistake": check.mistake,
                    "mistake_summary": check.mistake_summary,
                },
            }
            for number, check in enumerate(result.checks, start=1)
        ],
        "extra_data": {
            "assignment": result.assignment,
            "submission": result.submission,
            "max_score": result.max_score,
            "seed": result.seed,
            "sha256": result.sha256,
            "kit_version": result.kit_version,
            "isolation": result.isolation,
            "graded": result.graded,
            "load_problems": list(result.load_problems),
            "config_fingerprint": result.config_fingerprint,
        },
    }


def from_gradescope(data: dict[str, Any]) -> GradeResult:
    """Rebuild a :class:`GradeResult` from a ``results.json`` written by :func:`to_gradescope`."""
    extra = data.get("extra_data", {})
    checks = tuple(
        CheckResult(
            check_id=t["extra_data"]["check"],
            name=t["name"],
            score=float(t["score"]),
            max_score=float(t["max_score"]),
            passed=t["status"] == "passed",
            output=t.get("output", ""),
            visibility=t.get("visibility", "visible"),
            tags=tuple(t.get("tags", ())),
            cases=t["extra_data"].get("cases", 0),
            cases_failed=t["extra_data"].get("cases_failed", 0),
            mistake=t["extra_data"].get("mistake"),
            mistake_summary=t["extra_data"].get("mistake_summary"),
        )
        for t in data.get("tests", [])
    )
    return GradeResult(
        assignment=extra.get("assignment", ""),
        submission=extra.get("submission", ""),
        score=float(data["score"]),
        max_score=float(extra.get("max_score", sum(c.max_score for c in checks))),
        execution_time=float(data.get("execution_time", 0.0)),
        output=data.get("output", ""),
        checks=checks,
        seed=int(extra.get("seed", 0)),
        sha256=extra.get("sha256", ""),
        kit_version=extra.get("kit_version", ""),
        isolation=extra.get("isolation", {}),
        load_problems=tuple(extra.get("load_problems", ())),
        graded=bool(extra.get("graded", True)),
        config_fingerprint=extra.get("config_fingerprint", ""),
    )


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` so that readers see the old file or the whole new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, indent=2, allow_nan=False, default=_plain)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} more characters cut]"

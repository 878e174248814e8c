"""grading.yaml, read once into frozen records.

Every problem is reported as one :class:`ConfigError` sentence naming the file,
the key and what was expected, e.g.::

    grading.yaml: assignments.week1.checks.loss_values.points must be
    a number >= 0, not 'two'

Paths in the file are relative to the folder holding it (the course root). Each assignment
is read once, from its grading.yaml entry and its two folders (the release folder students
get, the reference folder that stays hidden), into one :class:`AssignmentConfig`: everything
the engine knows about an assignment is in that record, so the engine's code names none.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class ConfigError(Exception):
    """grading.yaml is missing, unreadable or wrong; the message is one sentence for the user."""


@dataclass(frozen=True)
class CheckConfig:
    """Points and visibility of one check (a hidden-check test)."""

    points: float
    visibility: str


@dataclass(frozen=True)
class LimitsConfig:
    """Resource limits for running one submission."""

    call_seconds: float
    submission_seconds: float
    memory_mb: int
    output_kb: int


@dataclass(frozen=True)
class SeedPolicy:
    """How random check inputs are seeded: ``base``, mixed with the submission's hash if asked."""

    base: int
    per_submission: bool


@dataclass(frozen=True)
class ProvidedModule:
    """A module the student code may import, made of another assignment's reference functions.

    In the sandbox each function is a stand-in computed by that reference in the
    grader (so the module's code never reaches the worker).
    """

    source: str  # the assignment whose reference provides the functions
    functions: tuple[str, ...]
    reference: Path | None = (
        None  # that assignment's reference file, filled in when the file is read
    )


@dataclass(frozen=True)
class ExperimentConfig:
    """The experiment students run after their functions pass: a script in the release folder.

    ``picture`` is the file the script writes, shown under the notebook's experiment cell.
    """

    script: str  # a file name in the release folder
    picture: str | None = None  # a file name the script writes beside itself


@dataclass(frozen=True)
class QuestionConfig:
    """The question for a person to grade (the lesson's question section): points, model answer."""

    points: float
    model_answer: Path | None = None  # markdown, for the graders; hidden like the reference


@dataclass(frozen=True)
class AssignmentConfig:
    """One assignment: where its parts live, its student API, limits, tolerances and points."""

    name: str
    title: str
    module: str
    reference: Path
    checks_dir: Path
    release_dir: Path
    packages: tuple[str, ...]
    functions: Mapping[str, tuple[str, ...]]
    limits: LimitsConfig
    seed: SeedPolicy
    tolerances: Mapping[str, float]
    checks: Mapping[str, CheckConfig]
    provides: Mapping[str, ProvidedModule] = field(default_factory=lambda: MappingProxyType({}))
    samples_dir: Path | None = None  # sample submissions (correct ones, one per catalogued mistake)
    experiment: ExperimentConfig | None = None
    question: QuestionConfig | None = None

    @property
    def max_score(self) -> float:
        """The points of the automatic checks (the question's, graded by a person, are apart)."""
        return sum(c.points for c in self.checks.values())

    @property
    def reference_file(self) -> Path:
        """The reference solution's file (``reference`` may name it or the folder holding it)."""
        if self.reference.is_dir():
            return self.reference / f"{self.module}.py"
        return self.reference

    @property
    def lesson(self) -> Path:
        """The lesson students read: ``README.md`` in the release folder."""
        return self.release_dir / "README.md"

    @property
    def public_tests(self) -> Path:
        """The public checks students run: ``test_<module>.py`` in the release folder."""
        return self.release_dir / f"test_{self.module}.py"


@dataclass(frozen=True)
class GradingConfig:
    """The whole file: its path, the course root, and the assignments by name."""

    path: Path
    root: Path
    assignments: Mapping[str, AssignmentConfig]
    default: str | None = None

    def for_submission(self, path: Path) -> AssignmentConfig | None:
        """The assignment whose module a submission's file (or folder) is named after, if any."""
        path = Path(path)
        for assignment in self.assignments.values():
            module = assignment.module
            if path.is_file() and path.stem == module:
                return assignment
            if path.is_dir() and any((path / f"{module}{s}").is_file() for s in (".py", ".ipynb")):
                return assignment
        return None

    def assignment(self, name: str | None) -> AssignmentConfig:
        """The named assignment, else the default one, else the only one."""
        if name is None and self.default is not None:
            name = self.default
        if name is None:
            if len(self.assignments) == 1:
                return next(iter(self.assignments.values()))
            raise ConfigError(
                f"{self.path}: it defines several assignments "
                f"({', '.join(self.assignments)}); choose one with --assignment"
            )
        if name not in self.assignments:
            raise ConfigError(
                f"{self.path}: there is no assignment {name!r}; "
                f"it defines {', '.join(self.assignments) or 'none'}"
            )
        return self.assignments[name]


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last)."""


def _construct_unique_mapping(
    loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False
) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)

ASSIGNMENT_KEYS = {
    "title",
    "module",
    "reference",
    "checks_dir",
    "release_dir",
    "samples_dir",
    "packages",
    "functions",
    "limits",
    "seed",
    "tolerances",
    "checks",
    "provides",
    "experiment",
    "question",
}
EXPERIMENT_KEYS = {"script", "picture"}
QUESTION_KEYS = {"points", "model_answer"}
LIMIT_KEYS = {"call_seconds", "submission_seconds", "memory_mb", "output_kb"}
SEED_KEYS = {"base", "per_submission"}


def _where_yaml_fails(error: yaml.YAMLError) -> str:
    """`` at line N: what`` for a PyYAML error. The line is where the faulty construct starts
    (an unclosed bracket, a key without its colon), which PyYAML calls the context, else where
    it noticed the problem, which may be lines later (the end of the file)."""
    problem = getattr(error, "problem_mark", None)
    context = getattr(error, "context_mark", None)
    if problem is None:
        return ""
    line = (context or problem).line + 1
    what = ", ".join(str(part) for part in (getattr(error, "context", None), error.problem) if part)
    noticed = f" (noticed at line {problem.line + 1})" if problem.line + 1 != line else ""
    return f" at line {line}: {what}{noticed}" if what else f" at line {line}"


def load_config(path: Path) -> GradingConfig:
    """Read and validate grading.yaml at ``path``."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error})") from None
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        raise ConfigError(f"{path}: {error.problem} at line {mark.line + 1}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: is not valid YAML{_where_yaml_fails(error)}") from None
    reader = _Reader(path)
    top = reader.mapping(data, "")
    assignments = reader.mapping(reader.require(top, "assignments", ""), "assignments")
    reader.known_keys(top, {"assignments", "default_assignment"}, "the top level")
    if not assignments:
        raise ConfigError(f"{path}: assignments must name at least one assignment")
    root = path.resolve().parent
    parsed = {
        name: _assignment(reader, root, str(name), body, f"assignments.{name}")
        for name, body in assignments.items()
    }
    for name, assignment in parsed.items():
        resolved = {}
        for module, provided in assignment.provides.items():
            if provided.source not in parsed:
                reader.fail(
                    f"assignments.{name}.provides.{module}.from",
                    "the name of an assignment in this file",
                    provided.source,
                )
            resolved[module] = replace(provided, reference=parsed[provided.source].reference_file)
        parsed[name] = replace(assignment, provides=MappingProxyType(resolved))
    default = top.get("default_assignment")
    if default is not None and default not in parsed:
        reader.fail("default_assignment", "the name of an assignment in this file", default)
    return GradingConfig(
        path=path, root=root, assignments=MappingProxyType(parsed), default=default
    )


def _assignment(reader: _Reader, root: Path, name: str, data: Any, key: str) -> AssignmentConfig:
    body = reader.mapping(data, key)
    reader.known_keys(body, ASSIGNMENT_KEYS, key)
    functions_raw = reader.mapping(reader.require(body, "functions", key), f"{key}.functions")
    functions = {}
    for function, deps in functions_raw.items():
        dep_list = reader.string_list(
            deps if deps is not None else [], f"{key}.functions.{function}"
        )
        unknown = [d for d in dep_list if d not in functions_raw]
        if unknown:
            reader.fail(
                f"{key}.functions.{function}", "names of functions listed under functions", unknown
            )
        functions[str(function)] = tuple(dep_list)
    limits = reader.mapping(reader.require(body, "limits", key), f"{key}.limits")
    reader.known_keys(limits, LIMIT_KEYS, f"{key}.limits")
    seed = reader.mapping(reader.require(body, "seed", key), f"{key}.seed")
    reader.known_keys(seed, SEED_KEYS, f"{key}.seed")
    tolerances = reader.mapping(reader.require(body, "tolerances", key), f"{key}.tolerances")
    checks = reader.mapping(reader.require(body, "checks", key), f"{key}.checks")
    checks_dir = reader.existing_path(
        root, reader.require(body, "checks_dir", key), f"{key}.checks_dir"
    )
    _match_checks(reader, checks, defined_checks(checks_dir), checks_dir, key)
    reference = reader.existing_path(
        root, reader.require(body, "reference", key), f"{key}.reference"
    )
    release_dir = reader.existing_path(
        root, reader.require(body, "release_dir", key), f"{key}.release_dir"
    )
    if "samples_dir" in body:
        samples_dir = reader.existing_path(root, body["samples_dir"], f"{key}.samples_dir")
    else:  # beside the reference solution, by convention
        folder = reference if reference.is_dir() else reference.parent
        samples_dir = folder / "samples" if (folder / "samples").is_dir() else None
    return AssignmentConfig(
        name=name,
        title=reader.string(reader.require(body, "title", key), f"{key}.title"),
        module=reader.identifier(reader.require(body, "module", key), f"{key}.module"),
        reference=reference,
        samples_dir=samples_dir,
        checks_dir=checks_dir,
        release_dir=release_dir,
        experiment=_experiment(reader, body.get("experiment"), release_dir, f"{key}.experiment"),
        question=_question(reader, root, body.get("question"), f"{key}.question"),
        packages=tuple(reader.string_list(body.get("packages", ["numpy"]), f"{key}.packages")),
        provides=MappingProxyType(_provides(reader, body.get("provides", {}), f"{key}.provides")),
        functions=MappingProxyType(functions),
        limits=LimitsConfig(
            call_seconds=reader.positive(
                reader.require(limits, "call_seconds", f"{key}.limits"),
                f"{key}.limits.call_seconds",
            ),
            submission_seconds=reader.positive(
                reader.require(limits, "submission_seconds", f"{key}.limits"),
                f"{key}.limits.submission_seconds",
            ),
            memory_mb=reader.positive_int(
                reader.require(limits, "memory_mb", f"{key}.limits"), f"{key}.limits.memory_mb"
            ),
            output_kb=reader.positive_int(
                reader.require(limits, "output_kb", f"{key}.limits"), f"{key}.limits.output_kb"
            ),
        ),
        seed=SeedPolicy(
            base=reader.integer(reader.require(seed, "base", f"{key}.seed"), f"{key}.seed.base"),
            per_submission=reader.boolean(
                seed.get("per_submission", True), f"{key}.seed.per_submission"
            ),
        ),
        tolerances=MappingProxyType(
            {str(k): reader.positive(v, f"{key}.tolerances.{k}") for k, v in tolerances.items()}
        ),
        checks=MappingProxyType(
            {str(k): _check(reader, v, f"{key}.checks.{k}") for k, v in checks.items()}
        ),
    )


def defined_checks(checks_dir: Path) -> dict[str, Path]:
    """The check ids the folder's ``test_*.py`` files define (``def test_<id>`` at top level).

    Read with :mod:`ast`, without importing anything; a check file that does not parse is a
    :class:`ConfigError` naming the file and the line.
    """
    found: dict[str, Path] = {}
    for path in sorted(Path(checks_dir).glob("test_*.py")):
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except SyntaxError as error:
            raise ConfigError(
                f"{path}: the check file has a syntax error at line {error.lineno} ({error.msg})"
            ) from None
        except (OSError, ValueError) as error:
            raise ConfigError(f"{path}: the check file cannot be read ({error})") from None
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test_"
            ):
                found.setdefault(node.name.removeprefix("test_"), path)
    return found


def _match_checks(
    reader: _Reader, configured: Mapping, defined: Mapping[str, Path], checks_dir: Path, key: str
) -> None:
    """Every configured check exists in the checks folder, and every check there has points."""
    for check in configured:
        if str(check) not in defined:
            close = difflib.get_close_matches(str(check), list(defined), n=1)
            hint = f"did you mean {close[0]}?" if close else f"it defines {len(defined)} checks"
            raise ConfigError(
                f"{reader.path}: {key}.checks.{check} names a check that no file in "
                f"{checks_dir} defines (no function test_{check}; {hint})"
            )
    for check, path in defined.items():
        if check not in configured:
            raise ConfigError(
                f"{reader.path}: {key}.checks has no entry for the check {check} "
                f"(test_{check} in {path}); give it points and a visibility"
            )


def _provides(reader: _Reader, data: Any, key: str) -> dict[str, ProvidedModule]:
    provided = {}
    for module, spec in reader.mapping(data, key).items():
        body = reader.mapping(spec, f"{key}.{module}")
        reader.known_keys(body, {"from", "functions"}, f"{key}.{module}")
        reader.identifier(module, f"{key}.{module}")
        provided[str(module)] = ProvidedModule(
            source=reader.string(
                reader.require(body, "from", f"{key}.{module}"), f"{key}.{module}.from"
            ),
            functions=tuple(
                reader.string_list(
                    reader.require(body, "functions", f"{key}.{module}"),
                    f"{key}.{module}.functions",
                )
            ),
        )
    return provided


def _experiment(reader: _Reader, data: Any, release_dir: Path, key: str) -> ExperimentConfig | None:
    """``experiment: {script: NAME.py, picture: NAME.png}``; the script must be in the release folder."""
    if data is None:
        return None
    body = reader.mapping(data, key)
    reader.known_keys(body, EXPERIMENT_KEYS, key)
    script = reader.file_name(reader.require(body, "script", key), f"{key}.script")
    if not (release_dir / script).is_file():
        raise ConfigError(
            f"{reader.path}: {key}.script names {script!r}, which is not a file in {release_dir}"
        )
    picture = body.get("picture")
    if picture is not None:
        picture = reader.file_name(picture, f"{key}.picture")
    return ExperimentConfig(script=script, picture=picture)


def _question(reader: _Reader, root: Path, data: Any, key: str) -> QuestionConfig | None:
    """``question: {points: 2, model_answer: PATH}``, the path a markdown file's."""
    if data is None:
        return None
    body = reader.mapping(data, key)
    reader.known_keys(body, QUESTION_KEYS, key)
    points = reader.require(body, "points", key)
    if (
        isinstance(points, bool)
        or not isinstance(points, int | float)
        or not math.isfinite(points)
        or points < 0
    ):
        reader.fail(f"{key}.points", "a number >= 0", points)
    model_answer = None
    if "model_answer" in body:
        model_answer = reader.existing_path(root, body["model_answer"], f"{key}.model_answer")
        if not model_answer.is_file():
            reader.fail(f"{key}.model_answer", "a file (markdown)", body["model_answer"])
    return QuestionConfig(points=float(points), model_answer=model_answer)


def _check(reader: _Reader, data: Any, key: str) -> CheckConfig:
    body = reader.mapping(data, key)
    points = reader.require(body, "points", key)
    if (
        isinstance(points, bool)
        or not isinstance(points, int | float)
        or not math.isfinite(points)
        or points < 0
    ):
        reader.fail(f"{key}.points", "a number >= 0", points)
    visibility = body.get("visibility", "visible")
    if visibility not in VISIBILITIES:
        reader.fail(f"{key}.visibility", f"one of {', '.join(VISIBILITIES)}", visibility)
    unknown = set(body) - {"points", "visibility"}
    if unknown:
        reader.fail(key, "only the keys points and visibility", sorted(unknown))
    return CheckConfig(points=float(points), visibility=visibility)


class _Reader:
    """Small validators that name the file and key in their errors."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, expected: str, got: Any) -> None:
        where = f"{key} " if key else "the top level "
        raise ConfigError(f"{self.path}: {where}must be {expected}, not {got!r}")

    def require(self, mapping: Mapping, name: str, key: str) -> Any:
        if name not in mapping:
            full = f"{key}.{name}" if key else name
            raise ConfigError(f"{self.path}: {full} is missing")
        return mapping[name]

    def mapping(self, value: Any, key: str) -> dict:
        if not isinstance(value, dict):
            self.fail(key, "a mapping (key: value lines)", value)
        return value

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "a non-empty string", value)
        return value

    def file_name(self, value: Any, key: str) -> str:
        """A plain file name (no folder), e.g. ``experiment.py``."""
        text = self.string(value, key)
        if Path(text).name != text or text in (".", ".."):
            self.fail(key, "a file name without a folder", value)
        return text

    def identifier(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.isidentifier():
            self.fail(key, "a Python module name", value)
        return value

    def string_list(self, value: Any, key: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "a list of names", value)
        return list(value)

    def positive(self, value: Any, key: str) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            self.fail(key, "a number > 0", value)
        return float(value)

    def positive_int(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(key, "a whole number > 0", value)
        return value

    def known_keys(self, mapping: Mapping, allowed: set[str], key: str) -> None:
        unknown = sorted(str(k) for k in set(mapping) - allowed)
        if unknown:
            raise ConfigError(
                f"{self.path}: {key} has unknown keys {', '.join(unknown)}; "
                f"expected only {', '.join(sorted(allowed))}"
            )

    def integer(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, "a whole number", value)
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            self.fail(key, "true or false", value)
        return value

    def existing_path(self, root: Path, value: Any, key: str) -> Path:
        path = root / self.string(value, key)
        if not path.exists():
            raise ConfigError(
                f"{self.path}: {key} names {value!r}, which does not exist under {root}"
            )
        return path

"""grading.yaml: the kit's own file loads, and every way a file can be wrong is one ConfigError.

Expected values come from the YAML text itself (read here with ``yaml.safe_load``, not through
the loader under test), from the README (20 points, four visibilities, what calls what), and
from the mistakes each variant is built to contain.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT

from autograder.config import ConfigError, load_config

KIT_YAML = REPO_ROOT / "grading.yaml"
NAME = "regression_losses"
KEY = f"assignments.{NAME}"
# What the README says an assignment's checks may be shown as (Gradescope's visibilities).
GRADESCOPE_VISIBILITIES = {"visible", "hidden", "after_due_date", "after_published"}


def raw_kit_yaml() -> dict:
    return yaml.safe_load(KIT_YAML.read_text(encoding="utf-8"))


def linked_folders() -> list[str]:
    """The folders grading.yaml points at, relative to the file: each assignment's two trees."""
    names = raw_kit_yaml()["assignments"]
    return [f"{tree}/{name}" for name in names for tree in ("reference", "assignments")]


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A course folder whose reference, checks and release folders link to the kit's."""
    root = tmp_path / "course"
    for relative in linked_folders():
        link = root / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO_ROOT / relative, target_is_directory=True)
    return root


@pytest.fixture
def variant(course: Path) -> Callable[[Callable[[dict], object]], Path]:
    """Write the kit's grading.yaml into the course folder, changed by ``edit(assignment)``."""

    def write(edit: Callable[[dict], object]) -> Path:
        data = copy.deepcopy(raw_kit_yaml())
        edit(data["assignments"][NAME])
        path = course / "grading.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return write


def config_error(path: Path) -> str:
    """The one-sentence ConfigError that loading ``path`` gives (checked to name the file)."""
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message, message
    assert "Traceback" not in message
    assert message.strip() == message and message
    return message


def setter(*keys: str, value: object) -> Callable[[dict], None]:
    def edit(assignment: dict) -> None:
        target = assignment
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return edit


def deleter(*keys: str) -> Callable[[dict], None]:
    def edit(assignment: dict) -> None:
        target = assignment
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return edit


# -- the kit's own file ---------------------------------------------------------------------------


def test_the_kit_grading_yaml_loads_as_written():
    raw = raw_kit_yaml()["assignments"][NAME]
    config = load_config(KIT_YAML)
    assert list(config.assignments) == list(raw_kit_yaml()["assignments"])
    assert raw_kit_yaml()["default_assignment"] == NAME
    assignment = config.assignment(None)  # the default assignment
    assert assignment is config.assignment(NAME)
    assert assignment.name == NAME
    assert assignment.module == raw["module"] == NAME
    assert assignment.title == raw["title"]
    assert assignment.packages == ("numpy",)

    # Points: the assignment is out of 20 (README), check by check as written in the file.
    assert assignment.max_score == 20
    assert math.fsum(c["points"] for c in raw["checks"].values()) == 20
    assert list(assignment.checks) == list(raw["checks"])
    for name, check in assignment.checks.items():
        assert check.points == raw["checks"][name]["points"]
        assert check.visibility == raw["checks"][name]["visibility"]
        assert check.visibility in GRADESCOPE_VISIBILITIES

    limits = assignment.limits
    assert (limits.call_seconds, limits.submission_seconds) == (
        raw["limits"]["call_seconds"],
        raw["limits"]["submission_seconds"],
    )
    assert (limits.memory_mb, limits.output_kb) == (
        raw["limits"]["memory_mb"],
        raw["limits"]["output_kb"],
    )
    assert 0 < limits.call_seconds < limits.submission_seconds
    assert dict(assignment.tolerances) == raw["tolerances"]
    assert all(t > 0 for t in assignment.tolerances.values())
    assert assignment.seed.base == raw["seed"]["base"]
    assert assignment.seed.per_submission is True


def test_the_kit_functions_map_says_what_calls_what():
    assignment = load_config(KIT_YAML).assignment(NAME)
    raw = raw_kit_yaml()["assignments"][NAME]["functions"]
    assert {name: list(deps) for name, deps in assignment.functions.items()} == raw
    assert all(isinstance(deps, tuple) for deps in assignment.functions.values())
    # README: linear_grads calls predict and mse_grad; fit calls all of them.
    assert {"predict", "mse_grad"} <= set(assignment.functions["linear_grads"])
    assert {"predict", "linear_grads", "gd_step"} <= set(assignment.functions["fit"])
    for name, deps in assignment.functions.items():
        assert name not in deps
        assert set(deps) <= set(assignment.functions)


def test_the_kit_paths_are_resolved_against_the_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # not the course root: paths must not depend on the working folder
    config = load_config(KIT_YAML)
    assignment = config.assignment(NAME)
    assert config.root == REPO_ROOT
    assert (
        assignment.reference
        == REPO_ROOT / "reference" / "regression_losses" / "regression_losses.py"
    )
    assert assignment.checks_dir == REPO_ROOT / "reference" / NAME / "checks"
    assert assignment.samples_dir == REPO_ROOT / "reference" / NAME / "samples"
    assert assignment.release_dir == REPO_ROOT / "assignments" / NAME
    assert assignment.reference.is_file() and assignment.checks_dir.is_dir()


def test_a_copy_in_another_folder_reads_its_own_folders(variant, course, monkeypatch, tmp_path):
    path = variant(lambda a: None)
    monkeypatch.chdir(tmp_path)
    assignment = load_config(path).assignment(NAME)
    assert (
        assignment.reference == course / "reference" / "regression_losses" / "regression_losses.py"
    )
    assert assignment.checks_dir == course / "reference" / NAME / "checks"
    assert assignment.max_score == 20


def test_records_are_frozen():
    config = load_config(KIT_YAML)
    assignment = config.assignment(NAME)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.path = Path("elsewhere.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        assignment.module = "other"
    with pytest.raises(dataclasses.FrozenInstanceError):
        assignment.limits.call_seconds = 1000.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        assignment.seed.base = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        assignment.checks["mse_values"].points = 100.0
    with pytest.raises(TypeError):
        config.assignments["other"] = assignment
    with pytest.raises(TypeError):
        assignment.checks["free_points"] = assignment.checks["mse_values"]
    with pytest.raises(TypeError):
        assignment.tolerances["rtol"] = 1.0
    with pytest.raises(TypeError):
        assignment.functions["fit"] = ()
    assert assignment.max_score == 20


def test_with_two_assignments_none_asks_for_assignment(course):
    data = raw_kit_yaml()
    del data["default_assignment"]
    data["assignments"]["second_week"] = copy.deepcopy(data["assignments"][NAME])
    path = course / "grading.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    config = load_config(path)
    with pytest.raises(ConfigError) as info:
        config.assignment(None)
    message = str(info.value)
    assert "--assignment" in message
    assert NAME in message and "second_week" in message
    assert "\n" not in message
    assert config.assignment("second_week").name == "second_week"
    assert NAME in message and "backprop_sign" in message

    with pytest.raises(ConfigError) as info:
        config.assignment("third_week")
    assert "third_week" in str(info.value) and "second_week" in str(info.value)


# -- the file as a whole --------------------------------------------------------------------------


def test_a_missing_file(tmp_path):
    path = tmp_path / "nowhere" / "grading.yaml"
    message = config_error(path)
    assert re.search(r"no such file|not found|does not exist", message)


def test_a_folder_instead_of_a_file(tmp_path):
    message = config_error(tmp_path)
    assert "read" in message or "not a file" in message


def test_not_yaml_names_the_line(course):
    lines = KIT_YAML.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if line.strip().startswith("title:"))
    lines[number - 1] = "    title: Regression losses: and: the sign"  # 'a: b: c' is not YAML
    path = course / "grading.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = config_error(path)
    assert "YAML" in message
    assert re.search(rf"\bline {number}\b", message), message


def test_not_yaml_names_the_line_where_the_fault_starts_not_where_it_is_noticed(course):
    """An unclosed quote is noticed at the end of the file; the line to fix is the quote's."""
    lines = KIT_YAML.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if line.strip().startswith("title:"))
    lines[number - 1] = '    title: "Regression losses, the sign'
    path = course / "grading.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = config_error(path)
    assert re.search(rf"is not valid YAML at line {number}: .*quoted scalar", message), message
    assert f"(noticed at line {len(lines) + 1})" in message


@pytest.mark.parametrize(
    "text", ["- regression_losses\n- other\n", "just a sentence\n", "42\n", ""]
)
def test_the_top_level_must_be_a_mapping(course, text):
    path = course / "grading.yaml"
    path.write_text(text, encoding="utf-8")
    message = config_error(path)
    assert "top level" in message and "mapping" in message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("assignments: {}\n", r"at least one|no assignment|empty"),
        ("assignments:\n", r"mapping"),
        ("assignments: [regression_losses]\n", r"mapping"),
        ("course: ml101\n", r"missing"),
    ],
)
def test_there_must_be_assignments(course, text, expected):
    path = course / "grading.yaml"
    path.write_text(text, encoding="utf-8")
    message = config_error(path)
    assert "assignments" in message
    assert re.search(expected, message), message


# -- one assignment -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "keys",
    [
        ("limits", "call_seconds"),
        ("limits", "memory_mb"),
        ("seed", "base"),
        ("limits",),
        ("functions",),
        ("checks",),
        ("tolerances",),
        ("title",),
        ("module",),
        ("reference",),
        ("checks_dir",),
        ("release_dir",),
        ("checks", "mse_values", "points"),
    ],
    ids=".".join,
)
def test_a_missing_key_is_named(variant, keys):
    message = config_error(variant(deleter(*keys)))
    assert f"{KEY}.{'.'.join(keys)}" in message
    assert "missing" in message


POINTS = f"{KEY}.checks.mse_values.points"


@pytest.mark.parametrize("value", [-1, -0.5, True, False, "two", "1", None, [1]], ids=repr)
def test_points_must_be_a_number_at_least_zero(variant, value):
    message = config_error(variant(setter("checks", "mse_values", "points", value=value)))
    assert POINTS in message
    assert "number" in message
    assert repr(value) in message  # the offending value is shown


def test_zero_points_is_allowed(variant):
    # A check worth nothing is legitimate (feedback only): the docs ask for points >= 0.
    assignment = load_config(variant(setter("checks", "mse_values", "points", value=0))).assignment(
        NAME
    )
    assert assignment.checks["mse_values"].points == 0
    assert assignment.max_score == 19


@pytest.mark.parametrize("limit", ["call_seconds", "submission_seconds", "memory_mb", "output_kb"])
@pytest.mark.parametrize("value", [0, -1, -0.5, True, "2", None], ids=repr)
def test_limits_must_be_positive_numbers(variant, limit, value):
    message = config_error(variant(setter("limits", limit, value=value)))
    assert f"{KEY}.limits.{limit}" in message
    assert re.search(r"> ?0|positive", message), message
    assert repr(value) in message


@pytest.mark.parametrize("value", [0, -1e-7, "tight", True], ids=repr)
def test_tolerances_must_be_positive_numbers(variant, value):
    message = config_error(variant(setter("tolerances", "rtol", value=value)))
    assert f"{KEY}.tolerances.rtol" in message
    assert repr(value) in message


@pytest.mark.parametrize("value", ["abc", 1.5, True, None], ids=repr)
def test_the_seed_base_must_be_a_whole_number(variant, value):
    message = config_error(variant(setter("seed", "base", value=value)))
    assert f"{KEY}.seed.base" in message
    assert re.search(r"whole number|integer", message)


@pytest.mark.parametrize("value", ["yes please", 1, None], ids=repr)
def test_seed_per_submission_must_be_true_or_false(variant, value):
    message = config_error(variant(setter("seed", "per_submission", value=value)))
    assert f"{KEY}.seed.per_submission" in message
    assert "true or false" in message


@pytest.mark.parametrize("value", ["public", "Visible", "", 1, None], ids=repr)
def test_an_unknown_visibility_lists_the_allowed_ones(variant, value):
    message = config_error(variant(setter("checks", "mse_values", "visibility", value=value)))
    assert f"{KEY}.checks.mse_values.visibility" in message
    for allowed in GRADESCOPE_VISIBILITIES:
        assert allowed in message


def test_an_unknown_key_in_a_check_is_named(variant):
    message = config_error(variant(setter("checks", "mse_values", "weight", value=2)))
    assert f"{KEY}.checks.mse_values" in message
    assert "weight" in message
    assert "points" in message and "visibility" in message  # what is allowed


def test_a_check_that_is_not_a_mapping(variant):
    message = config_error(variant(setter("checks", "mse_values", value=1)))
    assert f"{KEY}.checks.mse_values" in message
    assert "mapping" in message


def test_a_dependency_on_an_unknown_function_is_named(variant):
    message = config_error(
        variant(setter("functions", "fit", value=["predict", "train_one_epoch"]))
    )
    assert f"{KEY}.functions.fit" in message
    assert "train_one_epoch" in message
    assert "'predict'" not in message  # only the unknown name is blamed


@pytest.mark.parametrize("value", ["predict", 3, [1, 2], {"predict": True}], ids=repr)
def test_dependencies_must_be_a_list_of_names(variant, value):
    message = config_error(variant(setter("functions", "fit", value=value)))
    assert f"{KEY}.functions.fit" in message
    assert "list" in message


def test_no_dependencies_may_be_written_as_nothing(variant):
    assignment = load_config(variant(setter("functions", "mse", value=None))).assignment(NAME)
    assert assignment.functions["mse"] == ()


@pytest.mark.parametrize("section", ["functions", "limits", "seed", "tolerances", "checks"])
def test_sections_must_be_mappings(variant, section):
    message = config_error(variant(setter(section, value=["a", "b"])))
    assert f"{KEY}.{section}" in message
    assert "mapping" in message


@pytest.mark.parametrize(
    "key, value",
    [
        ("reference", "reference/regression_loses.py"),
        ("checks_dir", "reference/regression_losses/checks_v2"),
        ("release_dir", "assignment/regression_losses"),
    ],
)
def test_a_path_that_does_not_exist(variant, course, key, value):
    message = config_error(variant(setter(key, value=value)))
    assert f"{KEY}.{key}" in message
    assert value in message
    assert re.search(r"does not exist|no such|not found", message)
    assert not (course / value).exists()  # the premise of the test


@pytest.mark.parametrize("value", ["", "   ", 7, None], ids=repr)
def test_a_path_must_be_a_non_empty_string(variant, value):
    message = config_error(variant(setter("reference", value=value)))
    assert f"{KEY}.reference" in message


@pytest.mark.parametrize(
    "value", ["regression-losses", "regression_losses.py", "2losses", "", "a b", 5], ids=repr
)
def test_a_module_name_must_be_an_identifier(variant, value):
    message = config_error(variant(setter("module", value=value)))
    assert f"{KEY}.module" in message
    assert repr(value) in message


@pytest.mark.parametrize("value", ["", 12, None], ids=repr)
def test_the_title_must_be_text(variant, value):
    message = config_error(variant(setter("title", value=value)))
    assert f"{KEY}.title" in message


# -- bugs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["memory_mb", "output_kb"])
def test_an_infinite_memory_or_output_limit_is_a_config_error(variant, limit):
    message = config_error(variant(setter("limits", limit, value=float("inf"))))
    assert f"{KEY}.limits.{limit}" in message


@pytest.mark.parametrize("limit", ["memory_mb", "output_kb"])
def test_a_fractional_memory_or_output_limit_is_refused_not_truncated_to_zero(variant, limit):
    message = config_error(variant(setter("limits", limit, value=0.5)))
    assert f"{KEY}.limits.{limit}" in message


@pytest.mark.parametrize(
    "keys",
    [
        ("limits", "call_seconds"),
        ("limits", "submission_seconds"),
        ("tolerances", "rtol"),
        ("checks", "mse_values", "points"),
    ],
    ids=".".join,
)
@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=repr)
def test_non_finite_numbers_are_config_errors(variant, keys, value):
    message = config_error(variant(setter(*keys, value=value)))
    assert f"{KEY}.{'.'.join(keys)}" in message


@pytest.mark.parametrize(
    "keys",
    [("seed", "per_submision"), ("limits", "cpu_seconds"), ("package",)],
    ids=".".join,
)
def test_an_unknown_key_elsewhere_is_named(variant, keys):
    message = config_error(variant(setter(*keys, value=False)))
    assert keys[-1] in message


def test_a_key_given_twice_is_a_config_error(course):
    text = KIT_YAML.read_text(encoding="utf-8").replace(
        "      mae_values: {points: 1, visibility: visible}",
        "      mse_values: {points: 5, visibility: hidden}",
    )
    assert text.count("mse_values:") == 2  # the premise: one check name given twice
    path = course / "grading.yaml"
    path.write_text(text, encoding="utf-8")
    message = config_error(path)
    assert "mse_values" in message


def test_the_default_assignment_must_exist(course):
    data = raw_kit_yaml()
    data["default_assignment"] = "week_nine"
    path = course / "grading.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match="default_assignment must be the name of an assignment in this file, not 'week_nine'",
    ):
        load_config(path)


def test_a_submission_named_after_a_module_chooses_its_assignment(tmp_path):
    config = load_config(KIT_YAML)
    (tmp_path / "backprop_sign.py").write_text("x = 1\n")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "regression_losses.ipynb").write_text("{}")
    assert config.for_submission(tmp_path / "backprop_sign.py").name == "backprop_sign"
    assert config.for_submission(tmp_path / "folder").name == "regression_losses"
    assert (
        config.for_submission(tmp_path).name == "backprop_sign"
    )  # the folder holds backprop_sign.py
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "homework.py").write_text("x = 1\n")
    assert config.for_submission(tmp_path / "other") is None
    assert config.for_submission(tmp_path / "other" / "homework.py") is None

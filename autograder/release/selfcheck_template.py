"""Check your work in a second or two: ``python selfcheck.py`` in this folder.

It runs the public checks (``test_<module>.py``) on your ``<module>.py``
(the names are in ``selfcheck_data.json``) and prints one line per function: ✓ when all its
checks pass, ✗ when some fail. For a failing function it also tries to name
the mistake, by comparing your answers on a few small inputs with the answers
of common mistakes (listed, as numbers only, in ``selfcheck_data.json``, or as
a rule about the answer, such as "a number where an array was due"), and
points you to the section of the lesson that explains it. Then it draws the
same pictures the grader puts in your feedback (``selfcheck_*.png``), if this
folder has ``feedback_figures.py``.

Passing these checks is a good sign, not a guarantee: the grader runs hidden
checks on other inputs.

It runs on Python 3.9 and later with numpy and pytest; the pictures also need matplotlib.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
DATA = json.loads((HERE / "selfcheck_data.json").read_text(encoding="utf-8"))
MODULE = DATA["module"]
FUNCTIONS = DATA["function_order"]
PICTURE_PREFIX = "selfcheck_"


class _Outcomes:
    """A pytest plugin that keeps each public check's outcome and first line of failure."""

    def __init__(self) -> None:
        self.results: dict[str, tuple[bool, str]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.failed:
            message = ""
            if report.failed:
                crash = getattr(report.longrepr, "reprcrash", None)
                message = crash.message if crash else str(report.longrepr).strip().splitlines()[-1]
                message = message.removeprefix("Failed: ")
            self.results[report.nodeid] = (report.passed, message)


def function_of(test_id: str) -> str | None:
    """The student function a public check is about, from its name.

    A parameter that names a function wins (``test_inputs_unchanged[loss_grad]``); otherwise
    the longest function name the test's name starts with (``test_loss_grad_by_hand``).
    """
    name = test_id.rsplit("::", 1)[-1]
    if "[" in name and name.endswith("]"):
        parameter = name[name.index("[") + 1 : -1]
        if parameter in FUNCTIONS:
            return parameter
    matches = [f for f in FUNCTIONS if name.startswith(f"test_{f}_") or name == f"test_{f}"]
    return max(matches, key=len) if matches else None


def run_public_checks() -> dict[str, list[tuple[bool, str]]]:
    """Run the public checks quietly; their outcomes, by function."""
    sys.modules.pop(f"test_{MODULE}", None)  # a fresh import sees the current functions
    outcomes = _Outcomes()
    arguments = ["-p", "no:cacheprovider", "-p", "no:terminal", "--capture=sys"]
    pytest.main([*arguments, str(HERE / f"test_{MODULE}.py")], plugins=[outcomes])
    by_function: dict[str, list[tuple[bool, str]]] = {f: [] for f in FUNCTIONS}
    for test_id, outcome in outcomes.results.items():
        function = function_of(test_id)
        if function:
            by_function[function].append(outcome)
    return by_function


# -- naming the mistake ------------------------------------------------------------------------


def _student_call(module, name: str, args: list, kwargs: dict):
    """Call your function with the other functions swapped for the public checks' stand-ins.

    Returns what it returned, and whether it modified its inputs.
    """
    public = importlib.import_module(f"test_{MODULE}")
    stand_ins = getattr(public, "STAND_INS", {})  # public checks may have none
    saved = {other: getattr(module, other, None) for other in stand_ins if other != name}
    arguments = [_arrays(a) for a in args]
    before = [copy.deepcopy(a) for a in arguments]
    try:
        for other, stand_in in stand_ins.items():
            if other != name:
                setattr(module, other, stand_in)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            answer = getattr(module, name)(*arguments, **kwargs)
    finally:
        for other, original in saved.items():
            setattr(module, other, original)
    mutated = not all(_same(after, _plain(was)) for after, was in zip(arguments, before))
    return answer, mutated


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _arrays(value):
    """Lists of numbers become float arrays, inside dicts and lists too (as the grader sends them)."""
    if isinstance(value, dict):
        return {k: _arrays(v) for k, v in value.items()}
    if isinstance(value, list):
        try:
            return np.array(value, dtype=float)
        except (TypeError, ValueError):
            return [_arrays(v) for v in value]
    return value


def _same(got, expected) -> bool:
    """Does ``got`` equal ``expected`` (numbers, arrays, dicts, tuples, as stored in JSON)?"""
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and set(got) == set(expected)
            and all(_same(got[k], expected[k]) for k in expected)
        )
    if (
        isinstance(expected, list)
        and isinstance(got, (tuple, list))
        and len(got) == len(expected)
        and any(isinstance(e, (dict, list)) for e in expected)
    ):
        try:
            np.asarray(expected, dtype=float)
        except (TypeError, ValueError):
            return all(_same(g, e) for g, e in zip(got, expected))  # lengths checked above
    try:
        got_array, expected_array = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    return got_array.shape == expected_array.shape and bool(
        np.allclose(got_array, expected_array, rtol=1e-6, atol=1e-9, equal_nan=True)
    )


# Mistakes recognised by a rule about the answer, not by a fixed wrong answer. A rule is data
# (selfcheck_data.json): {"test": NAME, ...} or {"any": [rule, ...]} or {"all": [rule, ...]};
# "part": i looks at the answer's i-th item (a function that returns a pair). The tests:
#   scalar_for_array   a single number, where the first argument was an array
#   modifies_input     the call changed one of its arguments
#   close_to           every number is close to "value"
#   beyond             a number is not finite, or larger in size than "limit"
#   grows              a 1-D sequence whose last number is larger than its first
RULE_TESTS = ("scalar_for_array", "modifies_input", "close_to", "beyond", "grows")


class _NoPart(Exception):
    """The answer has no such item."""


def rule_holds(rule: dict, got, args: list, mutated: bool) -> bool:
    """Does the answer ``got`` to a call with ``args`` fit ``rule``? An unknown test never does."""
    if "any" in rule:
        return any(rule_holds(r, got, args, mutated) for r in rule["any"])
    if "all" in rule:
        return all(rule_holds(r, got, args, mutated) for r in rule["all"])
    test = rule.get("test")
    if test == "modifies_input":
        return bool(mutated)
    try:
        value = got[rule["part"]] if "part" in rule else got
    except (TypeError, IndexError, KeyError):
        return False
    if test == "scalar_for_array":
        return np.ndim(value) == 0 and bool(args) and np.ndim(args[0]) >= 1
    try:
        numbers = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    with np.errstate(all="ignore"):
        if test == "close_to":
            return numbers.size > 0 and bool(np.allclose(numbers, float(rule["value"])))
        if test == "beyond":
            finite = np.isfinite(numbers)
            return bool(not finite.all() or np.any(np.abs(numbers) > float(rule["limit"])))
        if test == "grows":
            return numbers.ndim == 1 and numbers.size > 1 and bool(numbers[-1] > numbers[0])
    return False


def _show(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show_any(v)}" for k, v in value.items()) + "}"
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return f"{float(array):.6g}"
    return (
        "["
        + ", ".join(f"{v:.6g}" for v in array.ravel()[:8])
        + (", …" if array.size > 8 else "")
        + "]"
    )


def name_the_mistake(module, function: str, data: dict) -> str | None:
    """A hint naming your mistake in ``function``, if your answers match a known one."""
    entry = data["functions"].get(function)
    if not entry:
        return None
    answers, mutations = [], []
    for probe in entry["probes"]:
        try:
            answer, mutated = _student_call(module, function, probe["args"], probe["kwargs"])
        except Exception:
            return None
        answers.append(answer)
        mutations.append(mutated)
    for mistake in entry["mistakes"]:
        # one answer per probe (answers, mutations and probes are built together above); a
        # mistake with another number of outputs than probes matches nothing
        if mistake["outputs"] is not None:
            matched = len(mistake["outputs"]) == len(answers) and all(
                _same(got, out) for got, out in zip(answers, mistake["outputs"])
            )
        else:
            rule = mistake.get("rule")
            matched = rule is not None and all(
                rule_holds(rule, got, p["args"], mutated)
                for got, p, mutated in zip(answers, entry["probes"], mutations)
            )
        if not matched:
            continue
        probe, got = entry["probes"][0], answers[0]
        names = list(inspect.signature(getattr(module, function)).parameters)
        fields = {names[i]: _show(a) for i, a in enumerate(probe["args"]) if i < len(names)}
        shown_args = ", ".join(f"{k}={v}" for k, v in fields.items())
        fields.update(
            call=f"{function}({shown_args})",
            got=_show_any(got),
            expected=_show_any(probe["expected"]),
        )
        try:
            text = mistake["hint"].format(**fields)
        except (KeyError, IndexError, ValueError):
            text = mistake["hint"]
        return f"{mistake['summary']}: {text} (lesson, section “{mistake['lesson']}”)"
    return None


def _show_any(value) -> str:
    try:
        return _show(value)
    except (TypeError, ValueError):
        return str(value)[:80]


# -- pictures ----------------------------------------------------------------------------------


class _Replay:
    """The correct answers to the pictures' calls, replayed in order from selfcheck_data.json."""

    def __init__(self, answers: dict[str, list]) -> None:
        self.answers = {name: list(values) for name, values in answers.items()}

    def __getattr__(self, name: str):
        def answer(*args, **kwargs):
            return _rebuild(self.answers[name].pop(0))

        return answer


def _rebuild(value):
    """JSON back to what the reference returned: arrays, dicts, and tuples for mixed lists."""
    if isinstance(value, dict):
        return {k: _rebuild(v) for k, v in value.items()}
    if isinstance(value, list):
        try:
            return np.array(value, dtype=float)
        except (TypeError, ValueError):
            return tuple(_rebuild(v) for v in value)
    return value


def draw_pictures(module, data: dict) -> list[Path]:
    """Draw the feedback pictures of your functions; return the PNG files written."""
    if not (HERE / "feedback_figures.py").exists():
        return []
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError:
        print(
            "\nPictures skipped: matplotlib is not installed (pip install matplotlib to get them)."
        )
        return []
    import feedback_figures

    collected = feedback_figures.collect(
        lambda name, *a, **k: getattr(module, name)(*a, **k), _Replay(data["figures"])
    )
    written = []
    print("\nPictures (the same as in your feedback):")
    for name, title, caption, figure in feedback_figures.figures(collected):
        FigureCanvasAgg(figure)
        path = HERE / f"{PICTURE_PREFIX}{name}"
        figure.savefig(path, dpi=100)
        written.append(path)
        print(f"  {path.name}: {title}. {caption}")
    return written


def main(inline: bool = False) -> int:
    started = time.monotonic()
    sys.path.insert(0, str(HERE))
    try:
        module = importlib.import_module(MODULE)
    except Exception as error:  # a syntax error, or code at the top level that fails
        print(f"{MODULE}.py could not be imported: {type(error).__name__}: {error}")
        return 1
    data = DATA
    by_function = run_public_checks()
    passing = [f for f in FUNCTIONS if by_function[f] and all(ok for ok, _ in by_function[f])]
    checked = "the functions of this notebook" if inline else f"{MODULE}.py"
    print(
        f"Self-check of {checked}: {len(passing)} of {len(FUNCTIONS)} functions pass their public checks.\n"
    )
    for function in FUNCTIONS:
        outcomes = by_function[function]
        failed = [message for ok, message in outcomes if not ok]
        if not outcomes:
            print(
                f"  ? {function:<13} no public check ran (is test_{MODULE}.py beside "
                f"{'this notebook' if inline else 'this script'}?)"
            )
            continue
        if not failed:
            print(f"  ✓ {function:<13} {len(outcomes)} checks")
            continue
        print(f"  ✗ {function:<13} {len(outcomes) - len(failed)} of {len(outcomes)} checks")
        # the public checks say "not implemented yet"; a check that does not catch the stub's
        # exception reports it by its type
        if any("not implemented yet" in m or m.startswith("NotImplementedError") for m in failed):
            print("      not implemented yet")
            continue
        hint = name_the_mistake(module, function, data)
        if hint:
            print(f"      Looks like: {hint}")
        print(f"      First failure: {failed[0]}")
    pictures = draw_pictures(module, data)
    if inline and pictures:
        from IPython.display import Image, display

        for path in pictures:
            display(Image(str(path)))
    again = (
        "Run this cell again after every change."
        if inline
        else "`pytest -v` shows every public check in detail."
    )
    print(f"\nDone in {time.monotonic() - started:.1f} s. {again}")
    return 0 if len(passing) == len(FUNCTIONS) else 1


if __name__ == "__main__":
    sys.exit(main())

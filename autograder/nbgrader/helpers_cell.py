# Notebook helpers (read-only; nothing here needs changing).
# Each test cell below calls public_checks: it runs the public checks of one function
# from @TESTS@ on the code of this notebook, stops a check that runs
# longer than @SECONDS@ s, and prints ✓ or ✗ with the reason.
# The experiment cell calls run_experiment.
import importlib.util
import inspect
import itertools
import os
import signal
import sys
import threading
import types
from pathlib import Path

_MODULE = "@MODULE@"
_FUNCTIONS = "@FUNCTIONS@".split()
_PUBLIC_TESTS = "@TESTS@"
_EXPERIMENT = "@EXPERIMENT@"
_CHECK_SECONDS = float("@SECONDS@")


def public_checks(function):
    """Run the public checks of ``function`` on this notebook's code; print ✓ or ✗ for each."""
    if __name__ != "__main__":  # loaded as a module by a grader: nothing to run here
        return
    if not Path(_PUBLIC_TESTS).is_file():
        print(f"The public checks cannot run: {_PUBLIC_TESTS} is not in this notebook's folder.")
        return
    _notebook_module()
    try:
        spec = importlib.util.spec_from_file_location("_public_checks", _PUBLIC_TESTS)
        tests = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tests)
    except Exception as error:
        print(f"The public checks cannot run: loading {_PUBLIC_TESTS} failed ({error!r}).")
        return
    lines, passed, failed, stopped = [], 0, [], False
    for label, owner, check in _cases(tests):
        if owner != function:
            continue
        if stopped:
            failed.append(label)
            lines.append(f"  ✗ {label}: not run, because {function} did not return before")
            continue
        status, why = _run_with_limit(check)
        passed += status == "passed"
        if status in ("failed", "too slow"):
            failed.append(f"{label} ({why})" if not failed else label)
        stopped = stopped or status == "too slow"
        mark = {"passed": "✓", "skipped": "-"}.get(status, "✗")
        lines.append(f"  {mark} {label}" + (f": {why}" if why else ""))
    if not lines:
        print(f"{_PUBLIC_TESTS} has no public checks of {function}.")
        return
    print(f"Public checks of {function}: {passed} of {len(lines)} passed.")
    print("\n".join(lines))
    if failed and os.environ.get("NBGRADER_EXECUTION") == "validate":
        # nbgrader's Validate button reports a test cell as failed only if it raises; while
        # autograding, the hidden checks decide the points, so nothing is raised then.
        raise AssertionError(f"public checks of {function} that did not pass: {', '.join(failed)}")


def run_experiment():
    """Run the experiment script on this notebook's functions and show the pictures it saves."""
    if __name__ != "__main__":
        return
    if os.environ.get("NBGRADER_EXECUTION"):
        print("The experiment is not run while the notebook is graded or validated.")
        return
    import runpy

    from IPython.display import Image, display

    _notebook_module()
    before = {p: p.stat().st_mtime for p in Path().glob("*.png")}
    try:
        runpy.run_path(_EXPERIMENT, run_name="__main__")
    except SystemExit as stop:
        if stop.code:
            return
    for picture in sorted(Path().glob("*.png")):
        if before.get(picture) != picture.stat().st_mtime:
            display(Image(str(picture)))


def _notebook_module():
    """This notebook's definitions as the module the public checks import, in ``sys.modules``.

    Its functions are re-bound to look names up in that module, so a check can swap a
    function that the one under test calls for a known-correct stand-in.
    """
    module = types.ModuleType(_MODULE)
    namespace = {k: v for k, v in globals().items() if not k.startswith("__")}
    module.__dict__.update(namespace)
    for name, value in namespace.items():
        if isinstance(value, types.FunctionType) and value.__module__ == "__main__":
            rebound = types.FunctionType(
                value.__code__,
                module.__dict__,
                value.__name__,
                value.__defaults__,
                value.__closure__,
            )
            rebound.__kwdefaults__ = value.__kwdefaults__
            rebound.__doc__ = value.__doc__
            module.__dict__[name] = rebound
    sys.modules[_MODULE] = module
    return module


def _owner(test_name):
    """The function a public check is about: the longest function name its name starts with."""
    base = test_name.removeprefix("test_")
    names = [f for f in _FUNCTIONS if base == f or base.startswith(f"{f}_")]
    return max(names, key=len) if names else None


def _cases(tests):
    """(label, function, call) for each public check in ``tests``, parametrized ones expanded."""
    for name, test in list(vars(tests).items()):
        if not name.startswith("test_") or not callable(test):
            continue
        grids = []
        for mark in getattr(test, "pytestmark", []):
            if mark.name != "parametrize":
                continue
            names = mark.args[0]
            names = [n.strip() for n in names.split(",")] if isinstance(names, str) else names
            rows = []
            for row in mark.args[1]:
                if type(row).__name__ == "ParameterSet":
                    values = row.values
                else:
                    values = (row,) if len(names) == 1 else tuple(row)
                rows.append(dict(zip(names, values, strict=True)))
            grids.append(rows)
        for combination in itertools.product(*grids):
            arguments = {k: v for part in combination for k, v in part.items()}
            label = name.removeprefix("test_")
            if arguments:
                label += f"[{'-'.join(str(v) for v in arguments.values())}]"
            owners = [v for v in arguments.values() if isinstance(v, str) and v in _FUNCTIONS]
            owner = owners[0] if owners else _owner(name)
            fixtures = [p for p in inspect.signature(test).parameters if p not in arguments]
            if fixtures:
                yield label, owner, _needs_pytest(fixtures)
            else:
                yield label, owner, (lambda t=test, a=arguments: t(**a))


def _needs_pytest(fixtures):
    def skip():
        raise _Skip(f"needs the pytest fixtures {', '.join(fixtures)}: run pytest to see it")

    return skip


class _Skip(Exception):
    """A check that cannot run here."""


class _TookTooLong(BaseException):
    """A check ran out of time (not an Exception, so ``except Exception`` cannot swallow it)."""


def _run_with_limit(check):
    """Run ``check()`` under the time limit; return its status and, unless it passed, why."""
    running = True

    def stop(signum, frame):
        if running:
            raise _TookTooLong

    limited = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if limited:
        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, _CHECK_SECONDS)
    try:
        check()
        running = False
        return "passed", ""
    except _TookTooLong:
        return "too slow", f"did not return within {_CHECK_SECONDS:g} s (an endless loop?)"
    except _Skip as skip:
        return "skipped", str(skip)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # pytest.fail raises an exception that is not an Exception
        kind = type(error).__name__
        if kind == "Skipped":
            return "skipped", str(getattr(error, "msg", "") or error)
        if kind == "Failed":
            return "failed", str(getattr(error, "msg", "") or error)
        return "failed", f"{kind}: {error}" if str(error) else kind
    finally:
        running = False
        if limited:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

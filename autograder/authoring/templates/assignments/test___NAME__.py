"""Public checks of ``__NAME__.py``. Run ``pytest`` in this folder, or ``python selfcheck.py``.

The numbers are those of the lesson (README.md); each expected value is worked out by hand in
a comment, so you can redo the arithmetic. The grader runs other, hidden checks on other inputs.
"""

import sys
import traceback
from pathlib import Path

import numpy as np
import pytest

# Import the __NAME__.py that sits next to this file, wherever pytest is started from.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import __NAME__

# Your results may differ from the hand-worked values by float rounding only.
RTOL = 1e-6
ATOL = 1e-8

# Known-correct versions of your functions, by name, swapped in while a *different* function
# is checked, so that a mistake is reported by the checks of the function that has it.
# (selfcheck.py uses them too.) A function that calls none of the others needs none.
STAND_INS = {}


def call(name, *args, **kwargs):
    """Call your function ``name``, with the other functions swapped for their stand-ins."""
    function = getattr(__NAME__, name, None)
    if not callable(function):
        pytest.fail(
            f"__NAME__.py has no function called {name}; keep the names of the stubs",
            pytrace=False,
        )
    with pytest.MonkeyPatch.context() as patch:
        for other, stand_in in STAND_INS.items():
            if other != name:
                patch.setattr(__NAME__, other, stand_in, raising=False)
        try:
            return function(*args, **kwargs)
        except NotImplementedError as error:
            raised_in = traceback.extract_tb(error.__traceback__)[-1].name
    # Failing outside the except block keeps pytest from printing the stub's traceback too.
    where = "it still raises" if raised_in == name else f"raised in {raised_in}:"
    pytest.fail(f"{name} is not implemented yet ({where} NotImplementedError)", pytrace=False)


def check(name, args, expected, why):
    """Call ``name(*args)``; fail with a sentence unless it returns ``expected``."""
    got = call(name, *args)
    called = f"{name}({', '.join(repr(a) for a in args)})"
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        got_array = None
    wanted = np.asarray(expected, dtype=float)
    if got_array is None or got_array.shape != wanted.shape:
        pytest.fail(f"{called} returned {got!r}; expected {expected!r}. Why: {why}", pytrace=False)
    if not np.allclose(got_array, wanted, rtol=RTOL, atol=ATOL):
        hint = flipped_hint(got_array, wanted)
        pytest.fail(
            f"{called} returned {got!r}; expected {expected!r}{hint}. Why: {why}", pytrace=False
        )


def flipped_hint(got_array, wanted):
    """A few words when ``got_array`` is exactly ``-wanted`` (not all zeros): a flipped sign is
    the likelier cause, whatever else the check is about."""
    if np.any(wanted != 0) and np.allclose(got_array, -wanted, rtol=RTOL, atol=ATOL):
        return " (exactly the expected answer with its sign flipped: look for a flipped sign first)"
    return ""


def test_mse_by_hand():
    # errors [4 - 3, 1 - 3] = [1, -2]; squares [1, 4]; mean (1 + 4) / 2 = 2.5
    check("mse", ([4.0, 1.0], [3.0, 3.0]), 2.5, "the MSE is the mean of the squared errors")

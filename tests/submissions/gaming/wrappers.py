"""Ways to game a check, appended to a correct solution by tests/test_checks_gaming.py.

``_gaming_wrap(function, variant)`` returns a function of the same name that
answers the way a student trying to pass without doing the work might:

* ``constant``: zeros shaped like the first answer (a dict, pair or array of zeros), always;
* ``echo``: its first argument, unchanged;
* ``memo_first``: the right answer for the first call, returned for every later call;
* ``memo_shape``: the right answer for the first input of each shape, looked up by the
  shapes of the arguments afterwards (numbers, strings and flags do not count);
* ``liar_object``: an object that says it equals anything and is no number;
* ``liar_subclass``: zeros like the first answer, dressed as subclasses (of ndarray, float,
  dict, tuple) whose ``==`` always says True.

The submission is the reference followed by this file and, for each function,
``name = _gaming_wrap(name, "variant")`` (see tests/test_checks_gaming.py for why gaming
every function at once grades each one as if it alone were gamed).
"""

import numpy as _np


class _EqualsEverything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__

    def __array__(self, *args, **kwargs):
        raise TypeError("not a number")

    def __float__(self):
        raise TypeError("not a number")

    def __repr__(self):
        return "looks right"


class _LyingArray(_np.ndarray):
    def __eq__(self, other):
        return _np.ones(_np.shape(self), dtype=bool)

    def __ne__(self, other):
        return _np.zeros(_np.shape(self), dtype=bool)

    __hash__ = None


class _LyingFloat(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__


class _LyingDict(dict):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None


class _LyingTuple(tuple):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = tuple.__hash__


def _zeros_like(value):
    if isinstance(value, dict):
        return {key: _zeros_like(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_zeros_like(item) for item in value)
    if isinstance(value, list):
        return [_zeros_like(item) for item in value]
    if isinstance(value, _np.ndarray):
        return _np.zeros(value.shape)
    return 0.0


def _lying(value):
    if isinstance(value, dict):
        return _LyingDict({key: _lying(item) for key, item in value.items()})
    if isinstance(value, tuple | list):
        return _LyingTuple(_lying(item) for item in value)
    if isinstance(value, _np.ndarray):
        return _np.zeros(value.shape).view(_LyingArray)
    return _LyingFloat(0.0)


def _shape_key(value):
    if isinstance(value, dict):
        return tuple(sorted((str(key), _shape_key(item)) for key, item in value.items()))
    if isinstance(value, _np.ndarray | list | tuple):
        try:
            return ("array", _np.shape(value))
        except ValueError:
            return ("sequence", len(value))
    return "scalar"


def _gaming_wrap(function, variant):
    memory = {}

    def gamed(*args, **kwargs):
        if variant == "echo":
            return args[0]
        if variant == "liar_object":
            return _EqualsEverything()
        if variant == "memo_shape":
            key = (
                tuple(_shape_key(a) for a in args),
                tuple(sorted((k, _shape_key(v)) for k, v in kwargs.items())),
            )
            if key not in memory:
                memory[key] = function(*args, **kwargs)
            return memory[key]
        if "first" not in memory:
            memory["first"] = function(*args, **kwargs)
        first = memory["first"]
        if variant == "memo_first":
            return first
        if variant == "constant":
            return _zeros_like(first)
        if variant == "liar_subclass":
            return _lying(first)
        raise ValueError(f"unknown variant {variant}")

    gamed.__name__ = function.__name__
    return gamed

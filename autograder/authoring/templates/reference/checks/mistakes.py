"""The mistakes students make in __NAME__, and how the grader recognises each one.

``CATALOG`` lists them. For each, ``variant(reference, *args, **kwargs)`` returns what a
student who makes that mistake would return (computed with the reference, in the grader);
when a check fails and one mistake explains every failing answer, the student reads its
``hint`` (with the numbers of the smallest failing case filled in) and the lesson section
that explains the point. ``PROBES`` are small inputs on which the students' self-check
compares their answers with each mistake's (the answers, not this code, are handed out).
Each mistake has a sample submission that makes exactly it:
``reference/__NAME__/samples/<function>__<mistake>.py``.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.diagnosis import Mistake

# A heading of the lesson (README.md), without the "## ".
MSE_SECTION = "1. The mean squared error"

PROBES = {
    "mse": [(([4.0, 1.0, 2.0], [3.0, 3.0, 2.0]), {}), (([0.5, -1.0], [1.5, 2.0]), {})],
}

CATALOG = [
    Mistake(
        "mse",
        "sum_not_mean",
        "sum instead of mean (no 1/n)",
        "{call} gave {got}, the sum of the squared errors; the mean divides that sum by the "
        "number of elements, which gives {expected}.",
        MSE_SECTION,
        variant=lambda reference, y_pred, y_true: reference.mse(y_pred, y_true) * np.size(y_pred),
    ),
]

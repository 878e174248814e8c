"""No submission raises a grader process more than 256 MiB above its idle size.

A fresh Python process (the grader) grades a correct sample to reach its idle size, then grades the hostile submissions built to swell it: stand-in requests that
ask the reference for a 3.2 GB broadcast or a 2 GB layer from a few bytes, 1.2 million
numbers for a stand-in, forged frames (4 GB announced, 15 MiB of empty lists, an array
announcing 2.5 billion elements, a string of 15 MiB), and return values of 1.5 million numbers,
100,000 lists, 100,000 keys. Before each it resets the kernel's peak-RSS record
(``/proc/self/clear_refs``, 5) and after it reads the peak (``VmHWM``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, SUBMISSIONS, samples_of

HOSTILE = SUBMISSIONS / "hostile_sandbox"
BUDGET_BYTES = 256 * 2**20

SCRIPT = r"""
import gc, json, sys
from pathlib import Path
from autograder.config import load_config
from autograder.grading.runner import grade_submission, load_reference
from autograder.grading.submission import read_submission

def status(key):
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

config = load_config(Path(sys.argv[1]))
jobs = json.loads(sys.argv[2])
assignments, references = {}, {}

def grade(name, path):
    if name not in assignments:
        assignments[name] = config.assignment(name)
        references[name] = load_reference(assignments[name])
    assignment = assignments[name]
    submission = read_submission(Path(path), assignment.module)
    return grade_submission(assignment, submission, reference=references[name]).result

for name, path in jobs["warm_up"]:
    grade(name, path)
gc.collect()
idle = status("VmRSS")
report = {"idle": idle, "graded": {}}
for name, path in jobs["hostile"]:
    gc.collect()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM starts again from the current VmRSS
    result = grade(name, path)
    report["graded"][Path(path).name] = {
        "peak_over_idle": status("VmHWM") - idle,
        "score": result.score,
        "failing": sorted({t for c in result.checks if not c.passed for t in c.tags}),
    }
print(json.dumps(report))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status and clear_refs")
def test_hostile_submissions_keep_the_grader_within_256_mib_of_idle():
    jobs = {
        # One assignment only: the first backprop grading then counts loading its checks and
        # reference as growth, which can only make this test stricter.
        "warm_up": [
            ["regression_losses", str(samples_of("regression_losses") / "correct_vectorised.py")],
        ],
        "hostile": [
            ["regression_losses", str(HOSTILE / "standin_bombs.py")],
            ["regression_losses", str(HOSTILE / "message_bombs.py")],
            ["regression_losses", str(HOSTILE / "value_bombs.py")],
            ["backprop_sign", str(HOSTILE / "backprop_shape_bomb.py")],
        ],
    }
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(REPO_ROOT / "grading.yaml"), json.dumps(jobs)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.splitlines()[-1])
    graded = report["graded"]
    assert set(graded) == {"standin_bombs.py", "message_bombs.py", "value_bombs.py"} | {
        "backprop_shape_bomb.py"
    }
    for name, outcome in graded.items():
        assert outcome["peak_over_idle"] <= BUDGET_BYTES, (name, outcome, report["idle"])
    # and each was graded: the honest functions kept their points
    assert graded["standin_bombs.py"]["failing"] == ["predict"]
    assert graded["backprop_shape_bomb.py"]["failing"] == ["init_params"]
    assert graded["message_bombs.py"]["score"] > 0
    assert graded["value_bombs.py"]["failing"] == ["mae", "mae_grad", "mse", "mse_grad"]

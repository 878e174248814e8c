"""The grader's side of a worker (autograder.sandbox.client) on real submissions and workers.

Each test makes a Sandbox on a scratch folder of its own, so that what is left in that folder
after the workers ran can be looked at: nothing, since each worker writes into a private tmpfs
and its output goes to a memfd the grader reads by descriptor.
"""

from __future__ import annotations

import math
import resource
from pathlib import Path

import numpy as np
import pytest
from conftest import SUBMISSIONS, samples_of

from autograder.grading.runner import sandbox_limits, standin_handler
from autograder.grading.submission import read_submission
from autograder.sandbox import memguard
from autograder.sandbox.client import STANDIN_MEMORY_BYTES, CallFailed, Sandbox

HOSTILE = SUBMISSIONS / "hostile"
HOSTILE_SANDBOX = SUBMISSIONS / "hostile_sandbox"
CORRECT = samples_of("regression_losses") / "correct_vectorised.py"


@pytest.fixture
def sandbox_for(assignment, reference, tmp_path):
    """A Sandbox for a submission file, its scratch folder under ``tmp_path``."""
    made = []

    def make(path: Path, **options) -> Sandbox:
        submission = read_submission(path, assignment.module)
        sandbox = Sandbox(
            module_name=assignment.module,
            chunks=submission.chunks,
            scratch=tmp_path / f"scratch-{len(made)}",
            limits=sandbox_limits(assignment),
            standin_handler=standin_handler(assignment, reference),
            **options,
        )
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        sandbox.close()


def test_the_workers_output_is_read_back_bounded_and_the_scratch_stays_empty(
    sandbox_for, assignment
):
    sandbox = sandbox_for(HOSTILE / "output_flood.py")
    y = np.array([1.0, 2.0])
    assert sandbox.call("mse", y, y).value == 0.0  # 1.4 MB written to its descriptors first
    output = sandbox.close()
    limit = assignment.limits.output_kb * 1024
    assert limit < len(output) <= limit + len("\n[... output truncated]")
    assert output.startswith('{"score": 100}')
    assert sandbox.close() == output  # read once, kept
    assert list(sandbox.scratch.iterdir()) == []


def test_a_full_disk_never_reaches_the_folder_the_grader_made(sandbox_for):
    sandbox = sandbox_for(HOSTILE_SANDBOX / "fills_disk.py")
    with pytest.raises(CallFailed) as failed:
        sandbox.call("mae", np.ones(3), np.zeros(3))
    assert "filled the 64 MiB" in failed.value.sentence
    assert sandbox.call("mse", np.ones(3), np.zeros(3)).value == 1.0
    sandbox.close()
    assert list(sandbox.scratch.iterdir()) == []


def test_a_function_that_leaves_nan_inputs_alone_has_mutated_nothing(sandbox_for):
    sandbox = sandbox_for(CORRECT)
    theta = np.array([math.nan, 1.0])
    result = sandbox.call("gd_step", theta, np.array([0.5, math.nan]), 0.1)
    assert result.mutated == ()
    assert np.isnan(result.value).all()


def test_an_update_in_place_is_mutation_at_its_position(sandbox_for):
    sandbox = sandbox_for(HOSTILE / "mutates_inputs.py")
    result = sandbox.call("gd_step", np.array([1.0, 1.0]), np.array([2.0, -4.0]), 0.5)
    assert result.mutated == (0,)
    np.testing.assert_array_equal(result.value, [0.0, 3.0])


def test_stand_in_requests_are_bounded_and_each_refusal_is_a_sentence(sandbox_for, reference):
    sandbox = sandbox_for(HOSTILE_SANDBOX / "standin_bombs.py")
    theta, x, y = np.array([0.5, 2.0]), np.array([1.0, 2.0, 3.0]), np.array([3.0, 4.0, 8.0])
    limit_before = resource.getrlimit(resource.RLIMIT_AS)
    result = sandbox.call("linear_grads", theta, x, y, standins=["predict"])
    np.testing.assert_allclose(result.value, reference.linear_grads(theta, x, y))
    assert f"needs more than the {STANDIN_MEMORY_BYTES >> 20} MiB" in result.output
    assert "hold more than 1,000,000 numbers" in result.output
    assert "fit is not available here" in result.output
    assert resource.getrlimit(resource.RLIMIT_AS) == limit_before


def test_leaving_a_step_out_is_recorded_and_unknown_steps_are_refused(sandbox_for):
    sandbox = sandbox_for(CORRECT, without=("seccomp",))
    sandbox.load()
    assert sandbox.isolation["level"] == "partial"
    assert "seccomp: left out on request" in sandbox.isolation["missing"]
    with pytest.raises(ValueError, match="landlock"):
        sandbox_for(CORRECT, without=("landlock",))


def test_the_memory_headroom_fails_an_allocation_past_it_and_then_lifts():
    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(MemoryError), memguard.address_space_headroom(64 << 20):
        np.ones(32 << 20)  # 256 MiB
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert np.ones(32 << 20).size == 32 << 20  # allowed again
    with memguard.address_space_headroom(64 << 20):
        matrix = np.ones((300, 300))
        assert (matrix @ matrix)[0, 0] == 300.0  # BLAS works inside (its buffer exists already)

"""Pictures drawn once per distinct content: the same bytes a fresh drawing gives, never a
picture of other numbers.

The numbers are those of real gradings of the kit's samples (the feedback data a grading
collects by running the student's functions in the sandbox).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import samples_of

from autograder.feedback import pages
from autograder.feedback.picture_cache import PictureCache, content_key
from autograder.grading.runner import grade_submission, load_reference
from autograder.grading.submission import read_submission

SAMPLES = samples_of("regression_losses")


@pytest.fixture(scope="module")
def collected(assignment):
    """{sample: (feedback module, feedback data)} for three correct styles and one mistake."""
    reference = load_reference(assignment)
    found = {}
    for name in (
        "correct_loops",
        "correct_vectorised",
        "correct_oop_style",
        "mse_grad__sign_flipped",
    ):
        submission = read_submission(SAMPLES / f"{name}.py", assignment.module)
        output = grade_submission(assignment, submission, reference=reference)
        found[name] = (output.feedback_module, output.feedback_data)
    return found


def drawn_fresh(module, data) -> list[bytes]:
    kept, pages.RENDERED = pages.RENDERED, PictureCache()
    try:
        return [picture.png for picture in pages.render(module, data)]
    finally:
        pages.RENDERED = kept


def test_every_correct_style_has_one_key_and_a_mistake_another(collected):
    keys = {name: content_key(*pair) for name, pair in collected.items()}
    assert None not in keys.values()
    assert keys["correct_loops"] == keys["correct_vectorised"] == keys["correct_oop_style"]
    assert keys["mse_grad__sign_flipped"] != keys["correct_loops"]


def test_a_picture_taken_from_the_cache_is_the_one_drawn_afresh(collected):
    pages.RENDERED = PictureCache()
    first = [p.png for p in pages.render(*collected["correct_loops"])]
    again = [p.png for p in pages.render(*collected["correct_vectorised"])]
    assert pages.RENDERED.hits == 1 and pages.RENDERED.misses == 1
    assert again == first == drawn_fresh(*collected["correct_vectorised"])
    mistaken = [p.png for p in pages.render(*collected["mse_grad__sign_flipped"])]
    assert pages.RENDERED.misses == 2
    assert mistaken == drawn_fresh(*collected["mse_grad__sign_flipped"]) != first


def test_the_key_sees_every_number_type_and_string_but_not_the_last_bits(collected):
    module, _ = collected["correct_loops"]
    base = content_key(module, {"a": np.array([1.0, -2.0]), "why": None})
    assert base == content_key(module, {"a": np.array([1.0 + 1e-15, -2.0]), "why": None})
    assert base == content_key(module, {"why": None, "a": np.array([1.0, -2.0])})  # key order
    for other in (
        {"a": np.array([1.0, 2.0]), "why": None},  # a sign
        {"a": np.array([1.0, -2.001]), "why": None},  # a value the eye can see
        {"a": np.array([[1.0, -2.0]]), "why": None},  # a shape
        {"a": np.array([1, -2]), "why": None},  # a type
        {"a": np.array([1.0, -2.0]), "why": "mse_grad is not implemented yet"},  # a reason
        {"a": [1.0, -2.0], "why": None},  # a list is not an array
    ):
        assert content_key(module, other) != base, other
    assert content_key(module, {"a": np.array([np.nan])}) == content_key(
        module, {"a": np.array([-np.nan])}
    )


@pytest.mark.parametrize(
    "data",
    [
        {"a": np.array([object()], dtype=object)},
        {"a": object()},
        {1: "a key that is not text"},
        {"big": np.zeros(3 * 2**20)},
    ],
    ids=["object-array", "object", "int-key", "too-large"],
)
def test_content_it_cannot_name_is_drawn_afresh(collected, data):
    module, _ = collected["correct_loops"]
    assert content_key(module, data) is None
    cache = PictureCache()
    assert cache.get(None) is None
    cache.put(None, ("x",))
    assert cache.get(None) is None


def test_a_deep_structure_has_no_key(collected):
    module, _ = collected["correct_loops"]
    deep: list = []
    for _ in range(100):
        deep = [deep]
    assert content_key(module, {"deep": deep}) is None


def test_the_cache_keeps_only_its_last_entries():
    cache: PictureCache[str] = PictureCache(entries=2)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") is None and cache.get("b") == "B" and cache.get("c") == "C"

"""The terminal tables (autograder/report.py): text from a submission is written out, never
sent to the terminal as control characters (ESC starts an escape sequence: clear the screen,
retitle the window, hide lines), and cannot add lines of its own.

Records are built by hand; the real route (a load error's message reaching ``grade``'s
table) is in tests/test_pages.py.
"""

from __future__ import annotations

import doctest
from dataclasses import replace

import pytest
from test_export_common import check, graded

from autograder import report
from autograder.report import score_table, terminal_text

CLEAR = "\x1b[2J"
TITLE = "\x1b]0;pwned\x07"
C1_CSI = "\x9b31m"


def hostile_result():
    failing = {"mse_values": check("mse_values", 0.0, "rmse", f"root taken{CLEAR}")}
    result = graded(f"eve{CLEAR}", failing).result
    return replace(
        result,
        submission=f"eve{CLEAR}{TITLE}.py",
        load_problems=(f"ValueError while loading your file: {C1_CSI}red\n  ✓ fake line",),
    )


def test_docstring_examples():
    assert doctest.testmod(report).failed == 0


@pytest.mark.parametrize("several", [False, True], ids=["one submission", "a class"])
def test_tables_write_control_characters_out(several):
    results = [hostile_result(), graded("ada").result] if several else [hostile_result()]
    table = score_table(results)
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in table
    assert "eve\\x1b[2J\\x1b]0;pwned\\x07.py" in table


def test_a_load_problem_keeps_its_lines_indented_under_its_mark():
    table = score_table([hostile_result()])
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  ! "))
    assert lines[start] == "  ! ValueError while loading your file: \\x9b31mred"
    assert lines[start + 1] == "      ✓ fake line"  # indented deeper than a real check line


def test_the_class_table_has_one_line_per_submission():
    table = score_table([hostile_result(), graded("ada").result])
    assert len(table.splitlines()) == 1 + 2


def test_terminal_text_keeps_ordinary_text():
    text = "mse_grad: 2·(ŷ − y)/n\n\tθ ✓ ✗"
    assert terminal_text(text) == text

"""What a student reads: results.json's output and the feedback pages, from real grading.

Two promises are checked on files the ``grade`` command really writes:

- while any check is held back (visibility ``hidden``, ``after_due_date`` or
  ``after_published``) the total and the count of failed checks stay out of
  everything the student sees (README, "grading.yaml"; Gradescope hides the
  total then, shared/FORMATS.md), and are there when every check is visible;
- text from a submission (what it printed, an exception message) cannot add
  markup to the pages, run a script, send terminal escape sequences, or stop
  the results from being written (a lone surrogate, which UTF-8 cannot encode).

The Markdown is read with a small model of CommonMark's fenced code blocks
(spec 0.31, section 4.5) written here, and the HTML with the standard
library's parser, so the pages are checked the way a renderer reads them.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, SUBMISSIONS, samples_of

from autograder.cli import main
from autograder.feedback.pages import markdown_fence, markdown_inline

KIT_YAML = REPO_ROOT / "grading.yaml"
NAME = "regression_losses"
MISTAKEN = samples_of(NAME) / "mse_grad__sign_flipped.py"
CORRECT = samples_of(NAME) / "correct_vectorised.py"
PRINTS_MARKUP = SUBMISSIONS / "outputs" / "prints_markup.py"
RAISES_AT_IMPORT = SUBMISSIONS / "outputs" / "raises_markup_at_import.py"
HELD_BACK = ("hidden", "after_due_date", "after_published")


def grade(path: Path, out: Path, config: Path = KIT_YAML) -> tuple[dict, str, str, str]:
    """Run ``autograder grade`` in this process: (results.json, feedback.md, feedback.html, stdout)."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        status = main(["grade", str(path), "--out", str(out), "--config", str(config)])
    assert status == 0
    results = json.loads((out / "results.json").read_bytes().decode("utf-8"))
    markdown = (out / "feedback.md").read_bytes().decode("utf-8")
    page = (out / "feedback.html").read_bytes().decode("utf-8")
    return results, markdown, page, stdout.getvalue()


def kit_variant(folder: Path, visibilities: dict[str, str]) -> Path:
    """The kit's grading.yaml with this assignment only, every check ``visible`` except
    ``visibilities``, and its paths made absolute; written into ``folder``."""
    data = yaml.safe_load(KIT_YAML.read_text(encoding="utf-8"))
    assignment = data["assignments"][NAME]
    for key in ("reference", "checks_dir", "release_dir", "samples_dir"):
        if key in assignment:
            assignment[key] = str(REPO_ROOT / assignment[key])
    question = assignment.get("question") or {}
    if "model_answer" in question:
        question["model_answer"] = str(REPO_ROOT / question["model_answer"])
    for check_id, check in assignment["checks"].items():
        check["visibility"] = visibilities.get(check_id, "visible")
    data["assignments"] = {NAME: assignment}
    data["default_assignment"] = NAME
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "grading.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def kit_points(check_prefix: str) -> float:
    """The points grading.yaml gives the checks whose id starts with ``check_prefix``."""
    checks = yaml.safe_load(KIT_YAML.read_text(encoding="utf-8"))["assignments"][NAME]["checks"]
    return sum(c["points"] for k, c in checks.items() if k.startswith(check_prefix))


# -- reading the pages like a renderer --------------------------------------------------------

FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}(?=[^`]*$)|~{3,})")


def outside_code_blocks(markdown: str) -> list[str]:
    """The lines of ``markdown`` that are not inside a fenced code block (CommonMark 4.5).

    A fence is three or more backticks (no backtick after them on the line) or
    tildes, indented at most three spaces; the block ends at a line of the same
    character, at least as many, followed only by spaces; or at the end.
    """
    outside, fence = [], None
    for line in markdown.splitlines():
        if fence is None:
            opened = FENCE_OPEN.match(line)
            if opened:
                fence = opened.group(1)
            else:
                outside.append(line)
        elif re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}} *", line):
            fence = None
    return outside


class Tags(HTMLParser):
    """The start tags of a page and its text, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)

    def handle_data(self, data) -> None:
        self.text.append(data)


def read_html(page: str) -> Tags:
    parser = Tags()
    parser.feed(page)
    parser.close()
    return parser


PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "pre"}
PAGE_TAGS |= {"code", "strong", "em", "img", "div", "figure", "figcaption", "a", "section"}


# -- what is held back --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[dict, str, str, str]]:
    """The mistaken sample graded under three configurations (one grading each)."""
    base = tmp_path_factory.mktemp("visibility")
    configs = {
        "kit": KIT_YAML,  # after_due_date and after_published checks, as shipped
        "one_hidden": kit_variant(base / "hidden", {"mse_grad_values": "hidden"}),
        "all_visible": kit_variant(base / "visible", {}),
    }
    return {name: grade(MISTAKEN, base / f"{name}_out", c) for name, c in configs.items()}


def student_texts(run: tuple[dict, str, str, str]) -> dict[str, str]:
    results, markdown, page, _ = run
    return {
        "results.json output": results["output"],
        "feedback.md": markdown,
        "feedback.html": page,
    }


TOTAL = re.compile(r"\b\d+(\.\d+)? / 20\b")  # "16 / 20", the score out of the assignment's 20
FAILED_IN_ALL = re.compile(r"\bof 16 checks\b")  # the kit grades 16 checks


@pytest.mark.parametrize("config", ["kit", "one_hidden"])
def test_while_a_check_is_held_back_the_total_and_failed_count_are_not_shown(runs, config):
    results = runs[config][0]
    held = [t for t in results["tests"] if t["visibility"] in HELD_BACK]
    assert held, "the configuration holds a check back"
    for where, text in student_texts(runs[config]).items():
        assert not TOTAL.search(text), (where, TOTAL.search(text))
        assert not FAILED_IN_ALL.search(text), where
        assert "Score" not in text, where
        for test in held:  # nor are the held-back checks described
            assert test["name"] not in text and markdown_inline(test["name"]) not in text, where
    # Gradescope still gets the score (it decides when to show it) and every test
    assert results["score"] == 20 - kit_points("mse_grad")
    assert len(results["tests"]) == 16


def test_a_hidden_failing_check_leaves_no_trace_in_the_failed_functions(runs):
    # mse_grad_values is hidden and fails; the other mse_grad checks are visible and fail too, so
    # the visible summary may name mse_grad, but must count only the checks it shows (15)
    output = runs["one_hidden"][0]["output"]
    counted = re.search(r"(\d+) of the (\d+) checks shown did not pass", output)
    assert counted and counted.group(2) == "15"


def test_when_every_check_is_visible_the_total_and_failed_count_are_shown(runs):
    results, markdown, page, _ = runs["all_visible"]
    expected = 20 - kit_points("mse_grad")  # the sample flips mse_grad's sign, nothing else
    failed = sum(1 for t in results["tests"] if t["status"] == "failed")
    assert failed > 0
    assert f"{expected:g} / 20 points." in results["output"]
    assert f"{failed} of 16 checks did not pass; they grade: mse_grad." in results["output"]
    assert f"**Score: {expected:g} / 20**" in outside_code_blocks(markdown)
    assert f"<strong>Score: {expected:g} / 20</strong>" in page
    assert f"{failed} of 16 checks did not pass" in markdown and f"{failed} of 16 checks" in page


# -- what the submission wrote ----------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_pages(tmp_path_factory) -> tuple[dict, str, str, str, Path]:
    out = tmp_path_factory.mktemp("markup") / "out"
    return (*grade(PRINTS_MARKUP, out), out)


def test_a_lone_surrogate_does_not_stop_the_results(hostile_pages):
    results, markdown, page, _, out = hostile_pages
    for name in ("results.json", "report.json", "feedback.md", "feedback.html"):
        (out / name).read_bytes().decode("utf-8")  # strict UTF-8: raises on an encoded surrogate
    raw = (out / "results.json").read_text(encoding="utf-8")
    assert not re.search(r"\\ud[89a-f][0-9a-f]{2}", raw, re.IGNORECASE)  # no escaped surrogate
    assert "lone \ufffd surrogate" in markdown and "lone \ufffd surrogate" in page
    assert results["score"] == 20 - kit_points("mae_values")  # only mae raises


def test_printed_markup_stays_inside_code_blocks_in_markdown(hostile_pages):
    _, markdown, _, _, _ = hostile_pages
    assert "**Score: 20 / 20**" in markdown  # shown to the student, as text
    for line in outside_code_blocks(markdown):
        # a picture's caption may quote the message inline, escaped: \*\*Score: 20 / 20\*\*
        assert "**Score: 20" not in line and "<script" not in line.lower(), line
    assert "\x1b" not in markdown and "\x07" not in markdown
    # written out, so the student sees what was printed (the sandbox shows ESC as ␛)
    assert "␛[2J" in markdown


def test_printed_markup_is_text_in_html(hostile_pages):
    _, _, page, _, _ = hostile_pages
    parsed = read_html(page)
    assert set(parsed.tags) <= PAGE_TAGS
    text = "".join(parsed.text)
    assert "<script>alert('owned')</script>" in text  # the student sees their output as text
    assert "\x1b" not in page and "\x07" not in page


def test_results_json_outputs_carry_no_escape_sequence(hostile_pages):
    results = hostile_pages[0]
    mae = [t for t in results["tests"] if "mae" in t["tags"] and t["status"] == "failed"]
    assert mae and all("␛[2J" in t["output"] for t in mae)  # the message, written out
    assert "␛[2J" in results["output"]  # what it printed, written out
    assert all("\x1b" not in t["output"] for t in results["tests"])
    assert "\x1b" not in results["output"]


def test_a_load_error_message_reaches_the_terminal_written_out(tmp_path):
    results, markdown, page, stdout = grade(RAISES_AT_IMPORT, tmp_path / "out")
    assert results["score"] == 0
    assert "␛[2J" in stdout and "\x1b" not in stdout and "\x07" not in stdout
    for line in outside_code_blocks(markdown):
        assert "**Score: 20" not in line and "<script" not in line.lower(), line
    assert set(read_html(page).tags) <= PAGE_TAGS


# -- the two Markdown helpers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["plain", "```", "a ```` b\n`````", "~~~\n```\n", "`", "x\r```\r", "<b>\n**bold**"],
)
def test_a_fence_holds_any_text(text):
    block = markdown_fence(text)
    document = "\n".join(["before", *block, "**after**"])
    assert outside_code_blocks(document) == ["before", "**after**"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("# title", "\\# title"),
        ("a\nb", "a\\\\x0ab"),  # a line break cannot start a new block
        ("- item", "\\- item"),
        ("| a | b |", "\\| a \\| b \\|"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert\\(1\\)&gt;"),
        ("[link](http://x)", "\\[link\\]\\(http://x\\)"),
        ("&amp;", "&amp;amp;"),
    ],
)
def test_inline_text_is_literal(text, shown):
    assert markdown_inline(text) == shown


# -- a readable page ------------------------------------------------------------------------------


def test_a_checks_sentences_are_paragraphs_with_their_labels_in_bold(tmp_path):
    _, _, page, _ = grade(MISTAKEN, tmp_path / "out")
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in page
    assert "<p><strong>Smallest failing case:</strong> " in page
    assert "<p><strong>Why it matters:</strong> " in page
    # the kit's prose is no longer preformatted; only what the code printed may be
    assert "<pre>✗" not in page and "<pre>Graded" not in page


def test_a_pictures_alt_text_is_its_finding(tmp_path):
    _, _, page, _ = grade(MISTAKEN, tmp_path / "out")
    figures = re.findall(
        r"<img alt='([^']*)' src='data:image/png;base64,[^']*'><figcaption>([^<]*)", page
    )
    assert figures, "the pictures are drawn"
    for alt, caption in figures:
        assert alt == caption and len(alt) > 40  # the caption's words, not the file or heading


def test_a_hostile_line_stays_text_in_its_paragraph():
    from autograder.feedback.pages import _prose

    shown = _prose("Why it matters: <script>x</script>\n  indented <b>\nplain & more", html_escape)
    assert shown == (
        "<div class='prose'><p><strong>Why it matters:</strong> &lt;script&gt;x&lt;/script&gt;</p>"
        "<pre>  indented &lt;b&gt;</pre><p>plain &amp; more</p></div>"
    )


def html_escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)


# -- pictures that draw what they mean ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "label"), [("regression_losses", "correct slope"), ("huber_loss", "MAE: sign(e)")]
)
def test_sign_e_is_drawn_with_its_jump_not_as_a_ramp_through_0(name, label):
    """No drawn segment of the MAE's gradient joins a negative error to a positive one: left of
    0 it is −1, right of 0 it is +1, and the line must not slope between them."""
    from autograder.config import load_config
    from autograder.feedback.pages import load_feedback_module
    from autograder.grading.runner import load_reference

    assignment = load_config(KIT_YAML).assignment(name)
    module = load_feedback_module(assignment.release_dir)
    reference = load_reference(assignment)
    data = module.collect(lambda f, *a, **k: getattr(reference, f)(*a, **k), reference)
    checked = 0
    for _, _, _, figure in module.figures(data):
        for axes in figure.axes:
            pieces = [line for line in axes.get_lines() if line.get_label() == label]
            if not pieces or "mse" in axes.get_title():
                continue
            siblings = [
                line for line in axes.get_lines() if line.get_color() == pieces[0].get_color()
            ]
            for line in siblings:
                x = line.get_xdata()
                if len(x) > 1:
                    assert (x <= 0).all() or (x >= 0).all(), f"{label} crosses 0 as one line"
                    checked += 1
    assert checked >= 2  # the two pieces, left and right of 0


# -- "charged once", said where it shows ----------------------------------------------------------

REPLACED = "Your mse_grad did not pass its own checks, so this check ran a correct one in place"


def test_a_check_that_ran_a_correct_stand_in_says_so_and_a_correct_submission_hears_nothing(runs):
    results, _, page, _ = runs["all_visible"]
    outputs = {test["name"]: test["output"] for test in results["tests"]}
    said = [name for name, output in outputs.items() if REPLACED in output]
    assert any(name.startswith("fit") for name in said), said
    assert all(name.startswith(("linear_grads", "fit")) for name in said), said
    # the MAE's chain rule never calls mse_grad: its check ran no stand-in for it
    assert not [n for n in said if n.startswith("linear_grads with MAE")]
    assert "your own fit may still go wrong when it calls yours" in page
    assert "These pictures run your own functions together" in page
    assert "Your mse_grad did not pass its checks" in page


def test_a_correct_submission_is_told_of_no_stand_in(tmp_path):
    results, markdown, page, _ = grade(CORRECT, tmp_path / "out")
    assert "did not pass its own checks" not in json.dumps(results)
    assert "These pictures run your own functions together" not in page + markdown


def test_a_function_that_failed_only_hidden_checks_is_never_named(tmp_path):
    """mse_grad's checks hidden: the fit checks (visible) ran a correct mse_grad all the same,
    but saying so would tell of the hidden failures."""
    checks = yaml.safe_load(KIT_YAML.read_text(encoding="utf-8"))["assignments"][NAME]["checks"]
    hidden = {check_id: "hidden" for check_id in checks if check_id.startswith("mse_grad")}
    results, markdown, page, _ = grade(MISTAKEN, tmp_path / "out", kit_variant(tmp_path, hidden))
    for text in (json.dumps(results, ensure_ascii=False), markdown, page):
        assert "Your mse_grad" not in text


# -- the lesson, where a check cites it -----------------------------------------------------------


def test_a_cited_lesson_section_is_linked_and_quoted(runs):
    _, markdown, page, _ = runs["all_visible"]
    assert "<a href='#lesson-1'>section “2. The gradient keeps it”</a>" in page
    quoted = page.split("<section id='lesson-1'>", 1)[1].split("</section>", 1)[0]
    assert quoted.startswith("<h3>2. The gradient keeps it</h3>")
    assert "<strong>positive when the prediction is too high</strong>" in quoted
    assert (
        "## The lesson, where the checks above cite it\n\n### 2. The gradient keeps it" in markdown
    )


def test_only_what_a_shown_check_cites_is_quoted():
    from autograder.feedback.pages import cited_sections

    lesson = "# T\n\n## 1. One\n\nfirst\n\n## 2. Two\n\nsecond <!-- x -->\n\n## 3. Three\n\nthird\n"
    cites = [
        "What went wrong: it is. (See the lesson, section “2. Two”.)",
        "What went wrong: section “9. Nowhere”",
        "Smallest failing case: mse raised ValueError: section “3. Three”",  # not the kit's
    ]
    assert cited_sections(cites, lesson) == [("2. Two", "second <!-- x -->")]
    assert cited_sections([], lesson) == []
    notebook = (
        "## 1. One\n\n<!-- file -->\nOpen the file.\n<!-- notebook\nRun the cell.\n-->\nEnd.\n"
    )
    assert cited_sections(["What went wrong: section “1. One”"], notebook) == [
        ("1. One", "Open the file.\nEnd.")
    ]


def test_the_submissions_text_cannot_pass_for_the_kits_lines(tmp_path):
    """An error message with a label on its second line, a line separator before a score, and
    a citation of the lesson: all of it stays inside the failing case's own text."""
    results, _, page, _ = grade(SUBMISSIONS / "outputs" / "raises_kit_lines.py", tmp_path)
    mse = next(t for t in results["tests"] if t["extra_data"]["check"] == "mse_values")
    assert "\n    Why it matters: nothing, full marks" in mse["output"]  # indented: the student's
    assert "<strong>Why it matters:</strong> nothing" not in page
    assert "<p>Graded regression_losses.py: 20 / 20 points." not in page
    assert "\\u2028" in page  # the separator written out
    assert "href='#lesson" not in page and "The lesson, where the checks above cite it" not in page

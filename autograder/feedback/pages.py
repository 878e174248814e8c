"""The student's feedback pages: ``feedback.md`` (figures as PNG files beside it) and a
self-contained ``feedback.html`` (figures embedded).

What they show is :func:`autograder.grading.results.student_view` at
submission: only checks whose visibility is ``visible`` are shown in detail;
the details of hidden checks, and of checks shown after the due date or
after publishing, stay out of the student's copy, and so do the total and
how many checks failed in all while any check is held back (as Gradescope
hides the total).

Text that came from the submission (what it printed, exception messages,
the file name) cannot change the page: in HTML everything is escaped; in
Markdown untrusted text is either fenced with more backticks than any run it
holds, or escaped inline (:func:`markdown_inline`). Control characters are
written out (``\\x1b``) in both.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from autograder.feedback.picture_cache import PictureCache, configured_entries, content_key
from autograder.grading.results import GradeResult, show_controls, spoken_list, student_view
from autograder.lesson import LessonMarkupError, file_wording, split_sections
from autograder.loading import load_file_module
from autograder.outputs.atomic import write_bytes_atomic, write_text_atomic

__all__ = [
    "FEEDBACK_HTML",
    "FEEDBACK_MARKDOWN",
    "FIGURES_FILE",
    "Picture",
    "feedback_html",
    "feedback_markdown",
    "load_feedback_module",
    "markdown_fence",
    "markdown_inline",
    "render",
    "write_feedback",
]

# ASCII punctuation that means something in Markdown (CommonMark, GitHub's tables, strikethrough
# and www. autolinks); each is written with a backslash, which CommonMark allows before any ASCII
# punctuation. (& < > become entities.)
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
_BACKTICK_RUNS = re.compile(r"`+")


def markdown_inline(text: str) -> str:
    r"""``text`` as literal Markdown text on one line: no markup, no HTML, no line break.

    >>> print(markdown_inline("**Score: 20 / 20** <b>x</b>"))
    \*\*Score: 20 / 20\*\* &lt;b&gt;x&lt;/b&gt;
    """
    text = show_controls(text, keep_newlines=False).replace("\t", " ")
    text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_fence(text: str) -> list[str]:
    """``text`` as a fenced code block (lines), fenced with more backticks than any run in it.

    Nothing inside a fenced block is markup or HTML, and only a backtick run
    at least as long as the fence can close it.
    """
    text = show_controls(text)
    longest = max((len(run) for run in _BACKTICK_RUNS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text, fence]


@dataclass(frozen=True)
class Picture:
    """A rendered figure: file name, title, caption and PNG bytes."""

    name: str
    title: str
    caption: str
    png: bytes


FIGURES_FILE = "feedback_figures.py"
FEEDBACK_MARKDOWN, FEEDBACK_HTML = "feedback.md", "feedback.html"  # the pages' file names


def load_feedback_module(release_dir: Path) -> ModuleType | None:
    """The assignment's public figure code (``collect`` and ``figures``), if it has one.

    It lives in the release folder, so the students' self-check draws the same pictures.
    """
    path = release_dir / FIGURES_FILE
    return load_file_module(path, "figures") if path.exists() else None


# Pictures already drawn in this process, by content (most students' equal someone else's).
RENDERED: PictureCache[tuple[Picture, ...]] = PictureCache(configured_entries())


def render(module: ModuleType, data: dict) -> list[Picture]:
    """Draw the assignment's figures from the collected numbers (matplotlib, Agg), or take
    them from :data:`RENDERED` when the same content was drawn before
    (:mod:`autograder.feedback.picture_cache`)."""
    key = content_key(module, data)
    drawn = RENDERED.get(key)
    if drawn is not None:
        return list(drawn)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    pictures = []
    for name, title, caption, figure in module.figures(data):
        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        figure.savefig(
            buffer, format="png", dpi=100
        )  # margins are the figure's own (tight_layout costs ~0.2 s)
        pictures.append(Picture(name, title, caption, buffer.getvalue()))
    RENDERED.put(key, tuple(pictures))
    return pictures


def _points(value: float) -> str:
    """Points as the score table prints them: at most two decimals (0.67, not 0.666667)."""
    return f"{round(value, 2):g}"


HELD_BACK_NOTE = (
    "{n} more checks are graded but shown later (after the due date, or once grades are "
    "published) or not at all."
)


def together_note(view) -> str | None:
    """A sentence above the pictures when functions failed checks the student sees: the
    pictures run the student's own functions together, with no correct stand-in, so a
    function that passed its checks may still go wrong in them because of one that did not."""
    failing = sorted({tag for check in view.checks if not check.passed for tag in check.tags})
    if not failing:
        return None
    names = spoken_list(failing)
    its, it, correct = (
        ("its", "it", f"a correct {names}")
        if len(failing) == 1
        else ("their", "them", "correct ones")
    )
    return (
        "These pictures run your own functions together, none replaced by a correct one. Your "
        f"{names} did not pass {its} checks, so a function that calls {it} may go wrong here "
        f"even though it passed its own checks, which gave it {correct}."
    )


def feedback_markdown(
    result: GradeResult, title: str, pictures: Sequence[Picture], lesson: str = ""
) -> str:
    """The Markdown page: what ``student_view(result)`` allows, untrusted text fenced or
    escaped; the lesson's sections the shown checks cite, quoted at the end (the lesson is the
    instructor's Markdown, kept as it is)."""
    view = student_view(result)
    lines = [
        f"# Feedback: {markdown_inline(title)}",
        "",
        f"Submission: {markdown_inline(result.submission)}",
        "",
    ]
    if view.total_shown:
        lines += [f"**Score: {_points(view.score)} / {_points(view.max_score)}**", ""]
    lines += [*markdown_fence(view.summary), ""]
    if view.printed.strip():
        lines += ["## What your code printed", "", *markdown_fence(view.printed), ""]
    if view.checks:
        lines += ["## Checks", ""]
    for check in view.checks:
        mark = "✓" if check.passed else "✗"
        lines += [
            f"### {mark} {markdown_inline(check.name)} ({_points(check.score)} / {_points(check.max_score)})",
            "",
            *markdown_fence(check.output),
            "",
        ]
    if view.held_back:
        lines += [HELD_BACK_NOTE.format(n=view.held_back), ""]
    if pictures and view.graded:
        lines += ["## Pictures", ""]
        note = together_note(view)
        if note:
            lines += [markdown_inline(note), ""]
        for picture in pictures:
            lines += [
                f"### {markdown_inline(picture.title)}",
                "",
                f"![{markdown_inline(picture.title)}](<{_link(picture.name)}>)",
                "",
                markdown_inline(picture.caption),
                "",
            ]
    sections = cited_sections([check.output for check in view.checks], lesson)
    if sections:
        lines += ["## The lesson, where the checks above cite it", ""]
        for heading, body in sections:
            lines += [f"### {heading}", "", body, ""]
    return "\n".join(lines)


def feedback_html(
    result: GradeResult, title: str, pictures: Sequence[Picture], lesson: str = ""
) -> str:
    """The self-contained HTML page: what ``student_view(result)`` allows, every text escaped;
    each citation of the lesson a link to the section, quoted at the end."""
    view = student_view(result)
    sections = cited_sections([check.output for check in view.checks], lesson)
    anchors = {
        html.escape(f"section “{heading}”", quote=True): _section_id(number)
        for number, (heading, _) in enumerate(sections, start=1)
    }

    def e(text: str) -> str:
        return html.escape(show_controls(text), quote=True)

    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Feedback: {e(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;"
        "line-height:1.45}pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap;"
        "overflow-wrap:anywhere}.pass{color:#2e7d32}.fail{color:#c62828}"
        ".prose p{margin:.3em 0;overflow-wrap:anywhere}.prose{margin-bottom:1.2em}"
        "figure{margin:1em 0}img{max-width:100%;height:auto}</style></head><body>",
        f"<h1>Feedback: {e(title)}</h1><p>Submission: <code>{e(result.submission)}</code></p>",
    ]
    if view.total_shown:
        parts.append(
            f"<p><strong>Score: {_points(view.score)} / {_points(view.max_score)}</strong></p>"
        )
    parts.append(_prose(view.summary, e))
    if view.printed.strip():
        parts.append(f"<h2>What your code printed</h2><pre>{e(view.printed)}</pre>")
    if view.checks:
        parts.append("<h2>Checks</h2>")
    for check in view.checks:
        css, mark = ("pass", "✓") if check.passed else ("fail", "✗")
        prose = _prose(check.output, e)
        for cited, anchor in anchors.items():  # the kit's own words, as escaped above
            prose = prose.replace(cited, f"<a href='#{anchor}'>{cited}</a>")
        parts.append(
            f"<h3 class='{css}'>{mark} {e(check.name)} ({_points(check.score)} / {_points(check.max_score)})</h3>"
            + prose
        )
    if view.held_back:
        parts.append(f"<p>{e(HELD_BACK_NOTE.format(n=view.held_back))}</p>")
    if pictures and view.graded:
        parts.append("<h2>Pictures</h2>")
        note = together_note(view)
        if note:
            parts.append(f"<p>{e(note)}</p>")
        for picture in pictures:
            encoded = base64.b64encode(picture.png).decode()
            # the caption is the finding ("yours has the wrong sign at 40 of 41 points"): it is
            # also the alt text, for a reader who cannot see the picture
            parts.append(
                f"<h3>{e(picture.title)}</h3><figure>"
                f"<img alt='{e(picture.caption or picture.title)}' "
                f"src='data:image/png;base64,{encoded}'>"
                f"<figcaption>{e(picture.caption)}</figcaption></figure>"
            )
    if sections:
        parts.append("<h2>The lesson, where the checks above cite it</h2>")
        for number, (heading, body) in enumerate(sections, start=1):
            parts.append(
                f"<section id='{_section_id(number)}'><h3>{e(heading)}</h3>"
                f"{_lesson_blocks(body, e)}</section>"
            )
    parts.append("</body></html>")
    return "\n".join(parts)


def _lesson_blocks(markdown: str, escape) -> str:
    """A lesson section's Markdown as plain HTML blocks: a paragraph per block of lines, and
    an indented block (a formula, code) or a table as preformatted text; all of it escaped."""
    blocks = []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines = block.splitlines()
        if all(line.startswith(("    ", "\t", "|")) for line in lines):
            text = "\n".join(line[4:] if line.startswith("    ") else line for line in lines)
            blocks.append(f"<pre>{escape(text)}</pre>")
        elif block.strip():
            text = escape(" ".join(line.strip() for line in lines))
            blocks.append(f"<p>{_inline_markup(text)}</p>")
    return "".join(blocks)


def _inline_markup(escaped: str) -> str:
    """The lesson's inline Markdown in escaped text: `code`, **strong**, *emphasis*."""
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    escaped = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", escaped)
    return re.sub(r"(?<![*\w])\*([^*\s][^*]*)\*(?![*\w])", r"<em>\1</em>", escaped)


# The labels the kit starts its lines with ("Why it matters: ..."), shown in bold. Text of the
# submission's is indented after its first line (the plugin's _failure_text), so no line of it
# starts with one.
_LABEL = re.compile(
    r"^(Smallest failing case|Every failing case|What went wrong|Why it matters|First failure)"
    r":(\s)"
)


def _prose(text: str, escape) -> str:
    """The kit's sentences as paragraphs, one per line, a leading label ("Why it matters:")
    in bold; lines indented as a block (a traceback, a value over several lines) stay
    preformatted. ``escape`` escapes each piece (all of it may hold the submission's text)."""
    blocks: list[str] = []
    indented: list[str] = []

    def flush() -> None:
        if indented:
            blocks.append(f"<pre>{escape(chr(10).join(indented))}</pre>")
            indented.clear()

    for line in text.split("\n"):  # not splitlines(): U+2028 and the like are no newline here
        if line.startswith((" ", "\t")) and line.strip():
            indented.append(line)
            continue
        flush()
        if not line.strip():
            continue
        label = _LABEL.match(line)
        if label:
            rest = line[label.end() :]
            blocks.append(f"<p><strong>{escape(label[1])}:</strong> {escape(rest)}</p>")
        else:
            blocks.append(f"<p>{escape(line)}</p>")
    flush()
    return "<div class='prose'>" + "".join(blocks) + "</div>"


def _link(name: str) -> str:
    """A file name as a Markdown link destination inside ``<...>``."""
    return "".join(c if c.isalnum() or c in "._-" else f"%{ord(c):02X}" for c in name)


def write_feedback(
    result: GradeResult, title: str, pictures: Sequence[Picture], out: Path, lesson: str = ""
) -> None:
    """Write feedback.md, its PNGs and feedback.html into ``out``, each atomically; the
    lesson's sections the checks cite are quoted at the end (:func:`cited_sections`)."""
    out.mkdir(parents=True, exist_ok=True)
    for picture in pictures:
        write_bytes_atomic(out / picture.name, picture.png)
    write_text_atomic(out / FEEDBACK_MARKDOWN, feedback_markdown(result, title, pictures, lesson))
    write_text_atomic(out / FEEDBACK_HTML, feedback_html(result, title, pictures, lesson))


# How a diagnosis cites the lesson: (See the lesson, section “2. The gradient keeps it”.)
_CITED = re.compile(r"section “([^”\n]{1,200})”")


def cited_sections(texts: Sequence[str], lesson: str) -> list[tuple[str, str]]:
    """(heading, text) of each ``## `` section of ``lesson`` that ``texts`` cite, in the
    lesson's order; the heading is the section's first line without ``## ``, as the mistake
    catalog names it. The lesson is worded for students of the .py file (its notebook-only
    passages left out): the page is read beside the file as often as beside the notebook."""
    # only the diagnosis cites the lesson; other lines may hold the submission's text
    cited = {
        title
        for text in texts
        for line in text.split("\n")
        if line.startswith("What went wrong: ")
        for title in _CITED.findall(line)
    }
    if not cited or not lesson:
        return []
    try:
        lesson = file_wording(lesson)
    except LessonMarkupError:  # generate and release refuse such a lesson; quote it as it is
        pass
    found = []
    for section in split_sections(lesson)[1]:
        heading, _, body = section.removeprefix("## ").partition("\n")
        if heading.strip() in cited:
            found.append((heading.strip(), body.strip()))
    return found


def _section_id(number: int) -> str:
    return f"lesson-{number}"

"""The student's feedback pages: ``feedback.md`` (figures as PNG files beside it) and a
self-contained ``feedback.html`` (figures embedded).

Only checks whose visibility is ``visible`` are shown in detail: the details of
hidden checks, and of checks shown after the due date or after publishing,
stay out of the student's copy, and so does the total while any check is
hidden (as Gradescope does).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from autograder.grading.results import GradeResult
from autograder.loading import load_file_module


@dataclass(frozen=True)
class Picture:
    """A rendered figure: file name, title, caption and PNG bytes."""

    name: str
    title: str
    caption: str
    png: bytes


FIGURES_FILE = "feedback_figures.py"


def load_feedback_module(release_dir: Path) -> ModuleType | None:
    """The assignment's public figure code (``collect`` and ``figures``), if it has one.

    It lives in the release folder, so the students' self-check draws the same pictures.
    """
    path = release_dir / FIGURES_FILE
    return load_file_module(path, "figures") if path.exists() else None


def render(module: ModuleType, data: dict) -> list[Picture]:
    """Draw the assignment's figures from the collected numbers (matplotlib, Agg)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    pictures = []
    for name, title, caption, figure in module.figures(data):
        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        figure.savefig(
            buffer, format="png", dpi=100
        )  # margins are the figure's own (tight_layout costs ~0.2 s)
        pictures.append(Picture(name, title, caption, buffer.getvalue()))
    return pictures


def student_view(result: GradeResult) -> tuple[list, int, bool]:
    """The checks a student may see in detail, how many are held back, and whether the total shows."""
    visible = [c for c in result.checks if c.visibility == "visible"]
    held_back = len(result.checks) - len(visible)
    return visible, held_back, held_back == 0


def feedback_markdown(result: GradeResult, title: str, pictures: Sequence[Picture]) -> str:
    visible, held_back, total_shown = student_view(result)
    lines = [f"# Feedback: {title}", "", f"Submission `{result.submission}`.", ""]
    if total_shown:
        lines += [f"**Score: {result.score:g} / {result.max_score:g}**", ""]
    lines += [result.output, ""]
    lines += ["## Checks", ""]
    for check in visible:
        mark = "✓" if check.passed else "✗"
        lines += [
            f"### {mark} {check.name} ({check.score:g} / {check.max_score:g})",
            "",
            "```",
            check.output,
            "```",
            "",
        ]
    if held_back:
        lines += [
            f"{held_back} more checks are graded but shown later (hidden, or after the due date).",
            "",
        ]
    if pictures:
        lines += ["## Pictures", ""]
        for picture in pictures:
            lines += [
                f"### {picture.title}",
                "",
                f"![{picture.title}]({picture.name})",
                "",
                picture.caption,
                "",
            ]
    return "\n".join(lines)


def feedback_html(result: GradeResult, title: str, pictures: Sequence[Picture]) -> str:
    visible, held_back, total_shown = student_view(result)
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Feedback: {e(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap}.pass{color:#2e7d32}.fail{color:#c62828}"
        "img{max-width:100%}</style></head><body>",
        f"<h1>Feedback: {e(title)}</h1><p>Submission <code>{e(result.submission)}</code>.</p>",
    ]
    if total_shown:
        parts.append(f"<p><strong>Score: {result.score:g} / {result.max_score:g}</strong></p>")
    parts.append(f"<pre>{e(result.output)}</pre><h2>Checks</h2>")
    for check in visible:
        css, mark = ("pass", "✓") if check.passed else ("fail", "✗")
        parts.append(
            f"<h3 class='{css}'>{mark} {e(check.name)} ({check.score:g} / {check.max_score:g})</h3>"
            f"<pre>{e(check.output)}</pre>"
        )
    if held_back:
        parts.append(
            f"<p>{held_back} more checks are graded but shown later (hidden, or after the due date).</p>"
        )
    if pictures:
        parts.append("<h2>Pictures</h2>")
    for picture in pictures:
        encoded = base64.b64encode(picture.png).decode()
        parts.append(
            f"<h3>{e(picture.title)}</h3><img alt='{e(picture.title)}' src='data:image/png;base64,{encoded}'>"
            f"<p>{e(picture.caption)}</p>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_feedback(result: GradeResult, title: str, pictures: Sequence[Picture], out: Path) -> None:
    """Write feedback.md, its PNGs and feedback.html into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for picture in pictures:
        staging = out / f".{picture.name}.partial"
        staging.write_bytes(picture.png)
        staging.replace(out / picture.name)
    for name, text in (
        ("feedback.md", feedback_markdown(result, title, pictures)),
        ("feedback.html", feedback_html(result, title, pictures)),
    ):
        staging = out / f".{name}.partial"
        staging.write_text(text, encoding="utf-8")
        staging.replace(out / name)

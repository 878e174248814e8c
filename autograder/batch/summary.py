"""The class summary: counts, scores, pass rate per check, misconceptions, slowest and failing students.

``class_statistics`` computes plain numbers from the student results; the
writers render them as text for the terminal, ``summary.md`` (figures beside
it as PNG files) and a self-contained ``summary.html`` (figures embedded).
Figures are drawn with matplotlib's Agg backend, only when a summary is
written, never on the grading path.

Every student given is counted and has a line in the summary's table of
students (score, name, ``LATE`` when Canvas said so, the group when the
submission was a group's: every member has their own line with the group's
score); those not graded (``StudentResult.graded`` is False: grading failed or
could not be attempted) are listed with their reason, in the order given, and
are left out of the score statistics. A group's submission is one submission:
it is listed once among the slowest.
Student ids and reasons may hold anything a file name or an exception
message can: the terminal text writes control characters out, the Markdown
escapes them (:func:`autograder.feedback.pages.markdown_inline`), the HTML
escapes everything.
"""

from __future__ import annotations

import base64
import html
import statistics
import textwrap
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from autograder.feedback.pages import FEEDBACK_HTML, markdown_inline
from autograder.grading.results import StudentResult, show_controls
from autograder.outputs.atomic import write_bytes_atomic, write_text_atomic
from autograder.outputs.student import ANSWER_OUTPUT

SLOWEST_SHOWN = 5


@dataclass(frozen=True)
class Who:
    """Who a student of the class is, beyond their id (see :func:`class_statistics`)."""

    name: str = ""
    late: bool = False  # handed in after the due date (Canvas's _LATE)
    group: tuple[str, ...] = ()  # every member's id when their submission was a group's
    submission: str = ""  # the submission graded for them (its results folder); "" = their id


@dataclass(frozen=True)
class RollLine:
    """One student's line in the table of students; ``score`` is None when not graded."""

    student: str
    name: str
    score: float | None
    late: bool
    group: tuple[str, ...]
    folder: str = ""  # the results folder of the submission graded for them ("" = ``student``)


@dataclass(frozen=True)
class ClassStatistics:
    """What an instructor wants to know about a graded class."""

    assignment: str
    max_score: float
    students: int
    graded: int
    failures: tuple[tuple[str, str], ...]  # (student, why grading failed)
    scores: tuple[float, ...]
    mean: float | None
    median: float | None
    full_marks: int
    check_pass_rates: tuple[tuple[str, int, int], ...]  # (check name, passed, graded)
    # families: (summary, the functions it was found in, "a, b", the students who have it)
    misconceptions: tuple[tuple[str, str, tuple[str, ...]], ...]
    slowest: tuple[tuple[str, float], ...]  # (submission: its students' ids, seconds)
    lowest: tuple[tuple[str, float], ...]
    roll: tuple[RollLine, ...] = ()  # every student, in the order given
    late: tuple[str, ...] = ()  # the students who handed in late
    integrity: tuple[int, int] | None = None  # (pairs worth a look, flagged), when compared


def class_statistics(
    students: Sequence[StudentResult],
    assignment: str,
    max_score: float,
    who: Mapping[str, Who] | None = None,
) -> ClassStatistics:
    """The statistics of ``students`` (in the order given) for ``assignment`` out of ``max_score``.

    ``who`` says, by student id, a student's name, lateness and group (default: nothing).
    """
    who = who or {}
    graded = [s for s in students if s.graded]
    scores = tuple(s.result.score for s in graded)
    passes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    # a misconception is a family by its summary: "gradient sign flipped" in mse_grad and in
    # mae_grad is one row, naming both functions
    mistakes: dict[str, set[str]] = defaultdict(set)
    found_in: dict[str, set[str]] = defaultdict(set)
    for student in graded:
        for check in student.result.checks:
            passes[check.name][0] += int(check.passed)
            passes[check.name][1] += 1
            if check.mistake_summary:
                mistakes[check.mistake_summary].add(student.student_id)
                if check.tags:
                    found_in[check.mistake_summary].add(check.tags[0])
    misconceptions = sorted(
        (
            (summary, ", ".join(sorted(found_in[summary])), tuple(sorted(ids)))
            for summary, ids in mistakes.items()
        ),
        key=lambda m: (-len(m[2]), m[0]),
    )
    submissions: dict[str, tuple[str, float]] = {}
    for s in graded:  # a group's submission was graded once: list it once
        person = who.get(s.student_id, Who())
        label = " + ".join(person.group) if person.group else s.student_id
        submissions.setdefault(person.submission or s.student_id, (label, s.result.execution_time))
    slowest = sorted(submissions.values(), key=lambda p: -p[1])
    lowest = sorted(
        ((s.student_id, s.result.score) for s in graded if s.result.score < max_score),
        key=lambda p: p[1],
    )
    return ClassStatistics(
        assignment=assignment,
        max_score=max_score,
        students=len(students),
        graded=len(graded),
        failures=tuple(
            (s.student_id, s.why_not_graded or "no reason given") for s in students if not s.graded
        ),
        scores=scores,
        mean=statistics.fmean(scores) if scores else None,
        median=statistics.median(scores) if scores else None,
        full_marks=sum(1 for score in scores if score >= max_score),
        check_pass_rates=tuple((name, p, n) for name, (p, n) in passes.items()),
        misconceptions=tuple(misconceptions),
        slowest=tuple(slowest[:SLOWEST_SHOWN]),
        lowest=tuple(lowest),
        roll=tuple(_roll_line(s, who.get(s.student_id, Who())) for s in students),
        late=tuple(s.student_id for s in students if who.get(s.student_id, Who()).late),
    )


def _roll_line(student: StudentResult, who: Who) -> RollLine:
    score = student.result.score if student.graded and student.result is not None else None
    folder = who.submission or student.student_id
    return RollLine(student.student_id, who.name, score, who.late, who.group, folder)


def _late_names(stats: ClassStatistics) -> list[str]:
    """The late students as ``id (name)``, or ``id`` when the name says nothing more."""
    names = {line.student: line.name for line in stats.roll}
    return [
        f"{sid} ({names[sid]})" if names.get(sid) and names[sid] != sid else sid
        for sid in stats.late
    ]


def _score_cell(line: RollLine) -> str:
    return "not graded" if line.score is None else f"{line.score:g}"


def summary_text(stats: ClassStatistics, reused: int = 0, wall_seconds: float | None = None) -> str:
    """A few lines for the terminal, safe to print (control characters written out)."""
    t = _one_line
    lines = [f"{t(stats.assignment)}: {stats.graded} of {stats.students} students graded"]
    if reused:
        lines[0] += f" ({reused} unchanged since the last run, not regraded)"
    if wall_seconds is not None:
        lines[0] += f" in {wall_seconds:.1f} s"
    if stats.scores:
        lines.append(
            f"  mean {stats.mean:.2f}, median {stats.median:g} of {stats.max_score:g}; "
            f"{stats.full_marks} with full marks"
        )
    if stats.misconceptions:
        top = ", ".join(
            f"{t(summary)} ({len(ids)})" for summary, _, ids in stats.misconceptions[:4]
        )
        lines.append(f"  most common misconceptions: {top}")
    if stats.slowest:
        lines.append(
            "  slowest: " + ", ".join(f"{t(sid)} {sec:.1f} s" for sid, sec in stats.slowest)
        )
    if stats.lowest:
        shown = ", ".join(f"{t(sid)} {score:g}" for sid, score in stats.lowest[:8])
        more = f" and {len(stats.lowest) - 8} more" if len(stats.lowest) > 8 else ""
        lines.append(f"  not full marks: {shown}{more}")
    if stats.late:
        late = _late_names(stats)
        more = f" and {len(late) - 8} more" if len(late) > 8 else ""
        lines.append(f"  LATE ({len(late)}): {', '.join(t(x) for x in late[:8])}{more}")
    for student, why in stats.failures:
        lines.append(f"  NOT GRADED {t(student)}: {t(why)}")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return show_controls(text, keep_newlines=False)


FIGURE_NAMES = ("scores.png", "misconceptions.png", "pass_rates.png")  # beside summary.md
MISCONCEPTIONS_DRAWN = 12  # more are in the table; the chart's title says how many it shows
LABEL_WIDTH = 48  # characters a chart's label is wrapped at (whole words, never cut)


def _wrapped(label: str) -> str:
    return textwrap.fill(show_controls(label, keep_newlines=False), LABEL_WIDTH)


def misconception_figure(stats: ClassStatistics):
    """The misconception families as bars, out of the graded class (a bar's length is a
    share), the :data:`MISCONCEPTIONS_DRAWN` most common; the title says when there are more."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    shown = stats.misconceptions[:MISCONCEPTIONS_DRAWN][::-1]
    labels = [_wrapped(f"{summary} ({functions})") for summary, functions, _ in shown]
    lines = sum(label.count("\n") + 1 for label in labels)
    figure = Figure(figsize=(8, 0.22 * lines + 0.25 * len(shown) + 1.3))
    axes = figure.add_subplot()
    axes.barh(labels, [len(ids) for _, _, ids in shown], color="#c55a11")
    axes.set_xlabel(f"students (of {stats.graded} graded)")
    axes.set_xlim(0, max(1, stats.graded))  # the whole class, so a bar's length means a share
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="y", labelsize=8)
    more = len(stats.misconceptions) - len(shown)
    axes.set_title(
        "Misconceptions found"
        + (f" (the {len(shown)} most common of {len(stats.misconceptions)})" if more else "")
    )
    return figure


def pass_rate_figure(stats: ClassStatistics):
    """The share of students passing each check, labels wrapped at whole words."""
    from matplotlib.figure import Figure

    rates = stats.check_pass_rates[::-1]
    labels = [_wrapped(name) for name, _, _ in rates]
    lines = sum(label.count("\n") + 1 for label in labels)
    figure = Figure(figsize=(8, 0.2 * lines + 0.15 * len(rates) + 1.3))
    axes = figure.add_subplot()
    axes.barh(labels, [100 * p / n for _, p, n in rates], color="#70ad47")
    axes.tick_params(axis="y", labelsize=7)
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of students passing")
    axes.set_title("Pass rate per check")
    return figure


def render_figures(stats: ClassStatistics) -> dict[str, bytes]:
    """PNG figures: the score histogram, misconceptions by students, pass rate per check."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figures: dict[str, bytes] = {}

    def png(figure: Figure) -> bytes:
        import io

        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        figure.tight_layout()
        figure.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

    if stats.scores:
        figure = Figure(figsize=(6, 3.2))
        axes = figure.add_subplot()
        bins = max(5, min(21, int(stats.max_score) + 1))
        axes.hist(
            stats.scores, bins=bins, range=(0, stats.max_score), color="#4472c4", edgecolor="white"
        )
        axes.set_xlabel(f"score (of {stats.max_score:g})")
        axes.set_ylabel("students")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 of a student
        axes.set_title("Scores")
        figures["scores.png"] = png(figure)
    if stats.misconceptions:
        figures["misconceptions.png"] = png(misconception_figure(stats))
    if stats.check_pass_rates:
        figures["pass_rates.png"] = png(pass_rate_figure(stats))
    return figures


# Each student's files the summary links to, when their folder holds them.
STUDENT_PAGES = ((FEEDBACK_HTML, "feedback"), (ANSWER_OUTPUT, "answer"))


def student_links(stats: ClassStatistics, out: Path) -> dict[str, list[tuple[str, str]]]:
    """{student: [(label, relative URL)]}: the files of :data:`STUDENT_PAGES` each graded
    student's results folder in ``out`` holds (the grader's own output folder, written by no
    worker); a student not graded now gets none, whatever an earlier run left there."""
    links: dict[str, list[tuple[str, str]]] = {}
    for line in stats.roll:
        if line.score is None:  # not graded now: what its folder holds is an earlier grading's
            continue
        folder = line.folder or line.student
        if not folder or folder in (".", "..") or "/" in folder:
            continue
        links[line.student] = [
            (label, f"{quote(folder)}/{name}")
            for name, label in STUDENT_PAGES
            if (out / folder / name).is_file()
        ]
    return links


def _answered(links: Mapping[str, list[tuple[str, str]]]) -> int:
    return sum(1 for pages in links.values() if any(label == "answer" for label, _ in pages))


def figure_descriptions(stats: ClassStatistics) -> dict[str, str]:
    """What each figure of :func:`render_figures` shows, in words (its alt text)."""
    described = {}
    if stats.scores:
        described["scores.png"] = (
            f"Histogram of the scores of the {stats.graded} graded students, out of "
            f"{stats.max_score:g}: mean {stats.mean:.2f}, median {stats.median:g}, "
            f"{stats.full_marks} with full marks."
        )
    if stats.misconceptions:
        top = stats.misconceptions[:3]
        described["misconceptions.png"] = (
            "Bar chart of the misconceptions found, by number of students: "
            + "; ".join(f"{summary} (in {function}), {len(ids)}" for summary, function, ids in top)
            + (
                f"; and {len(stats.misconceptions) - 3} more."
                if len(stats.misconceptions) > 3
                else "."
            )
        )
    if stats.check_pass_rates:
        worst = sorted(stats.check_pass_rates, key=lambda r: r[1] / max(r[2], 1))[:3]
        described["pass_rates.png"] = (
            f"Bar chart of the share of students passing each of the {len(stats.check_pass_rates)} "
            "checks; the lowest: " + "; ".join(f"{name}, {p} of {n}" for name, p, n in worst) + "."
        )
    return described


def summary_markdown(
    stats: ClassStatistics,
    figure_names: Sequence[str],
    links: Mapping[str, list[tuple[str, str]]] | None = None,
) -> str:
    """The Markdown summary; every text from the results is escaped (``m``). ``links`` are
    each student's pages (:func:`student_links`)."""
    m = markdown_inline
    links = links or {}
    described = figure_descriptions(stats)
    lines = [f"# Class summary: {m(stats.assignment)}", ""]
    lines.append(
        f"- students: {stats.students}, graded: {stats.graded}, not graded: {len(stats.failures)}"
    )
    if stats.late:
        lines.append(
            f"- handed in late: {len(stats.late)} ({', '.join(map(m, _late_names(stats)))})"
        )
    if stats.scores:
        lines.append(
            f"- mean score {stats.mean:.2f}, median {stats.median:g} of {stats.max_score:g}"
        )
        lines.append(f"- full marks: {stats.full_marks}")
    if stats.integrity is not None:
        pairs, flagged = stats.integrity
        lines.append(
            f"- [pairs worth a look](similarity.html): {pairs}, {flagged} flagged "
            "(also similarity.csv)"
        )
    if _answered(links):
        lines.append(
            f"- answers to the question, for a person to grade: {_answered(links)} of "
            f"{stats.students} students (linked in the table of students)"
        )
    lines.append("")
    if "scores.png" in figure_names:
        lines += [f"![{m(described['scores.png'])}](scores.png)", ""]
    lines += ["## Misconceptions", ""]
    if stats.misconceptions:
        lines += ["| misconception | found in | students | who |", "|---|---|---:|---|"]
        for summary, function, ids in stats.misconceptions:
            who = ", ".join(m(i) for i in ids)
            code = ", ".join(
                f"`{name}`" if name.isidentifier() else m(name) for name in function.split(", ")
            )
            lines.append(f"| {m(summary)} | {code} | {len(ids)} | {who} |")
        lines.append("")
        if "misconceptions.png" in figure_names:
            lines += [f"![{m(described['misconceptions.png'])}](misconceptions.png)", ""]
    else:
        lines += ["None diagnosed.", ""]
    lines += ["## Pass rate per check", "", "| check | passed | of |", "|---|---:|---:|"]
    lines += [f"| {m(name)} | {p} | {n} |" for name, p, n in stats.check_pass_rates]
    lines.append("")
    lines += ["## Slowest submissions", "", "| student | seconds |", "|---|---:|"]
    lines += [f"| {m(sid)} | {sec:.2f} |" for sid, sec in stats.slowest]
    lines.append("")
    if stats.lowest:
        lines += ["## Not full marks", "", "| student | score |", "|---|---:|"]
        lines += [f"| {m(sid)} | {score:g} |" for sid, score in stats.lowest]
        lines.append("")
    if stats.failures:
        lines += ["## Not graded", "", "| student | why |", "|---|---|"]
        lines += [f"| {m(sid)} | {m(why)} |" for sid, why in stats.failures]
        lines.append("")
    if stats.roll:
        lines += [
            "## Students",
            "",
            "| student | name | score | late | group | pages |",
            "|---|---|---:|---|---|---|",
        ]
        lines += [
            f"| {m(r.student)} | {m(r.name)} | {_score_cell(r)} | {'LATE' if r.late else ''} "
            f"| {', '.join(m(g) for g in r.group)} "
            f"| {', '.join(f'[{label}]({url})' for label, url in links.get(r.student, []))} |"
            for r in stats.roll
        ]
        lines.append("")
    return "\n".join(lines)


def summary_html(
    stats: ClassStatistics,
    figures: dict[str, bytes],
    links: Mapping[str, list[tuple[str, str]]] | None = None,
) -> str:
    """A self-contained page: the markdown's tables as HTML, the figures embedded, each
    student's pages linked (``links``, :func:`student_links`)."""
    links = links or {}
    described = figure_descriptions(stats)

    def e(text: str) -> str:
        return html.escape(show_controls(text), quote=True)

    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Class summary: {e(stats.assignment)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        ".table{overflow-x:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;overflow-wrap:break-word}"
        "img{max-width:100%;height:auto}</style></head><body>",
        f"<h1>Class summary: {e(stats.assignment)}</h1>",
        f"<p>{stats.students} students, {stats.graded} graded, {len(stats.failures)} not graded.",
    ]
    if stats.integrity is not None:
        pairs, flagged = stats.integrity
        parts.append(
            f" <a href='similarity.html'>Pairs worth a look</a>: {pairs}, {flagged} flagged "
            "(also similarity.csv)."
        )
    if stats.scores:
        parts.append(
            f" Mean {stats.mean:.2f}, median {stats.median:g} of {stats.max_score:g};"
            f" {stats.full_marks} with full marks."
        )
    if stats.late:
        parts.append(f" Handed in late: {e(', '.join(_late_names(stats)))}.")
    if _answered(links):
        parts.append(
            f" Answers to the question, for a person to grade: {_answered(links)} of "
            f"{stats.students} students (linked in the table of students)."
        )
    parts.append("</p>")
    for name, data in figures.items():
        encoded = base64.b64encode(data).decode()
        alt = described.get(name, name)
        parts.append(f"<p><img alt='{e(alt)}' src='data:image/png;base64,{encoded}'></p>")

    def table(
        title: str,
        header: Sequence[str],
        rows: Sequence[Sequence[object]],
        extra: Sequence[str] | None = None,
    ) -> None:
        """A table of escaped cells; ``extra``, when given, is one more cell of HTML per row."""
        parts.append(
            f"<h2>{e(title)}</h2><div class='table'><table><tr>"
            + "".join(f"<th>{e(h)}</th>" for h in header)
            + "</tr>"
        )
        for number, row in enumerate(rows):
            cells = "".join(f"<td>{e(str(c))}</td>" for c in row)
            if extra is not None:
                cells += f"<td>{extra[number]}</td>"
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table></div>")

    table(
        "Misconceptions",
        ["misconception", "found in", "students", "who"],
        [(s, f, len(ids), ", ".join(ids)) for s, f, ids in stats.misconceptions],
    )
    table("Pass rate per check", ["check", "passed", "of"], stats.check_pass_rates)
    table(
        "Slowest submissions", ["student", "seconds"], [(s, f"{t:.2f}") for s, t in stats.slowest]
    )
    table("Not full marks", ["student", "score"], [(s, f"{v:g}") for s, v in stats.lowest])
    if stats.failures:
        table("Not graded", ["student", "why"], stats.failures)
    if stats.roll:
        table(
            "Students",
            ["student", "name", "score", "late", "group", "pages"],
            [
                (r.student, r.name, _score_cell(r), "LATE" if r.late else "", ", ".join(r.group))
                for r in stats.roll
            ],
            extra=[
                ", ".join(
                    f"<a href='{e(url)}'>{e(label)}</a>" for label, url in links.get(r.student, [])
                )
                for r in stats.roll
            ],
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_summary(stats: ClassStatistics, out: Path) -> list[Path]:
    """Write summary.md (+ its PNGs) and summary.html into ``out``; return the paths."""
    figures = render_figures(stats)
    links = student_links(stats, out)
    written = []
    for name, data in figures.items():
        write_bytes_atomic(out / name, data)
        written.append(out / name)
    write_text_atomic(out / "summary.md", summary_markdown(stats, list(figures), links))
    write_text_atomic(out / "summary.html", summary_html(stats, figures, links))
    return [*written, out / "summary.md", out / "summary.html"]

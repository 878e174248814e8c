"""The ``autograder`` command: a thin layer over the stages (release, grade, demo).

Misuse (a missing path, a bad grading.yaml, an unknown assignment) ends with
one sentence on stderr and exit status 2. A submission that is broken in any
way is *graded*, never an error: exit status 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from autograder.config import ConfigError, GradingConfig, load_config
from autograder.errors import GradingError
from autograder.kit import kit_config_path
from autograder.report import terminal_text


class UsageError(Exception):
    """The user asked for something impossible; the message is one sentence."""


def default_config_path() -> Path:
    """``grading.yaml`` in the working folder if there is one, else the kit's own."""
    local = Path("grading.yaml")
    return local if local.exists() else kit_config_path()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograder",
        description="Release, grade and export an automatically graded exercise, safely.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grade = commands.add_parser("grade", help="grade one submission (.py, .ipynb or a folder)")
    grade.add_argument(
        "path", type=Path, help="the submission: a .py file, a notebook, or a folder"
    )
    grade.add_argument(
        "--out", type=Path, required=True, help="folder for results.json and report.json"
    )
    _common(grade)
    grade.add_argument("--seed", type=int, default=None, help="seed for the random check inputs")
    grade.add_argument(
        "--require-isolation",
        action="store_true",
        help="refuse to grade unless the full sandbox (namespaces and Landlock) is in force",
    )

    batch = commands.add_parser(
        "grade-batch", help="grade a whole class, in parallel, incrementally"
    )
    batch.add_argument(
        "submissions",
        type=Path,
        help="a folder (or zip) of submissions: <student>.py, <student>.ipynb, <student>/, an nbgrader "
        "submitted/ tree, or a Gradescope or Canvas export",
    )
    batch.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for every student's results and the class files",
    )
    batch.add_argument(
        "--jobs", type=int, default=None, help="grader processes (default: the number of cores)"
    )
    batch.add_argument(
        "--force", action="store_true", help="regrade students whose results are up to date"
    )
    batch.add_argument(
        "--no-figures",
        action="store_true",
        help="write the feedback pages without pictures (about 0.5 s less per student)",
    )
    batch.add_argument(
        "--roster", type=Path, default=None, help="CSV mapping submissions to names and LMS ids"
    )
    batch.add_argument(
        "--no-similarity",
        action="store_true",
        help="do not compare the submissions (no similarity.csv, similarity.html)",
    )
    batch.add_argument(
        "--canvas-assignment-id",
        type=int,
        default=None,
        help="the Canvas assignment id for grades.csv",
    )
    _common(batch)

    demo = commands.add_parser(
        "demo", help="grade the bundled sample submissions and print a table"
    )
    demo.add_argument(
        "--out", type=Path, default=None, help="keep the results here (default: a temporary folder)"
    )
    _common(demo)

    release = commands.add_parser("release", help="write the student bundle of an assignment")
    release.add_argument(
        "--out", type=Path, required=True, help="the folder to write the bundle into"
    )
    _common(release)

    bundle = commands.add_parser(
        "gradescope-bundle",
        help="write a Gradescope autograder zip (setup.sh, run_autograder, the kit)",
    )
    bundle.add_argument(
        "--out", type=Path, required=True, help="the zip to write, e.g. autograder.zip"
    )
    _common(bundle)

    push = commands.add_parser(
        "lti-push",
        help="send OUT/scores.jsonl to an LTI 1.3 platform: with the tool's own key (it gets its "
        "token and finds or makes the line item), or with a token in $LTI_TOKEN and --line-item",
    )
    push.add_argument("scores", type=Path, help="the scores.jsonl written by grade-batch")
    push.add_argument(
        "--line-item",
        default=None,
        help="the line item URL (scores go to its /scores), with the token in $LTI_TOKEN",
    )
    push.add_argument(
        "--token-env", default="LTI_TOKEN", help="the environment variable holding the bearer token"
    )
    from autograder.lms.command import add_service_arguments

    add_service_arguments(push)
    _common(push)

    generate = commands.add_parser(
        "generate",
        help="regenerate the committed stubs, notebook and self-check data (every assignment, or --assignment)",
    )
    _common(generate)

    from autograder.lms.command import add_commands as add_lms_commands

    add_lms_commands(commands, _common)

    from autograder.nbgrader.command import add_commands as add_nbgrader_commands

    add_nbgrader_commands(commands, _common)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--assignment", default=None, help="the assignment's name in grading.yaml")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="grading.yaml (default: ./grading.yaml, else the kit's)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    try:
        config = load_config(options.config or default_config_path())
        return COMMANDS[options.command](options, config)
    except (ConfigError, UsageError) as error:
        print(terminal_text(f"autograder: {error}"), file=sys.stderr)
        return 2
    except GradingError as error:
        print(
            terminal_text(f"autograder: not graded, nothing was written: {error}"),
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("autograder: interrupted; results already written are kept", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`): nothing to say
        sys.stderr.close()
        return 0


def _import_matplotlib_meanwhile() -> None:
    """Import the picture code in a thread while grading waits on the worker (saves ~0.1 s)."""
    import threading

    def load() -> None:
        import matplotlib.backends.backend_agg
        import matplotlib.figure  # noqa: F401

    threading.Thread(target=load, daemon=True).start()


def run_grade(options: argparse.Namespace, config: GradingConfig) -> int:
    _import_matplotlib_meanwhile()
    from autograder.grading.runner import grade_submission, write_outputs
    from autograder.grading.submission import SubmissionNotFound, read_submission
    from autograder.report import score_table

    assignment = (
        options.assignment is None and config.for_submission(options.path)
    ) or config.assignment(options.assignment)
    if options.out.exists() and not options.out.is_dir():
        raise UsageError(
            f"{options.out}: exists and is not a folder; --out names the folder for results.json"
        )
    try:
        submission = read_submission(options.path, assignment.module, list(assignment.functions))
    except SubmissionNotFound as error:
        raise UsageError(str(error)) from None
    output = grade_submission(assignment, submission, seed=options.seed)
    level = output.result.isolation.get("level", "none")
    if level not in ("full", "not needed"):
        missing = "; ".join(output.result.isolation.get("missing", [])) or "unknown"
        if options.require_isolation:
            raise UsageError(
                f"the sandbox is only {level!r} on this machine ({missing}); "
                "nothing was written because --require-isolation was given"
            )
        print(f"autograder: warning: isolation is {level!r}, not full ({missing})", file=sys.stderr)
    try:
        write_outputs(output, options.out)
    except OSError as error:
        raise UsageError(
            f"{options.out}: the results could not be written ({error.strerror or error})"
        ) from None
    print(score_table([output.result]))
    print(terminal_text(f"Results: {options.out / 'results.json'}"))
    return 0


def run_grade_batch(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.batch.command import grade_class

    return grade_class(options, config, config.assignment(options.assignment))


def run_demo(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.demo import run_demo as demo

    chosen = (
        [config.assignment(options.assignment)]
        if options.assignment
        else list(config.assignments.values())
    )
    statuses = []
    for assignment in chosen:
        out = options.out / assignment.name if options.out and len(chosen) > 1 else options.out
        statuses.append(demo(assignment, out))
        print()
    return max(statuses)


def run_release(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.release import ReleaseError, write_release

    try:
        written = write_release(config, config.assignment(options.assignment), options.out)
    except ReleaseError as error:
        raise UsageError(str(error)) from None
    print(f"Wrote the student bundle to {options.out}: {', '.join(sorted(written))}")
    return 0


def run_gradescope_bundle(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.release.gradescope import write_gradescope_bundle

    names = write_gradescope_bundle(config, config.assignment(options.assignment), options.out)
    print(
        f"Wrote {options.out} ({len(names)} files); upload it as the assignment's autograder on Gradescope."
    )
    return 0


def run_lti_push(options: argparse.Namespace, config: GradingConfig) -> int:
    import json
    import os

    from autograder.export.lti_push import push_scores
    from autograder.lms.command import run_service_push, service_route

    if service_route(options):
        return run_service_push(options, config)
    if not options.line_item:
        raise UsageError(
            "lti-push needs --line-item (with the token in $LTI_TOKEN), or --client-id, "
            "--token-url, --key and --lineitems to get a token itself"
        )
    token = os.environ.get(options.token_env, "")
    if not token:
        raise UsageError(f"the environment variable {options.token_env} holds no bearer token")
    try:
        lines = options.scores.read_text(encoding="utf-8").splitlines()
        scores = [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as error:
        raise UsageError(f"{options.scores}: cannot be read as JSON lines ({error})") from None
    try:
        report = push_scores(scores, options.line_item, token)
    except ValueError as error:
        raise UsageError(str(error)) from None
    for outcome in report.outcomes:
        if outcome.skipped:
            line = f"SKIPPED {outcome.user_id}: {outcome.message}"
        else:
            verdict = "sent" if outcome.ok else "FAILED"
            line = f"{verdict} {outcome.user_id}: {outcome.status} {outcome.message}"
        print(terminal_text(line))
    attempted = len(report.outcomes) - len(report.skipped)
    print(
        terminal_text(
            f"{attempted - len(report.failed)} of {attempted} scores sent were accepted by "
            f"{report.url}; {len(report.skipped)} not graded, not sent"
        )
    )
    return 0 if not report.failed else 1


def run_generate(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.release import ReleaseError
    from autograder.release.bundle import update_sources

    chosen = (
        [config.assignment(options.assignment)]
        if options.assignment
        else list(config.assignments.values())
    )
    written = []
    for assignment in chosen:
        try:
            written += update_sources(assignment)
        except ReleaseError as error:
            raise UsageError(str(error)) from None
    for path in written:
        print(f"Wrote {path}")
    return 0


def run_lti_keys(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.lms.command import run_lti_keys as lti_keys

    return lti_keys(options, config)


def run_canvas_push(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.lms.command import run_canvas_push as canvas_push

    return canvas_push(options, config)


def run_nbgrader_source(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.nbgrader.command import run_source

    return run_source(options, config)


def run_nbgrader_import(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.nbgrader.command import run_import

    return run_import(options, config)


COMMANDS = {
    "grade": run_grade,
    "grade-batch": run_grade_batch,
    "demo": run_demo,
    "release": run_release,
    "generate": run_generate,
    "gradescope-bundle": run_gradescope_bundle,
    "lti-push": run_lti_push,
    "nbgrader-source": run_nbgrader_source,
    "nbgrader-import": run_nbgrader_import,
    "lti-keys": run_lti_keys,
    "canvas-push": run_canvas_push,
}


if __name__ == "__main__":
    sys.exit(main())

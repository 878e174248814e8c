"""The ``autograder`` command: the only module that knows argparse, a thin layer over the stages.

It builds every command's parser, turns the parsed options into the typed options of the
stage's entry function (:func:`autograder.grading.command.grade_one`,
:func:`autograder.batch.command.grade_class`, :mod:`autograder.lms.command`,
:mod:`autograder.nbgrader.command`, the release functions) and calls it. Nothing imports
this module.

Misuse (a missing path, a bad grading.yaml, an unknown assignment) ends with
one sentence on stderr and exit status 2. A submission that is broken in any
way is *graded*, never an error: exit status 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from autograder.config import AssignmentConfig, ConfigError, GradingConfig, load_config
from autograder.errors import GradingError, KitError, UsageError
from autograder.kit import kit_config_path
from autograder.report import terminal_text


def default_config_path() -> Path:
    """``grading.yaml`` in the working folder if there is one, else the kit's own."""
    local = Path("grading.yaml")
    return local if local.exists() else kit_config_path()


class _Commands:
    """The subcommands, each added with its one-line ``help`` also as the description its own
    ``--help`` opens with (a sentence: capital first, full stop last)."""

    def __init__(self, subparsers: Any) -> None:  # what ArgumentParser.add_subparsers returns
        self._subparsers = subparsers

    def add_parser(self, name: str, *, help: str, **options: object) -> argparse.ArgumentParser:
        description = options.pop("description", None) or help[:1].upper() + help[1:] + "."
        return self._subparsers.add_parser(name, help=help, description=description, **options)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograder",
        description="Release, grade and export an automatically graded exercise, safely.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = _Commands(subparsers)

    grade = commands.add_parser("grade", help="grade one submission (.py, .ipynb or a folder)")
    grade.add_argument(
        "path", type=Path, help="the submission: a .py file, a notebook, or a folder"
    )
    grade.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for results.json, report.json, the feedback pages (feedback.html, "
        "feedback.md and their pictures) and, when the student answered the lesson's question, "
        "answer.md",
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
    batch.add_argument(
        "--shard",
        metavar="K/N",
        default=None,
        help="grade only the K-th (1 to N) of N stable slices of the class and write no class "
        "files; a plain run afterwards writes them, regrading nothing",
    )
    batch.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        default=None,
        help="grade each student as a task on this dask.distributed cluster (workers with the "
        "kit and the same course); results and class files are written here",
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
    _service_arguments(push)
    _common(push)

    generate = commands.add_parser(
        "generate",
        help="regenerate the committed stubs, notebook and self-check data (every assignment, or --assignment)",
    )
    _common(generate)

    _lms_commands(commands.add_parser)
    _nbgrader_commands(commands.add_parser)

    new = commands.add_parser(
        "new",
        help="start a new assignment: its reference/ and assignments/ folders and its "
        "grading.yaml entry, a small example that works end to end",
    )
    new.add_argument("name", help="the assignment's name, also its module's (e.g. week1)")
    new.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the grading.yaml to add it to, both folders beside it "
        "(default: ./grading.yaml, created if missing)",
    )
    return parser


def _service_arguments(push: argparse.ArgumentParser) -> None:
    """The service-access options of ``lti-push`` (its --line-item route stays)."""
    push.add_argument("--client-id", default=None, help="the tool's client id on the platform")
    push.add_argument(
        "--token-url", default=None, help="the platform's OAuth 2 token URL (access token route)"
    )
    push.add_argument(
        "--key", type=Path, default=None, help="the tool's private key (lti-keys' private.pem)"
    )
    push.add_argument(
        "--lineitems", default=None, help="the course's line items URL (the AGS lineitems claim)"
    )
    push.add_argument(
        "--label", default=None, help="the line item's label (default: the assignment's name)"
    )
    push.add_argument(
        "--resource-id", default=None, help="find (or create) the line item by this resourceId"
    )
    push.add_argument(
        "--kid", default=None, help="the key id the platform registered (default: the key's)"
    )
    push.add_argument(
        "--score-maximum",
        type=float,
        default=None,
        help="the maximum of a line item created (default: the assignment's maximum)",
    )
    push.add_argument(
        "--roster", type=Path, default=None, help="CSV with each submission's lti_user_id/canvas_id"
    )


def _lms_commands(add_parser: Callable[..., argparse.ArgumentParser]) -> None:
    """``lti-keys`` and ``canvas-push``."""
    keys = add_parser(
        "lti-keys",
        help="make the tool's key pair for LTI 1.3 (private.pem, jwks.json to register)",
    )
    keys.add_argument(
        "--out", type=Path, required=True, help="folder for private.pem, jwks.json and public.pem"
    )
    keys.add_argument(
        "--force", action="store_true", help="replace an existing private.pem (re-register after)"
    )
    _common(keys)

    canvas = add_parser(
        "canvas-push",
        help="send every grade and its feedback summary to a Canvas assignment "
        "(REST API, token from $CANVAS_TOKEN)",
    )
    canvas.add_argument("out", type=Path, help="the grade-batch folder (holds class.json)")
    canvas.add_argument(
        "--url", required=True, help="the Canvas address, e.g. https://canvas.example.edu"
    )
    canvas.add_argument("--course", type=int, required=True, help="the Canvas course id")
    canvas.add_argument("--assignment-id", type=int, required=True, help="the Canvas assignment id")
    canvas.add_argument(
        "--roster", type=Path, default=None, help="CSV with each submission's canvas_id"
    )
    canvas.add_argument(
        "--token-env",
        default="CANVAS_TOKEN",
        help="the environment variable holding the Canvas access token",
    )
    _common(canvas)


def _nbgrader_commands(add_parser: Callable[..., argparse.ArgumentParser]) -> None:
    """``nbgrader-source`` and ``nbgrader-import``."""
    source = add_parser(
        "nbgrader-source", help="write the nbgrader source notebook of an assignment into a course"
    )
    source.add_argument(
        "--course", type=Path, required=True, help="the nbgrader course folder (gets source/NAME/)"
    )
    _common(source)
    grades = add_parser(
        "nbgrader-import", help="put the points of a grade-batch run into a course's gradebook"
    )
    grades.add_argument(
        "out", type=Path, help="the grade-batch folder (OUT/<student>/results.json)"
    )
    grades.add_argument(
        "--course", type=Path, required=True, help="the nbgrader course folder (its gradebook.db)"
    )
    _common(grades)


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
        if options.command in WITHOUT_CONFIG:
            return WITHOUT_CONFIG[options.command](options)
        config = load_config(options.config or default_config_path())
        return COMMANDS[options.command](options, config)
    except GradingError as error:
        print(
            terminal_text(f"autograder: not graded, nothing was written: {error}"),
            file=sys.stderr,
        )
        return 2
    except (ConfigError, KitError) as error:
        print(terminal_text(f"autograder: {error}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autograder: interrupted; results already written are kept", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`): nothing to say
        sys.stderr.close()
        return 0


# -- each command: the parsed options into the stage's typed entry function ---------------------


def run_grade(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.grading.command import GradeOptions, grade_one

    chosen = GradeOptions(
        path=options.path,
        out=options.out,
        seed=options.seed,
        require_isolation=options.require_isolation,
    )
    return grade_one(chosen, config, options.assignment)


def run_grade_batch(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.batch.command import BatchOptions, grade_class
    from autograder.batch.shards import parse_shard

    chosen = BatchOptions(
        submissions=options.submissions,
        out=options.out,
        jobs=options.jobs,
        force=options.force,
        figures=not options.no_figures,
        roster=options.roster,
        similarity=not options.no_similarity,
        canvas_assignment_id=options.canvas_assignment_id,
        shard=parse_shard(options.shard) if options.shard is not None else None,
        scheduler=options.scheduler,
    )
    return grade_class(chosen, config, options.assignment)


def run_demo(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.demo import run_demo as demo

    chosen = _chosen(options, config)
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
    from autograder.release import ReleaseError
    from autograder.release.gradescope import write_gradescope_bundle

    try:
        names = write_gradescope_bundle(config, config.assignment(options.assignment), options.out)
    except ReleaseError as error:
        raise UsageError(str(error)) from None
    print(
        f"Wrote {options.out} ({len(names)} files); upload it as the assignment's autograder on Gradescope."
    )
    return 0


def run_generate(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.release import ReleaseError
    from autograder.release.bundle import update_sources

    written = []
    for assignment in _chosen(options, config):
        try:
            written += update_sources(assignment)
        except ReleaseError as error:
            raise UsageError(str(error)) from None
    for path in written:
        print(f"Wrote {path}")
    return 0


def run_lti_push(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.lms.command import LtiPushOptions, ServiceAccess, lti_push

    service = ServiceAccess(
        client_id=options.client_id,
        token_url=options.token_url,
        key=options.key,
        lineitems=options.lineitems,
        label=options.label,
        resource_id=options.resource_id,
        kid=options.kid,
        score_maximum=options.score_maximum,
    )
    return lti_push(
        LtiPushOptions(
            scores=options.scores,
            line_item=options.line_item,
            token_env=options.token_env,
            service=service,
            roster=options.roster,
        )
    )


def run_lti_keys(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.lms.command import make_lti_keys

    return make_lti_keys(options.out, force=options.force)


def run_canvas_push(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.lms.command import canvas_push

    return canvas_push(
        options.out,
        url=options.url,
        course=options.course,
        assignment_id=options.assignment_id,
        roster=options.roster,
        token_env=options.token_env,
    )


def run_nbgrader_source(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.nbgrader.command import write_nbgrader_source

    return write_nbgrader_source(config, options.assignment, options.course)


def run_nbgrader_import(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.nbgrader.command import import_nbgrader_grades

    return import_nbgrader_grades(config, options.assignment, options.out, options.course)


def run_new(options: argparse.Namespace) -> int:
    from autograder.authoring import new_assignment

    print(terminal_text(new_assignment(options.name, options.config).summary()))
    return 0


def _chosen(options: argparse.Namespace, config: GradingConfig) -> list[AssignmentConfig]:
    """The assignment --assignment names, else every assignment of grading.yaml."""
    if options.assignment:
        return [config.assignment(options.assignment)]
    return list(config.assignments.values())


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
# Commands that make the grading.yaml they would otherwise read.
WITHOUT_CONFIG = {"new": run_new}


if __name__ == "__main__":
    sys.exit(main())

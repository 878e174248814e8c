"""Benchmark: grade a generated class with the kit (and, with --nbgrader, with nbgrader), in one run.

    .venv/bin/python bench/bench_grading.py [--sizes 50,200] [--jobs 1,2] [--figures] [--nbgrader]

The class is generated from the kit's own samples: 60 % correct solutions in
three styles, 35 % with one catalogued mistake, 5 % hostile (a hang at
import, a hang in a function, a crash, a fork bomb, an output flood). Each
submission gets a unique comment so its hash differs (no incremental reuse).

It prints, per (class size, workers): wall time, submissions per second over
the whole class and over the non-hanging ones, per-submission grading
latency (median, p95, from results.json's execution_time), and the peak
resident memory of one grader process and of the whole batch (with --figures, pictures on as
shipped, drawn once per distinct content in each grader process, and pictures drawn afresh for
every student, the baseline, with the ratio between them); then the wall
time of one ``autograder grade`` from the shell and of a student's
``python selfcheck.py``; with --nbgrader, a class of --nbgrader-size graded by
the kit and by ``nbgrader autograde`` (as notebooks, from the kit's nbgrader
source notebook) and the ratio. Everything runs in this invocation, on this
machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "reference" / "regression_losses" / "samples"
HOSTILE = ROOT / "tests" / "submissions" / "hostile"
CORRECT = ["correct_vectorised.py", "correct_oop_style.py", "correct_loops.py"]
HOSTILE_FILES = [
    "hang_at_import.py",
    "segfault.py",
    "fork_bomb.py",
    "output_flood.py",
    "raises_with_hostile_message.py",
]
HANGING = {"hang_at_import.py", "raises_with_hostile_message.py"}
BIN = Path(sys.executable).parent


def make_class(folder: Path, size: int) -> dict[str, str]:
    """Write ``size`` submissions into ``folder``; return {student: source sample name}."""
    mistakes = sorted(p.name for p in SAMPLES.glob("*__*.py"))
    plan: list[Path] = []
    hostile_count = max(1, round(size * 0.05))
    mistake_count = round(size * 0.35)
    for index in range(size - hostile_count - mistake_count):
        plan.append(SAMPLES / CORRECT[index % len(CORRECT)])
    for index in range(mistake_count):
        plan.append(SAMPLES / mistakes[index % len(mistakes)])
    for index in range(hostile_count):
        plan.append(HOSTILE / HOSTILE_FILES[index % len(HOSTILE_FILES)])
    folder.mkdir(parents=True)
    sources = {}
    for index, path in enumerate(plan):
        student = f"student{index:04d}"
        (folder / f"{student}.py").write_text(path.read_text() + f"\n# submission {index}\n")
        sources[student] = path.name
    return sources


class PeakMemory(threading.Thread):
    """Samples the resident memory of a process tree until stopped."""

    def __init__(self, root_pid: int) -> None:
        super().__init__(daemon=True)
        self.root_pid, self.stop = root_pid, threading.Event()
        self.peak_total = self.peak_process = 0

    def run(self) -> None:
        while not self.stop.is_set():
            tree = _tree(self.root_pid)
            sizes = [_rss(pid) for pid in tree]
            self.peak_total = max(self.peak_total, sum(sizes))
            self.peak_process = max([self.peak_process, *sizes])
            time.sleep(0.05)


def _tree(root: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            pass
    found, frontier = {root}, {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return sorted(found)


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_kit(folder: Path, out: Path, jobs: int, figures: bool, picture_cache: bool = True) -> dict:
    command = [
        str(BIN / "autograder"),
        "grade-batch",
        str(folder),
        "--out",
        str(out),
        "--jobs",
        str(jobs),
    ]
    if not figures:
        command.append("--no-figures")
    started = time.monotonic()
    env = dict(os.environ)
    if not picture_cache:
        env["AUTOGRADER_PICTURE_CACHE"] = "0"  # every picture drawn afresh: the baseline
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    memory = PeakMemory(process.pid)
    memory.start()
    process.wait()
    wall = time.monotonic() - started
    memory.stop.set()
    memory.join()
    latencies = {}
    for results in out.glob("*/results.json"):
        latencies[results.parent.name] = json.loads(results.read_text())["execution_time"]
    return {
        "wall": wall,
        "latencies": latencies,
        "peak_total": memory.peak_total,
        "peak_process": memory.peak_process,
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def time_command(command: list[str], cwd: Path, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.monotonic()
        subprocess.run(
            command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        times.append(time.monotonic() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200")
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument(
        "--figures", action="store_true", help="also time batches with feedback pictures"
    )
    parser.add_argument(
        "--nbgrader", action="store_true", help="also run nbgrader autograde on the same class"
    )
    parser.add_argument(
        "--nbgrader-size", type=int, default=20, help="class size for the nbgrader comparison"
    )
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    jobs_list = [int(j) for j in options.jobs.split(",")]
    print(
        f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; {time.strftime('%Y-%m-%d')}"
    )
    work = Path(tempfile.mkdtemp(prefix="autograder-bench-"))
    try:
        rows = []
        for size in sizes:
            folder = work / f"class{size}"
            sources = make_class(folder, size)
            hanging = [s for s, source in sources.items() if source in HANGING]
            for jobs in jobs_list:
                variants = [(False, True)]
                if options.figures:  # pictures, drawn once per content, then every one afresh
                    variants += [(True, True), (True, False)]
                for figures, cached in variants:
                    out = work / f"out{size}-{jobs}-{figures}-{cached}"
                    run = run_kit(folder, out, jobs, figures, cached)
                    latencies = [v for s, v in run["latencies"].items() if s not in hanging]
                    graded = len(run["latencies"])
                    hang_cost = sum(run["latencies"][s] for s in hanging if s in run["latencies"])
                    rows.append(
                        (
                            size,
                            jobs,
                            figures,
                            run["wall"],
                            graded,
                            len(hanging),
                            hang_cost,
                            latencies,
                            run,
                            cached,
                        )
                    )
                    print(
                        f"class {size:>5}, {jobs} workers, pictures "
                        f"{('on, cached' if cached else 'on, afresh') if figures else 'off'}: "
                        f"{graded}/{size} graded in {run['wall']:.1f} s = {size / run['wall']:.1f} submissions/s; "
                        f"latency median {statistics.median(latencies):.3f} s, p95 {percentile(latencies, 0.95):.3f} s; "
                        f"{len(hanging)} hanging cost {hang_cost:.1f} s of worker time; "
                        f"peak RSS one process {run['peak_process'] / 2**20:.0f} MiB, whole batch {run['peak_total'] / 2**20:.0f} MiB"
                    )
        walls = {(r[0], r[1], r[2], r[-1]): r[3] for r in rows}
        for (size, jobs, figures, cached), wall in walls.items():
            afresh = walls.get((size, jobs, True, False))
            if figures and cached and afresh:
                print(
                    f"class {size:>5}, {jobs} workers: pictures cached {size / wall:.1f}/s against "
                    f"afresh {size / afresh:.1f}/s, {afresh / wall:.2f}x"
                )
        single = time_command(
            [
                str(BIN / "autograder"),
                "grade",
                str(SAMPLES / "correct_vectorised.py"),
                "--out",
                str(work / "single"),
            ],
            ROOT,
        )
        print(f"autograder grade of one submission, whole command: median {single:.2f} s wall")
        bundle = work / "bundle"
        subprocess.run(
            [str(BIN / "autograder"), "release", "--out", str(bundle)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.copy(
            ROOT / "reference" / "regression_losses" / "regression_losses.py",
            bundle / "regression_losses.py",
        )
        selfcheck = time_command([sys.executable, "selfcheck.py"], bundle)
        print(
            f"student's python selfcheck.py (public checks + 3 pictures): median {selfcheck:.2f} s wall"
        )
        if options.nbgrader:
            from bench_nbgrader import run_nbgrader

            size = options.nbgrader_size
            folder = work / f"nbclass{size}"
            make_class(folder, size)
            kit_run = run_kit(folder, work / "nbclass-kit", max(jobs_list), False)
            seconds = run_nbgrader(folder, work / "nbgrader-course")
            print(
                f"same {size} submissions: kit ({max(jobs_list)} workers, pictures off) {kit_run['wall']:.1f} s = "
                f"{size / kit_run['wall']:.1f}/s; nbgrader autograde {seconds:.1f} s = {size / seconds:.2f}/s; "
                f"ratio {seconds / kit_run['wall']:.1f}x"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the class integrity report on generated classes, against an all-pairs baseline.

    .venv/bin/python bench/bench_integrity.py [--sizes 250,500,1000] [--jobs 2] [--baseline-size 200]

Each class is generated: every student's eight functions are put together from independent
choices (how the inputs are converted, which numpy idiom, loop or vectorised, the order of the
functions, the names), so that many students write a function alike and few write a whole file
alike; 35 % have one catalogued mistake; 1 % are renamed, reordered copies of another student;
1 % are pairs that share two uncatalogued wrong answers in otherwise independent code.

For each size it runs :func:`autograder.integrity.command.write_integrity_report` as
``grade-batch`` does, but with no grades known, so every function of every student runs in the
sandbox (the worst case: with grades, functions that passed are not run again), and prints the
wall time, the code comparison's share of it, the pairs flagged, how many planted pairs were
found and how many other pairs were flagged. Then the baseline, in the same invocation: the
code comparison of a ``--baseline-size`` class done by copydetect's own ``CopyDetector``, which
compares every pair, against the index on the same files; the ratio; and the all-pairs time
scaled to the largest size (it grows with the square of the class).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.batch.discover import discover  # noqa: E402
from autograder.config import load_config  # noqa: E402
from autograder.integrity.code_similarity import code_matches  # noqa: E402
from autograder.integrity.command import write_integrity_report  # noqa: E402
from autograder.integrity.fingerprints import boilerplate_hashes, fingerprint  # noqa: E402
from autograder.integrity.pairs import CODE_SUPPORTING  # noqa: E402
from autograder.integrity.sources import given_code, submission_code  # noqa: E402

CONVERT = [
    "    e = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)\n",
    "    e = np.array(y_pred, float) - np.array(y_true, float)\n",
    "    p = np.asarray(y_pred, float)\n    t = np.asarray(y_true, float)\n    e = p - t\n",
    "    e = np.subtract(np.ravel(y_pred), np.ravel(y_true)).astype(float)"
    ".reshape(np.shape(y_pred))\n",
]
MSE = ["np.mean(e ** 2)", "np.mean(e * e)", "(e ** 2).mean()", "np.sum(e ** 2) / e.size"]
MAE = ["np.mean(np.abs(e))", "np.abs(e).mean()", "np.sum(np.abs(e)) / e.size", "np.mean(abs(e))"]
MSE_GRAD = [
    "2 * e / e.size",
    "2.0 * e / len(e.ravel())",
    "e * (2 / e.size)",
    "np.multiply(e, 2) / e.size",
]
MAE_GRAD = [
    "np.sign(e) / e.size",
    "np.where(e > 0, 1.0, np.where(e < 0, -1.0, 0.0)) / e.size",
    "np.sign(e) * (1 / e.size)",
    "(np.greater(e, 0).astype(float) - np.less(e, 0)) / e.size",
]
PREDICT = [
    "    return theta[0] + theta[1] * np.asarray(x, dtype=float)\n",
    "    intercept, slope = theta\n    return intercept + slope * np.asarray(x, dtype=float)\n",
    "    x = np.asarray(x, float)\n    return x * theta[1] + theta[0]\n",
]
PICK = [
    "    g = mse_grad(predict(theta, x), y) if loss == 'mse' else mae_grad(predict(theta, x), y)\n",
    "    if loss == 'mse':\n        g = mse_grad(predict(theta, x), y)\n"
    "    else:\n        g = mae_grad(predict(theta, x), y)\n",
    "    g = {'mse': mse_grad, 'mae': mae_grad}[loss](predict(theta, x), y)\n",
]
Y_AS_ARRAY = "    y = np.asarray(y, dtype=float)\n"
THETA_AS_ARRAY = "    theta = np.asarray(theta, dtype=float)\n"
GUARD = "    if e.size == 0:\n        raise ValueError('empty input')\n"
SLOPE = ["np.sum(g * x)", "g @ x", "np.dot(g, x)"]
INTERCEPT = ["np.sum(g)", "g.sum()"]
GD_STEP = [
    "    return np.asarray(theta, dtype=float) - lr * np.asarray(grad, dtype=float)\n",
    "    new = np.array(theta, dtype=float)\n    new -= lr * np.asarray(grad, dtype=float)\n"
    "    return new\n",
    "    return np.subtract(theta, np.multiply(lr, grad))\n",
    "    return np.array([t - lr * g for t, g in zip(theta, grad)])\n",
]
LOSS_OF = [
    "    loss_of = mse if loss == 'mse' else mae\n",
    "    loss_of = {'mse': mse, 'mae': mae}[loss]\n",
]
START = ["np.zeros(2)", "np.array([0.0, 0.0])"]
LOOP = [
    "    for _ in range(epochs):\n{body}",
    "    k = 0\n    while k < epochs:\n{body}        k += 1\n",
]
STEP = [
    "        history.append(loss_of(predict(theta, x), y))\n"
    "        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)\n",
    "        current = loss_of(predict(theta, x), y)\n        history.append(current)\n"
    "        step = linear_grads(theta, x, y, loss)\n        theta = gd_step(theta, step, lr)\n",
]
# catalogued mistakes (regression_losses' catalog) and two uncatalogued ones for planted pairs
MISTAKES = {
    "mse_grad": ["-2 * e / e.size", "e / e.size"],
    "mae_grad": ["np.abs(e) / e.size", "np.sign(e)"],
    "gd_step": ["    return np.asarray(theta, dtype=float) + lr * np.asarray(grad, dtype=float)\n"],
}
# each planted pair k gets wrong answers of its own (pairs sharing one answer would be a cluster,
# which the report rightly lists as a possible uncatalogued misconception, not as a pair)
RARE = {
    "mse": "np.sum(e ** 2) / (e.size + {k})",
    "mae_grad": "np.where(e < 0, -1.0, {f}) / e.size",
}
NAMES = ["err", "diff", "gap", "r", "residual", "delta", "d", "errors", "resid", "dev"]


def student_source(rng: random.Random, mistake: str | None, rare: int | None) -> str:
    """One generated submission (see the module docstring); ``rare`` is the planted pair's
    number (its two uncatalogued wrong answers), None for everybody else."""

    def pick(options: list[str]) -> str:
        return rng.choice(options)

    def elementwise(name: str, expression: str) -> str:
        if mistake == name and name in MISTAKES and name != "gd_step":
            expression = pick(MISTAKES[name])
        if rare is not None and name in RARE:
            expression = RARE[name].format(k=rare + 1, f=1.0 + (rare + 1) / 8)
        wrap = "float({})" if name in ("mse", "mae") and rng.random() < 0.5 else "{}"
        guard = pick(["", "", GUARD])
        if rng.random() < 0.5:
            ending = f"    return {wrap.format(expression)}\n"
        else:
            ending = f"    result = {wrap.format(expression)}\n    return result\n"
        return f"def {name}(y_pred, y_true):\n{pick(CONVERT)}{guard}{ending}"

    functions = [
        elementwise("mse", pick(MSE)),
        elementwise("mae", pick(MAE)),
        elementwise("mse_grad", pick(MSE_GRAD)),
        elementwise("mae_grad", pick(MAE_GRAD)),
        f"def predict(theta, x):\n{pick(PREDICT)}",
        "def linear_grads(theta, x, y, loss='mse'):\n    x = np.asarray(x, dtype=float)\n"
        + pick(["", Y_AS_ARRAY])
        + pick(PICK)
        + pick(
            [
                f"    return np.array([{pick(INTERCEPT)}, {pick(SLOPE)}])\n",
                f"    d0 = {pick(INTERCEPT)}\n    d1 = {pick(SLOPE)}\n    return np.array([d0, d1])\n",
            ]
        ),
        "def gd_step(theta, grad, lr):\n"
        + (MISTAKES["gd_step"][0] if mistake == "gd_step" else pick(GD_STEP)),
        "def fit(x, y, loss='mse', lr=0.05, epochs=1000):\n"
        f"{pick(LOSS_OF)}    theta = {pick(START)}\n    history = {pick(['[]', 'list()'])}\n"
        f"{pick(LOOP).format(body=pick(STEP))}"
        + pick(["", THETA_AS_ARRAY])
        + "    return theta, history\n",
    ]
    rng.shuffle(functions)
    name = pick(NAMES)
    text = "import numpy as np\n\n\n" + "\n\n".join(functions)
    return re.sub(r"\be\b", name, text)


def renamed_copy(source: str, rng: random.Random) -> str:
    """``source`` with its temporaries renamed and its functions in another order."""
    head, *functions = re.split(r"\n(?=def )", source)
    rng.shuffle(functions)
    text = head + "\n" + "\n".join(f.rstrip("\n") + "\n\n" for f in functions)
    for old in ("history", "loss_of", "step", "current", "new", "g", "k", *NAMES):
        text = re.sub(rf"\b{old}\b", f"{old}_{rng.randint(1, 99)}", text)
    return text


def make_class(folder: Path, size: int, seed: int = 7) -> set[tuple[str, str]]:
    """Write ``size`` submissions; return the planted pairs (student ids, sorted)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    copies = max(1, size // 100)
    rare_pairs = max(1, size // 200)
    sources: dict[str, str] = {}
    planted: set[tuple[str, str]] = set()
    honest = size - copies - 2 * rare_pairs
    for index in range(honest):
        mistake = rng.choice(list(MISTAKES)) if rng.random() < 0.35 else None
        sources[f"s{index:04d}"] = student_source(rng, mistake, rare=None)
    for index in range(copies):
        original = f"s{rng.randrange(honest):04d}"
        student = f"c{index:04d}"
        sources[student] = renamed_copy(sources[original], rng)
        planted.add(tuple(sorted((original, student))))  # type: ignore[arg-type]
    for index in range(rare_pairs):
        a, b = f"r{index:04d}a", f"r{index:04d}b"
        sources[a] = student_source(rng, None, rare=index)
        sources[b] = student_source(rng, None, rare=index)
        planted.add((a, b))
    for student, source in sources.items():
        (folder / f"{student}.py").write_text(source)
    return planted


def code_only(folder: Path, assignment) -> tuple[float, int]:
    """The code comparison alone (read, fingerprint, index): seconds and pairs compared."""
    started = time.monotonic()
    given = boilerplate_hashes(given_code(assignment))
    files = sorted(folder.glob("*.py"))
    documents = [fingerprint(submission_code(f, assignment.module).text, given) for f in files]
    _, summary = code_matches(documents, CODE_SUPPORTING)
    return time.monotonic() - started, summary.compared_pairs


def all_pairs_baseline(folder: Path) -> float:
    """copydetect's CopyDetector on the folder: it fingerprints, then compares every pair."""
    from copydetect import CopyDetector

    started = time.monotonic()
    detector = CopyDetector(test_dirs=[str(folder)], extensions=["py"], silent=True, autoopen=False)
    detector.run()
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,500,1000")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--baseline-size", type=int, default=200)
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    config = ROOT / "grading.yaml"
    assignment = load_config(config).assignment("regression_losses")
    print(
        f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; "
        f"{time.strftime('%Y-%m-%d')}; {options.jobs} probing processes"
    )
    work = Path(tempfile.mkdtemp(prefix="autograder-bench-integrity-"))
    try:
        largest = None
        for size in sizes:
            folder = work / f"class{size}"
            planted = make_class(folder, size)
            entries = discover(folder, assignment.module, assignment.name)
            out = work / f"out{size}"
            out.mkdir()
            started = time.monotonic()
            report = write_integrity_report(entries, [], assignment, config, out, options.jobs)
            wall = time.monotonic() - started
            code_seconds, compared = code_only(folder, assignment)
            flagged = {tuple(sorted((p.a, p.b))) for p in report.pairs if p.flagged}
            print(
                f"class {size:>5}: integrity report in {wall:.1f} s ({size / wall:.0f} students/s; "
                f"code comparison {code_seconds:.1f} s, {compared} of {size * (size - 1) // 2} "
                f"pairs compared in full); {len(flagged)} pairs flagged: "
                f"{len(flagged & planted)} of {len(planted)} planted, "
                f"{len(flagged - planted)} others"
            )
            largest = (size, code_seconds)
        baseline = work / "baseline"
        make_class(baseline, options.baseline_size, seed=11)
        indexed, _ = code_only(baseline, assignment)
        pairwise = all_pairs_baseline(baseline)
        print(
            f"baseline, class {options.baseline_size}, code only: copydetect all pairs "
            f"{pairwise:.1f} s, index {indexed:.2f} s, ratio {pairwise / indexed:.0f}x"
        )
        if largest is not None:
            size, seconds = largest
            scaled = pairwise * (size / options.baseline_size) ** 2
            print(
                f"all pairs scaled to {size} students (x{(size / options.baseline_size) ** 2:.0f}"
                f" pairs): about {scaled:.0f} s, against the index's {seconds:.1f} s measured"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The pages in a real browser: headless Chromium (Debian's package, which .ci/run installs).

A student reads ``feedback.html`` on a phone as often as on a laptop, and an instructor opens
``summary.html`` wherever the class was graded. Each page, as the kit writes it, is opened at
390 px (a phone) and 1280 px (a laptop) wide, in a frame of that width; a copy of it carries a
small script that, once the page has loaded, records whether anything is wider than the window
and whether every image decoded, and posts it to the framing page, whose DOM Chromium's
``--dump-dom`` hands back.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import samples_of

from autograder.cli import main

WIDTHS = (390, 1280)
PROBE = """
<script>
window.addEventListener("load", () => {
  const root = document.documentElement;
  const wide = [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .filter((e) => !e.closest(".table"))  // a table too wide scrolls inside its own box
    .map((e) => e.tagName + (e.className ? "." + e.className : ""));
  const record = {
    inner: window.innerWidth,
    scroll: root.scrollWidth,
    wide: wide.slice(0, 5),
    images: [...document.images].map((i) => i.complete && i.naturalWidth > 0),
  };
  parent.postMessage(JSON.stringify(record), "*");
});
</script>
"""
# Headless Chromium keeps its window at least 500 px wide: the page is opened in a frame of the
# width wanted, whose probe posts its record to this page, which puts it in its own DOM.
FRAME = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe src="{page}" style="width:{width}px;height:900px;border:0"></iframe>
<script>
window.addEventListener("message", (event) => {{
  document.body.setAttribute("data-probe", event.data);
}});
</script>
</body></html>
"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "these tests need Debian's chromium (apt-get install chromium; .ci/run does)"
    return found


def seen_at(page: Path, width: int, tmp_path: Path) -> dict:
    """What the probe records of ``page`` opened ``width`` px wide."""
    probed = tmp_path / f"probed-{width}-{page.parent.name}-{page.name}"
    probed.write_text(
        page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    frame = tmp_path / f"frame-{width}-{page.parent.name}-{page.name}"
    frame.write_text(FRAME.format(page=probed.name, width=width), encoding="utf-8")
    done = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1400,1000",
            "--virtual-time-budget=5000",
            "--dump-dom",
            frame.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r"data-probe=\"([^\"]*)\"", done.stdout)
    assert found, f"Chromium gave no record (exit {done.returncode}): {done.stderr[-500:]}"
    return json.loads(found[1].replace("&quot;", '"').replace("&amp;", "&"))


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """A sign-flipped mse_grad's feedback page and the summary of a class of three."""
    folder = tmp_path_factory.mktemp("browser")
    samples = samples_of("regression_losses")
    for name in ("correct_vectorised", "mse_grad__sign_flipped", "gd_step__ascent"):
        (folder / "class" / name).mkdir(parents=True)
        shutil.copy(samples / f"{name}.py", folder / "class" / name / "regression_losses.py")
    out = folder / "out"
    command = ["grade-batch", str(folder / "class"), "--out", str(out), "--jobs", "1"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main([*command, "--no-similarity"]) == 0
    return {
        "feedback": out / "mse_grad__sign_flipped" / "feedback.html",
        "summary": out / "summary.html",
    }


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", ["feedback", "summary"])
def test_a_page_fits_its_window_and_every_picture_loads(pages, tmp_path, page, width):
    seen = seen_at(pages[page], width, tmp_path)
    assert seen["inner"] == width
    assert seen["scroll"] <= width, f"{page} at {width} px is {seen['scroll']} px wide: {seen}"
    assert not seen["wide"], seen
    assert seen["images"] and all(seen["images"]), f"an image of {page} did not load: {seen}"


def test_the_probe_sees_a_page_too_wide_and_a_broken_image(tmp_path):
    """The control: a page with a 2000 px block and an image that is not one is caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        "<div style='width:2000px'>wide</div><img alt='x' src='data:image/png;base64,AAAA'>"
        "</body></html>",
        encoding="utf-8",
    )
    seen = seen_at(page, 390, tmp_path)
    assert seen["scroll"] > 390 and seen["wide"]
    assert seen["images"] == [False]

"""report.html in headless Chromium: the leaderboard and every plot render at a non-zero size, with no console
errors, and the page fits a phone-width screen. Installs Debian's chromium when it is missing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from stancewire.eval.classify import ClassifyConfig, evaluate_classifiers, load_dataset
from stancewire.eval.report_html import render_html

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]
# Runs on the load event (after every image decoded) and writes what it measured into the DOM for --dump-dom.
PROBE = """<pre id="sw-probe"></pre><script>
window.addEventListener("load", () => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  const out = {
    leaderboards: [...document.querySelectorAll("table.leaderboard")].map(t => ({id: t.id, size: box(t)})),
    plots: [...document.querySelectorAll("img.plot")].map(i => ({
      alt: i.alt, complete: i.complete, natural: [i.naturalWidth, i.naturalHeight], size: box(i)})),
    viewport: window.innerWidth,
    page_width: document.documentElement.scrollWidth,
  };
  document.getElementById("sw-probe").textContent = JSON.stringify(out);
});
</script>"""


def ensure_chromium() -> str:
    """Path of Debian's chromium, installing it with apt-get when missing."""
    if not Path(CHROMIUM).exists():
        if shutil.which("apt-get") is None:
            pytest.fail("chromium is missing and apt-get is not available to install it.")
        subprocess.run(["apt-get", "update"], check=True, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "chromium"], check=True, capture_output=True, timeout=1200)
    return CHROMIUM


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    command = [ensure_chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def console_messages(stderr: str) -> list[str]:
    """Console output of the page (errors, warnings, failed loads) from chromium's stderr log."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "net::ERR" in line]


@pytest.mark.slow
def test_report_html_renders_in_headless_chromium(tmp_path, corpus_file, fakes):
    path = corpus_file(10)
    table = fakes.gold_lookup(load_dataset(path).articles)
    models = [
        fakes.FakeLabeler("perfect", lambda text, targets: table[text], confidence=0.95),
        fakes.FakeLabeler("keywords", fakes.keyword_decide),
        fakes.FakeLabeler("random", fakes.random_decide_factory(5)),
    ]
    results = evaluate_classifiers(models, [path], config=ClassifyConfig(n_resamples=100, latency_runs=2))
    html = render_html(results)
    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    expected_plots = html.count('<img class="plot"')
    assert expected_plots == 1 + 1 + 3 + 3  # speed scatter, per-label bars, 3 stance confusions, 3 reliability

    screenshot = tmp_path / "report.png"
    shot = chromium(["--window-size=1280,4000", f"--screenshot={screenshot}", report.as_uri()], tmp_path / "p1")
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
    assert console_messages(shot.stderr) == []

    probed = tmp_path / "probed.html"
    probed.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dump = chromium(["--window-size=412,900", "--dump-dom", probed.as_uri()], tmp_path / "p2")
    assert dump.returncode == 0, dump.stderr[-2000:]
    assert console_messages(dump.stderr) == []
    found = re.search(r'<pre id="sw-probe">(.*?)</pre>', dump.stdout, re.DOTALL)
    assert found and found.group(1), "the probe did not run"
    probe = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert [t["id"] for t in probe["leaderboards"]] == ["leaderboard-0"]
    assert all(w > 0 and h > 0 for w, h in (t["size"] for t in probe["leaderboards"]))
    assert len(probe["plots"]) == expected_plots
    for plot in probe["plots"]:
        assert plot["complete"] and min(plot["natural"]) > 0 and min(plot["size"]) > 0, plot
        assert plot["size"][0] <= probe["viewport"], plot  # images shrink to a phone's width
    assert probe["page_width"] <= probe["viewport"]  # wide tables scroll inside their box, not the page

"""``nasbench-lab report DIR [DIR ...] --html``: merged folders (refused with one line when their
protocols differ), a self-contained page, and that page opened in headless Chromium (Debian's
package, installed by ``.ci/run``; in CI a missing chromium fails, it is never skipped).

How the browser test knows every image loaded: it opens a copy of the page with a small probe
script appended (the page itself has none) and ``--dump-dom``; on ``load`` the probe writes the
number of images, the broken ones (``complete`` and ``naturalWidth > 0`` false), any error event
and the page height into attributes of ``<body>``, and logs one console line. Chromium's console
log (``--enable-logging=stderr --v=0``) must hold that line (so logging works) and nothing else.
The screenshot is then taken of the unmodified page at the measured height."""
import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab.cli import main

PROBE = """<script>
var probeErrors = [];
window.addEventListener('error', function (e) { probeErrors.push(e.target && e.target.alt ? e.target.alt : String(e.message)); }, true);
window.addEventListener('load', function () {
  var imgs = document.images, broken = [];
  for (var i = 0; i < imgs.length; i++) { if (!(imgs[i].complete && imgs[i].naturalWidth > 0)) broken.push(imgs[i].alt); }
  var b = document.body;
  b.setAttribute('data-images', imgs.length);
  b.setAttribute('data-broken', broken.join(' '));
  b.setAttribute('data-errors', probeErrors.join(' '));
  b.setAttribute('data-height', Math.ceil(document.documentElement.scrollHeight));
  console.log('probe: ' + imgs.length + ' images, ' + broken.length + ' broken');
});
</script></body>"""
WIDTH = 1280


def leaderboard(out: Path, data_dir: Path, *extra: str) -> Path:
    args = ["leaderboard", "--data-dir", str(data_dir), "--out", str(out), "--no-progress", "--jobs", "1", *extra]
    assert main(args) == 0
    return out


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("chromium is not installed: .ci/run installs Debian's package (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); in CI this fails")


def run_chromium(*args: str) -> subprocess.CompletedProcess:
    base = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--enable-logging=stderr", "--v=0"]
    return subprocess.run(base + list(args), capture_output=True, text=True, timeout=180, check=True)


def test_merged_folders_give_one_joint_table(tmp_path, capsys, data_dir):
    common = ["--benchmark", "nb201/cifar10", "--budget", "12", "--seeds", "0-3"]
    a = leaderboard(tmp_path / "a", data_dir, "--algorithms", "re,random", *common)
    b = leaderboard(tmp_path / "b", data_dir, "--algorithms", "sa", *common)
    capsys.readouterr()
    assert main(["report", str(a), str(b), "--html", "--formats", "png", "--out", str(tmp_path / "r"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert sorted(row["algorithm"] for row in info["leaderboard"]) == ["random", "re", "sa"]
    assert {row["seeds"] for row in info["leaderboard"]} == {4}
    markdown = (tmp_path / "r" / "leaderboard.md").read_text()
    assert markdown.count("## nb201 / cifar10") == 1 and "| sa |" in markdown and "| re |" in markdown
    page = (tmp_path / "r" / "report.html").read_text()
    assert page.count("<h3>nb201 / cifar10</h3>") == 1 and "cd_seeds_nb201_cifar10" in page
    assert f"{a}, {b}" in page  # merged from, in the configuration
    # statistics on the merged runs: the joint table's ranks run 1..3 within each seed
    assert sum(row["avg_rank"] for row in info["leaderboard"]) == pytest.approx(6.0)


@pytest.mark.parametrize("change, message", [
    (["--budget", "10"], "budget differ (12 vs 10)"),
    (["--seeds", "0-2"], "seeds differ ([0, 1, 2, 3] vs [0, 1, 2])"),
    (["--benchmark", "nb201/cifar100"], "benchmarks differ"),
    (["--algorithms", "re"], "both hold runs of re"),
])
def test_merge_refuses_another_protocol(tmp_path, capsys, data_dir, change, message):
    common = {"--benchmark": "nb201/cifar10", "--budget": "12", "--seeds": "0-3", "--algorithms": "sa"}
    a = leaderboard(tmp_path / "a", data_dir, "--algorithms", "re,random", "--benchmark", "nb201/cifar10",
                    "--budget", "12", "--seeds", "0-3")
    other = {**common, change[0]: change[1]}
    b = leaderboard(tmp_path / "b", data_dir, *[x for kv in other.items() for x in kv])
    capsys.readouterr()
    assert main(["report", str(a), str(b), "--html", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and str(a) in err and str(b) in err
    assert not (tmp_path / "r" / "report.html").exists()


def test_merge_refuses_another_recipe(tmp_path, capsys, data_dir):
    common = ["--benchmark", "nb201/cifar10", "--budget", "8", "--seeds", "2"]
    a = leaderboard(tmp_path / "a", data_dir, "--algorithms", "random", *common)
    b = leaderboard(tmp_path / "b", data_dir, "--algorithms", "re", *common)
    config = json.loads((b / "config.json").read_text())
    config["settings"]["options"] = {"dynamicnet": {"epochs": 3}}
    (b / "config.json").write_text(json.dumps(config))
    capsys.readouterr()
    assert main(["report", str(a), str(b)]) == 2
    assert "recipe (--benchmark-option) differ ({} vs {\"dynamicnet\": {\"epochs\": 3}})" in capsys.readouterr().err


def test_report_refuses_bad_folders_in_one_line(tmp_path, capsys, data_dir):
    a = leaderboard(tmp_path / "a", data_dir, "--algorithms", "random", "--benchmark", "nb201/cifar10",
                    "--budget", "5", "--seeds", "2")
    for args, message in (([str(a), str(a)], "the same results folder is given twice"),
                          ([str(a), "--validation", str(tmp_path)], "--validation goes with --html"),
                          ([str(a), "--html", "--validation", str(tmp_path)], "--validation: cannot read")):
        capsys.readouterr()
        assert main(["report", *args, "--out", str(tmp_path / "r")]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err
        assert not (tmp_path / "r").exists()


def _validation(folder: Path) -> Path:
    assert main(["validate", "--only", "nb201-isomorphism", "--out", str(folder), "--jobs", "1"]) == 0
    return folder


@pytest.fixture(scope="module")
def default_page(tmp_path_factory, data_dir):
    """The page of a default leaderboard (default benchmarks and algorithms; 5 seeds to keep the
    test short) with the status of a validation run."""
    root = tmp_path_factory.mktemp("default")
    results = leaderboard(root / "results", data_dir, "--seeds", "5")
    validation = _validation(root / "validation")
    assert main(["report", str(results), "--html", "--formats", "png", "--validation", str(validation),
                 "--out", str(root / "report")]) == 0
    return root / "report" / "report.html"


def test_page_is_self_contained(default_page):
    page = default_page.read_text()
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", page)
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) >= 8 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert all(base64.b64decode(s.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n" for s in sources)
    for section in ("Leaderboard", "nb201 / cifar10", "nasbench-graph / cora", "Validation", "all checks passed",
                    "nb201-isomorphism", "rank_budget", "cd_pairs", "cd_seeds_nb201_cifar10", "regret_nb201_cifar10",
                    "pareto_nb201_cifar10", "Configuration", "Environment", "Data files (SHA-256)", "seeds 0–4 (5)",
                    "budget 100 queries per run"):
        assert section in page, section
    assert re.search(r"<td[^>]*>[0-9a-f]{64}</td>", page)  # a data file's SHA-256


def test_page_in_headless_chromium(default_page, tmp_path):
    probe = tmp_path / "probe.html"
    probe.write_text(default_page.read_text().replace("</body>", PROBE))
    dom = run_chromium("--virtual-time-budget=20000", f"--window-size={WIDTH},1000", "--dump-dom", probe.as_uri())
    body = re.search(r"<body([^>]*)>", dom.stdout).group(1)
    found = dict(re.findall(r'data-(\w+)="([^"]*)"', body))
    expected_images = default_page.read_text().count("<img ")
    assert int(found["images"]) == expected_images >= 8
    assert found["broken"] == "" and found["errors"] == ""
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert len(console) == 1 and f"probe: {expected_images} images, 0 broken" in console[0], console
    height = int(found["height"])
    assert 3000 < height < 16000  # tables, 13+ figures two per row, configuration: a few screens

    shot = tmp_path / "report.png"
    taken = run_chromium(f"--window-size={WIDTH},{height}", f"--screenshot={shot}", default_page.as_uri())
    assert not [line for line in taken.stderr.splitlines() if "CONSOLE" in line]
    from PIL import Image

    image = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert image.shape == (height, WIDTH)
    ink = image < 200  # text, lines, figure marks
    assert ink.mean() > 0.02
    for part in np.array_split(ink, 8):  # no blank stretch: every eighth of the page has content
        assert part.mean() > 0.002
    shutil.copy(shot, default_page.with_name("report_screenshot.png"))

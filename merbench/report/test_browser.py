"""The report of a real tiny run, opened in headless Chromium (Debian's ``chromium``, through playwright):
tables render with the run's numbers, every picture loads, nothing fails, the page is not blank."""

import shutil
import time

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def report(tiny_demo, tmp_path_factory):
    """Two result sets of the tiny demo (Train&Val plus a robustness sweep; Train&Val with fewer epochs)."""
    from merbench.corrupt.robustness import sweep_tracks
    from merbench.report.build import build_report, result_sets
    from merbench.runner.run import run

    base = tmp_path_factory.mktemp("report")
    mp = pytest.MonkeyPatch()
    mp.setenv("MERBENCH_CACHE", str(base / "cache"))
    sweep = [{"corruption": "white-noise", "param": "snr", "values": [10, 0]},
             {"corruption": "blur", "param": "r", "values": [4]}]
    common = {"dataset": str(tiny_demo), "encoders": {"audio": ["egemaps"], "visual": ["fer-mini-xception"]},
              "unimodal": False, "combinations": [["audio", "visual"]], "trials": 1, "seeds": [0, 1], "unbiased": False,
              "search_space": {"hidden_dim": [16], "lr": [1e-3], "dropout": [0.2]}}
    try:
        first = run({**common, "tracks": ["trainval", *sweep_tracks(sweep)], "epochs": 4, "out": str(base / "sweep")},
                    progress=False)
        second = run({**common, "tracks": ["trainval"], "epochs": 2, "out": str(base / "short")}, progress=False)
        index = build_report(result_sets([first.out, second.out]), base / "html")
    finally:
        mp.undo()
    return index, first


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/install-system-deps.sh installs it)")
def test_report_in_headless_chromium(report):
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from merbench.util.stats import mean_std

    index, first = report
    started = time.perf_counter()
    (row,) = first.rows  # A+V, the only row
    expected = mean_std([scores["waf"] for scores in row.scores["trainval"].values()])
    problems = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))
            page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
            page.goto(index.as_uri())
            links = page.locator("table.sets a")
            assert links.count() == 2
            links.first.click()  # the sweep's result set
            page.wait_for_load_state("load")
            assert "Table 5-style" in page.locator("h3.table-title").first.inner_text()
            table = page.locator("table.scores").first
            assert table.locator("tbody tr").count() == 1
            cells = table.locator("tbody tr").first
            assert cells.locator("th").inner_text() == "A+V" and expected in cells.locator("td").first.inner_text()
            images = page.locator("img")
            # per record: confusion, F1 and weights (+ epochs for Train&Val); the robustness curves
            assert images.count() == 5 * 3 + 1 + 1
            widths = page.eval_on_selector_all("img", "els => els.map(e => e.complete ? e.naturalWidth : 0)")
            assert all(w > 0 for w in widths), widths
            assert page.locator("img[alt^='Robustness']").count() == 1
            shot = index.parent / "screenshot.png"
            page.screenshot(path=str(shot))
            page.goto((index.parent / "leaderboard.html").as_uri())
            assert page.locator("table.leaderboard tbody tr").count() >= 2
            widths = page.eval_on_selector_all("img", "els => els.map(e => e.complete ? e.naturalWidth : 0)")
            assert widths and all(w > 0 for w in widths), widths
        finally:
            browser.close()
    assert problems == []
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.shape == (1000, 1280) and pixels.std() > 20  # text, tables and pictures, not a blank page
    assert time.perf_counter() - started < 30

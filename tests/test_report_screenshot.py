"""A screenshot of the HTML report with headless Chromium (skipped if it is not installed).

The PNG goes to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from psoreg.io import load
from psoreg.reports import build_report, write_report
from tests.conftest import CASE_SERIES
from tests.test_report_helpers import ARTIFACTS

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed (/usr/bin/chromium)")
def test_html_report_screenshot(tmp_path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    html = ARTIFACTS / "case-series-report.html"
    r = build_report(load(CASE_SERIES), source=CASE_SERIES)
    write_report(r, html)
    r.close()
    shot = ARTIFACTS / "case-series-report.png"
    shot.unlink(missing_ok=True)
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        html.resolve().as_uri(),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    assert shot.exists()
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert shutil.which(str(CHROMIUM))

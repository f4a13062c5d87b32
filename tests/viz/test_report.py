"""`signalflow report`: the static HTML rendered by headless Chromium, checked by what the
browser shows (board text, links that resolve, images that load)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium chromium-driver)"
)


def _chromium(tmp: Path, *args: str) -> str:
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'chromium-profile'}", *args,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def _dom(tmp: Path, page: Path) -> str:
    return _chromium(tmp, "--virtual-time-budget=5000", "--dump-dom", page.as_uri())


@pytest.fixture
def report_dir(viz_env: Path) -> Path:
    runner = CliRunner()
    assert runner.invoke(app, ["evaluate", "spread"]).exit_code == 0
    out = viz_env / "report"
    result = runner.invoke(app, ["report", "-o", str(out), "--from", "2025-01-01"])
    assert result.exit_code == 0, result.output
    return out


def test_report_files_are_self_contained(report_dir: Path):
    pages = sorted(p.name for p in report_dir.glob("*.html"))
    assert pages == ["index.html", "thesis-idle.html", "thesis-spread.html"]
    for page in report_dir.glob("*.html"):
        text = page.read_text()
        # Nothing fetched from elsewhere: no absolute URLs in src/href, no external CSS or JS.
        assert not re.search(r'(src|href)="(https?:|//|/)', text), page.name
        assert "<link" not in text


@needs_chromium
def test_index_renders_the_board_with_links_that_resolve(report_dir: Path, tmp_path: Path):
    dom = _dom(tmp_path, report_dir / "index.html")
    assert 'data-images="loaded"' in dom
    sections = re.findall(r'<section class="layer" id="layer-(\w+)">', dom)
    assert sections == ["compute", "power"]
    assert "never evaluated" in dom and "2020-01-01 (overdue)" in dom
    links = re.findall(r'<a href="([^"]+)">', dom)
    assert sorted(links) == ["thesis-idle.html", "thesis-spread.html"]
    assert all((report_dir / link).is_file() for link in links)


@needs_chromium
def test_thesis_page_chart_loads_and_history_shows(report_dir: Path, tmp_path: Path):
    dom = _dom(tmp_path, report_dir / "thesis-spread.html")
    assert 'data-images="loaded"' in dom and 'data-image-count="1"' in dom
    assert '<img src="thesis-spread.png"' in dom
    for heading in ("Rules", "Chart", "Alert history", "Decision journal"):
        assert f"<h2>{heading}</h2>" in dom
    # The live pass recorded spread_widening firing (HY 6 > 5 for more than 30 days).
    history = dom[dom.index("<h2>Alert history</h2>") : dom.index("<h2>Decision journal</h2>")]
    assert "spread_widening" in history and "firing" in history
    assert '<a href="index.html">' in dom
    shot = tmp_path / "spread.png"
    _chromium(tmp_path, "--window-size=1280,2000", f"--screenshot={shot}", (report_dir / "thesis-spread.html").as_uri())
    assert shot.stat().st_size > 10_000


@needs_chromium
def test_a_missing_chart_is_seen_by_the_browser(report_dir: Path, tmp_path: Path):
    (report_dir / "thesis-spread.png").unlink()
    dom = _dom(tmp_path, report_dir / "thesis-spread.html")
    assert 'data-images="broken"' in dom

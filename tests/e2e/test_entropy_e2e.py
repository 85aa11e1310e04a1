"""The entropy page in a real browser: renders in zh and en with no exception.

Screenshots (1500×2300: Streamlit scrolls inside the page, so a tall viewport shows the
whole page) go to ``artifacts/entropy_zh.png`` and ``artifacts/entropy_en.png``: look at
them after a layout change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from riskview.i18n import t
from tests.e2e.streamlit_server import APP_IDLE, Server, start_server, stop_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TALL = {"width": 1500, "height": 2300}


@pytest.fixture(scope="module")
def server(browser: Browser, tmp_path_factory: pytest.TempPathFactory):
    server = start_server(tmp_path_factory.mktemp("entropy"))
    yield server
    stop_server(server)


def _wait_for_entropy(page: Page, lang: str, timeout_ms: float = 120_000) -> None:
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=timeout_ms)
    expect(page.locator("h1").first).to_have_text(t("entropy.title", lang), timeout=timeout_ms)
    for title in ("chart.weights.title", "entropy.chart.time.title"):
        chart = page.get_by_test_id("stPlotlyChart").filter(has_text=t(title, lang))
        expect(chart.locator(".main-svg").first).to_be_visible(timeout=timeout_ms)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(2, timeout=timeout_ms)
    page.wait_for_selector(APP_IDLE, timeout=timeout_ms)


def _shoot(page: Page, path: Path) -> None:
    """Screenshot of the whole page: the viewport grows to the content's height when the
    page is taller than 2300 px (Streamlit scrolls inside its own container, so a
    full-page screenshot of the document would cut it)."""
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=stMainBlockContainer]')]"
        ".map(e => e.getBoundingClientRect().top + e.scrollHeight))"
    )
    page.set_viewport_size({"width": TALL["width"], "height": max(TALL["height"], int(height) + 40)})
    page.wait_for_selector(APP_IDLE)
    page.wait_for_timeout(1200)  # Plotly relayout, transitions and web fonts settle
    page.screenshot(path=path)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_entropy_page_renders(server: Server, browser: Browser, artifacts: Path, lang: str) -> None:
    context = browser.new_context(viewport=TALL, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        page.goto(f"{server.url}/entropy")
        _wait_for_entropy(page, "zh")
        if lang == "en":
            english = page.locator(".st-key-lang").get_by_role("radio", name="English")
            english.click()
            expect(english).to_have_attribute("aria-checked", "true")
            _wait_for_entropy(page, "en")
        expect(page.get_by_test_id("stException")).to_have_count(0)
        expect(page.get_by_text(t("entropy.drift.title", lang)).first).to_be_visible()
        _shoot(page, artifacts / f"entropy_{lang}.png")
    finally:
        context.close()

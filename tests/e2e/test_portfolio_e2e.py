"""The portfolio overview in a real browser (issue #5): KPI cards equal riskcore's figures,
the class chart and the exceptions table are drawn, in Chinese and English.

Screenshots go to ``artifacts/portfolio_*.png``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, expect

from riskcore.ratios import portfolio_ratios
from riskcore.sample import load_sample
from riskview.i18n import t
from tests.e2e.streamlit_server import APP_IDLE, Server

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90_000


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_shows_the_ratios_riskcore_computes(lang: str, browser: Browser, app_server: Server,
                                                     artifacts: Path) -> None:
    loans = load_sample(ROOT / "sample_data").loans
    latest = pd.to_datetime(loans["snapshot_date"]).max()
    ratios = portfolio_ratios(loans, as_of=latest)
    assert ratios.npl_ratio.value is not None and ratios.provision_coverage.value is not None

    page = browser.new_page(viewport={"width": 1500, "height": 2400})
    page.goto(f"{app_server.url}/portfolio")
    expect(page.locator("h1").first).to_have_text(t("overview.title", "zh"), timeout=TIMEOUT)
    if lang == "en":
        page.locator(".st-key-lang").get_by_role("radio", name="English").click()
        expect(page.locator("h1").first).to_have_text(t("overview.title", "en"), timeout=TIMEOUT)
    page.wait_for_selector(APP_IDLE, timeout=TIMEOUT)
    npl_card = page.get_by_test_id("stMetric").filter(has_text=t("overview.kpi.npl_ratio", lang)).first
    expect(npl_card).to_contain_text(f"{ratios.npl_ratio.value:.2%}", timeout=TIMEOUT)
    coverage_card = page.get_by_test_id("stMetric").filter(has_text=t("overview.kpi.coverage", lang)).first
    expect(coverage_card).to_contain_text(f"{ratios.provision_coverage.value:.2%}")
    expect(page.get_by_test_id("stPlotlyChart").first.locator(".main-svg").first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    for text in ("NaN", "nan%", "inf"):
        expect(page.get_by_text(text, exact=True)).to_have_count(0)
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts / f"portfolio_{lang}.png"), full_page=True)

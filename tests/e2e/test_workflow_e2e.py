"""The analyst's path in a real browser (issue #4): upload ledgers → analyse them → add an
indicator to the system → AHP → ranking with combined weights → a what-if slider moves
the ranking. One browser session throughout (sidebar links keep it; a reload would not).

Screenshots go to ``artifacts/workflow_*.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from riskview.i18n import t
from tests.e2e.streamlit_server import APP_IDLE, Server

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
FILES = [SAMPLES / name for name in ("QD01_2024-12_贷款台账.csv", "QD02_2024-11_贷款台账.xlsx",
                                     "QD01_2024_借款人财务报表.xlsx")]
TIMEOUT = 90_000
LANG = "en"


def _idle(page: Page) -> None:
    page.wait_for_timeout(300)  # let a rerun start before waiting for it to end
    page.wait_for_selector(APP_IDLE, timeout=TIMEOUT)


def _go(page: Page, nav_title: str, h1: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=nav_title).click()
    expect(page.locator("h1").first).to_have_text(h1, timeout=TIMEOUT)
    _idle(page)


def _no_errors(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts / f"workflow_{name}.png"), full_page=True)


def test_upload_system_ahp_ranking_whatif(browser: Browser, app_server: Server, artifacts: Path) -> None:
    page = browser.new_page(viewport={"width": 1500, "height": 2000})
    page.goto(f"{app_server.url}/data")
    expect(page.locator("h1").first).to_have_text(t("data.title", "zh"), timeout=TIMEOUT)
    page.locator(".st-key-lang").get_by_role("radio", name="English").click()
    expect(page.locator("h1").first).to_have_text(t("data.title", LANG), timeout=TIMEOUT)
    _idle(page)

    # 1. Three files at once; analyse them as this session's book.
    page.locator("input[type=file]").first.set_input_files([str(f) for f in FILES])
    analyse = page.get_by_role("button", name=t("data.analyse", LANG, n=3))
    expect(analyse).to_be_enabled(timeout=TIMEOUT)
    _idle(page)
    analyse.click()
    expect(page.get_by_text("Analysing my ledgers: 2 snapshot(s)")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("stSidebar").get_by_text("My ledgers: 2 snapshot(s)")).to_be_visible()
    _no_errors(page)
    _shot(page, artifacts, "1_data")

    # 2. A formula indicator in the system: debt against revenue, a cost.
    _go(page, t("system.nav", LANG), t("system.title", LANG))
    page.get_by_label(t("system.add.key", LANG)).fill("debt_to_revenue")
    page.get_by_label(t("system.add.formula", LANG)).fill("total_liabilities / revenue")
    page.get_by_role("button", name=t("system.add.submit", LANG)).click()
    expect(page.get_by_text(t("system.added", LANG, name="debt_to_revenue"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("24 of 24 indicators on")).to_be_visible()
    _idle(page)
    _no_errors(page)
    _shot(page, artifacts, "2_system")

    # 3. AHP: the new indicator is in the financial matrix and gets a global weight.
    _go(page, t("ahp.nav", LANG), t("ahp.title", LANG))
    expect(page.get_by_text("debt_to_revenue").first).to_be_attached(timeout=TIMEOUT)
    _no_errors(page)
    _shot(page, artifacts, "3_ahp")

    # 4. Ranking with combined weights, on the uploaded book.
    _go(page, t("nav.ranking", LANG), t("rank.title", LANG))
    page.locator(".st-key-rank_weighting").get_by_role("radio", name=t("rank.weighting.combined", LANG)).click()
    _idle(page)
    expect(page.get_by_text(t("book.source.mine", LANG, files=", ".join(f.name for f in FILES)).split(" (")[0])
           .first).to_be_visible(timeout=TIMEOUT)
    _no_errors(page)
    _shot(page, artifacts, "4_ranking")

    # 5. What-if: one criterion slider moved; the ranking no longer matches the baseline.
    _go(page, t("nav.whatif", LANG), t("whatif.title", LANG))
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("1.000", timeout=TIMEOUT)
    page.locator(".st-key-whatif_c_credit input[type=range]").focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    _idle(page)
    expect(page.get_by_test_id("stMetricValue").first).not_to_have_text("1.000", timeout=TIMEOUT)
    _no_errors(page)
    _shot(page, artifacts, "5_whatif")

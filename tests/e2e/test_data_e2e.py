"""The data page in a real browser: several files uploaded at once, statuses, the annotated
workbook downloaded, import, and two browser sessions that never see each other's uploads.

Screenshots go to ``artifacts/``.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect

from riskcore.sample_ledgers import PLANTED_ERRORS
from riskview.i18n import t
from tests.e2e.streamlit_server import APP_IDLE, Server

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
GBK = SAMPLES / "QD01_2024-12_贷款台账.csv"
XLSX = SAMPLES / "QD02_2024-11_贷款台账.xlsx"
ERRORS = SAMPLES / "QD03_2024-12_loan_ledger_with_errors.csv"
TIMEOUT = 60_000


def _open(browser: Browser, server: Server, lang: str) -> Page:
    page = browser.new_page(viewport={"width": 1500, "height": 2300})
    page.goto(f"{server.url}/data")
    expect(page.locator("h1").first).to_have_text(t("data.title", "zh"), timeout=TIMEOUT)
    if lang == "en":
        page.locator(".st-key-lang").get_by_role("radio", name="English").click()
        expect(page.locator("h1").first).to_have_text(t("data.title", "en"), timeout=TIMEOUT)
    page.wait_for_selector(APP_IDLE, timeout=TIMEOUT)
    return page


def _files_grid(page: Page):
    return page.get_by_test_id("stDataFrame").first


def test_upload_three_files_download_annotated_and_import(browser: Browser, app_server: Server, artifacts: Path):
    page = _open(browser, app_server, "en")
    page.locator("input[type=file]").set_input_files([str(GBK), str(ERRORS), str(XLSX)])
    expect(page.get_by_role("button", name=t("data.import", "en", n=2))).to_be_enabled(timeout=TIMEOUT)
    page.wait_for_selector(APP_IDLE, timeout=TIMEOUT)
    grid = _files_grid(page)
    for text in ("gb18030", "utf-8-sig", "XLSX", "has errors", "2024-11-30"):
        expect(grid).to_contain_text(text)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(artifacts / "data_en_uploaded.png"))

    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=ERRORS.name).click()
    page.wait_for_selector(APP_IDLE, timeout=TIMEOUT)
    page.get_by_role("tab", name=t("data.tab.problems", "en", n=len(PLANTED_ERRORS))).click()
    with page.expect_download(timeout=TIMEOUT) as download:
        page.get_by_role("button", name=t("data.download_annotated", "en")).click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    data_sheet = book.worksheets[0]
    flagged = {cell.row for row in data_sheet.iter_rows() for cell in row if cell.comment is not None}
    assert flagged == set(PLANTED_ERRORS)
    page.screenshot(path=str(artifacts / "data_en_problems.png"))

    page.get_by_role("button", name=t("data.import", "en", n=2)).click()
    expect(_files_grid(page)).to_contain_text("imported", timeout=TIMEOUT)
    stored = page.get_by_test_id("stDataFrame").last
    expect(stored).to_contain_text("QD01")
    expect(stored).to_contain_text("QD02")


def test_two_browser_sessions_do_not_share_uploads(browser: Browser, app_server: Server):
    first = _open(browser, app_server, "zh")
    first.locator("input[type=file]").set_input_files([str(ERRORS)])
    expect(_files_grid(first)).to_contain_text(ERRORS.name, timeout=TIMEOUT)
    second_context = browser.new_context()
    try:
        second = second_context.new_page()
        second.goto(f"{app_server.url}/data")
        expect(second.locator("h1").first).to_have_text(t("data.title", "zh"), timeout=TIMEOUT)
        second.wait_for_selector(APP_IDLE, timeout=TIMEOUT)
        expect(second.get_by_text(t("data.none", "zh"))).to_be_visible()
        expect(second.get_by_text(ERRORS.name)).to_have_count(0)
    finally:
        second_context.close()

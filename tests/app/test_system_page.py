"""The indicator system page through AppTest: edits in the table, a formula indicator,
versions saved in the store and loaded back, JSON import errors, and the other pages
following the edited system."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from riskcore.store import LedgerStore
from riskcore.system import default_system, from_json, to_json

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


@pytest.fixture
def store_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "store.duckdb"
    monkeypatch.setenv("SME_RISK_STORE", str(path))
    return path


def _system_page(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lang"] = lang
    at.run()
    return at.switch_page("app_pages/system.py").run()


def _edit(at: AppTest, rows: dict[int, dict[str, object]]) -> AppTest:
    key = f"system_editor_{at.session_state['system_gen']}_en"
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return at.run()


def _indicator_table(at: AppTest):
    return next(d.value for d in at.dataframe if "Indicator" in d.value.columns)


def test_table_edits_change_the_system_every_page_uses(store_path):
    at = _system_page()
    assert not at.exception, [e.value for e in at.exception]
    shown = _indicator_table(at)
    assert len(shown) == 23 and shown["On"].all()
    # Missing counts of the sample's latest snapshot: quick ratio needs inventory, which some firms lack.
    assert shown.loc["quick_ratio", "Borrowers missing it"].endswith("/ 8,008")
    assert shown.loc["quick_ratio", "Effect"] == shown.loc["quick_ratio", "Borrowers missing it"].split(" /")[0] + " filled"

    # Switch collateral coverage off, flip litigation's direction, exclude borrowers without a tax rating.
    keys = list(shown.index)
    at = _edit(at, {
        keys.index("collateral_coverage"): {"On": False},
        keys.index("tax_credit_score"): {"Missing-value rule": "Exclude borrower"},
    })
    assert not at.exception, [e.value for e in at.exception]
    system = at.session_state["indicator_system"]
    assert not system.setting("collateral_coverage").enabled
    assert system.setting("tax_credit_score").missing == "exclude"
    assert "unsaved changes" in at.markdown[0].value and "22 of 23" in at.markdown[0].value

    at.switch_page("app_pages/entropy.py").run()
    assert not at.exception, [e.value for e in at.exception]
    indicators = next(d.value for d in at.dataframe if "Entropy e" in d.value.columns)
    assert len(indicators) == 22 and "Collateral coverage" not in set(indicators["Indicator"])


def _click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def test_formula_indicator_versions_and_json(store_path):
    at = _system_page()
    at.text_input(key="system_add_key").set_value("debt_to_revenue")
    at.text_input(key="system_add_formula").set_value("total_liabilities ** 2")
    at = _click(at, "Add indicator")
    assert any("Formula error near character 19" in e.value for e in at.error), [e.value for e in at.error]
    assert "indicator_system" not in at.session_state

    at.text_input(key="system_add_formula").set_value("total_liabilities / revenue")
    at.selectbox(key="system_add_direction_en").set_value("cost")
    at = _click(at, "Add indicator")
    assert not at.exception, [e.value for e in at.exception]
    added = at.session_state["indicator_system"].setting("debt_to_revenue")
    assert (added.formula, added.direction, added.criterion) == ("total_liabilities / revenue", "cost", "financial")
    assert _indicator_table(at).loc["debt_to_revenue", "Computed from (ledger / statement fields)"] == (
        "total_liabilities / revenue")

    # Saving needs an author; the same system twice is one version.
    at.text_input(key="system_save_name").set_value("QD credit committee")
    at = _click(at, "Save")
    assert any("Please give the author" in e.value for e in at.error)
    at.text_input(key="system_save_author").set_value("张三")
    at.text_area(key="system_save_comment").set_value("debt burden against revenue")
    at = _click(at, "Save")
    assert any("version 1" in s.value for s in at.success), [s.value for s in at.success]
    at = _click(at, "Save")
    assert any("Same as" in s.value and "version 1" in s.value for s in at.success)
    store = LedgerStore(store_path)
    versions = store.systems()
    assert versions[["name", "version", "author", "comment", "indicators_enabled"]].values.tolist() == [
        ["QD credit committee", 1, "张三", "debt burden against revenue", 24]]
    saved = store.load_system("QD credit committee", 1)
    assert saved.setting("debt_to_revenue").formula == "total_liabilities / revenue"

    # Back to the default, then load version 1 again.
    at = _click(at, "Back to the default system")
    assert "indicator_system" not in at.session_state
    at = _click(at, "Load the chosen version")
    assert to_json(at.session_state["indicator_system"]) == to_json(saved)

    # The entropy page ranks with the formula indicator.
    at.switch_page("app_pages/entropy.py").run()
    assert not at.exception, [e.value for e in at.exception]
    indicators = next(d.value for d in at.dataframe if "Entropy e" in d.value.columns)
    assert "debt_to_revenue" in set(indicators["Indicator"]) and len(indicators) == 24


def test_json_import_and_its_errors(store_path, tmp_path):
    at = _system_page("zh")
    bad = b'{"format": "sme-risk-indicator-system", "version": 1, "name": "x", "criteria": ["financial"], "indicators": [{"key": "roa", "criterion": "financial", "direction": "up", "enabled": true, "missing": "industry_median", "unit": "ratio", "source": "", "formula": null, "bounds": null}]}'
    at.file_uploader(key="system_import").set_value([("broken.json", bad, "application/json")]).run()
    errors = [e.value for e in at.error]
    assert any("broken.json" in e and "indicators[0].direction" in e for e in errors), errors
    assert "indicator_system" not in at.session_state

    mine = default_system("分行体系").with_setting("roa", enabled=False)
    at.file_uploader(key="system_import").set_value(
        [("mine.json", to_json(mine).encode("utf-8"), "application/json")]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert to_json(at.session_state["indicator_system"]) == to_json(mine)
    assert from_json(to_json(mine)) == mine
    assert "分行体系" in at.markdown[0].value

"""A session's own ledgers analysed on every page (issue #4 bars): a sparse book with
missing columns and constant indicators opens every page in both languages with no
exception and no NaN shown, and another session never sees it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGES = ("ranking", "entropy", "ahp", "whatif", "validation", "system", "data", "portfolio", "trends", "migration",
         "concentration", "warning", "audit")


def sparse_ledger() -> bytes:
    """Two month-ends of a ledger with only the required columns: every loan unsecured
    (信用), no collateral column, no financials, two industries; a few borrowers overdue.
    Most indicators are missing for everyone (imputed, then constant) or constant."""
    rows = []
    for month, when in enumerate(("2024-05-31", "2024-06-30")):
        for i in range(36):
            dpd = (0, 0, 0, 15, 45, 100)[(i + month) % 6] if i % 4 == 0 else 0
            rows.append({
                "数据日期": when, "借据号": f"JJ{i:04d}", "客户号": f"C{i % 30:03d}", "客户名称": f"测试企业{i % 30}有限公司",
                "行业代码": "CF"[i % 2], "贷款金额": 500000, "贷款余额": 400000 - 1000 * i,
                "发放日期": "2024-01-15", "到期日期": "2025-01-15", "担保方式": "信用",
                "五级分类": "次级" if dpd > 90 else "关注" if dpd > 30 else "正常", "逾期天数": dpd,
            })
    return pd.DataFrame(rows).to_csv(index=False).encode("gb18030")


def _start(lang: str, store: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("SME_RISK_STORE", str(store))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lang"] = lang
    return at.run()


def _nan_in(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(_nan_in(v) for v in value.values())
    if isinstance(value, list):
        return any(_nan_in(v) for v in value)
    return False


def _no_nan_shown(at: AppTest, where: str) -> None:
    for frame in at.dataframe:
        shown = frame.value
        assert not shown.isna().any().any(), f"{where}: NaN in table {list(shown.columns)}"
        assert not shown.astype("str").isin(["nan", "NaN", "<NA>", "None"]).any().any(), where
    for metric in at.metric:
        assert "nan" not in str(metric.value).lower(), f"{where}: metric {metric.label} = {metric.value}"
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        for trace in spec.get("data", []):
            for axis in ("x", "y", "z", "values"):
                assert not _nan_in(trace.get(axis)), f"{where}: NaN in a chart trace {trace.get('name')}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sparse_book_opens_every_page_without_nan(lang, tmp_path, monkeypatch):
    at = _start(lang, tmp_path / "store.duckdb", monkeypatch)
    at.switch_page("app_pages/data.py").run()
    at.text_input(key="data_branch").set_value("QD09").run()
    at.file_uploader(key="data_uploader").set_value([("sparse.csv", sparse_ledger(), "text/csv")]).run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="data_analyse").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["book_source"] == "mine"
    assert "2024-05-31" in at.success[-1].value and "2024-06-30" in at.success[-1].value
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        _no_nan_shown(at, f"{lang}/{page}")
    at.switch_page("app_pages/entropy.py").run()
    borrowers = next(m for m in at.metric if m.label in ("借款人户数", "Borrowers"))
    assert borrowers.value == "30"
    # Constant and all-missing indicators are explained, not silently weighted.
    assert at.info or at.caption


def test_another_session_never_sees_the_book(tmp_path, monkeypatch):
    mine = _start("en", tmp_path / "store.duckdb", monkeypatch)
    mine.switch_page("app_pages/data.py").run()
    mine.text_input(key="data_branch").set_value("QD09").run()
    mine.file_uploader(key="data_uploader").set_value([("sparse.csv", sparse_ledger(), "text/csv")]).run()
    mine.button(key="data_analyse").click().run()
    mine.switch_page("app_pages/entropy.py").run()
    assert next(m for m in mine.metric if m.label == "Borrowers").value == "30"

    other = _start("en", tmp_path / "store.duckdb", monkeypatch)
    other.switch_page("app_pages/entropy.py").run()
    assert not other.exception
    assert "working_book" not in other.session_state
    assert next(m for m in other.metric if m.label == "Borrowers").value != "30"
    assert not [c for c in other.sidebar.caption if "My ledgers" in c.value]

    # The first session can go back to the sample and forth again.
    mine.segmented_control(key="book_source").set_value("sample").run()
    assert next(m for m in mine.metric if m.label == "Borrowers").value == next(
        m for m in other.metric if m.label == "Borrowers").value
    mine.segmented_control(key="book_source").set_value("mine").run()
    assert next(m for m in mine.metric if m.label == "Borrowers").value == "30"

"""The concentration and early-warning pages on a session's own sparse ledger (two
month-ends, required columns only: no region, no extension flags, no financials): both
open in both languages without an exception or a NaN, and say what they could not compute."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from riskview.i18n import t

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def sparse_ledger() -> bytes:
    rows = []
    for month, when in enumerate(("2024-05-31", "2024-06-30")):
        for i in range(24):
            dpd = (0, 0, 40, 100)[(i + month) % 4] if i % 3 == 0 else 0
            rows.append({
                "数据日期": when, "借据号": f"JJ{i:04d}", "客户号": f"C{i % 20:03d}", "客户名称": f"测试企业{i % 20}有限公司",
                "行业代码": "CF"[i % 2], "贷款金额": 500000, "贷款余额": 400000 - 5000 * i,
                "发放日期": "2024-01-15", "到期日期": "2024-07-15" if i % 5 == 0 else "2025-01-15", "担保方式": "信用",
                "五级分类": "次级" if dpd > 90 else "关注" if dpd > 30 else "正常", "逾期天数": dpd,
            })
    return pd.DataFrame(rows).to_csv(index=False).encode("gb18030")


@pytest.fixture(scope="module")
def working_book(tmp_path_factory) -> Any:
    import os

    os.environ["SME_RISK_STORE"] = str(tmp_path_factory.mktemp("store") / "store.duckdb")
    try:
        at = AppTest.from_file(APP, default_timeout=180)
        at.session_state["lang"] = "en"
        at.run()
        at.switch_page("app_pages/data.py").run()
        at.text_input(key="data_branch").set_value("QD09").run()
        at.file_uploader(key="data_uploader").set_value([("sparse.csv", sparse_ledger(), "text/csv")]).run()
        at.button(key="data_analyse").click().run()
        assert not at.exception, [e.value for e in at.exception]
        return at.session_state["working_book"]
    finally:
        os.environ.pop("SME_RISK_STORE", None)


def _nan_in(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value) or math.isinf(value)
    if isinstance(value, dict):
        return any(_nan_in(v) for v in value.values())
    if isinstance(value, list):
        return any(_nan_in(v) for v in value)
    return False


def _no_nan_shown(at: AppTest, where: str) -> None:
    for frame in at.dataframe:
        shown = frame.value
        assert not shown.isna().any().any(), f"{where}: NaN in {list(shown.columns)}"
        assert not shown.astype("str").isin(["nan", "NaN", "<NA>", "None", "inf"]).any().any(), where
    for metric in at.metric:
        assert not re.search(r"\b(nan|inf)\b", str(metric.value), flags=re.IGNORECASE), where
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec).get("data", []):
            for axis in ("x", "y", "values"):
                assert not _nan_in(trace.get(axis)), where
    for element in (*at.markdown, *at.caption, *at.success, *at.error, *at.info, *at.warning):
        assert not re.search(r"\b(nan|inf)\b", element.value, flags=re.IGNORECASE), (where, element.value)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", ["concentration", "warning"])
def test_own_sparse_book_opens_without_nan(page: str, lang: str, working_book: Any, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SME_RISK_STORE", str(tmp_path / "store.duckdb"))
    at = AppTest.from_file(str(ROOT / "app_pages" / f"{page}.py"), default_timeout=180)
    at.session_state["lang"] = lang
    at.session_state["working_book"] = working_book
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(t("book.source.mine", lang, files="sparse.csv") == c.value for c in at.caption)
    _no_nan_shown(at, f"{lang}/{page}")
    if page == "concentration":
        # No region column in this ledger: said in words, never a number.
        assert next(m.value for m in at.metric if m.label == t("conc.kpi.region_hhi", lang)) == "—"
        at.number_input(key="conc_net_capital_yi").set_value(0.01).run()  # 1,000,000 yuan
        assert not at.exception
        assert at.error  # the largest borrower holds far more than 10 % of it
        _no_nan_shown(at, f"{lang}/{page} with net capital")
    else:
        skipped = [c.value for c in at.caption]
        # No extension flags and no financials: those rules say why they did not run.
        assert any("is_extended" in c for c in skipped), skipped
        assert any("asset_liability_ratio" in c for c in skipped), skipped
        assert int(next(m.value for m in at.metric if m.label == t("warn.kpi.borrowers", lang))) == 20
        at.toggle(key="warn_trend").set_value(True).run()
        assert not at.exception, [e.value for e in at.exception]
        _no_nan_shown(at, f"{lang}/{page} over time")

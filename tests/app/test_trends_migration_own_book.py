"""The trends and migration pages on a session's own sparse ledger (two month-ends, required
columns only: no product, region or manager): both open in both languages without an
exception or a NaN, show the book's own numbers and say what they cannot compute."""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from riskcore.book import LedgerPart, LoanBook, assemble_book
from riskcore.ingest.pipeline import check_ledger
from riskcore.migration import migration_matrix
from riskcore.trends import aggregate_book, npl_trend
from riskview.i18n import format_percent, t

ROOT = Path(__file__).resolve().parents[2]


def sparse_ledger() -> bytes:
    rows = []
    for month, when in enumerate(("2024-05-31", "2024-06-30")):
        for i in range(24):
            if month == 1 and i == 23:
                continue  # repaid in June
            dpd = (0, 0, 40, 100)[(i + month) % 4] if i % 3 == 0 else 0
            rows.append({
                "数据日期": when, "借据号": f"JJ{i:04d}", "客户号": f"C{i % 20:03d}", "客户名称": f"测试企业{i % 20}有限公司",
                "行业代码": "CF"[i % 2], "贷款金额": 500000, "贷款余额": 400000 - 5000 * i,
                "发放日期": "2024-01-15", "到期日期": "2025-01-15", "担保方式": "信用",
                "五级分类": "次级" if dpd > 90 else "关注" if dpd > 30 else "正常", "逾期天数": dpd,
            })
    return pd.DataFrame(rows).to_csv(index=False).encode("gb18030")


@pytest.fixture(scope="module")
def working_book() -> LoanBook:
    data = sparse_ledger()
    report = check_ledger(data, "sparse.csv", branch="QD09")
    assert not report.has_errors and report.frame is not None
    return assemble_book([LedgerPart(report.frame, hashlib.sha256(data).hexdigest(), "sparse.csv", "QD09")])


def _nan_in(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value) or math.isinf(value)
    if isinstance(value, (list, tuple)):
        return any(_nan_in(v) for v in value)
    return value is None


def _no_nan_shown(at: AppTest, where: str) -> None:
    for frame in at.dataframe:
        assert not frame.value.isna().any().any(), where
        assert not frame.value.astype("str").isin(["nan", "NaN", "<NA>", "None", "inf"]).any().any(), where
    for metric in at.metric:
        assert not re.search(r"\b(nan|inf|none)\b", str(metric.value), flags=re.IGNORECASE), where
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec).get("data", []):
            for axis in ("x", "y", "z"):
                if axis in trace:
                    assert not _nan_in(trace[axis]), (where, trace.get("name"), axis)
    for element in (*at.markdown, *at.caption, *at.info, *at.warning):
        assert not re.search(r"\b(nan|inf)\b", element.value, flags=re.IGNORECASE), (where, element.value)


def _page(name: str, lang: str, book: LoanBook) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app_pages" / f"{name}.py"), default_timeout=120)
    at.session_state["lang"] = lang
    at.session_state["working_book"] = book
    return at.run()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_trends_page_on_the_own_book(lang: str, working_book: LoanBook) -> None:
    at = _page("trends", lang, working_book)
    assert not at.exception, [e.value for e in at.exception]
    assert any(t("book.source.mine", lang, files="sparse.csv") == c.value for c in at.caption)
    trend = npl_trend(aggregate_book(working_book.loans))
    label = t("trend.kpi.npl_ratio", lang, date="2024-06-30")
    assert next(m.value for m in at.metric if m.label == label) == format_percent(float(trend["npl_ratio"].iloc[-1]))
    assert next(m.value for m in at.metric if m.label == t("trend.kpi.loan_growth", lang)) == "—"
    infos = [i.value for i in at.info]
    assert t("trend.yoy_none", lang) in infos and t("trend.vintage_none", lang) in infos
    _no_nan_shown(at, f"trends/{lang}")
    at.selectbox(key="trend_by").set_value("product").run()
    assert not at.exception, [e.value for e in at.exception]
    _no_nan_shown(at, f"trends/{lang}/product")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_migration_page_on_the_own_book(lang: str, working_book: LoanBook) -> None:
    at = _page("migration", lang, working_book)
    assert not at.exception, [e.value for e in at.exception]
    suffix = f"@{working_book.key}"
    assert at.selectbox(key="mig_start" + suffix).value == "2024-05-31"
    matrix = migration_matrix(working_book.loans, "2024-05-31", "2024-06-30")
    shown = at.dataframe[0].value
    assert shown[t("mig.col.total", lang)].tolist() == matrix.counts.sum(axis=1).tolist()
    assert matrix.counts["left"].sum() == 1
    _no_nan_shown(at, f"migration/{lang}")
    at.segmented_control(key="mig_by").set_value("balance").run()
    assert not at.exception
    _no_nan_shown(at, f"migration/{lang}/balance")

"""The validation & sensitivity page through AppTest (three runs on the bundled sample),
its AUC checked against riskcore.validation called directly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from riskcore.indicators import build_indicator_matrix
from riskcore.ranking import rank_book
from riskcore.sample import load_sample
from riskcore.validation import auc, default_within
from riskview.i18n import t
from riskview.validation_view import default_snapshot, fmt

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "validation.py")


def _page(lang: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["lang"] = lang
    return at.run()


@pytest.fixture(scope="module")
def zh_app() -> AppTest:
    return _page("zh")


@pytest.fixture(scope="module")
def en_app() -> AppTest:
    return _page("en")


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _no_nan_shown(at: AppTest) -> None:
    """No table cell, metric or chart coordinate is NaN/None/inf."""
    for frame in at.dataframe:
        assert not frame.value.isna().any().any(), frame.value.columns[frame.value.isna().any()].tolist()
        text = frame.value.astype(str)
        assert not text.apply(lambda c: c.str.contains(r"\bnan\b|\binf\b", case=False)).any().any()
    for metric in at.metric:
        assert metric.value.lower() not in {"nan", "inf", "none", ""}, metric.label
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec)["data"]:
            for axis in ("x", "y"):
                values = trace.get(axis) or []
                assert all(v is not None and not pd.isna(v) for v in values), (trace.get("name"), axis)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_opens_in_both_languages_without_nan(lang: str, zh_app: AppTest, en_app: AppTest) -> None:
    at = zh_app if lang == "zh" else en_app
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("val.title", lang)
    assert len(at.get("plotly_chart")) == 3  # ROC, CAP, default rate by band
    assert t("val.ind.col.auc", lang) in at.dataframe[0].value.columns
    _no_nan_shown(at)


def test_auc_shown_equals_riskcore(zh_app: AppTest) -> None:
    book = load_sample(ROOT / "sample_data")
    dates = sorted(pd.to_datetime(book.loans["snapshot_date"].unique()), reverse=True)
    as_of, full = default_snapshot([d.strftime("%Y-%m-%d") for d in dates])
    assert full
    assert zh_app.selectbox(key="val_snapshot").value == as_of
    branches = sorted(book.loans["branch_id"].astype(str).unique())
    grades = rank_book(build_indicator_matrix(book.loans, book.borrowers, pd.Timestamp(as_of),
                                              branches=branches)).grey.grades
    y = default_within(book.loans, as_of, 12)
    y = y[y.index.isin(grades.index)]
    assert 0 < y.sum() < len(y)
    expected = auc(grades.reindex(y.index), y, higher_is_riskier=False)
    assert _metric(zh_app, t("val.kpi.auc", "zh")) == fmt(expected)
    assert _metric(zh_app, t("val.kpi.borrowers", "zh")) == f"{len(y):,}"
    assert _metric(zh_app, t("val.kpi.defaults", "zh")) == f"{int(y.sum()):,}"


def test_monte_carlo_button_shows_the_table(en_app: AppTest) -> None:
    lang = "en"
    tables = len(en_app.dataframe)
    en_app.button(key="val_run_mc").click().run()
    assert not en_app.exception, [e.value for e in en_app.exception]
    assert len(en_app.dataframe) == tables + 1
    table = en_app.dataframe[-1].value
    assert t("val.mc.col.probability", lang) in table.columns
    assert len(table) >= 50
    assert _metric(en_app, t("val.sens.draws", lang)) == "1,000"
    _no_nan_shown(en_app)

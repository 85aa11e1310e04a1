"""The early-warning page through AppTest, in both languages: the watchlist and its counts
equal riskcore.warning called directly (with the indicator matrices of the snapshot and
the one before); rules edited in the table, added as data, saved, loaded and imported;
the level filter; the counts over time; nothing shows NaN."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from riskcore.indicators import build_indicator_matrix
from riskcore.sample import SampleBook, load_sample
from riskcore.store import LedgerStore
from riskcore.warning import RuleSet, Watchlist, counts_over_time, default_rules, evaluate_rules, to_json
from riskview.i18n import t
from riskview.warning_view import LEVEL_ORDER, level_label

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "warning.py")
RULE_INDEX = {r.id: i for i, r in enumerate(default_rules().rules)}


@pytest.fixture(scope="module")
def book() -> SampleBook:
    return load_sample(ROOT / "sample_data")


@pytest.fixture(scope="module")
def snapshots(book: SampleBook) -> tuple[pd.Timestamp, pd.Timestamp]:
    dates = sorted(pd.to_datetime(book.loans["snapshot_date"].unique()))
    return dates[-1], dates[-2]


@pytest.fixture(autouse=True)
def store_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "store.duckdb"
    monkeypatch.setenv("SME_RISK_STORE", str(path))
    return path


def _expected(book: SampleBook, snapshots: tuple[pd.Timestamp, pd.Timestamp], rules: RuleSet) -> Watchlist:
    latest, previous = snapshots
    branches = sorted(book.loans["branch_id"].astype(str).unique())
    matrix = build_indicator_matrix(book.loans, book.borrowers, latest, branches=branches)
    previous_matrix = build_indicator_matrix(book.loans, book.borrowers, previous, branches=branches)
    return evaluate_rules(rules, book.loans, latest, previous=previous, matrix=matrix,
                          previous_matrix=previous_matrix, branches=branches)


def _page(lang: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state["lang"] = lang
    return at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _watchlist(at: AppTest, lang: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if t("warn.col.triggers", lang) in d.value.columns)


def _edit(at: AppTest, lang: str, rows: dict[int, dict[str, object]]) -> AppTest:
    key = f"warn_editor_{at.session_state['warn_gen']}_{lang}"
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return at.run()


def _click(at: AppTest, label: str) -> AppTest:
    return next(b for b in [*at.button, *at.get("form_submit_button")] if b.label == label).click().run()


def _nan_in(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value) or math.isinf(value)
    if isinstance(value, dict):
        return any(_nan_in(v) for v in value.values())
    if isinstance(value, list):
        return any(_nan_in(v) for v in value)
    return False


def _no_nan_shown(at: AppTest) -> None:
    for frame in at.dataframe:
        shown = frame.value
        assert not shown.isna().any().any(), list(shown.columns)
        assert not shown.astype("str").isin(["nan", "NaN", "<NA>", "None", "inf"]).any().any()
        for column in shown.columns:
            if shown[column].dtype == object or str(shown[column].dtype) == "str":
                assert not shown[column].astype("str").str.contains(r"\bnan\b", case=False).any(), column
    for metric in at.metric:
        assert not re.search(r"\b(nan|inf)\b", str(metric.value), flags=re.IGNORECASE)
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec).get("data", []):
            for axis in ("x", "y"):
                assert not _nan_in(trace.get(axis))
    for element in (*at.markdown, *at.caption, *at.success, *at.error, *at.info):
        assert not re.search(r"\b(nan|inf)\b", element.value, flags=re.IGNORECASE), element.value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_watchlist_equals_riskcore(lang: str, book: SampleBook, snapshots) -> None:
    at = _page(lang)
    _ok(at)
    assert at.title[0].value == t("warn.title", lang)
    expected = _expected(book, snapshots, default_rules())
    counts = expected.counts()
    assert _metric(at, t("warn.kpi.borrowers", lang)) == f"{expected.borrowers:,}"
    assert _metric(at, t("warn.kpi.flagged", lang)) == f"{len(expected.table):,}"
    for level in LEVEL_ORDER:
        assert _metric(at, level_label(level, lang)) == f"{counts[level]:,}"
    shown = _watchlist(at, lang)
    assert shown[t("warn.col.borrower_id", lang)].tolist() == expected.table["borrower_id"].tolist()
    assert shown[t("warn.col.n_rules", lang)].tolist() == expected.table["n_rules"].tolist()
    assert shown[t("warn.col.balance_wan", lang)].tolist() == pytest.approx((expected.table["balance"] / 1e4).tolist())
    # The first row is a red borrower; its triggers name the values of riskcore's hits.
    first = expected.table.iloc[0]
    assert shown[t("warn.col.level", lang)].iloc[0].endswith(level_label(first["level"], lang))
    dpd = expected.hits[(expected.hits["borrower_id"] == first["borrower_id"]) & (expected.hits["field"] == "dpd")]
    if len(dpd):
        assert f"{int(dpd['value'].iloc[0]):,}" in shown[t("warn.col.triggers", lang)].iloc[0]
    # The rules table: one row per default rule.
    rules = next(d.value for d in at.dataframe if t("warn.col.condition", lang) in d.value.columns)
    assert rules[t("warn.col.rule", lang)].tolist() == [r.name(lang) for r in default_rules().rules]
    assert {d.label for d in at.download_button} >= {t("warn.download.csv", lang), t("warn.download.xlsx", lang)}
    _no_nan_shown(at)


def test_level_filter_and_table_edits(book: SampleBook, snapshots) -> None:
    lang = "zh"
    at = _page(lang)
    expected = _expected(book, snapshots, default_rules())
    at.multiselect(key=f"warn_levels_{lang}").set_value(["red"]).run()
    _ok(at)
    shown = _watchlist(at, lang)
    assert len(shown) == expected.counts()["red"]
    assert set(shown[t("warn.col.borrower_id", lang)]) == set(expected.filter(["red"])["borrower_id"])

    # DPD threshold 30 → 60, extension rule off, high leverage to red.
    at.multiselect(key=f"warn_levels_{lang}").set_value(list(LEVEL_ORDER)).run()
    at = _edit(at, lang, {
        RULE_INDEX["dpd_over_30"]: {t("warn.col.threshold", lang): "60"},
        RULE_INDEX["extended"]: {t("warn.col.enabled", lang): False},
        RULE_INDEX["high_leverage"]: {t("warn.col.level", lang): level_label("red", lang)},
    })
    _ok(at)
    rules = at.session_state["warn_rules"]
    assert rules.rule("dpd_over_30").condition["value"] == 60
    assert not rules.rule("extended").enabled and rules.rule("high_leverage").level == "red"
    assert t("warn.state.modified", lang) in at.markdown[0].value
    edited = _expected(book, snapshots, rules)
    counts = edited.counts()
    for level in LEVEL_ORDER:
        assert _metric(at, level_label(level, lang)) == f"{counts[level]:,}"
    assert _metric(at, t("warn.kpi.flagged", lang)) == f"{len(edited.table):,}"

    # A threshold that is not a number, or one given to a flag rule: an error, no change.
    at = _edit(at, lang, {RULE_INDEX["dpd_over_30"]: {t("warn.col.threshold", lang): "abc"}})
    assert any("abc" in e.value for e in at.error), [e.value for e in at.error]
    at = _edit(at, lang, {RULE_INDEX["restructured"]: {t("warn.col.threshold", lang): "5"}})
    assert any("restructured" in e.value and "condition.value" in e.value for e in at.error)
    assert at.session_state["warn_rules"] == rules
    _no_nan_shown(at)


def test_add_save_load_and_import_rules(book: SampleBook, snapshots, store_path: Path) -> None:
    lang = "en"
    at = _page(lang)
    at.text_input(key="warn_add_id").set_value("dpd_over_60")
    at.text_input(key="warn_add_name_en").set_value("More than 60 days past due")
    at.text_area(key="warn_add_condition").set_value('{"field": "dpd", "op": ">", "value": }')
    at = _click(at, t("warn.add.submit", lang))
    assert any("not valid JSON" in e.value for e in at.error), [e.value for e in at.error]
    at.text_area(key="warn_add_condition").set_value('{"field": "days", "op": ">", "value": 60}')
    at = _click(at, t("warn.add.submit", lang))
    assert any("rule 'dpd_over_60', condition.field" in e.value for e in at.error), [e.value for e in at.error]
    at.text_area(key="warn_add_condition").set_value('{"field": "dpd", "op": ">", "value": 60}')
    at.selectbox(key=f"warn_add_level_{lang}").set_value("red")
    at = _click(at, t("warn.add.submit", lang))
    _ok(at)
    added = at.session_state["warn_rules"].rule("dpd_over_60")
    assert (added.level, added.name_zh, added.condition) == ("red", "More than 60 days past due",
                                                             {"field": "dpd", "op": ">", "value": 60})
    rules = at.session_state["warn_rules"]
    expected = _expected(book, snapshots, rules)
    assert _metric(at, level_label("red", lang)) == f"{expected.counts()['red']:,}"

    # Save (needs an author), the same twice is one version; back to the default; load again.
    at.text_input(key="warn_save_name").set_value("QD watch")
    at = _click(at, t("warn.save.submit", lang))
    assert any(t("warn.author_required", lang) in e.value for e in at.error)
    at.text_input(key="warn_save_author").set_value("张三")
    at.text_area(key="warn_save_comment").set_value("adds 60 days")
    at = _click(at, t("warn.save.submit", lang))
    assert any("version 1" in s.value for s in at.success), [s.value for s in at.success]
    at = _click(at, t("warn.save.submit", lang))
    assert any("Same as" in s.value for s in at.success)
    store = LedgerStore(store_path)
    versions = store.rule_sets()
    assert versions[["name", "version", "author", "comment", "rules_enabled"]].values.tolist() == [
        ["QD watch", 1, "张三", "adds 60 days", 9]]
    assert t("warn.state.saved", lang, version=1) in at.markdown[0].value
    at = _click(at, t("warn.reset", lang))
    assert "warn_rules" not in at.session_state
    at = _click(at, t("warn.load", lang))
    _ok(at)
    assert to_json(at.session_state["warn_rules"]) == to_json(store.load_rules("QD watch", 1))

    # Import: a broken file names the path and the rule; a good one is applied.
    doc = json.loads(to_json(default_rules("imported")))
    doc["rules"][1]["condition"]["op"] = ">>"
    at.file_uploader(key="warn_import").set_value([("broken.json", json.dumps(doc).encode(), "application/json")]).run()
    assert any("broken.json" in e.value and "rules[1].condition.op" in e.value for e in at.error)
    good = default_rules("imported").replaced(default_rules().rule("dpd_over_30").with_threshold(45))
    at.file_uploader(key="warn_import").set_value([("good.json", to_json(good).encode(), "application/json")]).run()
    _ok(at)
    assert at.session_state["warn_rules"] == good
    _no_nan_shown(at)


def test_counts_over_time_on_request(book: SampleBook) -> None:
    lang = "zh"
    at = _page(lang)
    # Ledger rules only (the matrix rules off): one evaluation per snapshot, no matrices.
    at = _edit(at, lang, {RULE_INDEX[k]: {t("warn.col.enabled", lang): False}
                          for k in ("high_leverage", "revenue_fall", "grade_drop")})
    _ok(at)
    assert not at.get("plotly_chart")
    at.toggle(key="warn_trend").set_value(True).run()
    _ok(at)
    rules = at.session_state["warn_rules"]
    branches = sorted(book.loans["branch_id"].astype(str).unique())
    expected = counts_over_time(rules, book, branches=branches)
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["barmode"] == "stack"
    assert [trace["name"] for trace in chart["data"]] == [level_label(v, lang) for v in LEVEL_ORDER]
    assert [trace["marker"]["color"] for trace in chart["data"]] == ["#C0392B", "#E67E22", "#F1C40F"]
    for trace, level in zip(chart["data"], LEVEL_ORDER, strict=True):
        assert trace["y"] == expected[level].tolist()
        assert trace["x"] == [d.strftime("%Y-%m-%d") for d in expected.index]
    _no_nan_shown(at)

"""The portfolio overview page through AppTest, every figure checked against riskcore called
directly; no NaN, inf or "nan" anywhere, in either language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_pages.common import WORKING_BOOK
from riskcore.book import LoanBook
from riskcore.classification import classify
from riskcore.ratios import PBOC_2002, ProvisionTable, RatiosOverTime, provision_comparison, ratios_over_time
from riskcore.sample import SampleBook, load_sample
from riskview.i18n import format_amount, format_percent, t
from riskview.portfolio_view import pp_text, reason_text
from riskview.theme import CLASS_COLORS

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "portfolio.py")
KPIS = (("overview.kpi.npl_ratio", "npl_ratio"), ("overview.kpi.special_mention", "special_mention_ratio"),
        ("overview.kpi.overdue_90", "overdue_90_ratio"), ("overview.kpi.coverage", "provision_coverage"),
        ("overview.kpi.loan_provision", "loan_provision_ratio"))
BAD_TEXT = re.compile(r"\b(?:nan|inf|infinity|none|null)\b", re.IGNORECASE)
# MetricProto: colour 0 red, 1 green, 2 grey; direction 0 down, 1 up.
RED, GREEN, GREY, DOWN, UP = 0, 1, 2, 0, 1
UP_IS_BAD = {"npl_ratio": True, "special_mention_ratio": True, "overdue_90_ratio": True,
             "provision_coverage": False, "loan_provision_ratio": False}


@pytest.fixture(scope="module")
def book() -> SampleBook:
    return load_sample(ROOT / "sample_data")


@pytest.fixture(scope="module")
def branches(book: SampleBook) -> list[str]:
    return sorted(book.loans["branch_id"].astype(str).unique())


@pytest.fixture(scope="module")
def expected(book: SampleBook, branches: list[str]) -> RatiosOverTime:
    return ratios_over_time(book.loans, branches=branches)


def _page(lang: str, **state: object) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, object]:
    return {m.label: m for m in at.metric}


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _texts(at: AppTest) -> list[str]:
    out = [at.title[0].value]
    for group in (at.caption, at.markdown, at.info, at.success, at.error, at.warning, at.subheader):
        out += [str(e.value) for e in group]
    for m in at.metric:
        out += [m.label, m.value, m.delta or "", m.help or ""]
    return out


def _no_nan_shown(at: AppTest) -> None:
    for text in _texts(at):
        assert not BAD_TEXT.search(text), text
    for frame in at.dataframe:
        assert not frame.value.isna().any().any(), frame.value
        for column in frame.value.columns:
            if frame.value[column].dtype == object or str(frame.value[column].dtype).startswith("str"):
                assert not frame.value[column].astype(str).str.contains(BAD_TEXT).any(), column
    for chart in _charts(at):
        for trace in chart["data"]:
            for axis in ("x", "y"):
                assert all(v is not None and not pd.isna(v) for v in trace.get(axis) or []), (trace.get("name"), axis)


def _check_kpis(at: AppTest, over: RatiosOverTime, as_of: pd.Timestamp, lang: str) -> None:
    now = over.at(as_of)
    shown = _metrics(at)
    balance = shown[t("overview.kpi.balance", lang)]
    assert balance.value == format_amount(now.balance, lang)
    change = over.change("balance", as_of).value
    assert balance.delta == ("+" if change >= 0 else "-") + format_amount(abs(change), lang)
    for label, name in KPIS:
        metric = shown[t(label, lang)]
        ratio = getattr(now, name)
        assert metric.value == (format_percent(ratio.value) if ratio.value is not None else "—"), name
        delta = over.change(name, as_of)
        assert (metric.delta or None) == (pp_text(delta.value, lang) if delta.value is not None else None), name


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_shows_riskcore_figures_in_both_languages(lang: str, book: SampleBook, expected: RatiosOverTime) -> None:
    at = _page(lang)
    assert at.title[0].value == t("overview.title", lang)
    latest = expected.dates[-1]
    _check_kpis(at, expected, latest, lang)
    now = expected.at(latest)
    # up is bad (red) for NPL, special mention and overdue, good for the provision ratios
    shown = _metrics(at)
    assert shown[t("overview.kpi.balance", lang)].proto.color == GREY
    for label, name in KPIS:
        proto = shown[t(label, lang)].proto
        bad = (proto.direction == UP) == UP_IS_BAD[name]
        assert proto.color == (RED if bad else GREEN), name
    # threshold in help and caption
    help_npl = _metrics(at)[t("overview.kpi.npl_ratio", lang)].help
    assert t("ratio.band.npl_ratio", lang) in help_npl
    captions = [c.value for c in at.caption]
    coverage_status = now.status("provision_coverage")
    assert any(c.endswith(t("ratio.band.provision_coverage", lang))
               and c.startswith(("⚠ " if coverage_status == "breach" else "") + t(f"ratio.status.{coverage_status}",
                                                                                  lang)) for c in captions)
    # inclusive check
    incl = now.inclusive
    messages = [m.value for m in (*at.success, *at.error)]
    key = "overview.incl.breach" if incl.status == "breach" else "overview.incl.ok"
    assert messages == [t(key, lang, gap=pp_text(incl.gap.value, lang))]
    _no_nan_shown(at)


def test_stacked_bar_has_riskcore_balances_in_the_fixed_class_colours(expected: RatiosOverTime) -> None:
    lang = "zh"
    at = _page(lang)
    chart = next(c for c in _charts(at) if c["layout"]["title"]["text"] == t("overview.chart.classes.title", lang))
    assert chart["layout"]["barmode"] == "stack"
    assert [trace["meta"] for trace in chart["data"]] == [1, 2, 3, 4, 5]
    assert [trace["marker"]["color"] for trace in chart["data"]] == [CLASS_COLORS[c] for c in range(1, 6)]
    balances = expected.class_balances()
    for trace in chart["data"]:
        assert trace["y"] == pytest.approx((balances[trace["meta"]] / 1e8).tolist(), abs=1e-4)
    assert len(chart["data"][0]["x"]) == len(expected.dates)


def test_branch_rules_and_snapshot_pickers(book: SampleBook, branches: list[str]) -> None:
    lang = "en"
    at = _page(lang)
    at.multiselect(key="overview_branches").set_value([branches[1]])
    at.selectbox(key="overview_rules").set_value("card").run()
    assert not at.exception, [e.value for e in at.exception]
    over = ratios_over_time(book.loans, branches=[branches[1]], rules="card")
    _check_kpis(at, over, over.dates[-1], lang)
    earlier = over.dates[-5]
    at.selectbox(key="overview_snapshot").set_value(earlier.strftime("%Y-%m-%d")).run()
    assert not at.exception
    _check_kpis(at, over, earlier, lang)
    chart = next(c for c in _charts(at) if c["layout"]["title"]["text"] == t("overview.chart.classes.title", lang))
    assert t("cls.rules.card", lang) in chart["layout"]["title"]["subtitle"]["text"]
    _no_nan_shown(at)

    at.multiselect(key="overview_branches").set_value([]).run()
    assert [w.value for w in at.warning] == [t("overview.no_branch", lang)]


def test_exceptions_table_lists_riskcore_exceptions(book: SampleBook, branches: list[str],
                                                    expected: RatiosOverTime) -> None:
    lang = "zh"
    # the snapshot with the most exceptions, so the table has rows to compare
    loans = book.loans
    counts = {d: s.exceptions for d, s in zip(expected.dates, expected.snapshots)}
    when = max(counts, key=counts.__getitem__)
    assert counts[when] > 0
    at = _page(lang)
    at.selectbox(key="overview_snapshot").set_value(when.strftime("%Y-%m-%d")).run()
    snapshot = loans.loc[pd.to_datetime(loans["snapshot_date"]) == when]
    want = classify(snapshot).exceptions
    table = next(f.value for f in at.dataframe if t("cls.col.floor", lang) in f.value.columns)
    assert table[t("cls.col.loan_id", lang)].tolist() == want["loan_id"].tolist()
    assert table[t("cls.col.dpd", lang)].tolist() == want["dpd"].tolist()
    assert table[t("cls.col.balance", lang)].tolist() == pytest.approx((want["balance"] / 1e4).tolist())
    assert len(table) == expected.at(when).exceptions
    _no_nan_shown(at)


def test_editing_the_provision_rates_recomputes_required_provisions(expected: RatiosOverTime) -> None:
    lang = "zh"
    at = _page(lang)
    required_col, class_col = t("overview.prov.col.required", lang), t("overview.prov.col.class", lang)
    now = expected.at(expected.dates[-1])

    def shown_total() -> str:
        frame = next(f.value for f in at.dataframe if required_col in f.value.columns)
        return frame.set_index(class_col).loc[t("overview.prov.total", lang), required_col]

    default = provision_comparison(now.balance_by_class, PBOC_2002)
    assert shown_total() == f"{default.required / 1e4:,.2f}"
    rate = t("overview.prov.col.rate", lang)
    at.session_state[f"overview_rates_{lang}"] = {
        "edited_rows": {1: {rate: 5.0}, 5: {rate: 1.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    custom = ProvisionTable("custom", (0.0, 0.05, 0.25, 0.50, 1.0), general_rate=0.01)
    edited = provision_comparison(now.balance_by_class, custom)
    assert shown_total() == f"{edited.required / 1e4:,.2f}"
    assert t("overview.prov.table_in_use", lang, table=t("ratio.table.custom", lang)) in [c.value for c in at.caption]
    chart = next(c for c in _charts(at) if c["layout"]["title"]["text"] == t("overview.chart.prov.title", lang))
    assert chart["data"][0]["y"] == pytest.approx((edited.by_class["required"] / 1e8).tolist(), abs=1e-4)
    assert t("ratio.table.custom", lang) in chart["layout"]["title"]["subtitle"]["text"]
    _no_nan_shown(at)


def _thin_book() -> LoanBook:
    """Two month-ends, no provision column, no NPL, no inclusive flag: most ratios undefined."""
    loans = pd.DataFrame({
        "snapshot_date": pd.to_datetime(["2024-11-30", "2024-12-31", "2024-12-31"]),
        "branch_id": ["X1", "X1", "X1"], "branch_name": ["试点支行"] * 3,
        "loan_id": ["J1", "J1", "J2"], "borrower_id": ["C1", "C1", "C2"], "borrower_name": ["甲", "甲", "乙"],
        "balance": [500.0, 400.0, 100.0], "five_class": [1, 1, 2], "dpd": [0, 0, 12],
    })
    borrowers = pd.DataFrame({"borrower_id": pd.Series(dtype="str"), "report_period": pd.Series(dtype="Int64")})
    return LoanBook(loans=loans, borrowers=borrowers, key="thinbook0001", sources=("thin.csv",))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_undefined_figures_show_a_dash_and_the_reason(lang: str) -> None:
    at = _page(lang, **{WORKING_BOOK: _thin_book()})
    shown = _metrics(at)
    assert shown[t("overview.kpi.npl_ratio", lang)].value == "0.00%"
    for label in ("overview.kpi.coverage", "overview.kpi.loan_provision"):
        metric = shown[t(label, lang)]
        assert metric.value == "—" and not metric.delta
        assert reason_text("no_provision_column", lang) in metric.help
    captions = [c.value for c in at.caption]
    assert t("ratio.undefined", lang, reason=reason_text("no_provision_column", lang)) in captions
    assert t("overview.prov.no_booked", lang, reason=reason_text("no_provision_column", lang)) in [
        i.value for i in at.info]
    assert t("overview.incl.undefined", lang, reason=reason_text("no_inclusive_flag", lang)) in [
        i.value for i in at.info]
    assert t("cls.exceptions.none", lang) in [i.value for i in at.info]
    _no_nan_shown(at)

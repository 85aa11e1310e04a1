"""riskview.portfolio_view: texts of undefined ratios, threshold marks, editor round trip, tables."""

from __future__ import annotations

import pandas as pd
import pytest

from riskcore.ratios import PBOC_2002, Ratio, portfolio_ratios, provision_comparison
from riskview.i18n import t
from riskview.portfolio_view import (
    class_balance_figure,
    delta_text,
    exceptions_display,
    provisions_display,
    rates_frame,
    ratio_value,
    ratio_with_reason,
    table_from_rates,
    threshold_caption,
)
from riskview.theme import CLASS_COLORS


def loans(npl_balance: float) -> pd.DataFrame:
    return pd.DataFrame({"snapshot_date": pd.Timestamp("2024-12-31"), "balance": [100.0 - npl_balance, npl_balance],
                         "five_class": [1, 3], "dpd": [0, 100], "provision": [0.5, 0.5]})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_undefined_ratios_read_as_a_dash_with_the_reason(lang: str) -> None:
    undefined = Ratio(None, "no_npl")
    assert ratio_value(undefined) == "—"
    assert ratio_with_reason(undefined, lang) == t("ratio.undefined", lang, reason=t("ratio.reason.no_npl", lang))
    assert ratio_with_reason(Ratio(0.0123), lang) == "1.23%"
    assert delta_text(Ratio(None, "no_previous"), lang) is None
    assert delta_text(Ratio(0.0012), lang) == t("ratio.pp", lang, value="+0.12")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_breached_threshold_is_marked(lang: str) -> None:
    breached = portfolio_ratios(loans(10.0))  # NPL 10 % > 5 %; coverage 10 % < 120 %
    caption = threshold_caption("npl_ratio", breached, lang)
    assert caption == f"⚠ {t('ratio.status.breach', lang)} · {t('ratio.band.npl_ratio', lang)}"
    fine = portfolio_ratios(loans(1.0))
    assert not threshold_caption("npl_ratio", fine, lang).startswith("⚠")
    assert threshold_caption("provision_coverage", fine, lang).startswith("⚠")  # 1 / 1 = 100 % < 120 %


def test_the_rate_editor_round_trip() -> None:
    lang = "en"
    frame = rates_frame(PBOC_2002, lang)
    assert frame[t("overview.prov.col.rate", lang)].tolist() == [0.0, 2.0, 25.0, 50.0, 100.0, 0.0]
    assert table_from_rates(frame, PBOC_2002, lang) is PBOC_2002
    edited = frame.copy()
    edited.loc[2, t("overview.prov.col.rate", lang)] = 30.0
    edited.loc[3, t("overview.prov.col.rate", lang)] = 250.0  # out of range: the default stays
    table = table_from_rates(edited, PBOC_2002, lang)
    assert table.name == "custom" and table.rates == (0.0, 0.02, 0.30, 0.50, 1.0)


def test_tables_and_figure_never_show_nan() -> None:
    lang = "zh"
    r = portfolio_ratios(loans(10.0).drop(columns="provision"))
    shown = provisions_display(r.required_provisions, lang)
    assert not shown.isna().any().any() and set(shown[t("overview.prov.col.booked", lang)]) == {"—"}
    booked = provisions_display(provision_comparison(r.balance_by_class, PBOC_2002, [1, 2, 3, 4, 5]), lang)
    assert booked[t("overview.prov.col.gap", lang)].iloc[-1] == f"{(15 - 2.5) / 1e4:+,.2f}"
    exceptions = pd.DataFrame({"loan_id": ["J1"], "borrower_id": ["C1"], "borrower_name": [pd.NA],
                               "branch_id": ["X"], "reported_class": [1], "dpd": [40], "floor": [2],
                               "balance": [1e4]})
    table = exceptions_display(exceptions, lang, {})
    assert table.iloc[0].tolist() == ["J1", "—（C1）", "X", "正常", 40, "关注", 1.0]
    fig = class_balance_figure(pd.DataFrame([[1e8, 0, 0, 0, 0]], columns=[1, 2, 3, 4, 5],
                                            index=pd.DatetimeIndex(["2024-12-31"])), lang, rules="2023")
    assert [tr.marker.color for tr in fig.data] == [CLASS_COLORS[c] for c in range(1, 6)]
    assert fig.data[0].y == (1.0,)

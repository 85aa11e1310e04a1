"""Labels and figures of the trends and migration pages: undefined values are left out, never NaN."""

from __future__ import annotations

import pandas as pd
import pytest

from riskcore.migration import STATES, migration_matrix, npl_share, project
from riskcore.trends import aggregate_book, npl_trend, yoy_growth
from riskview.migration_view import matrix_table, migration_heatmap, projection_table, state_label
from riskview.theme import CLASS_COLORS
from riskview.trends_view import bucket_label, group_label, npl_overview, yoy_bars


def book(rows):
    frame = pd.DataFrame(rows, columns=["snapshot_date", "loan_id", "branch_id", "balance", "five_class", "dpd"])
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"])
    return frame


def test_labels() -> None:
    assert group_label(None, "all", "zh") == "全部"
    assert group_label("branch_id", "QD01", "zh", {"QD01": "青岛市南支行"}) == "青岛市南支行"
    assert group_label("industry", "C", "en") == "Manufacturing"
    assert group_label("guarantee_type", "mortgage", "zh") == "抵押"
    assert group_label("product", "", "en") == "(not given)"
    assert bucket_label("0", "en") == "Current" and bucket_label("31-60", "zh") == "逾期 31-60 天"
    assert state_label("new", "en") == "New" and state_label("3", "zh") == "次级"


def test_an_undefined_ratio_or_growth_is_left_out_of_the_chart() -> None:
    rows = [("2023-06-30", "a", "B1", 0.0, 1, 0), ("2024-06-30", "a", "B1", 100.0, 3, 95),
            ("2024-06-30", "b", "B2", 50.0, 1, 0)]
    agg = aggregate_book(book(rows))
    trend = npl_trend(agg)
    fig = npl_overview(trend, "en").to_dict()
    ratio = next(tr for tr in fig["data"] if tr["meta"] == "npl_ratio")
    assert list(ratio["x"]) == ["2024-06-30"] and list(ratio["y"]) == pytest.approx([100 / 150])
    growth = yoy_growth(agg, "branch_id")
    assert growth["loan_growth"].isna().all()  # B1 had 0, B2 nothing a year ago
    bars = yoy_bars(growth, "branch_id", "en").to_dict()
    assert all(len(tr["y"]) == 0 for tr in bars["data"])


def test_migration_table_heatmap_and_projection_have_no_nan() -> None:
    rows = [("2024-01-31", "a", "B1", 10.0, 1, 0), ("2024-02-29", "a", "B1", 9.0, 2, 5),
            ("2024-02-29", "b", "B1", 4.0, 1, 0)]
    m = migration_matrix(book(rows), "2024-01-31", "2024-02-29")
    table = matrix_table(m, "count", "en")
    assert table["Total"].tolist() == [1, 0, 0, 0, 0, 1] and not table.isna().any().any()
    heat = migration_heatmap(m, "balance", "en").to_dict()["data"][0]
    assert heat["text"][1][0] == "—" and heat["z"][1] == [0.0] * 6  # nobody in class 2 at the start
    p = pd.DataFrame(0.0, index=list(STATES), columns=list(STATES))
    p["left"] = 1.0
    out = project({1: 10.0}, p, 1)
    shown = projection_table(out, npl_share(out), "count", "en", (0, 1))
    assert shown["NPL share"].tolist() == ["0.00%", "—"]
    assert CLASS_COLORS[5]

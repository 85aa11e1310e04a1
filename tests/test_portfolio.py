import numpy as np
import pandas as pd
import pytest

from riskcore.portfolio import book_summary, dpd_floor, final_class


@pytest.mark.parametrize(
    ("dpd", "floor"),
    [(0, 1), (1, 2), (90, 2), (91, 3), (270, 3), (271, 4), (360, 4), (361, 5), (np.nan, 1)],
)
def test_dpd_floor_boundaries_2023(dpd, floor):
    assert dpd_floor([dpd]).tolist() == [floor]


def test_final_class_is_the_worse_of_reported_and_floor():
    reported = pd.Series([1, 3, 1, 2, None])
    dpd = pd.Series([95, 0, 0, 400, 30])
    assert final_class(reported, dpd).tolist() == [3, 3, 1, 5, 2]


def loans():
    return pd.DataFrame({
        "snapshot_date": pd.to_datetime(["2024-12-31"] * 4 + ["2024-11-30"]),
        "branch_id": ["A", "A", "B", "B", "A"],
        "balance": [100.0, 50.0, 30.0, 20.0, 999.0],
        "five_class": [1, 3, 1, 2, 5],
        "dpd": [0, 100, 120, 0, 400],  # the third loan is reported normal at 120 DPD: an exception
    })


def test_book_summary_hand_computed():
    s = book_summary(loans())
    assert s.as_of == pd.Timestamp("2024-12-31")
    assert (s.loans, s.balance, s.npl_balance) == (4, 200.0, 80.0)
    assert s.npl_ratio == pytest.approx(0.4)
    assert s.exceptions == 1 and s.undefined_reason is None
    a = book_summary(loans(), "2024-12-31", branches=["A"])
    assert a.npl_ratio == pytest.approx(50 / 150)


def test_empty_selection_has_undefined_ratio_not_nan():
    s = book_summary(loans(), branches=["Z"])
    assert s.npl_ratio is None and s.undefined_reason == "empty_book"


def test_errors():
    with pytest.raises(ValueError, match=r"no snapshot dated 2020-01-31"):
        book_summary(loans(), "2020-01-31")
    with pytest.raises(ValueError, match=r"lacks the columns \['dpd'\]"):
        book_summary(loans().drop(columns="dpd"))


def test_npl_ratio_series_equals_book_summary_at_every_snapshot():
    from riskcore.portfolio import npl_ratio_series

    book = loans()
    series = npl_ratio_series(book)
    # 2024-11-30: the one loan is loss (class 5) -> 1.0; 2024-12-31: (50 + 30) / 200 (hand-computed above)
    assert series.index.tolist() == [pd.Timestamp("2024-11-30"), pd.Timestamp("2024-12-31")]
    assert series.tolist() == pytest.approx([1.0, 0.4])
    for branches in (None, ["A"], ["B"]):
        s = npl_ratio_series(book, branches=branches)
        for date, ratio in s.items():
            assert ratio == pytest.approx(book_summary(book, date, branches=branches).npl_ratio)
    assert npl_ratio_series(book, branches=["B"]).index.tolist() == [pd.Timestamp("2024-12-31")]
    zero = book.assign(balance=0.0)
    assert npl_ratio_series(zero).isna().all()  # undefined, not 0 and not an error
    with pytest.raises(ValueError, match="lacks the columns"):
        npl_ratio_series(book.drop(columns="dpd"))

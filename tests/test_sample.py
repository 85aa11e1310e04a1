"""Tests of the deterministic sample book (riskcore.sample) and the committed sample_data/."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskcore import sample as S

SMALL = {"n_branches": 2, "months": 4, "loans_per_branch": 300}
PBOC_2002_NPL_RATES = {3: 0.25, 4: 0.50, 5: 1.00}


def _floor(dpd: pd.Series) -> np.ndarray:
    d = dpd.to_numpy()
    return 1 + (d >= 1).astype(int) + (d > 90) + (d > 270) + (d > 360)


@pytest.fixture(scope="module")
def book() -> S.SampleBook:
    return S.generate()


@pytest.fixture(scope="module")
def small() -> S.SampleBook:
    return S.generate(7, **SMALL)


# ---------------------------------------------------------------- determinism and the files


def test_same_seed_gives_identical_frames(small: S.SampleBook) -> None:
    again = S.generate(7, **SMALL)
    pd.testing.assert_frame_equal(small.loans, again.loans)
    pd.testing.assert_frame_equal(small.borrowers, again.borrowers)


def test_other_seed_gives_other_book(small: S.SampleBook) -> None:
    other = S.generate(8, **SMALL)
    assert not small.loans["balance"].equals(other.loans["balance"])


def test_small_config_is_respected(small: S.SampleBook) -> None:
    assert sorted(small.loans["branch_id"].unique()) == ["QD01", "QD02"]
    assert list(small.loans["snapshot_date"].drop_duplicates()) == list(
        pd.date_range("2023-01-31", periods=4, freq="ME")
    )


@pytest.mark.parametrize("kwargs", [{"n_branches": 0}, {"n_branches": 6}, {"months": 0},
                                    {"loans_per_branch": 0}])
def test_bad_config_raises(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        S.generate(1, **kwargs)  # type: ignore[arg-type]


def test_committed_parquet_equals_generate(book: S.SampleBook) -> None:
    saved = S.load_sample()
    pd.testing.assert_frame_equal(saved.loans, book.loans)
    pd.testing.assert_frame_equal(saved.borrowers, book.borrowers)


def test_write_and_load_round_trip(small: S.SampleBook, tmp_path: Path) -> None:
    S.write_sample(small, tmp_path)
    back = S.load_sample(tmp_path)
    pd.testing.assert_frame_equal(back.loans, small.loans)
    pd.testing.assert_frame_equal(back.borrowers, small.borrowers)
    assert (tmp_path / "QD01_2023-04_贷款台账.csv").exists()


def test_sample_dir_is_small() -> None:
    total = sum(p.stat().st_size for p in S.DEFAULT_DIR.iterdir() if p.is_file())
    assert total < 10 * 2**20


# ---------------------------------------------------------------- schema


def test_columns_and_dtypes(book: S.SampleBook) -> None:
    loans, borrowers = book.loans, book.borrowers
    assert tuple(loans.columns) == S.LOAN_COLUMNS
    assert tuple(borrowers.columns) == S.BORROWER_COLUMNS
    for col in ("loan_id", "contract_id", "borrower_id", "uscc", "region_code", "branch_id"):
        assert pd.api.types.is_string_dtype(loans[col]), col
    assert pd.api.types.is_string_dtype(borrowers["borrower_id"])
    for col in ("snapshot_date", "origination_date", "maturity_date"):
        assert pd.api.types.is_datetime64_dtype(loans[col]), col
    for col in ("credit_limit", "loan_amount", "balance", "collateral_value", "provision"):
        assert loans[col].dtype == np.float64, col
    assert loans["dpd"].dtype == np.int64
    assert loans["five_class"].dtype == np.int64
    assert loans["default_flag"].dtype == bool


def test_ids_are_strings_with_leading_zeros(book: S.SampleBook) -> None:
    loans = book.loans
    assert loans["borrower_id"].str.fullmatch(r"C\d{6}").all()
    assert loans["borrower_id"].str.startswith("C00").any()
    assert loans["loan_id"].str.fullmatch(r"JJ20\d{8}").all()
    assert loans["region_code"].str.fullmatch(r"3702\d{2}").all()
    assert loans["uscc"].str.len().eq(18).all()


def test_uscc_check_characters(book: S.SampleBook) -> None:
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    for code in book.loans["uscc"].drop_duplicates().head(500):
        total = sum(charset.index(c) * w for c, w in zip(code[:17], weights, strict=True))
        assert charset[(31 - total % 31) % 31] == code[17], code


# ---------------------------------------------------------------- book shape


def test_snapshots_and_loans_per_branch(book: S.SampleBook) -> None:
    loans = book.loans
    dates = loans["snapshot_date"].drop_duplicates().sort_values()
    assert list(dates) == list(pd.date_range("2023-01-31", "2024-12-31", freq="ME"))
    counts = loans.groupby(["snapshot_date", "branch_id"]).size()
    assert counts.index.get_level_values("branch_id").nunique() == 3
    assert counts.between(2000, 4000).all(), counts.describe()


def test_loan_id_unique_within_snapshot(book: S.SampleBook) -> None:
    assert not book.loans.duplicated(["snapshot_date", "loan_id"]).any()


def test_borrowers_hold_one_to_three_loans(book: S.SampleBook) -> None:
    per = book.loans.groupby(["snapshot_date", "borrower_id"]).size()
    assert per.min() >= 1 and per.max() <= 3
    assert (per > 1).any()


def test_loan_fields_are_consistent(book: S.SampleBook) -> None:
    loans = book.loans
    assert (loans["balance"] > 0).all()
    assert (loans["balance"] <= loans["loan_amount"] + 0.01).all()
    assert (loans["origination_date"] <= loans["snapshot_date"]).all()
    assert (loans["maturity_date"] > loans["origination_date"]).all()
    assert loans["interest_rate"].between(0.03, 0.09).all()
    assert (loans["credit_limit"] >= loans["loan_amount"]).all()
    unsecured = loans["guarantee_type"].isin(["credit", "guarantee"])
    assert (loans.loc[unsecured, "collateral_value"] == 0).all()
    assert set(loans["guarantee_type"]) == {"credit", "guarantee", "mortgage", "pledge", "mixed"}
    assert (loans["is_inclusive"] == (loans["credit_limit"] <= 1e7)).all()
    assert (loans["overdue_principal"] <= loans["balance"] + 0.01).all()
    assert (loans.loc[loans["dpd"] == 0, "overdue_interest"] == 0).all()
    term = (loans["maturity_date"] - loans["origination_date"]).dt.days / 30.44
    assert term.between(5.5, 37.5).mean() > 0.95


# ---------------------------------------------------------------- classification and provisions


def test_class_mostly_at_or_above_dpd_floor(book: S.SampleBook) -> None:
    loans = book.loans
    floor = _floor(loans["dpd"])
    below = loans["five_class"].to_numpy() < floor
    assert below.mean() <= 0.01
    assert below.sum() > 0
    overdue = loans["dpd"].to_numpy() > 0
    assert 0.002 <= below[overdue].mean() <= 0.01


def test_classified_worse_than_dpd_suggests_exists(book: S.SampleBook) -> None:
    loans = book.loans
    assert ((loans["five_class"] == 2) & (loans["dpd"] == 0)).any()
    assert ((loans["five_class"] == 3) & loans["dpd"].between(31, 90)).any()


def test_default_flag_is_final_class_npl(book: S.SampleBook) -> None:
    loans = book.loans
    final = np.maximum(loans["five_class"].to_numpy(), _floor(loans["dpd"]))
    assert (loans["default_flag"].to_numpy() == (final >= 3)).all()


def test_provisions_at_least_2002_rates_for_npl(book: S.SampleBook) -> None:
    loans = book.loans
    for cls, rate in PBOC_2002_NPL_RATES.items():
        part = loans[loans["five_class"] == cls]
        assert len(part) > 0
        assert (part["provision"] >= rate * part["balance"] - 0.01).all(), cls
    normal = loans[loans["five_class"] == 1]
    assert normal["provision"].sum() / normal["balance"].sum() >= 0.01


def test_npl_ratio_path_has_stress_and_recovery(book: S.SampleBook) -> None:
    path = S.npl_ratio_by_month(book.loans)["npl_ratio"]
    first_q = path.iloc[:3].mean()
    stress = path.loc["2023-07-31":"2024-06-30"]
    peak = stress.max()
    assert 0.01 <= first_q <= 0.025
    assert peak > 1.5 * first_q
    assert 0.035 <= peak <= 0.06
    assert path.iloc[-3:].mean() < peak
    assert path.iloc[-1] < peak


# ---------------------------------------------------------------- borrowers


def test_borrower_table_covers_loans_and_has_mess(book: S.SampleBook) -> None:
    borrowers = book.borrowers
    assert set(book.loans["borrower_id"]) <= set(borrowers["borrower_id"])
    assert not borrowers.duplicated(["borrower_id", "report_period"]).any()
    assert set(borrowers["report_period"]) == {2022, 2023, 2024}
    np.testing.assert_allclose(borrowers["equity"],
                               borrowers["total_assets"] - borrowers["total_liabilities"])
    assert (borrowers["equity"] < 0).any()
    assert (borrowers["interest_expense"] == 0).any()
    assert (borrowers["revenue_prev"] == 0).any()
    for col in ("inventory", "operating_cash_flow", "top_customer_share", "owner_experience_years"):
        assert borrowers[col].isna().any(), col
    assert borrowers["top_customer_share"].dropna().between(0, 1).all()
    assert set(borrowers["tax_credit_rating"].dropna()) <= {"A", "B", "M", "C", "D"}


def test_worse_tax_rating_defaults_more(book: S.SampleBook) -> None:
    last = book.loans[book.loans["snapshot_date"] == "2024-12-31"]
    fin = book.borrowers[book.borrowers["report_period"] == 2023]
    rate = last.merge(fin, on="borrower_id").groupby("tax_credit_rating")["default_flag"].mean()
    assert rate["A"] < rate["B"] < rate["C"] < rate["D"]


# ---------------------------------------------------------------- bank-style CSV


def test_bank_csv_decodes_and_total_row_sums(book: S.SampleBook) -> None:
    path = S.DEFAULT_DIR / S.CSV_NAME
    raw = path.read_bytes()
    assert len(raw) < 2**20
    text = raw.decode("gb18030")
    assert text.splitlines()[0].startswith("青岛市南支行小微企业贷款台账 2024年12月")
    table = pd.read_csv(io.StringIO(text), skiprows=1, dtype=str, keep_default_na=False)
    assert list(table.columns[:5]) == ["数据日期", "机构号", "借据号", "合同号", "客户号"]
    total, rows = table.iloc[-1], table.iloc[:-1]
    assert total["数据日期"] == "合计"
    balances = rows["贷款余额"].astype(float)
    assert float(total["贷款余额"]) == pytest.approx(balances.sum(), abs=0.01)
    assert float(total["贷款金额"]) == pytest.approx(rows["贷款金额"].astype(float).sum(), abs=0.01)
    assert rows["客户号"].str.fullmatch(r"C\d{6}").all()
    assert set(rows["担保方式"]) <= {"信用", "保证", "抵押", "质押", "组合"}
    assert set(rows["五级分类"]) <= {"正常", "关注", "次级", "可疑", "损失"}
    assert rows["执行利率"].str.fullmatch(r"\d\.\d\d%").all()
    expected = book.loans[(book.loans["branch_id"] == "QD01") & (book.loans["snapshot_date"] == "2024-12-31")]
    assert len(rows) == len(expected)
    assert balances.sum() == pytest.approx(expected["balance"].sum(), abs=0.01)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rows["发放日期"].iloc[0])


@pytest.mark.slow
def test_main_writes_files_and_prints_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert S.main(["--out", str(tmp_path), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "npl_ratio" in out and "2024-12-31" in out
    assert {p.name for p in tmp_path.iterdir()} == {"loans.parquet", "borrowers.parquet", S.CSV_NAME}

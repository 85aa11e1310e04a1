import pytest

from riskcore.ingest import map_columns, parse_ledger, read_table
from riskcore.ingest.validate import validate_loans

HEADER = ("数据日期,借据号,客户号,客户名称,行业代码,企业规模,授信额度,贷款金额,贷款余额,发放日期,到期日期,"
          "担保方式,五级分类,逾期天数,是否普惠")


def check(rows: list[str]):
    raw = read_table(("\n".join([HEADER, *rows]) + "\n").encode("gbk"), "book.csv")
    mapping = map_columns(list(raw.frame.columns))
    return validate_loans(raw, parse_ledger(raw, mapping), mapping.columns)


GOOD = "2024-06-30,JJ1,001,甲,C,小型,5000000,100,80,2024-01-01,2025-01-01,信用,正常,0,是"


def test_clean_row_has_no_issues():
    result = check([GOOD])
    assert result.issues == () and not result.has_errors


def test_every_rule_fires_on_its_row_and_column():
    result = check([
        GOOD,
        "2024-06-30,JJ1,002,乙,C,小型,5000000,100,80,2024-01-01,2025-01-01,信用,正常,0,是",      # duplicate id
        "2024-06-30,JJ3,003,丙,C,小型,5000000,100,-5,2024-01-01,2025-01-01,信用,正常,0,是",      # negative balance
        "2024-06-30,JJ4,004,丁,C,小型,5000000,100,80,2024-01-01,2023-01-01,信用,正常,0,是",      # maturity < origination
        "2024-06-30,JJ5,005,戊,C,小型,5000000,100,120,2024-01-01,2025-01-01,信用,正常,0,是",     # balance > amount
        "2024-06-30,JJ6,006,己,C,小型,5000000,100,80,2024-01-01,2025-01-01,信用,关注,95,是",     # class better than floor
        "2024-06-30,JJ7,007,庚,C,小型,20000000,100,80,2024-01-01,2025-01-01,信用,正常,0,是",    # inclusive but line > 10m
    ])
    got = {(i.row, i.column, i.code, i.severity) for i in result.issues}
    assert got == {
        (3, "借据号", "duplicate_loan_id", "error"),
        (4, "贷款余额", "negative_amount", "error"),
        (5, "到期日期", "maturity_before_origination", "error"),
        (6, "贷款余额", "balance_above_amount", "warning"),
        (7, "五级分类", "class_better_than_floor", "warning"),
        (8, "是否普惠", "inclusive_flag_mismatch", "warning"),
    }
    dup = next(i for i in result.issues if i.code == "duplicate_loan_id")
    assert dup.params == {"first_row": 2} and dup.value == "JJ1"
    floor = next(i for i in result.issues if i.code == "class_better_than_floor")
    assert floor.params == {"dpd": 95, "floor": 3} and floor.value == "关注"
    assert result.has_errors


@pytest.mark.parametrize(("dpd", "reported", "flagged"), [(0, "正常", False), (1, "正常", True), (1, "关注", False),
                                                          (91, "关注", True), (271, "次级", True), (361, "可疑", True),
                                                          (361, "损失", False)])
def test_class_floor_boundaries(dpd, reported, flagged):
    row = f"2024-06-30,JJ1,001,甲,C,小型,5000000,100,80,2024-01-01,2025-01-01,信用,{reported},{dpd},是"
    codes = [i.code for i in check([row]).issues]
    assert ("class_better_than_floor" in codes) is flagged

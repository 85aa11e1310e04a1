"""Malformed uploads through import_ledger: each is a clear file-level error, its bytes are
kept (stored before parsing), and no snapshot or loan changes.

The read-level behaviour of some of these inputs is in test_read.py (PNG junk, CSV with
only a header, truncated XLSX, damaged sheet XML); here every one also goes through the
store, and the XLSX cases are built by tests/ingest/_xlsx.py.
"""

import random
import shutil
from pathlib import Path

import pandas as pd
import pytest
from _xlsx import flip_member_bytes, sheet_xml, xlsx_bytes

from riskcore.ingest import ReadError, read_table
from riskcore.ingest.pipeline import import_ledger
from riskcore.store import LedgerStore

LEGACY = (Path(__file__).resolve().parents[1] / "data" / "ledger_legacy.xls").read_bytes()
HEADER = ["数据日期", "机构号", "借据号", "客户号", "客户名称", "行业代码", "贷款金额", "贷款余额（万元）",
          "发放日期", "到期日期", "担保方式", "五级分类", "逾期天数"]


def loan(k: int) -> list[object]:
    return ["2024-06-30", "QD05", f"JJ{k:05d}", f"{k:06d}", f"青岛{k}号有限公司", "C", 1_000_000, 50 + k,
            "2024-01-05", "2025-01-05", "信用", "正常", 0]


def ledger_xml(n: int = 200, title: bool = True) -> str:
    return sheet_xml([["青岛市南支行贷款台账"]] * title + [HEADER] + [loan(k) for k in range(n)])


GOOD_XLSX = xlsx_bytes([("台账", ledger_xml())])
RAGGED_CSV = "\n".join([
    "青岛市南支行贷款台账",
    ",".join(HEADER),
    ",".join(map(str, loan(1))),
    ",".join(map(str, loan(2))) + ",多出的备注,再多一列",
    ",".join(map(str, loan(3)))[:20],
]).encode("gbk")

MALFORMED = {
    "empty file": ("empty.csv", b"", "empty_file", r"the file is empty"),
    "only a header (XLSX)": ("header_only.xlsx", xlsx_bytes([("台账", sheet_xml([["台账"], HEADER]))]),
                             "no_data_rows", r"the table has a header \(row 2\) but no data rows"),
    "binary junk named .xlsx": ("junk.xlsx", random.Random(9).randbytes(20_000), "binary_not_table",
                                r"binary but neither XLSX, XLS nor text"),
    "ZIP cut in half": ("cut.xlsx", GOOD_XLSX[: len(GOOD_XLSX) // 2], "damaged_xlsx", r"damaged or truncated ZIP/XLSX"),
    "ZIP without its last bytes": ("cut_end.xlsx", GOOD_XLSX[:-10], "damaged_xlsx", r"damaged or truncated ZIP/XLSX"),
    "CSV with inconsistent column counts": (
        "ragged.csv", RAGGED_CSV, "ragged_row", r"row 4 has 15 filled cells but the header \(row 2\) has 13 columns"),
    "XLSX with damaged sheet data": ("damaged.xlsx", flip_member_bytes(GOOD_XLSX, "xl/worksheets/"),
                                     "unreadable_workbook", r"sheet '台账' cannot be read"),
    "XLSX with no sheet": ("no_sheet.xlsx", xlsx_bytes([]), "no_sheet", r"the workbook has no sheet"),
    "XLSX whose sheets are all empty": ("blank.xlsx", xlsx_bytes([("Sheet1", sheet_xml([])), ("Sheet2", sheet_xml([]))]),
                                        "empty_file", r"every sheet of the workbook is empty; sheets: \['Sheet1', 'Sheet2'\]"),
    "truncated XLS": ("cut.xls", LEGACY[:-100], "unreadable_workbook", r"damaged or truncated legacy Excel \(\.xls\)"),
    "junk with the OLE2 magic number": ("junk.xls", LEGACY[:8] + random.Random(4).randbytes(9000),
                                        "unreadable_workbook", r"damaged or truncated legacy Excel \(\.xls\)"),
}


@pytest.fixture(scope="module")
def stocked(tmp_path_factory):
    """A store file that already holds one good book (the legacy XLS ledger, branch QD02)."""
    path = tmp_path_factory.mktemp("store") / "store.duckdb"
    report, records = import_ledger(LedgerStore(path), LEGACY, "ledger_legacy.xls")
    assert not report.has_errors and [(r.branch_id, r.rows) for r in records] == [("QD02", 5)]
    return path


@pytest.fixture
def store(stocked, tmp_path):
    """A copy of the stocked store for one test."""
    for part in stocked.parent.iterdir():  # the database and, if DuckDB left one, its WAL
        shutil.copyfile(part, tmp_path / part.name)
    return LedgerStore(tmp_path / "store.duckdb")


def test_legacy_xls_becomes_a_snapshot_with_text_ids_and_yuan(store):
    snap = store.snapshots().iloc[0]
    assert (snap["branch_id"], str(snap["as_of"])[:10], snap["rows"], snap["status"]) == (
        "QD02", "2024-06-30", 5, "active")
    assert snap["balance"] == pytest.approx(4_382_043)
    loans = store.loans(int(snap["id"]))
    assert loans["borrower_id"].tolist() == ["000123", "000045", "007001", "000123", "010203"]
    assert loans["loan_id"].tolist() == [f"002024000{k}" for k in range(1, 6)]
    assert loans["balance"].tolist() == pytest.approx([805_000, 500_000, 2_876_543, 122_500, 78_000])


@pytest.mark.parametrize(("name", "data", "code", "message"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_upload_is_reported_and_leaves_the_store_unchanged(store, name, data, code, message):
    with pytest.raises(ReadError, match=message) as err:
        read_table(data, name)
    assert err.value.code == code and str(err.value).startswith(f"{name}: ")

    snapshots, loans, counts = store.snapshots(), store.loans(), store.counts()
    report, records = import_ledger(store, data, name)
    assert records == [] and report.has_errors and report.frame is None
    assert [(i.file, i.code, i.severity) for i in report.issues] == [(name, code, "error")]
    pd.testing.assert_frame_equal(store.snapshots(), snapshots)
    pd.testing.assert_frame_equal(store.loans(), loans)
    after = store.counts()
    # The upload itself is kept (bytes stored before parsing); nothing else changes.
    assert {k: after[k] - counts[k] for k in after} == {k: int(k in ("files", "uploads")) for k in after}


FIRST_SHEETS = {
    "empty": [],
    "title only": [["青岛市南支行 2024年6月 报送"]],
    "notes, one per row": [["填报说明"], ["1. 金额单位：万元"], ["2. 数据来源：信贷管理系统"], ["3. 请勿修改表头"]],
    "title and header without data (a template)": [["贷款台账（模板）"], HEADER],
}


@pytest.mark.parametrize("first", list(FIRST_SHEETS.values()), ids=list(FIRST_SHEETS))
def test_ledger_on_the_second_sheet_is_found_and_imported(store, first):
    data = xlsx_bytes([("封面", sheet_xml(first)), ("台账", ledger_xml(3, title=False))])
    t = read_table(data, "two_sheets.xlsx")
    assert (t.sheet, t.sheets, t.header_row) == ("台账", ("封面", "台账"), 1)
    assert t.frame["客户号"].tolist() == ["000000", "000001", "000002"]
    before = store.snapshots()
    report, records = import_ledger(store, data, "two_sheets.xlsx")
    assert report.issues == () and report.sheet == "台账"
    assert [(r.branch_id, r.rows, r.recognised) for r in records] == [("QD05", 3, False)]
    after = store.snapshots()
    assert len(after) == len(before) + 1
    assert after.iloc[-1]["balance"] == pytest.approx((50 + 51 + 52) * 10_000)
    pd.testing.assert_frame_equal(after.iloc[: len(before)], before)

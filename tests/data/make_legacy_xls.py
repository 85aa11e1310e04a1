"""Write tests/data/ledger_legacy.xls: a small bank loan ledger as a real legacy Excel file
(BIFF8 inside an OLE2 compound document, what "Excel 97-2003 workbook" saves and what many
core banking systems still export), and tests/data/ledger_legacy_small.xls, a two-loan
workbook whose Workbook stream is under 4096 bytes and so lives in the compound file's
*mini stream* (MS-CFB keeps every stream under 4096 bytes there), which exercises the
other branch of the reader's OLE2 structure check.

Why a committed binary: nothing the project depends on can *write* .xls (openpyxl reads
and writes only XLSX; python-calamine only reads). ``xlwt`` can, but it is unmaintained
(last release 2017) and is needed only to make these fixtures, so it is deliberately
not in requirements.txt or requirements-dev.txt. The tests read the committed files;
they never run this script.

Regenerate (only when the ledgers below change), then commit the three files::

    pip install xlwt==1.3.0          # into a scratch environment; not a project dependency
    python tests/data/make_legacy_xls.py

The output is byte-for-byte reproducible (xlwt writes no timestamps), so re-running the
script without changes leaves git clean. The expected values in
tests/ingest/test_read_xls.py were worked out by hand from the tables below; change
them together.

xlwt always pads the Workbook stream to 4096 bytes, so for the small file its BIFF
records (``Workbook.get_biff_data``) are wrapped here in a minimal compound file by
:func:`compound_file_with_mini_stream` (MS-CFB version 3, 512-byte sectors).

What ledger_legacy.xls holds, so the reader is tested on what banks really send:

* sheet 1 "市北支行": a title merged across the table (row 1), a one-cell unit note
  (row 2), the header on row 3 with Chinese headers including 贷款余额（万元）, five loans
  (rows 4-8), a 合计 total row (row 9);
* IDs with leading zeros (客户号 000123, 借据号 0020240001) stored as *text* cells;
* dates stored as real Excel dates (numbers with a date format), in three formats:
  yyyy-mm-dd, yyyy/m/d and yyyy"年"m"月"d"日";
* 机构号 merged vertically over the five loans (one branch cell, as exported);
* one 万元 balance stored as a text cell ("7.80"), as hand-edited ledgers have;
* sheet 2 "市南支行": another branch's ledger, header on row 1, two loans, no total.
"""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

import xlwt

OUT = Path(__file__).with_name("ledger_legacy.xls")
OUT_SMALL = Path(__file__).with_name("ledger_legacy_small.xls")

HEADER = ["数据日期", "机构号", "借据号", "客户号", "客户名称", "行业代码", "贷款金额（元）", "贷款余额（万元）",
          "发放日期", "到期日期", "担保方式", "五级分类", "逾期天数"]
AS_OF = dt.date(2024, 6, 30)
# 借据号, 客户号, 客户名称, 行业代码, 贷款金额（元）, 贷款余额（万元）, 发放日期, 到期日期, 担保方式, 五级分类, 逾期天数
NORTH = [
    ("0020240001", "000123", "青岛甲贸易有限公司", "F", 1_000_000, 80.5, dt.date(2023, 6, 30), dt.date(2025, 6, 30),
     "信用", "正常", 0),
    ("0020240002", "000045", "青岛乙制造有限公司", "C", 500_000, 50, dt.date(2024, 1, 5), dt.date(2025, 1, 5),
     "抵押", "关注", 15),
    ("0020240003", "007001", "青岛丙建筑工程有限公司", "E", 3_000_000, 287.6543, dt.date(2022, 3, 15),
     dt.date(2027, 3, 15), "保证", "正常", 0),
    ("0020240004", "000123", "青岛甲贸易有限公司", "F", 200_000, 12.25, dt.date(2023, 11, 20), dt.date(2024, 11, 20),
     "质押", "次级", 95),
    ("0020240005", "010203", "青岛丁餐饮管理有限公司", "H", 80_000, "7.80", dt.date(2024, 2, 29),
     dt.date(2025, 2, 28), "信用", "正常", 0),
]
SOUTH = [
    ("0010240101", "000777", "青岛戊物流有限公司", "G", 600_000, 55.5, dt.date(2024, 3, 1), dt.date(2026, 3, 1),
     "保证", "正常", 0),
    ("0010240102", "000888", "青岛己科技有限公司", "I", 400_000, 40, dt.date(2024, 4, 10), dt.date(2025, 4, 10),
     "信用", "正常", 0),
]


FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def compound_file_with_mini_stream(workbook: bytes) -> bytes:
    """A version-3 compound file holding one stream, "Workbook", in the mini stream.

    Layout: header; sector 0 the FAT; sector 1 the directory (root + Workbook + two unused
    entries); sector 2 the mini FAT; sectors 3.. the mini stream (the root entry's data)
    in 64-byte mini sectors.
    """
    assert len(workbook) < 4096, "a stream of 4096 bytes or more goes in regular sectors"
    n_mini = -(-len(workbook) // 64)
    ministream = workbook.ljust(n_mini * 64, b"\0")
    n_data = -(-len(ministream) // 512)
    fat = [FATSECT, ENDOFCHAIN, ENDOFCHAIN] + [4 + k for k in range(n_data - 1)] + [ENDOFCHAIN]
    minifat = [k + 1 for k in range(n_mini - 1)] + [ENDOFCHAIN]

    def table(entries: list[int]) -> bytes:
        return struct.pack("<128I", *(entries + [FREESECT] * (128 - len(entries))))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB3I", len(encoded), kind, 1, NOSTREAM, NOSTREAM, child)
                + bytes(36) + struct.pack("<IQ", start, size))

    directory = (entry("Root Entry", 5, 1, 3 if n_mini else ENDOFCHAIN, len(ministream))
                 + entry("Workbook", 2, NOSTREAM, 0, len(workbook))
                 + entry("", 0, NOSTREAM, 0, 0) * 2)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 2, 1, ENDOFCHAIN, 0)
              + struct.pack("<109I", 0, *[FREESECT] * 108))
    assert len(header) == 512 and len(directory) == 512
    return header + table(fat) + directory + table(minifat) + ministream.ljust(n_data * 512, b"\0")


def small_workbook() -> bytes:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("台账")
    for c, name in enumerate(["客户号", "客户名称", "贷款余额（万元）", "发放日期"]):
        ws.write(0, c, name)
    date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for r, (borrower, name, balance, start) in enumerate(
            [("000123", "青岛甲贸易有限公司", 12.5, dt.date(2024, 6, 30)),
             ("000045", "青岛乙制造有限公司", 3, dt.date(2024, 5, 1))], start=1):
        ws.write(r, 0, borrower)
        ws.write(r, 1, name)
        ws.write(r, 2, balance)
        ws.write(r, 3, start, date)
    return compound_file_with_mini_stream(wb.get_biff_data())


def main() -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    title = xlwt.easyxf("font: bold on, height 280; align: horiz center")
    bold = xlwt.easyxf("font: bold on")
    iso = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    slash = xlwt.easyxf(num_format_str="yyyy/m/d")
    chinese = xlwt.easyxf(num_format_str='yyyy"年"m"月"d"日"')
    money = xlwt.easyxf(num_format_str="#,##0.00")
    wan = xlwt.easyxf(num_format_str="#,##0.0000")

    def write_loans(ws: xlwt.Worksheet, first_row: int, branch: str, loans: list[tuple], merge_branch: bool) -> None:
        for k, (loan_id, borrower, name, industry, amount, balance, start, end, guarantee, klass, dpd) in enumerate(loans):
            r = first_row + k
            ws.write(r, 0, AS_OF, slash)
            if not merge_branch:
                ws.write(r, 1, branch)
            for c, value in enumerate((loan_id, borrower, name, industry), start=2):
                ws.write(r, c, value)  # str -> a text cell: leading zeros kept
            ws.write(r, 6, amount, money)
            ws.write(r, 7, balance, wan if not isinstance(balance, str) else xlwt.Style.default_style)
            ws.write(r, 8, start, chinese)
            ws.write(r, 9, end, iso)
            ws.write(r, 10, guarantee)
            ws.write(r, 11, klass)
            ws.write(r, 12, dpd)
        if merge_branch:
            ws.write_merge(first_row, first_row + len(loans) - 1, 1, 1, branch)

    north = wb.add_sheet("市北支行")
    north.write_merge(0, 0, 0, len(HEADER) - 1, "青岛市北支行小微企业贷款台账（2024年6月30日）", title)
    north.write(1, 0, "单位：贷款金额 元，贷款余额 万元")
    for c, name in enumerate(HEADER):
        north.write(2, c, name, bold)
    write_loans(north, 3, "QD02", NORTH, merge_branch=True)
    total_row = 3 + len(NORTH)
    north.write(total_row, 0, "合计", bold)
    north.write(total_row, 6, sum(loan[4] for loan in NORTH), money)
    north.write(total_row, 7, round(sum(float(loan[5]) for loan in NORTH), 4), wan)

    south = wb.add_sheet("市南支行")
    for c, name in enumerate(HEADER):
        south.write(0, c, name, bold)
    write_loans(south, 1, "QD01", SOUTH, merge_branch=False)

    wb.save(str(OUT))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    OUT_SMALL.write_bytes(small_workbook())
    print(f"wrote {OUT_SMALL} ({OUT_SMALL.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from riskcore.ingest import ReadError, read_table, sniff_format

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "sample_data" / "QD01_2024-12_贷款台账.csv"

HEADER = "客户号,统一社会信用代码,客户名称,贷款余额（万元）,发放日期"
ROWS = [
    "001,91370202MA3C5K8X2Q,青岛甲贸易有限公司,\"1,200.50\",2024/6/30",
    "002,91370203MA3D0001XY,青岛乙制造有限公司,35,20240501",
]


def csv_bytes(encoding: str, *, title: bool = True, total: bool = True, bom: bool = False) -> bytes:
    lines = (["青岛市南支行小微企业贷款台账 2024年6月"] if title else []) + [HEADER, *ROWS]
    if total:
        lines.append("合计,,,\"1,235.50\",")
    text = "\r\n".join(lines) + "\r\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws["A1"] = "青岛市南支行贷款台账（单位：万元）"
    ws.merge_cells("A1:E1")
    ws.append([])
    ws.append(["客户号", "机构", "贷款余额（万元）", "发放日期", "统一社会信用代码"])
    ws.append(["001", "市南支行", 12.5, dt.date(2024, 6, 30), "91370202MA3C5K8X2Q"])
    ws.append(["002", None, 3, dt.datetime(2024, 5, 1), "91370203MA3D0001XY"])
    ws.merge_cells("B4:B5")  # a merged branch cell spanning two loans
    ws.append([])
    ws.append(["003", "市北支行", 7.25, dt.date(2024, 1, 15), "91370203MA3D0002XY"])
    ws.append(["小计", None, 22.75, None, None])
    ws.append([])
    ws.append([])
    notes = wb.create_sheet("说明")
    notes["A1"] = "导出说明"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------ CSV


@pytest.mark.parametrize(
    ("encoding", "bom", "reported"),
    [("utf-8", False, "utf-8"), ("utf-8", True, "utf-8-sig"), ("gbk", False, "gb18030"),
     ("gb18030", False, "gb18030"), ("utf-16", False, "utf-16")],
)
def test_csv_encodings_are_detected_and_named(encoding, bom, reported):
    t = read_table(csv_bytes(encoding, bom=bom), "台账.csv")
    assert t.format == "csv" and t.encoding == reported
    assert t.title == "青岛市南支行小微企业贷款台账 2024年6月"
    assert t.header_row == 2
    assert list(t.frame.columns) == HEADER.split(",")
    assert t.frame.index.tolist() == [3, 4]
    assert t.frame["客户号"].tolist() == ["001", "002"]  # leading zeros kept
    assert t.frame["统一社会信用代码"].tolist() == ["91370202MA3C5K8X2Q", "91370203MA3D0001XY"]
    assert t.frame["贷款余额（万元）"].tolist() == ["1,200.50", "35"]  # parsed later, under the schema
    assert [(d.row, d.reason, d.label) for d in t.dropped_rows] == [(5, "total_row", "合计")]
    assert t.totals.loc[5, "贷款余额（万元）"] == "1,235.50"


def test_csv_without_title_has_header_on_row_one():
    t = read_table(csv_bytes("utf-8", title=False, total=False), "a.csv")
    assert t.header_row == 1 and t.title is None and t.dropped_rows == ()
    assert t.frame.index.tolist() == [2, 3]


def test_bundled_bank_style_gbk_ledger():
    t = read_table(SAMPLE_CSV.read_bytes(), SAMPLE_CSV.name)
    assert (t.encoding, t.header_row) == ("gb18030", 2)
    assert t.title.startswith("青岛市南支行")
    assert len(t.frame) == 2898
    assert [(d.row, d.reason) for d in t.dropped_rows] == [(2901, "total_row")]
    assert t.frame["借据号"].is_unique


def test_tab_and_semicolon_delimiters():
    data = "客户号\t余额\n001\t5\n002\t6\n".encode()
    assert read_table(data, "x.txt").frame["余额"].tolist() == ["5", "6"]
    data = "客户号;余额\n001;5\n002;6\n".encode()
    assert read_table(data, "x.csv").frame["客户号"].tolist() == ["001", "002"]


@pytest.mark.parametrize("label", ["合计", "总计", "小计", "本页小计", "合 计", "Total", "SUBTOTAL", "合计："])
def test_total_and_subtotal_rows_are_dropped_and_reported(label):
    data = f"客户号,余额\n001,5\n{label},5\n002,6\n".encode()
    t = read_table(data, "x.csv")
    assert t.frame["客户号"].tolist() == ["001", "002"]
    assert [(d.row, d.reason, d.label) for d in t.dropped_rows] == [(3, "total_row", label)]


def test_interior_blank_rows_reported_trailing_blank_rows_and_columns_ignored():
    data = "客户号,余额,,\n001,5,,\n,,,\n002,6,,\n,,,\n,,,\n".encode()
    t = read_table(data, "x.csv")
    assert list(t.frame.columns) == ["客户号", "余额"]
    assert t.frame.index.tolist() == [2, 4]
    assert [(d.row, d.reason) for d in t.dropped_rows] == [(3, "blank_row")]


def test_blank_and_duplicate_headers_get_names():
    t = read_table("客户号,,余额,余额\n001,x,5,6\n".encode(), "x.csv")
    assert list(t.frame.columns) == ["客户号", "B", "余额", "余额.2"]


# ------------------------------------------------------------------ XLSX


def test_xlsx_title_merges_dates_and_subtotal():
    t = read_table(xlsx_bytes(), "台账.xlsx")
    assert (t.format, t.sheet, t.sheets, t.encoding) == ("xlsx", "台账", ("台账", "说明"), None)
    assert t.title == "青岛市南支行贷款台账（单位：万元）"
    assert t.header_row == 3
    assert t.frame.index.tolist() == [4, 5, 7]
    assert t.frame["客户号"].tolist() == ["001", "002", "003"]
    assert t.frame["机构"].tolist() == ["市南支行", "市南支行", "市北支行"]  # merged cell spread
    assert t.frame["贷款余额（万元）"].tolist() == ["12.5", "3", "7.25"]
    assert t.frame["发放日期"].tolist() == ["2024-06-30", "2024-05-01", "2024-01-15"]
    assert t.frame["统一社会信用代码"].str.len().tolist() == [18, 18, 18]
    assert [(d.row, d.reason, d.label) for d in t.dropped_rows] == [(6, "blank_row", ""), (8, "total_row", "小计")]


def test_xlsx_sheet_choice_by_name_and_position():
    assert read_table(xlsx_bytes(), "a.xlsx", sheet=0).sheet == "台账"
    with pytest.raises(ReadError, match=r"no header row found"):
        read_table(xlsx_bytes(), "a.xlsx", sheet="说明")
    with pytest.raises(ReadError, match=r"there is no sheet '明细'; sheets: \['台账', '说明'\]") as err:
        read_table(xlsx_bytes(), "a.xlsx", sheet="明细")
    assert err.value.code == "unknown_sheet"


def test_format_is_sniffed_by_content_not_extension():
    assert read_table(xlsx_bytes(), "ledger.csv").format == "xlsx"
    assert read_table(csv_bytes("gbk"), "ledger.xlsx").format == "csv"
    assert sniff_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100) == "xls"


# ------------------------------------------------------------------ malformed files


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (b"", "empty_file", r"^bad\.xlsx: the file is empty$"),
        (b"  \r\n \n", "empty_file", r"the file is empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary_not_table", r"binary but neither XLSX, XLS nor text"),
        ("客户号,余额\n".encode(), "no_data_rows", r"has a header \(row 1\) but no data rows"),
        ("只有一列\n1\n2\n".encode(), "no_header", r"no header row found in the first 30 rows"),
        ("客户号,余额\n001,5\n002,6,7,8\n".encode(), "ragged_row",
         r"row 3 has 4 filled cells but the header \(row 1\) has 2 columns"),
    ],
)
def test_malformed_files_raise_clear_errors(data, code, message):
    with pytest.raises(ReadError, match=message) as err:
        read_table(data, "bad.xlsx")
    assert err.value.code == code and err.value.file == "bad.xlsx"


def test_truncated_xlsx_is_reported_as_damaged():
    data = xlsx_bytes()
    with pytest.raises(ReadError, match=r"damaged or truncated|not a readable Excel workbook") as err:
        read_table(data[: len(data) // 2], "cut.xlsx")
    assert err.value.code == "damaged_xlsx"


def test_zip_that_is_not_a_workbook():
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ReadError, match="not a readable Excel workbook"):
        read_table(buf.getvalue(), "x.xlsx")


def test_short_rows_are_padded():
    t = read_table("客户号,余额,备注\n001,5\n002,6,x\n".encode(), "x.csv")
    assert t.frame.loc[2, "备注"] == "" and t.frame.loc[3, "备注"] == "x"


# ------------------------------------------------------------------ the three CSV readers agree

TRICKY_CSV = (
    "青岛分行小微贷款台账\n"
    "客户号,名称,余额,备注\n"
    '"001","青岛甲, 有限公司",5,\n'
    '002,"多行\n名称",6,合计金额以元计\n'
    "003,  会计服务  ,7,x\n"
    "004,设计院,8,total due 8\n"
    "小计,,26,\n"
    "合计：,,26,\n"
    "\n\n"
)


def _read_without_arrow(data: bytes, name: str, monkeypatch: pytest.MonkeyPatch):
    import riskcore.ingest.read as read_module

    with monkeypatch.context() as patch:
        patch.setattr(read_module, "_csv_body_arrow", lambda *args: None)
        slow = read_table(data, name)
        patch.setattr(read_module, "_csv_body", lambda *args: None)
        slowest = read_table(data, name)
    return slow, slowest


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16"])
def test_arrow_pandas_and_csv_module_readers_give_the_same_table(encoding, monkeypatch):
    data = TRICKY_CSV.encode(encoding)
    fast = read_table(data, "t.csv")
    for other in _read_without_arrow(data, "t.csv", monkeypatch):
        pd.testing.assert_frame_equal(fast.frame, other.frame)
        pd.testing.assert_frame_equal(fast.totals, other.totals)
        assert (fast.dropped_rows, fast.encoding, fast.title) == (other.dropped_rows, other.encoding, other.title)
    assert fast.frame.loc[3, "名称"] == "青岛甲, 有限公司" and fast.frame.loc[4, "名称"] == "多行\n名称"
    assert fast.frame.loc[5, "名称"] == "会计服务"  # 计 inside a name is not a total label
    assert [(d.row, d.label) for d in fast.dropped_rows] == [(7, "小计"), (8, "合计：")]


def test_gbk_file_with_undecodable_bytes_names_the_row():
    rows = "".join(f"{k:03d},青岛{k}号,{k}\n" for k in range(200))
    data = ("客户号,名称,余额\n" + rows).encode("gbk").replace("青岛7号".encode("gbk"), b"\x80\x80\x80")
    with pytest.raises(ReadError, match=r"neither UTF-8 nor GBK/GB18030 \(first bad bytes in row 9\)") as err:
        read_table(data, "x.csv")
    assert err.value.code == "undecodable_text" and err.value.params == {"row": 9}


def test_blank_line_inside_the_body_keeps_row_numbers():
    t = read_table("客户号,余额\n001,5\n\n002,6\n".encode("gbk"), "x.csv")
    assert t.frame.index.tolist() == [2, 4]
    assert [(d.row, d.reason) for d in t.dropped_rows] == [(3, "blank_row")]


def test_workbook_cells_converted_in_bulk_match_cell_by_cell_text():
    from riskcore.ingest.read import _cell_text, _grid_text

    cells = [
        ["text", " padded ", "", "001"],
        [1.0, -0.0, 2.5, 0.1],
        [1e15, 1e20, float("nan"), 123456789.123],
        [dt.date(2024, 6, 30), dt.datetime(2024, 6, 30), dt.datetime(2024, 6, 30, 12, 5), dt.time(10, 5)],
        [True, None, 7, dt.timedelta(days=2)],
        [45473.0, "x", dt.date(2024, 1, 5), 3.0],
    ]
    rows = cells + [list(col) for col in zip(*cells)]  # mixed columns and single-type columns
    rows = [row + [""] * (6 - len(row)) for row in rows]
    grid = _grid_text(rows)
    expected = [[_cell_text(v) if not isinstance(v, str) else v for v in row] for row in rows]
    assert grid.tolist() == expected
    assert grid[1].tolist()[:4] == ["1", "0", "2.5", "0.1"] and grid[2][1] == "1e+20"


def test_workbook_with_damaged_sheet_data_is_a_clear_error_not_a_crash():
    import zipfile

    data = bytearray(xlsx_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        member = next(i for i in archive.infolist() if i.filename.startswith("xl/worksheets/"))
    start = member.header_offset + 30 + len(member.filename) + len(member.extra)
    for k in range(member.compress_size // 3, member.compress_size // 3 + 8):
        data[start + k] ^= 0xFF
    with pytest.raises(ReadError, match=r"^cut\.xlsx: sheet '.+' cannot be read") as err:
        read_table(bytes(data), "cut.xlsx")
    assert err.value.code == "unreadable_workbook"


def test_sign_off_and_note_rows_are_left_out_and_reported():
    rows = ["客户号,客户名称,贷款余额,五级分类,逾期天数",
            "001,青岛甲,100,正常,0",
            "002,青岛乙,200,关注,10",
            "合计,,300,,",
            "制表人：张三,,,复核：李四,",
            "备注：本表金额单位为元,,,,",
            "Prepared by: Wang,,,,"]
    t = read_table("\n".join(rows).encode("gbk"), "x.csv")
    assert t.frame.index.tolist() == [2, 3]
    assert [(d.row, d.reason, d.label) for d in t.dropped_rows] == [
        (4, "total_row", "合计"), (5, "note_row", "制表人：张三"), (6, "note_row", "备注：本表金额单位为元"),
        (7, "note_row", "Prepared by: Wang")]


def test_a_loan_named_like_a_note_is_kept():
    rows = ["客户号,客户名称,贷款余额,五级分类,逾期天数", "001,备注科技有限公司,100,正常,0"]
    assert read_table("\n".join(rows).encode("utf-8"), "x.csv").frame.index.tolist() == [2]


def test_sheet_with_a_stray_cell_far_right_is_trimmed():
    from riskcore.ingest.read import _grid_text

    grid = _grid_text([["a", "b"] + [""] * 40_000, ["1", "2"] + [""] * 40_000, ["", ""] + [""] * 39_999 + [None]])
    assert grid.shape == (3, 2)


@pytest.mark.parametrize("newline", ["\r", "\n", "\r\n"])
def test_old_mac_windows_and_unix_line_ends(newline):
    text = newline.join(["客户号,余额,备注", "001,5,x", "002,6,y", ""])
    t = read_table(text.encode("gbk"), "x.csv")
    assert t.frame.index.tolist() == [2, 3] and t.frame["余额"].tolist() == ["5", "6"]


def test_two_level_header_with_group_cells_and_vertical_merges():
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["青岛分行小微企业贷款明细表"] + [None] * 6)
    ws.merge_cells("A1:G1")
    ws.append(["借据号", "客户信息", None, "贷款信息", None, None, "风险分类"])
    ws.append([None, "客户号", "客户名称", "贷款金额", "贷款余额", "到期日", None])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:C2")
    ws.merge_cells("D2:F2")
    ws.merge_cells("G2:G3")
    ws.append(["JJ001", "001", "青岛甲", 100000, 90000, dt.date(2025, 6, 30), "正常"])
    ws.append(["JJ002", "002", "青岛乙", 200000, 150000, dt.date(2025, 7, 31), "关注二级"])
    buf = io.BytesIO()
    book.save(buf)
    t = read_table(buf.getvalue(), "x.xlsx")
    assert t.header_row == 3 and t.title == "青岛分行小微企业贷款明细表"
    assert list(t.frame.columns) == ["借据号", "客户号", "客户名称", "贷款金额", "贷款余额", "到期日", "风险分类"]
    assert t.frame.loc[4].tolist() == ["JJ001", "001", "青岛甲", "100000", "90000", "2025-06-30", "正常"]

"""The annotated download: bad cells filled and commented where the analyst sees them, a
problems sheet linking to them, and a workbook that, once fixed, loads without errors."""

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter

from riskcore.ingest import Issue, read_table
from riskcore.ingest import annotate as annotate_module
from riskcore.ingest.annotate import (
    ANNOTATION_AUTHOR,
    DEFAULT_LABELS,
    ERROR_FILL,
    PROBLEMS_SHEET,
    WARNING_FILL,
    annotated_workbook,
)
from riskcore.ingest.pipeline import check_ledger
from riskcore.sample_ledgers import ERRORS_NAME, PLANTED_ERRORS, XLSX_NAME
from riskview.i18n import issue_message

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
QD01 = "QD01_2024-12_贷款台账.csv"
LEGACY_XLS = ROOT / "tests" / "data" / "ledger_legacy.xls"


def en(issue: Issue) -> str:
    return issue_message(issue, "en")


def load(book: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(book))


def save(wb: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def flagged(ws) -> dict[str, str]:
    """Every cell of the sheet with an error or warning fill: coordinate -> colour."""
    found = {}
    for row in ws.iter_rows():
        for cell in row:
            colour = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
            if isinstance(colour, str) and colour[-6:] in (ERROR_FILL, WARNING_FILL):
                found[cell.coordinate] = colour[-6:]
    return found


def commented(ws) -> dict[str, Comment]:
    return {cell.coordinate: cell.comment for row in ws.iter_rows() for cell in row if cell.comment is not None}


def problem_rows(ws) -> list[tuple]:
    return [tuple(cell.value for cell in row) for row in ws.iter_rows(min_row=2)]


# --- CSV: the planted-errors sample ---------------------------------------------------------


@pytest.fixture(scope="module")
def qd03():
    data = (SAMPLE / ERRORS_NAME).read_bytes()
    report = check_ledger(data, ERRORS_NAME)
    book = annotated_workbook(data, ERRORS_NAME, report.issues, message=en)
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return data, report, book, rows


def test_csv_planted_cells_are_red_with_their_message(qd03):
    _, report, book, rows = qd03
    assert {(i.row, i.code) for i in report.issues} == {(r, code) for r, (_, _, code) in PLANTED_ERRORS.items()}
    wb = load(book)
    assert wb.sheetnames == ["QD03_2024-12_loan_ledger_with_e", PROBLEMS_SHEET]  # Excel's 31-character name
    ws = wb.worksheets[0]
    header = rows[0]
    expected = {f"{get_column_letter(header.index(column) + 1)}{row}": ERROR_FILL
                for row, (column, _, _) in PLANTED_ERRORS.items()}
    assert flagged(ws) == expected
    comments = commented(ws)
    assert set(comments) == set(expected)
    by_cell = {f"{get_column_letter(header.index(i.column) + 1)}{i.row}": i for i in report.issues}
    for coordinate, comment in comments.items():
        assert comment.author == ANNOTATION_AUTHOR
        assert comment.text == en(by_cell[coordinate])
    assert "'Excellent' is not a loan class" in comments["M27"].text
    assert ws.freeze_panes == "A2"


def test_csv_rows_are_the_files_rows_as_text(qd03):
    _, _, book, rows = qd03
    ws = load(book).worksheets[0]
    assert ws.max_row == len(rows) == 201
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(r, c)
            assert cell.value == (value or None), cell.coordinate
            if value:
                assert cell.data_type == "s", cell.coordinate  # text, never a number or a date
    assert ws["H9"].value == "12O00.00" and ws["I5"].value == "2024-02-30" and ws["D41"].value is None


def test_problems_sheet_lists_every_issue_with_a_link(qd03):
    _, report, book, rows = qd03
    wb = load(book)
    data_sheet = wb.worksheets[0].title
    ws = wb[PROBLEMS_SHEET]
    assert [c.value for c in ws[1]] == [DEFAULT_LABELS[k] for k in
                                         ("row", "column", "value", "severity", "code", "message")]
    assert problem_rows(ws) == [
        (i.row, i.column, i.value or None, DEFAULT_LABELS["error"], i.code, en(i)) for i in report.issues
    ]
    assert len(problem_rows(ws)) == len(PLANTED_ERRORS) == 7
    for k, issue in enumerate(report.issues, start=2):
        letter = get_column_letter(rows[0].index(issue.column) + 1)
        link = ws.cell(k, 1).hyperlink
        assert link is not None and link.location == f"'{data_sheet}'!{letter}{issue.row}"
    assert ws["A2"].value == 5 and ws["B2"].value == "Start date" and ws["C2"].value == "2024-02-30"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F8"
    assert ws.column_dimensions["F"].width > ws.column_dimensions["A"].width >= 8
    assert ws["D2"].fill.fgColor.rgb[-6:] == ERROR_FILL


CSV_FIXES = {  # Excel row -> corrected value of the planted cell
    5: "2024-02-28", 9: "12000.00", 14: "JJ2099000001", 20: "5000.00", 27: "normal", 33: "2030-01-01",
    41: "C999999",
}


@pytest.mark.parametrize("drop_problems", [False, True])
def test_fixing_the_flagged_cells_of_a_csv_gives_no_errors(qd03, drop_problems):
    _, _, book, rows = qd03
    wb = load(book)
    ws = wb.worksheets[0]
    for row, (column, _, _) in PLANTED_ERRORS.items():
        ws.cell(row, rows[0].index(column) + 1).value = CSV_FIXES[row]
    if drop_problems:
        del wb[PROBLEMS_SHEET]
    fixed = check_ledger(save(wb), "QD03_2024-12_fixed.xlsx")
    # The problems sheet comes last, so the automatic sheet choice takes the ledger.
    assert fixed.sheet == ws.title and fixed.header_row == 1 and fixed.rows == 200
    assert not fixed.has_errors, [(i.row, i.code) for i in fixed.issues]
    assert fixed.frame.loc[14, "loan_id"] == "JJ2099000001" and fixed.frame.loc[41, "borrower_id"] == "C999999"


def test_the_unfixed_workbook_reports_the_same_problems(qd03):
    _, report, book, _ = qd03
    again = check_ledger(book, "QD03_annotated.xlsx")
    assert [(i.row, i.column, i.code) for i in again.issues] == [(i.row, i.column, i.code) for i in report.issues]


def test_comments_stop_at_the_cap_but_fills_do_not(qd03, monkeypatch):
    data, report, _, _ = qd03
    monkeypatch.setattr(annotate_module, "MAX_COMMENTS", 3)
    ws = load(annotated_workbook(data, ERRORS_NAME, report.issues, message=en)).worksheets[0]
    assert len(flagged(ws)) == 7
    assert set(commented(ws)) == {"I5", "H9", "C14"}  # the first three, top to bottom


# --- XLSX: the bank-style workbook with planted problems -----------------------------------

# 贷款明细: title A1:R1 merged, a units note in row 2, the header in row 3, 3,276 loans, a total row.
LOAN_AMOUNT, BALANCE, START, CLASS, DPD = "I", "J", "K", "O", "P"


@pytest.fixture(scope="module")
def qd02():
    """QD02 with problems planted the way analysts make them, and its annotated download."""
    original = (SAMPLE / XLSX_NAME).read_bytes()
    wb = load(original)
    ws = wb["贷款明细"]
    assert [ws[f"{c}3"].value for c in (LOAN_AMOUNT, BALANCE, START, CLASS, DPD)] == [
        "贷款金额（万元）", "贷款余额（万元）", "放款日期", "五级分类", "逾期天数"]
    clean = {f"{c}{r}": ws[f"{c}{r}"].value for c, r in
             [(START, 10), (BALANCE, 20), (LOAN_AMOUNT, 30), (BALANCE, 30), (CLASS, 40), (DPD, 50)]}
    ws[f"{START}10"] = "2024年2月30日"                            # error: no such date
    ws[f"{BALANCE}20"] = ws[f"{LOAN_AMOUNT}20"].value + 1         # warning: balance above the amount
    ws[f"{LOAN_AMOUNT}30"], ws[f"{BALANCE}30"] = -0.10, -0.05     # errors, and a warning on the same cell
    ws[f"{CLASS}40"] = "优秀"                                     # error: not a class
    ws[f"{CLASS}40"].comment = Comment("核实：支行说是录入错误", "analyst")  # the analyst's own note
    ws[f"{DPD}50"] = 100                                          # warning: 正常类 at 100 days past due
    assert ws[f"{CLASS}50"].value == "正常类"
    planted = save(wb)
    report = check_ledger(planted, XLSX_NAME)
    book = annotated_workbook(planted, XLSX_NAME, report.issues, message=en, sheet=report.sheet)
    return planted, report, book, clean


@pytest.fixture(scope="module")
def qd02_annotated(qd02):
    """The annotated QD02 loaded once, for the tests that only look at it."""
    return load(qd02[2])


def test_xlsx_planted_problems_are_found(qd02):
    _, report, _, _ = qd02
    assert sorted((i.row, i.column, i.code, i.severity) for i in report.issues) == [
        (10, "放款日期", "bad_date", "error"),
        (20, "贷款余额（万元）", "balance_above_amount", "warning"),
        (30, "贷款余额（万元）", "balance_above_amount", "warning"),
        (30, "贷款余额（万元）", "negative_amount", "error"),
        (30, "贷款金额（万元）", "negative_amount", "error"),
        (40, "五级分类", "unknown_class", "error"),
        (50, "五级分类", "class_better_than_floor", "warning"),
    ]


def test_xlsx_cells_are_filled_in_place(qd02, qd02_annotated):
    _, report, _, _ = qd02
    wb = qd02_annotated
    assert wb.sheetnames == ["贷款明细", PROBLEMS_SHEET]
    ws = wb["贷款明细"]
    assert flagged(ws) == {
        f"{START}10": ERROR_FILL, f"{BALANCE}20": WARNING_FILL, f"{LOAN_AMOUNT}30": ERROR_FILL,
        f"{BALANCE}30": ERROR_FILL, f"{CLASS}40": ERROR_FILL, f"{CLASS}50": WARNING_FILL,
    }
    comments = commented(ws)
    assert set(comments) == set(flagged(ws))
    assert all(c.author == ANNOTATION_AUTHOR for c in comments.values())
    # Two issues on one cell: one comment listing both, red because one is an error.
    both = [i for i in report.issues if i.row == 30 and i.column == "贷款余额（万元）"]
    text = comments[f"{BALANCE}30"].text
    assert len(both) == 2 and all(en(i) in text for i in both)
    assert text.count("• ") == 2 and "错误 Error" in text and "提示 Warning" in text
    # The analyst's note on the cell stays, below the problem.
    note = comments[f"{CLASS}40"].text
    assert note.startswith(en(next(i for i in report.issues if i.row == 40))) and note.endswith("核实：支行说是录入错误")
    assert ws.freeze_panes == "A4"
    assert wb.active.title == "贷款明细"
    assert [s.sheet_view.tabSelected for s in wb.worksheets] == [True, False]


def test_xlsx_values_formats_and_merges_survive(qd02, qd02_annotated):
    planted, _, _, _ = qd02
    before, after = load(planted)["贷款明细"], qd02_annotated["贷款明细"]
    assert list(after.iter_rows(values_only=True)) == list(before.iter_rows(values_only=True))
    assert sorted(map(str, after.merged_cells.ranges)) == sorted(map(str, before.merged_cells.ranges)) == [
        "A1:R1", "A3280:G3280", "B4:B3279"]
    assert after["A1"].value.startswith("青岛市北支行小微企业贷款明细表")
    assert after["A1"].font.b and after["A1"].font.sz == 14 and after["A1"].alignment.horizontal == "center"


def test_xlsx_problems_sheet_links_to_the_cells(qd02, qd02_annotated):
    _, report, _, _ = qd02
    ws = qd02_annotated[PROBLEMS_SHEET]
    assert len(problem_rows(ws)) == len(report.issues) == 7
    links = [ws.cell(k, 1).hyperlink.location for k in range(2, len(report.issues) + 2)]
    column_of = {"放款日期": START, "贷款余额（万元）": BALANCE, "贷款金额（万元）": LOAN_AMOUNT, "五级分类": CLASS}
    assert links == [f"'贷款明细'!{column_of[i.column]}{i.row}" for i in report.issues]
    severities = {row[3] for row in problem_rows(ws)}
    assert severities == {"错误 Error", "提示 Warning"}


def test_issues_inside_a_merged_range_go_to_its_visible_cell(qd02):
    planted, _, _, _ = qd02
    issues = [Issue(XLSX_NAME, "贷款明细", row, "机构名称", "", "missing_value", "error") for row in (100, 200)]
    ws = load(annotated_workbook(planted, XLSX_NAME, issues, message=lambda i: f"row {i.row}"))["贷款明细"]
    assert flagged(ws) == {"B4": ERROR_FILL}  # B4:B3279 is one merged cell
    assert ws["B4"].comment.text == "row 100\nrow 200" and ws["B4"].value == "青岛市北支行"
    assert "B4:B3279" in {str(r) for r in ws.merged_cells.ranges}


def test_fixing_the_flagged_cells_of_an_xlsx_gives_a_clean_report(qd02):
    _, _, book, clean = qd02
    wb = load(book)
    ws = wb["贷款明细"]
    for coordinate, value in clean.items():
        ws[coordinate] = value
    fixed = check_ledger(save(wb), XLSX_NAME)  # the problems sheet stays: it is last and never picked
    assert fixed.sheet == "贷款明细" and fixed.rows == 3276
    assert fixed.issues == ()
    assert fixed.reconciliation and all(r.matches for r in fixed.reconciliation)


def test_a_second_round_drops_the_stale_annotations(qd02):
    _, _, book, clean = qd02
    wb = load(book)
    ws = wb["贷款明细"]
    for coordinate, value in clean.items():
        if coordinate != f"{START}10":  # one problem left unfixed
            ws[coordinate] = value
    second = save(wb)
    report = check_ledger(second, XLSX_NAME)
    assert [(i.row, i.code) for i in report.issues] == [(10, "bad_date")]
    again = load(annotated_workbook(second, XLSX_NAME, report.issues, message=en))
    assert again.sheetnames == ["贷款明细", PROBLEMS_SHEET]
    ws = again["贷款明细"]
    assert flagged(ws) == {f"{START}10": ERROR_FILL}
    comments = commented(ws)
    assert set(comments) == {f"{START}10", f"{CLASS}40"}
    # The fixed cell's problem is gone; the analyst's note is back as it was.
    assert comments[f"{CLASS}40"].text == "核实：支行说是录入错误" and comments[f"{CLASS}40"].author == "analyst"
    assert len(problem_rows(again[PROBLEMS_SHEET])) == 1


# --- headers, encodings, odd cells ------------------------------------------------------------


def test_blank_and_repeated_headers_are_found_by_position():
    text = "台账 2024年6月\r\n客户号,,贷款余额,贷款余额\r\n001,甲,1,2\r\n002,乙,3,4\r\n003,丙,5,6\r\n"
    data = text.encode("gbk")
    raw = read_table(data, "book.csv")
    assert list(raw.frame.columns) == ["客户号", "B", "贷款余额", "贷款余额.2"] and raw.header_row == 2
    issues = [
        Issue("book.csv", None, 3, "B", "甲", "bad_number", "error"),
        Issue("book.csv", None, 4, "贷款余额.2", "4", "balance_above_amount", "warning"),
        Issue("book.csv", None, None, "贷款余额", None, "missing_value", "error"),  # a column, no row
        Issue("book.csv", None, 5, None, None, "ragged_row", "error"),  # a row, no column
        Issue("book.csv", None, None, None, None, "missing_column", "error", "loan_id"),  # neither
    ]
    wb = load(annotated_workbook(data, "book.csv", issues, message=lambda i: f"{i.code} at {i.row}"))
    ws = wb["book"]
    assert flagged(ws) == {"B3": ERROR_FILL, "D4": WARNING_FILL}
    assert set(commented(ws)) == {"B3", "D4"}
    assert ws["A1"].value == "台账 2024年6月" and ws["A3"].value == "001" and ws.freeze_panes == "A3"
    problems = wb[PROBLEMS_SHEET]
    assert [problems.cell(k, 1).value for k in range(2, 7)] == [3, 4, None, 5, None]
    assert problems["A2"].hyperlink.location == "'book'!B3"
    assert problems["A3"].hyperlink.location == "'book'!D4"
    assert problems["B4"].hyperlink.location == "'book'!C2"  # the column's header
    assert problems["A5"].hyperlink.location == "'book'!A5"  # the row
    assert problems["A6"].hyperlink is None and problems["B6"].hyperlink is None


def test_text_cells_stay_text():
    text = "客户号,客户名称,备注\n007,=HYPERLINK(\"http://x\"),#N/A\n010,乙, lead space\n"
    wb = load(annotated_workbook(text.encode("utf-8"), "t.csv", [], message=str))
    ws = wb.worksheets[0]
    assert ws["A2"].value == "007" and ws["A3"].value == "010"
    assert ws["B2"].value == '=HYPERLINK("http://x")' and ws["B2"].data_type == "s"  # not a live formula
    assert ws["C2"].value == "#N/A" and ws["C2"].data_type == "s"
    assert ws["C3"].value == " lead space"
    assert problem_rows(wb[PROBLEMS_SHEET]) == []


def test_gbk_csv_with_a_title_row_keeps_row_numbers():
    data = (SAMPLE / QD01).read_bytes()
    lines = data.split(b"\r\n")
    header = lines[1].decode("gb18030").split(",")
    cells = lines[99].decode("gb18030").split(",")  # Excel row 100
    cells[header.index("发放日期")] = "2024-13-01"
    lines[99] = ",".join(cells).encode("gb18030")
    planted = b"\r\n".join(lines)
    report = check_ledger(planted, QD01)
    assert [(i.row, i.column, i.code) for i in report.issues] == [(100, "发放日期", "bad_date")]
    wb = load(annotated_workbook(planted, QD01, report.issues, message=lambda i: issue_message(i, "zh")))
    ws = wb.worksheets[0]
    assert ws.title == "QD01_2024-12_贷款台账"
    column = get_column_letter(header.index("发放日期") + 1)
    assert flagged(ws) == {f"{column}100": ERROR_FILL}
    assert "「2024-13-01」不是有效日期" in ws[f"{column}100"].comment.text
    assert ws["A1"].value == "青岛市南支行小微企业贷款台账 2024年12月" and ws["A2"].value == "数据日期"
    assert ws["C100"].value == cells[2] and ws.max_row == 2901  # title, header, 2,898 loans, 合计
    assert ws["A2901"].value == "合计"
    assert ws.freeze_panes == "A3"


def test_legacy_xls_is_written_as_text_at_the_same_cells():
    if not LEGACY_XLS.exists():
        pytest.skip("tests/data/ledger_legacy.xls not present")
    data = LEGACY_XLS.read_bytes()
    raw = read_table(data, LEGACY_XLS.name)
    issue = Issue(LEGACY_XLS.name, raw.sheet, 6, "贷款余额（万元）", "287.6543", "balance_above_amount", "warning")
    wb = load(annotated_workbook(data, LEGACY_XLS.name, [issue], message=en))
    ws = wb[raw.sheet]
    column = get_column_letter(list(raw.frame.columns).index("贷款余额（万元）") + 1)
    assert flagged(ws) == {f"{column}6": WARNING_FILL}
    assert ws[f"{column}6"].value == raw.frame.loc[6, "贷款余额（万元）"] == "287.6543"
    assert ws["C4"].value == "0020240001"  # leading zeros kept
    assert wb[PROBLEMS_SHEET]["A2"].hyperlink.location == f"'{raw.sheet}'!{column}6"


def test_the_ledger_sheet_of_a_workbook_is_annotated_not_the_others():
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "说明"
    notes["A1"] = "本表由支行导出"
    ledger = wb.create_sheet("台账")
    ledger.append(["借据号", "客户号", "贷款余额"])
    ledger.append(["JJ1", "001", 100])
    ledger.append(["JJ2", "002", "abc"])
    ledger.freeze_panes = "B2"  # the analyst froze the id column too
    data = save(wb)
    raw = read_table(data, "two.xlsx")
    assert raw.sheet == "台账"
    issues = [Issue("two.xlsx", "台账", 3, "贷款余额", "abc", "bad_number", "error"),
              Issue("two.xlsx", "说明", 1, "贷款余额", "x", "bad_number", "error")]  # about another sheet
    out = load(annotated_workbook(data, "two.xlsx", issues, message=lambda i: i.code))
    assert out.sheetnames == ["说明", "台账", PROBLEMS_SHEET]
    assert flagged(out["台账"]) == {"C3": ERROR_FILL} and flagged(out["说明"]) == {}
    assert out["台账"].freeze_panes == "B2" and out["说明"].freeze_panes is None
    assert out.active.title == "台账"
    problems = out[PROBLEMS_SHEET]
    assert problems["A2"].hyperlink.location == "'台账'!C3" and problems["A3"].hyperlink is None


# --- plain rows spliced into the sheet XML -------------------------------------------------------

TRICKY = ("编号,名称,备注\r\n"
          "007,\"a & b <c> \"\"q\"\"\", lead\r\n"
          "008,\"multi\r\nline\",tail \r\n"
          "009,=1+2,#N/A\r\n"
          "010,😀 表情,\x1a ctrl\r\n"
          "\r\n"
          "011,,x<y\r\n")


def cell_map(wb: openpyxl.Workbook) -> dict:
    return {(ws.title, cell.coordinate): (cell.value, cell.data_type, cell.fill.fgColor.rgb, cell.font.b,
                                          cell.comment.text if cell.comment else None,
                                          cell.hyperlink.location if cell.hyperlink else None)
            for ws in wb.worksheets for row in ws.iter_rows() for cell in row}


@pytest.mark.parametrize("case", ["qd03", "tricky"])
def test_spliced_rows_are_what_openpyxl_writes_itself(case, monkeypatch):
    if case == "qd03":
        data, name = (SAMPLE / ERRORS_NAME).read_bytes(), ERRORS_NAME
        issues = check_ledger(data, name).issues
    else:
        data, name = TRICKY.encode("utf-8"), "tricky.csv"
        # Rows 2, 3 and 7 are plain, so spliced: their odd text is written by _plain_row_xml.
        issues = (Issue(name, None, 5, "名称", "😀 表情", "bad_number", "error"),
                  Issue(name, None, 6, "名称", "", "missing_value", "error"))  # a cell of a blank line
    book = annotated_workbook(data, name, issues, message=en)
    spliced = load(book)
    monkeypatch.setattr(annotate_module, "_SPLICE_PLAIN_ROWS", False)
    reference = load(annotated_workbook(data, name, issues, message=en))
    assert cell_map(spliced) == cell_map(reference)
    if case == "tricky":
        ws = spliced["tricky"]
        assert [ws[c].value for c in ("B2", "C2", "B3", "C3", "B4", "C4", "B5", "C5", "C7")] == [
            'a & b <c> "q"', " lead", "multi\nline", "tail ", "=1+2", "#N/A", "😀 表情", " ctrl", "x<y"]
        assert ws["B4"].data_type == "s" and ws["A6"].value is None and ws["A7"].value == "011"
        # One record per row, a quoted line break included; the blank line is row 6.
        assert flagged(ws) == {"B5": ERROR_FILL, "B6": ERROR_FILL} and ws["B6"].value is None
        with zipfile.ZipFile(io.BytesIO(book)) as parts:
            xml = parts.read("xl/worksheets/sheet1.xml").decode()
        # Excel drops leading and trailing blanks of a <t> without xml:space="preserve".
        assert '<t xml:space="preserve"> lead</t>' in xml and '<t xml:space="preserve">tail </t>' in xml
        assert "a &amp; b &lt;c&gt;" in xml


def test_an_unexpected_sheet_layout_falls_back_to_openpyxl(qd03, monkeypatch):
    data, report, book, _ = qd03
    monkeypatch.setattr(annotate_module, "_splice_plain_rows", lambda *args: None)
    assert cell_map(load(annotated_workbook(data, ERRORS_NAME, report.issues, message=en))) == cell_map(load(book))


# --- files that cannot be read ----------------------------------------------------------------


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty_file"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary_not_table"),
    (b"PK\x03\x04" + b"\x00" * 64, "damaged_xlsx"),
])
def test_an_unreadable_file_gives_the_problems_sheet_alone(data, code):
    report = check_ledger(data, "upload.xlsx")
    assert [i.code for i in report.issues] == [code]
    wb = load(annotated_workbook(data, "upload.xlsx", report.issues, message=en))
    assert wb.sheetnames == [PROBLEMS_SHEET]
    ws = wb[PROBLEMS_SHEET]
    assert problem_rows(ws) == [(None, None, None, DEFAULT_LABELS["error"], code, en(report.issues[0]))]
    assert ws["A2"].hyperlink is None


def test_a_ragged_csv_is_reproduced_with_a_link_to_the_row():
    text = "借据号,客户号,贷款余额\nJJ1,001,100\nJJ2,002,200,oops,extra\nJJ3,003,300\n"
    report = check_ledger(text.encode(), "ragged.csv")
    assert [(i.row, i.code) for i in report.issues] == [(3, "ragged_row")]
    wb = load(annotated_workbook(text.encode(), "ragged.csv", report.issues, message=en))
    ws = wb["ragged"]
    assert ws["D3"].value == "oops" and ws["A4"].value == "JJ3" and flagged(ws) == {}
    assert wb[PROBLEMS_SHEET]["A2"].hyperlink.location == "'ragged'!A3"


# --- labels ------------------------------------------------------------------------------------


def test_labels_translate_the_problems_sheet(qd03):
    data, report, _, _ = qd03
    labels = {"row": "行", "column": "列", "value": "值", "severity": "严重程度", "code": "代码", "message": "问题",
              "error": "错误", "warning": "提示"}
    wb = load(annotated_workbook(data, ERRORS_NAME, report.issues, message=en, labels=labels))
    ws = wb[PROBLEMS_SHEET]
    assert [c.value for c in ws[1]] == ["行", "列", "值", "严重程度", "代码", "问题"]
    assert {row[3] for row in problem_rows(ws)} == {"错误"}
    partial = load(annotated_workbook(data, ERRORS_NAME, report.issues, message=en, labels={"message": "Problem"}))
    assert [c.value for c in partial[PROBLEMS_SHEET][1]][4:] == [DEFAULT_LABELS["code"], "Problem"]
    with pytest.raises(ValueError, match="unknown label keys"):
        annotated_workbook(data, ERRORS_NAME, report.issues, message=en, labels={"rwo": "Row"})

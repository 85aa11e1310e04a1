"""Legacy .xls (BIFF8 in an OLE2 compound file) read from real files.

tests/data/ledger_legacy.xls and ledger_legacy_small.xls are written by
tests/data/make_legacy_xls.py (xlwt, not a project dependency: see there). The expected
values below were worked out by hand from the ledgers in that script.
"""

import json
import os
import random
import re
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from riskcore.ingest import ReadError, read_table, sniff_format
from riskcore.ingest.pipeline import check_ledger

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
LEGACY = (DATA / "ledger_legacy.xls").read_bytes()
SMALL = (DATA / "ledger_legacy_small.xls").read_bytes()
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BALANCE = "贷款余额（万元）"


def test_fixture_is_a_real_ole2_biff8_workbook():
    assert LEGACY.startswith(OLE2_MAGIC) and SMALL.startswith(OLE2_MAGIC)
    assert "Workbook".encode("utf-16-le") in LEGACY  # the BIFF8 stream's name (BIFF5 calls it "Book")
    assert struct.unpack_from("<HH", LEGACY, 30) == (9, 6)  # 512-byte sectors, 64-byte mini sectors


@pytest.mark.parametrize("name", ["ledger_legacy.xls", "ledger.xlsx", "ledger.csv", "ledger"])
def test_xls_is_sniffed_by_content_whatever_its_name(name):
    assert sniff_format(LEGACY, name) == "xls"
    t = read_table(LEGACY, name)
    assert (t.format, t.file, t.encoding) == ("xls", name, None)
    assert t.frame.index.tolist() == [4, 5, 6, 7, 8]


def test_title_header_ids_dates_and_merged_branch():
    t = read_table(LEGACY, "ledger_legacy.xls")
    assert (t.sheet, t.sheets) == ("市北支行", ("市北支行", "市南支行"))
    assert t.title == "青岛市北支行小微企业贷款台账（2024年6月30日）"  # merged across A1:M1, above a unit note
    assert t.header_row == 3
    assert list(t.frame.columns) == [
        "数据日期", "机构号", "借据号", "客户号", "客户名称", "行业代码", "贷款金额（元）", BALANCE,
        "发放日期", "到期日期", "担保方式", "五级分类", "逾期天数",
    ]
    assert t.frame["客户号"].tolist() == ["000123", "000045", "007001", "000123", "010203"]
    assert t.frame["借据号"].tolist() == [f"002024000{k}" for k in range(1, 6)]
    assert t.frame["机构号"].tolist() == ["QD02"] * 5  # one cell merged down B4:B8
    # Real Excel dates in three number formats (yyyy/m/d, yyyy"年"m"月"d"日", yyyy-mm-dd) -> ISO text.
    assert t.frame["数据日期"].tolist() == ["2024-06-30"] * 5
    assert t.frame["发放日期"].tolist() == ["2023-06-30", "2024-01-05", "2022-03-15", "2023-11-20", "2024-02-29"]
    assert t.frame["到期日期"].tolist() == ["2025-06-30", "2025-01-05", "2027-03-15", "2024-11-20", "2025-02-28"]
    assert t.frame[BALANCE].tolist() == ["80.5", "50", "287.6543", "12.25", "7.80"]  # the last is a text cell
    assert t.frame["贷款金额（元）"].tolist() == ["1000000", "500000", "3000000", "200000", "80000"]
    assert t.frame["逾期天数"].tolist() == ["0", "15", "0", "95", "0"]
    assert [(d.row, d.reason, d.label) for d in t.dropped_rows] == [(9, "total_row", "合计")]
    assert t.totals.loc[9, ["贷款金额（元）", BALANCE]].tolist() == ["4780000", "438.2043"]


def test_check_ledger_converts_wan_yuan_dates_and_reconciles_the_total_row():
    report = check_ledger(LEGACY, "ledger_legacy.xls")
    assert report.issues == () and not report.has_errors
    assert (report.format, report.sheet, report.header_row, report.rows) == ("xls", "市北支行", 3, 5)
    f = report.frame
    assert f.index.tolist() == [4, 5, 6, 7, 8]
    # 80.5 + 50 + 287.6543 + 12.25 + 7.80 = 438.2043 万元 = 4,382,043 yuan
    assert f["balance"].tolist() == pytest.approx([805_000, 500_000, 2_876_543, 122_500, 78_000])
    assert report.sums["balance"] == pytest.approx(4_382_043)
    assert report.sums["loan_amount"] == 4_780_000
    rec = {r.field: r for r in report.reconciliation}
    assert set(rec) == {"balance", "loan_amount"}
    assert rec["balance"].total_row == pytest.approx(4_382_043) and rec["balance"].matches
    assert rec["balance"].difference == pytest.approx(0, abs=1e-6)
    assert rec["loan_amount"].total_row == 4_780_000 and rec["loan_amount"].difference == 0
    assert f["borrower_id"].tolist() == ["000123", "000045", "007001", "000123", "010203"]
    assert f["origination_date"].tolist() == pd.to_datetime(
        ["2023-06-30", "2024-01-05", "2022-03-15", "2023-11-20", "2024-02-29"]).tolist()
    assert f["maturity_date"].iloc[2] == pd.Timestamp("2027-03-15")
    assert (report.as_of, report.as_of_source) == (pd.Timestamp("2024-06-30"), "column")
    assert f["five_class"].tolist() == [1, 2, 1, 3, 1]
    assert f["dpd"].tolist() == [0, 15, 0, 95, 0]
    assert f["guarantee_type"].tolist() == ["credit", "mortgage", "guarantee", "pledge", "credit"]


@pytest.mark.parametrize("sheet", ["市南支行", 1])
def test_sheet_choice_by_name_and_position(sheet):
    t = read_table(LEGACY, "ledger_legacy.xls", sheet=sheet)
    assert (t.sheet, t.header_row, t.title, t.dropped_rows) == ("市南支行", 1, None, ())
    assert t.frame.index.tolist() == [2, 3]
    assert t.frame["客户号"].tolist() == ["000777", "000888"]
    assert t.frame["机构号"].tolist() == ["QD01", "QD01"]
    report = check_ledger(LEGACY, "ledger_legacy.xls", sheet=sheet)
    assert report.issues == () and report.sheet == "市南支行" and report.reconciliation == ()
    assert report.sums == {"loan_amount": 1_000_000, "balance": pytest.approx(955_000)}


def test_first_sheet_by_position_and_unknown_sheets():
    assert read_table(LEGACY, "a.xls", sheet=0).sheet == "市北支行"
    with pytest.raises(ReadError, match=r"^a\.xls: there is no sheet '明细'; sheets: \['市北支行', '市南支行'\]$") as err:
        read_table(LEGACY, "a.xls", sheet="明细")
    assert err.value.code == "unknown_sheet"
    with pytest.raises(ReadError, match=r"there is no sheet number 3") as err:
        read_table(LEGACY, "a.xls", sheet=2)
    assert err.value.code == "unknown_sheet" and err.value.params["sheets"] == ["市北支行", "市南支行"]


def test_workbook_stream_in_the_mini_stream_is_read():
    # Under 4096 bytes, a stream lives in the compound file's mini stream (64-byte sectors).
    t = read_table(SMALL, "small.xls")
    assert (t.format, t.sheet, t.header_row) == ("xls", "台账", 1)
    assert t.frame.to_dict("list") == {
        "客户号": ["000123", "000045"], "客户名称": ["青岛甲贸易有限公司", "青岛乙制造有限公司"],
        BALANCE: ["12.5", "3"], "发放日期": ["2024-06-30", "2024-05-01"],
    }


# ------------------------------------------------------------------ damaged .xls


def _set_u32(data: bytes, offset: int, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into("<I", out, offset, value)
    return bytes(out)


def _sector(k: int) -> int:
    """File offset of sector k of a compound file with 512-byte sectors (after the header)."""
    return 512 * (k + 1)


def _rename_stream(data: bytes, old: str, new: str) -> bytes:
    at = data.index(old.encode("utf-16-le") + b"\0\0")
    assert data.count(old.encode("utf-16-le")) == 1
    encoded = (new + "\0").encode("utf-16-le")
    out = bytearray(data)
    out[at:at + 64] = encoded.ljust(64, b"\0")
    struct.pack_into("<H", out, at + 64, len(encoded))
    return bytes(out)


# ledger_legacy.xls: FAT in sector 16, directory in sector 17 (the last; 18 sectors);
# ledger_legacy_small.xls: FAT 0, directory 1, mini FAT 2, mini stream 3-5.
DAMAGED_XLS = {
    "magic only": (OLE2_MAGIC, r"shorter than its 512-byte header"),
    "magic and zeros": (OLE2_MAGIC + bytes(600), r"not a valid compound file header"),
    "magic and random bytes": (OLE2_MAGIC + random.Random(3).randbytes(5000), r"not a valid compound file header"),
    "cut inside the header": (LEGACY[:511], r"shorter than its 512-byte header"),
    "cut after the header": (LEGACY[:1024], r"sector allocation table points outside the file \(truncated\?\)"),
    "cut in half": (LEGACY[: len(LEGACY) // 2], r"sector allocation table points outside the file"),
    "cut inside the last sector": (LEGACY[:-100], r"the directory lies past the end of the file \(truncated\)"),
    "cut before the last sector": (LEGACY[:-512], r"the directory chain points outside the file"),
    "FAT sector number past the end": (_set_u32(LEGACY, 76, 5000), r"sector allocation table points outside"),
    "Workbook chain cut short": (_set_u32(LEGACY, _sector(16) + 4 * 7, 0xFFFFFFFE),
                                 r"stream 'Workbook' is longer than its chain"),
    "Workbook chain loops": (_set_u32(LEGACY, _sector(16) + 4 * 7, 2), r"the chain of stream 'Workbook' loops"),
    "Workbook chain leaves the file": (_set_u32(LEGACY, _sector(16) + 4 * 7, 10**6),
                                       r"the chain of stream 'Workbook' points outside the file"),
    "header counts 2**31 FAT sectors": (_set_u32(LEGACY, 44, 2**31), r"header counts more sectors than the file"),
    "mini stream chain loops": (_set_u32(SMALL, _sector(2) + 4 * 5, 0), r"the chain of stream 'Workbook' loops"),
    "small file cut in the mini stream": (SMALL[:2000], r"the mini stream chain points outside the file"),
}


@pytest.mark.parametrize(("data", "message"), list(DAMAGED_XLS.values()), ids=list(DAMAGED_XLS))
def test_damaged_or_truncated_xls_is_a_clear_error_naming_the_file(data, message):
    assert sniff_format(data, "x") == "xls"
    with pytest.raises(ReadError) as err:
        read_table(data, "台账_2024-06.xls")
    assert err.value.code == "unreadable_workbook" and err.value.file == "台账_2024-06.xls"
    assert str(err.value).startswith("台账_2024-06.xls: the file is a damaged or truncated legacy Excel (.xls) workbook: ")
    assert re.search(message, str(err.value)), str(err.value)
    report = check_ledger(data, "台账_2024-06.xls")  # the pipeline reports it as one file-level issue
    assert [(i.code, i.severity, i.row) for i in report.issues] == [("unreadable_workbook", "error", None)]
    assert report.frame is None and report.rows == 0


# Inputs on which calamine itself does not stop: a directory chain that loops makes it
# allocate until the process is killed (the first is what a disk error that zeroed the
# file after its header gives). Read in a child process with a 3 GB address-space limit,
# so that a regression fails this test instead of taking the machine's memory.
_CAPPED_READER = textwrap.dedent("""
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    from riskcore.ingest.read import ReadError, read_table
    found = []
    for path in sys.argv[1:]:
        try:
            read_table(open(path, "rb").read(), "loop.xls")
            found.append(None)
        except ReadError as err:
            found.append([err.code, str(err)])
    print(json.dumps(found))
""")


def test_xls_whose_directory_chain_loops_is_an_error_not_an_out_of_memory_kill(tmp_path):
    cases = {
        "zeroed after the header": LEGACY[:512] + bytes(len(LEGACY) - 512),
        "directory sector points to itself": _set_u32(LEGACY, _sector(16) + 4 * 17, 17),
        "small file zeroed after the header": SMALL[:512] + bytes(len(SMALL) - 512),
    }
    paths = []
    for k, data in enumerate(cases.values()):
        paths.append(tmp_path / f"case{k}.xls")
        paths[-1].write_bytes(data)
    done = subprocess.run([sys.executable, "-c", _CAPPED_READER, *map(str, paths)], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == [
        ["unreadable_workbook",
         "loop.xls: the file is a damaged or truncated legacy Excel (.xls) workbook: the directory chain loops"],
    ] * 3


@pytest.mark.parametrize(("stream", "message"), [
    ("EncryptedPackage", r"^x\.xls: the workbook is password-protected \(encrypted\); save it without a password"),
    ("WordDocument", r"^x\.xls: the file is an Office 97-2003 \(OLE2\) document but not an Excel workbook"),
])
def test_ole2_file_that_is_not_a_readable_workbook(stream, message):
    with pytest.raises(ReadError, match=message) as err:
        read_table(_rename_stream(SMALL, "Workbook", stream), "x.xls")
    assert err.value.code == "unreadable_workbook"


class _Panic(BaseException):
    """Stands in for pyo3's PanicException (a BaseException) raised by calamine."""


_Panic.__name__ = "PanicException"


@pytest.mark.parametrize("where", ["open", "sheet"])
def test_a_panic_inside_calamine_is_a_read_error_not_a_crash(monkeypatch, where):
    import python_calamine

    class Sheet:
        def to_python(self, **kwargs):
            raise _Panic("index out of bounds: the len is 0 but the index is 0")

    class Book:
        sheet_names = ("台账",)

        @classmethod
        def from_filelike(cls, stream):
            if where == "open":
                raise _Panic("range end index 116 out of range for slice of length 100")
            return cls()

        def get_sheet_by_name(self, name):
            return Sheet()

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", Book)
    expected = {"open": r"the legacy Excel \(\.xls\) workbook cannot be read \(range end index 116",
                "sheet": r"sheet '台账' cannot be read \(index out of bounds"}[where]
    with pytest.raises(ReadError, match=r"^x\.xls: " + expected) as err:
        read_table(SMALL, "x.xls")
    assert err.value.code == "unreadable_workbook"


def test_keyboard_interrupt_inside_calamine_is_not_swallowed(monkeypatch):
    import python_calamine

    class Book:
        @classmethod
        def from_filelike(cls, stream):
            raise KeyboardInterrupt

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", Book)
    with pytest.raises(KeyboardInterrupt):
        read_table(SMALL, "x.xls")

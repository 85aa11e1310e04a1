"""Read a ledger file as the bank exported it into a table of text cells.

Every cell comes back as text, so IDs keep their leading zeros ("001") and 18-character
credit codes stay intact; numbers and dates are parsed later, under the schema, where a
bad cell becomes an Issue with its row number. Row numbers are the ones Excel (or a text
editor, for CSV) shows: 1-based, counting title rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskcore.ingest._text import any_byte_in, large_text, last_bytes, lengths, trimmed

__all__ = ["DroppedRow", "RawTable", "ReadError", "decode_text", "read_table", "sniff_format"]

FileFormat = Literal["csv", "xlsx", "xls"]

_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Rows that are totals or subtotals, not loans: 合计, 总计, 小计, 本页小计, Total, Subtotal ...
_TOTAL_LABEL: Final = re.compile(
    r"^\s*(本页|本月|全行|总)?\s*(合\s*计|总\s*计|小\s*计|total|sub-?total|grand\s+total)\s*[:：]?\s*$",
    re.IGNORECASE,
)
_NOTE_LABEL: Final = re.compile(
    r"^\s*(制表|复核|审核|审批|填报|填表|负责人|经办人?|会计主管|打印|导出|数据来源|备注|说明|注\s*[:：]|单位\s*[:：]|"
    r"金额单位|prepared\s+by|checked\s+by|approved\s+by|reviewed\s+by|printed|source\s*:|notes?\s*:)",
    re.IGNORECASE,
)
#: The same pattern for Arrow's RE2 engine (column-wise, without a Python loop).
_TOTAL_LABEL_RE2: Final = (
    r"^\s*(本页|本月|全行|总)?\s*(合\s*计|总\s*计|小\s*计|(?i:total|sub-?total|grand\s+total))\s*[:：]?\s*$"
)
# 计 is E8 AE A1 and ： is EF BC 9A in UTF-8.
_TOTAL_LAST_BYTES: Final = bytes([0xA1, 0x9A]) + b"lL: "
_HEADER_SCAN_ROWS: Final = 30
_NUMERIC: Final = re.compile(r"^[\s+\-−]?[\d,，.]+%?\s*$")


class ReadError(ValueError):
    """A file that cannot be read as a table; ``code`` and ``params`` are for the UI catalogue.

    Codes: ``empty_file``, ``binary_not_table``, ``damaged_xlsx``, ``unreadable_workbook``,
    ``undecodable_text``, ``no_sheet``, ``unknown_sheet``, ``no_header``, ``no_data_rows``,
    ``ragged_row``.
    """

    def __init__(self, code: str, message: str, *, file: str, **params: Any) -> None:
        super().__init__(f"{file}: {message}")
        self.code = code
        self.file = file
        self.params = params


@dataclass(frozen=True, slots=True)
class DroppedRow:
    """A row left out of the table: ``reason`` is ``"total_row"``, ``"note_row"`` (制表人：…,
    备注：…) or ``"blank_row"``."""

    row: int
    reason: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class RawTable:
    """A ledger read as text.

    ``frame`` has the original headers as columns (blank headers named after the Excel
    column letter, duplicates suffixed ``.2``, ``.3``) and the file's row numbers as index.
    ``totals`` holds the dropped total rows in the same columns, for reconciliation.
    """

    file: str
    format: FileFormat
    encoding: str | None
    sheet: str | None
    sheets: tuple[str, ...]
    header_row: int
    title: str | None
    frame: pd.DataFrame
    dropped_rows: tuple[DroppedRow, ...]
    totals: pd.DataFrame = field(repr=False)


def sniff_format(data: bytes, file: str = "<upload>") -> FileFormat:
    """Tell XLSX (ZIP), legacy XLS (OLE2) and text apart by content, never by extension.

    Raises
    ------
    ReadError
        ``empty_file``, ``damaged_xlsx`` (a ZIP that is truncated or not a workbook),
        ``binary_not_table`` (other binary content, e.g. an image renamed to .xlsx).
    """
    if not data or data.isspace():
        raise ReadError("empty_file", "the file is empty", file=file)
    if data.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ReadError("damaged_xlsx", f"the file is a damaged or truncated ZIP/XLSX ({exc})", file=file) from None
        # Damaged data inside a member is found by the workbook reader (unreadable_workbook);
        # testing every member's CRC here would decompress a big workbook twice.
        if "xl/workbook.xml" not in names:
            raise ReadError("damaged_xlsx", "the file is a ZIP archive but not a readable Excel workbook", file=file)
        return "xlsx"
    if data.startswith(_OLE2_MAGIC):
        return "xls"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # UTF-16 with BOM: Excel's "Unicode text" export
    head = data[:8192]
    if b"\x00" in head or sum(b < 9 for b in head) > len(head) // 100 + 2:
        raise ReadError("binary_not_table", "the file is binary but neither XLSX, XLS nor text (CSV)", file=file)
    return "csv"


def decode_text(data: bytes, file: str = "<upload>") -> tuple[str, str]:
    """Decode CSV bytes: strict UTF-8 (with or without BOM), then GB18030 (a superset of
    GBK and GB2312), then charset detection as a last resort. Returns (text, encoding used).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    bad_at = 0
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            bad_at = max(bad_at, exc.start)
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except ImportError:  # pragma: no cover - charset-normalizer comes with streamlit
        best = None
    if best is None:
        row = data.count(b"\n", 0, bad_at) + 1
        raise ReadError("undecodable_text", f"the text is neither UTF-8 nor GBK/GB18030 (first bad bytes in row {row})",
                        file=file, row=row)
    return str(best), best.encoding


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (dt.datetime,)):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()


def _mask(condition: pa.Array | pa.ChunkedArray) -> Any:
    return pc.fill_null(condition, False).to_numpy(zero_copy_only=False)


def _total_labels(cells: pa.LargeStringArray) -> Any:
    """Which (trimmed) cells are total labels. A label ends in 计 or in total, perhaps
    followed by a colon, so only cells whose last byte is one of those endings' (the last
    byte of 计 or ：, l, L, a colon, a space) can be one; the anchored pattern runs on those."""
    last = last_bytes(cells)
    if not any_byte_in(last, _TOTAL_LAST_BYTES):
        return np.zeros(len(cells), dtype=bool)
    found = np.isin(last, np.frombuffer(_TOTAL_LAST_BYTES, dtype=np.uint8))
    if found.any():
        where = found.nonzero()[0]
        found[where] = _mask(pc.match_substring_regex(pc.take(cells, pa.array(where)), _TOTAL_LABEL_RE2))
    return found


def _note_rows(columns: list[pa.LargeStringArray], filled: np.ndarray) -> Any:
    """Rows that are sign-off or source notes, not loans: at most two filled cells, the
    first starting like 制表人：, 复核：, 审核, 填报单位, 负责人, 打印时间, 数据来源, 备注, 注：,
    单位：万元, Prepared by, Checked by, Note ..., which banks print below (or above) a table."""
    found = np.zeros(filled.shape[0], dtype=bool)
    if len(columns) < 5:  # a narrow table's rows are all sparse; its notes are not worth the scan
        return found
    sparse = filled.sum(axis=1) <= 2
    for k in np.flatnonzero(sparse):
        text = _first_text(columns, filled, int(k))
        found[k] = bool(text) and _NOTE_LABEL.match(text) is not None
    return found


def _first_text(columns: list[pa.LargeStringArray], filled: np.ndarray, row: int) -> str:
    return next((str(columns[j][row].as_py()) for j in np.flatnonzero(filled[row])), "")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _delimiter(text: str) -> str:
    sample = "\n".join(text[:1 << 16].splitlines()[:50])
    return max([",", "\t", ";", "|"], key=sample.count)


def _csv_rows(text: str, delimiter: str, limit: int | None = None) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for k, row in enumerate(reader):
        if limit is not None and k >= limit:
            break
        rows.append([c.strip() for c in row])
    return rows


def _end_of_text(data: bytes) -> int:
    """Length of ``data`` without trailing blank lines (export padding), without copying it."""
    end = len(data)
    while end and data[end - 1] in b"\r\n\t ":
        end -= 1
    return end


def _arrow_column(column: pa.ChunkedArray, gb18030: bool) -> pa.Array:
    """One CSV column as Arrow text. GB18030 bytes are decoded per distinct value: ASCII-only
    columns (ids, amounts, dates) need no decoding at all, and the Chinese ones repeat
    (names, classes, guarantee types), which makes this several times faster than decoding
    the whole file with Python's codec."""
    array = column.combine_chunks()
    if not gb18030:
        return array
    as_text = array.view(pa.large_string())  # same bytes; valid UTF-8 only where ASCII
    if pc.all(pc.string_is_ascii(as_text)).as_py() is not False:
        return as_text
    encoded = pc.dictionary_encode(array)
    decoded = pa.array([value.decode("gb18030") for value in encoded.dictionary.to_pylist()], pa.large_string())
    return decoded.take(encoded.indices)


def _csv_body_arrow(
    data: bytes, delimiter: str, header_at: int, width: int, encoding: str
) -> list[pa.LargeStringArray] | None:
    """The rows below the header through Arrow's multi-threaded CSV reader (every column as
    text), or None when any row has another width, the text has blank lines (Arrow would
    reject or skip them and so shift the row numbers) or a cell does not decode; the pandas
    and csv-module paths handle those.

    GB18030 text is split into cells as bytes: its multi-byte characters never contain an
    ASCII byte below 0x30, so delimiters, quotes and line ends are found correctly."""
    import pyarrow.csv as pa_csv

    gb18030 = encoding == "gb18030"
    names = [str(j) for j in range(width)]
    cell_type = pa.large_binary() if gb18030 else pa.large_string()
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(data)[:_end_of_text(data)]),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=header_at + 1, use_threads=True),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: cell_type for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        return [large_text(_arrow_column(table.column(j), gb18030)) for j in range(width)]
    except (pa.ArrowInvalid, ValueError):  # UnicodeDecodeError is a ValueError
        return None


def _sniff_text(data: bytes, file: str) -> tuple[bytes | None, str, str]:
    """(bytes for the Arrow reader or None, the first megabyte as text, encoding).

    UTF-8 is checked on the whole file (it fails at the first GBK character and is fast
    on ASCII); GB18030 is checked on the head here and cell by cell by the reader, so the
    50 MB of a big GBK export are not decoded twice."""
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return body, body[:1 << 20].decode("utf-8", errors="ignore"), "utf-8-sig" if body is not data else "utf-8"
        cut = body.rfind(b"\n", 0, 1 << 20)
        head = body[: cut + 1] if cut > 0 and len(body) > 1 << 20 else body[: 1 << 20]
        try:
            return body, head.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            pass
    text, encoding = decode_text(data, file)
    return None, text, encoding


def _csv_body(text: str, delimiter: str, header_at: int, width: int) -> pd.DataFrame | None:
    """The rows below the header through pandas' C parser, or None when the file needs the
    exact (slower) csv-module path: a row wider than the header, or anything unusual."""
    try:
        body = pd.read_csv(
            io.StringIO(text), sep=delimiter, header=None, names=list(range(width)), skiprows=header_at + 1,
            dtype="str", keep_default_na=False, na_filter=False, skip_blank_lines=False, engine="c",
        )
    except (pd.errors.ParserError, ValueError):
        return None
    # More fields than names in the first row makes pandas use them as an index: not ours.
    if not isinstance(body.index, pd.RangeIndex) or body.shape[1] != width:
        return None
    body.index = pd.RangeIndex(header_at + 2, header_at + 2 + len(body))
    return body.fillna("")


def _body_from_rows(rows: list[list[str]], header_at: int, width: int, file: str) -> pd.DataFrame:
    """Rows below the header as a frame of ``width`` text columns; a wider row is an error."""
    body_rows = rows[header_at + 1:]
    for k, row in enumerate(body_rows):
        if len(row) > width:
            extra = [c for c in row[width:] if c]
            if extra:
                excel_row = header_at + 2 + k
                raise ReadError(
                    "ragged_row",
                    f"row {excel_row} has {width + len(extra)} filled cells but the header (row {header_at + 1}) "
                    f"has {width} columns",
                    file=file, row=excel_row, cells=width + len(extra), columns=width,
                )
    padded = [(row + [""] * width)[:width] for row in body_rows]
    frame = pd.DataFrame(padded, columns=list(range(width)), dtype="str") if padded else pd.DataFrame(
        columns=list(range(width)), dtype="str")
    frame.index = pd.RangeIndex(header_at + 2, header_at + 2 + len(padded))
    return frame


_ENDOFCHAIN: Final = 0xFFFFFFFE
_DIFSECT: Final = 0xFFFFFFFC
_MAX_REGSECT: Final = 0xFFFFFFFA


class _DamagedCompoundFile(Exception):
    """The OLE2 container of a legacy .xls is damaged; the message says where."""


def _check_compound_file(data: bytes) -> tuple[str, ...]:
    """Walk the allocation chains of an OLE2 compound file (the container of a legacy .xls)
    before calamine opens it, and raise :class:`_DamagedCompoundFile` when one leaves the
    file, loops or is cut short. Returns the names in its directory.

    calamine follows these chains without a loop check: a damaged .xls whose directory
    chain loops (e.g. a file whose sectors after the header were zeroed) makes it allocate
    until the process is killed, and a truncated one makes it panic. Only what calamine
    walks is checked (MS-CFB: header, DIFAT, FAT, directory, mini stream and mini FAT, the
    Workbook/Book stream); the records inside the workbook stream are calamine's to judge.
    """
    if len(data) < 512:
        raise _DamagedCompoundFile("shorter than its 512-byte header")
    shift, mini_shift = struct.unpack_from("<HH", data, 30)
    if shift not in (9, 12) or mini_shift != 6:
        raise _DamagedCompoundFile("not a valid compound file header")
    size = 1 << shift
    if len(data) < size:
        raise _DamagedCompoundFile("shorter than its header")
    n_sectors = -(-(len(data) - size) // size)  # the last one may be partial
    dir_len, fat_len, dir_start = struct.unpack_from("<III", data, 40)
    mini_fat_start, mini_fat_len, difat_start = struct.unpack_from("<III", data, 60)
    if max(dir_len, fat_len, mini_fat_len) > n_sectors:
        raise _DamagedCompoundFile("its header counts more sectors than the file holds")

    def sector(k: int, what: str) -> bytes:
        """A whole sector (metadata sectors must not be cut short)."""
        start = (k + 1) * size
        if start + size > len(data):
            raise _DamagedCompoundFile(f"the {what} lies past the end of the file (truncated)")
        return data[start:start + size]

    def chain(start: int, table: list[int], limit: int, what: str, need: int = 0, unit: int = size) -> list[int]:
        """The sectors of a chain up to its end, or (like calamine) until ``need`` bytes are in."""
        found: list[int] = []
        seen: set[int] = set()
        k = start
        while k != _ENDOFCHAIN and not (need and len(found) * unit >= need):
            if k >= limit or k >= len(table):
                raise _DamagedCompoundFile(f"the {what} points outside the file (truncated?)")
            if k in seen:
                raise _DamagedCompoundFile(f"the {what} loops")
            seen.add(k)
            found.append(k)
            k = table[k]
        return found

    per_sector = size // 4
    difat = list(struct.unpack_from("<109I", data, 76))
    k, seen_difat = difat_start, set[int]()
    while k < _MAX_REGSECT:
        if k >= n_sectors or k in seen_difat:
            raise _DamagedCompoundFile("the sector allocation table (DIFAT) is broken")
        seen_difat.add(k)
        pointers = struct.unpack(f"<{per_sector}I", sector(k, "sector allocation table"))
        difat.extend(pointers[:-1])
        k = pointers[-1]
    fat: list[int] = []
    for k in difat:
        if k < _DIFSECT:
            if k >= n_sectors:
                raise _DamagedCompoundFile("the sector allocation table points outside the file (truncated?)")
            fat.extend(struct.unpack(f"<{per_sector}I", sector(k, "sector allocation table")))
    directory = b"".join(sector(k, "directory") for k in chain(dir_start, fat, n_sectors, "directory chain",
                                                                dir_len * size))
    entries = [directory[i:i + 128] for i in range(0, len(directory), 128)]
    if not entries:
        return ()  # calamine reports an empty root directory itself

    def start_and_length(entry: bytes) -> tuple[int, int]:
        """A directory entry's first sector and stream size (64-bit in 4096-byte-sector files)."""
        start, low, high = struct.unpack_from("<III", entry, 116)
        return start, low if size == 512 else low | high << 32

    root_start, root_len = start_and_length(entries[0])
    mini_fat: list[int] = []
    mini_sectors = 0
    if mini_fat_len:
        stream = chain(root_start, fat, n_sectors, "mini stream chain", root_len)
        if root_len > len(stream) * size:
            raise _DamagedCompoundFile("the mini stream is longer than its chain")
        mini_sectors = root_len // 64
        for k in chain(mini_fat_start, fat, n_sectors, "mini sector table chain", mini_fat_len * size):
            mini_fat.extend(struct.unpack(f"<{per_sector}I", sector(k, "mini sector table")))
    names = [entry[:64].decode("utf-16-le", errors="replace").split("\x00")[0] for entry in entries]
    for name in ("Workbook", "Book"):  # the streams calamine reads, found by name as it does
        if name not in names:
            continue
        entry = entries[names.index(name)]
        start, length = start_and_length(entry)
        unit = 64 if length < 4096 else size
        table, limit = (mini_fat, mini_sectors) if length < 4096 else (fat, n_sectors)
        found = chain(start, table, limit, f"chain of stream {name!r}", length, unit)
        if length > len(found) * unit:
            raise _DamagedCompoundFile(f"stream {name!r} is longer than its chain (truncated?)")
    return tuple(names)


def _is_rust_panic(exc: BaseException) -> bool:
    """A panic inside calamine: pyo3 raises it as PanicException, a BaseException, which
    ``except Exception`` does not catch."""
    return type(exc).__name__ == "PanicException"


def _rows_from_workbook(
    data: bytes, file: str, sheet: str | int | None, fmt: FileFormat = "xlsx",
) -> tuple[np.ndarray, str, tuple[str, ...]]:
    import python_calamine

    if fmt == "xls":
        try:
            streams = _check_compound_file(data)
        except _DamagedCompoundFile as exc:
            raise ReadError("unreadable_workbook",
                            f"the file is a damaged or truncated legacy Excel (.xls) workbook: {exc}",
                            file=file) from None
        if "EncryptedPackage" in streams:  # how Excel saves a password-protected .xlsx
            raise ReadError("unreadable_workbook", "the workbook is password-protected (encrypted); save it "
                            "without a password and upload it again", file=file)
        if streams and "Workbook" not in streams and "Book" not in streams:
            raise ReadError("unreadable_workbook", "the file is an Office 97-2003 (OLE2) document but not an "
                            "Excel workbook (it has no Workbook stream)", file=file)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:  # calamine raises its own error types (or panics) for damaged workbooks
        if not isinstance(exc, Exception) and not _is_rust_panic(exc):
            raise
        what = "legacy Excel (.xls) workbook" if fmt == "xls" else "workbook"
        raise ReadError("unreadable_workbook", f"the {what} cannot be read ({exc})", file=file) from None
    names = tuple(book.sheet_names)
    if not names:
        raise ReadError("no_sheet", "the workbook has no sheet", file=file)
    if sheet is None:
        candidates = list(names)
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise ReadError("unknown_sheet", f"there is no sheet number {sheet + 1}; sheets: {list(names)}", file=file,
                            sheet=sheet, sheets=list(names))
        candidates = [names[sheet]]
    else:
        if sheet not in names:
            raise ReadError("unknown_sheet", f"there is no sheet {sheet!r}; sheets: {list(names)}", file=file,
                            sheet=sheet, sheets=list(names))
        candidates = [sheet]
    first: tuple[np.ndarray, str] | None = None  # the first sheet with any text, for the error
    for name in candidates:
        try:
            sheet_range = book.get_sheet_by_name(name)
            values = sheet_range.to_python(skip_empty_area=False)
            merged = sheet_range.merged_cell_ranges or ()
        except BaseException as exc:  # calamine's Xml/Zip/Calamine errors (or a panic): damaged sheet data
            if not isinstance(exc, Exception) and not _is_rust_panic(exc):
                raise
            raise ReadError("unreadable_workbook", f"sheet {name!r} cannot be read ({exc})", file=file,
                            sheet=name) from None
        grid = _grid_text(values)
        # Merged cells hold their value in the top-left cell only. A vertical merge (a branch
        # or group spanning several loans) is spread down its rows so they are not blank;
        # a horizontal one (a title across the sheet) stays in one cell, or the title row
        # would look like a header.
        for (r0, c0), (r1, c1) in merged:
            if r1 > r0 and r0 < grid.shape[0] and c0 < grid.shape[1]:
                grid[r0:r1 + 1, c0:c1 + 1] = grid[r0, c0]
        # The first sheet holding a table (a header and a row below it): a cover sheet of
        # notes, one per row, or a blank first sheet comes before the ledger in many exports.
        header_at = _find_header([[c.strip() for c in row] for row in grid[:_HEADER_SCAN_ROWS].tolist()])
        if header_at is not None and any(c.strip() for row in grid[header_at + 1:] for c in row):
            return grid, name, names
        if first is None and any(c.strip() for c in grid.ravel()):
            first = (grid, name)
    if first is not None:
        return first[0], first[1], names
    if sheet is None:
        raise ReadError("empty_file", f"every sheet of the workbook is empty; sheets: {list(names)}", file=file,
                        sheets=list(names))
    return grid, candidates[0], names


def _grid_text(values: list[list[Any]]) -> np.ndarray:
    """A sheet's cells as a 2-D object array of text, converted column by column: a column
    of one Python type (text, numbers, dates) is converted in bulk, the rest cell by cell
    with :func:`_cell_text`, which defines the text of every cell type."""
    width = max(map(len, values), default=0)
    if any(len(row) != width for row in values):
        values = [list(row) + [""] * (width - len(row)) for row in values]
    grid = np.empty((len(values), width), dtype=object)
    if width:
        grid[:] = values
    # A stray formatted cell far to the right makes a sheet thousands of columns wide; the
    # empty columns at the right edge hold nothing, and converting them one by one is slow.
    while width and all(v is None or v == "" for v in grid[:, width - 1]):
        width -= 1
    grid = grid[:, :width]
    for j in range(width):
        grid[:, j] = _column_text(grid[:, j])
    return grid


def _column_text(cells: np.ndarray) -> np.ndarray:
    kinds = np.fromiter(map(type, cells), dtype=object, count=len(cells))
    is_text = kinds == str
    if is_text.all():
        return cells
    text = np.empty(len(cells), dtype=object)
    text[is_text] = cells[is_text]
    is_float = kinds == float
    if is_float.any():
        number = cells[is_float].astype(np.float64)
        whole = np.isfinite(number) & (np.floor(number) == number) & (np.abs(number) < 1e15)
        part = np.empty(len(number), dtype=object)
        part[whole] = pa.array(number[whole].astype(np.int64)).cast(pa.string()).to_numpy(zero_copy_only=False)
        part[~whole] = [_cell_text(v) for v in number[~whole].tolist()]
        text[is_float] = part
    is_date = kinds == dt.date
    if is_date.any():
        text[is_date] = pa.array(cells[is_date].tolist(), pa.date32()).cast(pa.string()).to_numpy(zero_copy_only=False)
    rest = ~(is_text | is_float | is_date)
    if rest.any():
        text[rest] = [_cell_text(v) for v in cells[rest]]
    return text


def _find_header(rows: list[list[str]]) -> int | None:
    """Index of the header row: the first of the top rows that is as wide as the table and
    mostly text (title rows have one merged cell; data rows are mostly numbers)."""
    scan = rows[:_HEADER_SCAN_ROWS]
    widths = sorted(w for w in (sum(1 for c in row if c) for row in scan) if w)
    if not widths or widths[-1] < 2:
        return None
    # The typical width (median of non-blank rows), not the widest: one ragged data row
    # must not make the real header look too narrow.
    typical = widths[len(widths) // 2]
    for i, row in enumerate(scan):
        filled = [c for c in row if c]
        if len(filled) < max(2, 0.6 * typical):
            continue
        texty = sum(1 for c in filled if not _NUMERIC.match(c))
        if texty >= 0.8 * len(filled):
            return i
    return None


def read_table(data: bytes, file: str = "<upload>", *, sheet: str | int | None = None) -> RawTable:
    """Read a CSV, XLSX or XLS ledger into text cells with its header found and totals dropped.

    Parameters
    ----------
    data : bytes
        The file as uploaded.
    file : str
        Its name, used in every message.
    sheet : str, int or None
        Sheet name or 0-based position; None picks the first sheet that holds a table (a
        header row and a filled row below it), else the first sheet with any text.

    Raises
    ------
    ReadError
        The file (or, with ``sheet`` None, every sheet of the workbook) is empty, binary junk,
        a damaged or password-protected workbook, undecodable text, has no header
        row or no data row, names an unknown sheet, or has a row with more filled cells
        than the header has columns (``ragged_row``, naming the row).
    """
    fmt = sniff_format(data, file)
    encoding: str | None = None
    sheet_name: str | None = None
    sheets: tuple[str, ...] = ()
    if fmt == "csv":
        arrow_bytes, head_text, encoding = _sniff_text(data, file)
        head_text = head_text[:1 << 20]  # the header is in the first 30 rows; never scan 50 MB for it
        delimiter = _delimiter(head_text)
        head_rows = _csv_rows(head_text, delimiter, limit=_HEADER_SCAN_ROWS)
    else:
        grid, sheet_name, sheets = _rows_from_workbook(data, file, sheet, fmt)
        head_rows = [[c.strip() for c in row] for row in grid[:_HEADER_SCAN_ROWS].tolist()]

    header_at = _find_header(head_rows)
    if header_at is None:
        raise ReadError("no_header", "no header row found in the first 30 rows", file=file, sheet=sheet_name)
    title = next((c for row in head_rows[:header_at] for c in row if c), None)
    header = head_rows[header_at]
    width = len(header)
    if fmt == "csv":
        columns = None if arrow_bytes is None else _csv_body_arrow(
            arrow_bytes, delimiter, header_at, width, encoding or "")
        if columns is None:
            text, encoding = decode_text(data, file)
            body = _csv_body(text, delimiter, header_at, width)
            if body is None:
                body = _body_from_rows(_csv_rows(text, delimiter), header_at, width, file)
            columns = [large_text(body[j]) for j in body.columns]
    else:
        columns = [pa.array(grid[header_at + 1:, j], pa.large_string()) for j in range(width)]
    columns = [trimmed(column) for column in columns]
    n_rows = len(columns[0]) if columns else 0
    filled = np.column_stack([lengths(column) > 0 for column in columns]) if columns else np.zeros((0, 0), bool)
    # Trailing columns with neither a header nor data are export padding.
    while width > 0 and not header[width - 1] and not filled[:, width - 1].any():
        width -= 1
    columns, filled = columns[:width], filled[:, :width]
    names: list[str] = []
    seen: dict[str, int] = {}
    for j, name in enumerate(header[:width]):
        label = name or _column_letter(j)
        seen[label] = seen.get(label, 0) + 1
        names.append(label if seen[label] == 1 else f"{label}.{seen[label]}")
    excel_rows = np.arange(header_at + 2, header_at + 2 + n_rows)

    blank = ~filled.any(axis=1) if width else np.ones(n_rows, dtype=bool)
    is_total = np.zeros(n_rows, dtype=bool)
    total_label: dict[int, str] = {}
    for column in columns:
        hit = _total_labels(column) & ~is_total
        for k in np.flatnonzero(hit):
            total_label[int(k)] = str(column[int(k)].as_py())
        is_total |= hit
    note = _note_rows(columns, filled) & ~is_total
    keep = ~blank & ~is_total & ~note
    data_positions = np.flatnonzero(keep)
    last_data = int(excel_rows[data_positions[-1]]) if len(data_positions) else 0
    dropped = [
        DroppedRow(int(excel_rows[k]), "total_row", total_label[k]) if is_total[k]
        else DroppedRow(int(excel_rows[k]), "note_row", _first_text(columns, filled, k)) if note[k]
        else DroppedRow(int(excel_rows[k]), "blank_row")
        for k in (int(k) for k in np.flatnonzero(~keep))
        # Trailing blank rows are padding, not worth reporting one by one.
        if is_total[k] or note[k] or int(excel_rows[k]) < last_data
    ]
    if not len(data_positions):
        raise ReadError("no_data_rows", f"the table has a header (row {header_at + 1}) but no data rows",
                        file=file, header_row=header_at + 1)
    return RawTable(
        file=file, format=fmt, encoding=encoding, sheet=sheet_name, sheets=sheets,
        header_row=header_at + 1, title=title, frame=_text_frame(columns, names, excel_rows, keep),
        dropped_rows=tuple(dropped), totals=_text_frame(columns, names, excel_rows, is_total),
    )


def _text_frame(columns: list[pa.LargeStringArray], names: list[str], excel_rows: np.ndarray,
                rows: np.ndarray) -> pd.DataFrame:
    """The chosen rows as a frame of text columns indexed by their Excel row number."""
    index = pd.Index(excel_rows[rows], name="row")
    if rows.all():
        chosen = columns
    else:
        where = pa.array(np.flatnonzero(rows))
        chosen = [column.take(where) for column in columns]
    return pd.DataFrame({name: pd.Series(column, index=index, dtype="str") for name, column in zip(names, chosen)},
                        index=index)

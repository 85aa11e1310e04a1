"""A minimal XLSX writer for tests: the five parts a workbook needs, written with zipfile.

openpyxl takes tens of seconds for 100,000 rows; this writes the sheet XML directly
(text as inline strings, ``t="inlineStr"``; numbers as ``<v>``), which calamine reads like
any Excel file. No styles part: dates are written as text or as Excel serial numbers.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"

Row = Sequence[object]  # str -> inline string, int/float -> number, None/"" -> no cell


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sheet_xml(rows: Iterable[Row], merged: Sequence[str] = ()) -> str:
    """A worksheet part; row k of ``rows`` is Excel row k + 1."""
    letters = [column_letter(j) for j in range(64)]
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}"><sheetData>']
    for r, row in enumerate(rows, start=1):
        cells = []
        for j, value in enumerate(row):
            if value is None or value == "":
                continue
            ref = f"{letters[j]}{r}"
            if isinstance(value, str):
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
        if cells:
            out.append(f'<row r="{r}">{"".join(cells)}</row>')
    out.append("</sheetData>")
    if merged:
        out.append(f'<mergeCells count="{len(merged)}">'
                   + "".join(f'<mergeCell ref="{ref}"/>' for ref in merged) + "</mergeCells>")
    out.append("</worksheet>")
    return "".join(out)


def xlsx_bytes(sheets: Sequence[tuple[str, str]], *, level: int = 1) -> bytes:
    """A workbook of ``(sheet name, sheet_xml(...))`` pairs; ``sheets`` may be empty."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{_CT}.worksheet+xml"/>'
        for k in range(1, len(sheets) + 1)
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>{overrides}</Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            "<sheets>" + "".join(
                f'<sheet name="{escape(name)}" sheetId="{k}" r:id="rId{k}"/>'
                for k, (name, _) in enumerate(sheets, start=1)
            ) + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">' + "".join(
                f'<Relationship Id="rId{k}" Type="{_REL}/worksheet" Target="worksheets/sheet{k}.xml"/>'
                for k in range(1, len(sheets) + 1)
            ) + "</Relationships>"
        ),
        **{f"xl/worksheets/sheet{k}.xml": xml for k, (_, xml) in enumerate(sheets, start=1)},
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode("utf-8"))
    return buf.getvalue()


def flip_member_bytes(data: bytes, prefix: str, count: int = 8) -> bytes:
    """``data`` with ``count`` bytes inverted a third of the way into the compressed data of
    the first member whose name starts with ``prefix`` (the ZIP directory stays valid)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = next(i for i in archive.infolist() if i.filename.startswith(prefix))
    damaged = bytearray(data)
    name_len, extra_len = struct.unpack_from("<HH", data, member.header_offset + 26)  # the local header's own
    start = member.header_offset + 30 + name_len + extra_len
    for k in range(member.compress_size // 3, member.compress_size // 3 + count):
        damaged[start + k] ^= 0xFF
    return bytes(damaged)

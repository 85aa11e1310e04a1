"""A ledger with problems, handed back as an Excel workbook the analyst can fix and upload again.

:func:`annotated_workbook` reproduces the uploaded file with every flagged cell filled
(red for errors, yellow for warnings) and commented, and appends a problems sheet
(:data:`PROBLEMS_SHEET`) that lists every issue with a link to its cell.

Rows and columns are located exactly as :func:`riskcore.ingest.read.read_table` located
them, so ``Issue.row`` (the row number Excel or a text editor shows, counting title rows)
is the row of the output sheet, and ``Issue.column`` (the header as read_table names it:
the original text, blank headers as the Excel column letter, repeats suffixed ``.2``,
``.3``) is found by its position in the header row.

* XLSX: the original workbook is loaded with openpyxl and annotated in place, so values,
  formulas, number formats, widths and merged cells stay as they were. Annotations of an
  earlier round (comments by :data:`ANNOTATION_AUTHOR`) and an earlier problems sheet are
  removed first: a re-uploaded, partly fixed workbook must not keep stale red cells.
  openpyxl drops what it cannot read (images, charts) and resets comment box sizes.
* CSV (any encoding read_table decodes) and legacy XLS: every row of the file, title rows
  included, is written as text cells at the same row and column, so Excel row N is file
  row N and ids keep their leading zeros. Written in openpyxl's write-only (streaming)
  mode, the styled cells as ``WriteOnlyCell``; rows with nothing to style are spliced into
  the saved sheet as inline-string XML (see :func:`_splice_plain_rows`), because openpyxl
  spends about 20 µs on each cell (200,000 x 30 cells: 146 s, spliced: 17 s).
  Control characters, which an .xlsx cannot hold, are dropped.
* A file that cannot be read at all (empty, junk, damaged) gives a workbook with the
  problems sheet only.

At most :data:`MAX_COMMENTS` cells get a comment (the first ones, top to bottom); beyond
that flagged cells are only filled. Excel slows to a crawl with tens of thousands of
legacy comments, and a book with that many bad cells has a systematic problem (a whole
column in the wrong format) that the problems sheet shows anyway.

The problems sheet is always the last sheet, so ``read_table``'s automatic sheet choice
(the first sheet holding a table) picks the ledger, not the list, when the fixed workbook
comes back.

``labels`` translates the problems sheet's column titles and severity words; the keys are
those of :data:`DEFAULT_LABELS` (bilingual zh/en by default). The sheet name itself stays
the fixed bilingual :data:`PROBLEMS_SHEET`, so that it is recognisable in any language.
The text of each issue comes from the caller's ``message`` function (the UI's catalogue),
because riskcore never imports the UI.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from itertools import islice
from pathlib import PurePath
from typing import Any, Final

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from riskcore.ingest.parse import Issue
from riskcore.ingest.read import RawTable, ReadError, _delimiter, _grid_text, decode_text, read_table, sniff_format

__all__ = [
    "ANNOTATION_AUTHOR", "DEFAULT_LABELS", "ERROR_FILL", "MAX_COMMENTS", "PROBLEMS_SHEET", "WARNING_FILL",
    "annotated_workbook",
]

#: Name of the appended problems sheet: bilingual and fixed (≤ 31 characters, no []:*?/\).
PROBLEMS_SHEET: Final = "问题清单 Problems"
#: Author of every comment this module writes; marks annotations to remove in a later round.
ANNOTATION_AUTHOR: Final = "riskcore"
#: Fill colours: Excel's own "Bad" (light red) and "Neutral" (light yellow) cell styles.
ERROR_FILL: Final = "FFC7CE"
WARNING_FILL: Final = "FFEB9C"
#: Cells that get a comment at most; further flagged cells are filled only.
MAX_COMMENTS: Final = 10_000
#: Problems-sheet column titles and severity words; ``labels`` may override any of them.
DEFAULT_LABELS: Final[Mapping[str, str]] = {
    "row": "行号 Row",
    "column": "列 Column",
    "value": "值 Value",
    "severity": "级别 Severity",
    "code": "代码 Code",
    "message": "说明 Message",
    "error": "错误 Error",
    "warning": "提示 Warning",
}
_PROBLEM_COLUMNS: Final = ("row", "column", "value", "severity", "code", "message")
_MAX_WIDTH: Final = {"message": 90.0, "value": 40.0, "column": 30.0}
#: Rows sampled to size the columns of a sheet written from text (the whole file is not
#: worth a second pass for a width).
_WIDTH_SAMPLE_ROWS: Final = 200
_HEADER_FILL: Final = "D9D9D9"
_LINK_COLOUR: Final = "0563C1"
_SHEET_NAME_BAD: Final = str.maketrans({c: "_" for c in "[]:*?/\\"})
#: Separates our text from an analyst's note kept in the same comment (author in the line).
_NOTE: Final = re.compile(r"\n\n———— (.*?) ————\n")
#: ReadError codes after which there is no sheet to reproduce, only the problems list.
_UNREADABLE: Final = frozenset({"empty_file", "binary_not_table", "damaged_xlsx", "unreadable_workbook",
                                "undecodable_text", "no_sheet"})


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where the ledger is in the output: its sheet, header row and header -> column.

    ``source`` is the sheet name the issues carry (None for a CSV, whose issues name no
    sheet); an issue about another sheet marks nothing."""

    sheet: str
    header_row: int | None
    columns: Mapping[str, int]
    source: str | None = None

    def column_of(self, header: str | None) -> int | None:
        """1-based column of a header as read_table names it (None when not in the header)."""
        return None if header is None else self.columns.get(header)

    def covers(self, issue: Issue) -> bool:
        """Whether ``issue`` is about this sheet."""
        return issue.sheet is None or issue.sheet in (self.source, self.sheet)


@dataclass(frozen=True, slots=True)
class _Mark:
    """Everything to put on one flagged cell."""

    error: bool
    text: str


def _labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    words = dict(DEFAULT_LABELS)
    if labels:
        unknown = set(labels) - set(DEFAULT_LABELS)
        if unknown:
            raise ValueError(f"unknown label keys {sorted(unknown)}; known: {sorted(DEFAULT_LABELS)}")
        words.update(labels)
    return words


def _layout(raw: RawTable, sheet: str) -> _Layout:
    # read_table's frame has one column per header position (renamed blanks and repeats
    # included), left to right from column A, so the position is the Excel column.
    columns = {str(name): j + 1 for j, name in enumerate(raw.frame.columns)}
    return _Layout(sheet=sheet, header_row=raw.header_row, columns=columns, source=raw.sheet)


def _sheet_title(file: str) -> str:
    """A valid sheet name for a CSV's rows: the file name without extension, as Excel names
    the sheet when it opens a CSV (31 characters at most, no []:*?/\\)."""
    stem = PurePath(file.replace("\\", "/")).stem.translate(_SHEET_NAME_BAD).strip("'").strip()
    title = stem[:31].strip("'").strip()
    return title if title and title != PROBLEMS_SHEET else "Sheet1"


def _link(sheet: str, row: int, column: int) -> str:
    """An internal link target: 'Sheet name'!C5 (quotes doubled inside the name)."""
    return "'{}'!{}{}".format(sheet.replace("'", "''"), get_column_letter(column), row)


def _clean(text: str) -> str:
    # Control characters cannot be stored in an .xlsx at all (openpyxl refuses them).
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", text)
    return cleaned


def _is_literal(value: str) -> bool:
    """Text that openpyxl would turn into a formula ("=...") or an error value ("#N/A")."""
    return value.startswith("=") or (value.startswith("#") and value in ERROR_CODES)


def _display_width(text: str) -> float:
    """Width in Excel character units: CJK characters take two."""
    line = max(text.split("\n"), key=len) if text else ""
    return float(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line))


def _mark_cells(issues: Sequence[Issue], layout: _Layout, words: Mapping[str, str],
                texts: Sequence[str]) -> dict[tuple[int, int], _Mark]:
    """The cells to flag, by (row, column), top to bottom.

    Several issues on one cell become one comment listing them all; the cell is red when
    any of them is an error. Issues without a row or a column, or about another sheet,
    flag nothing (they are on the problems sheet only)."""
    grouped: dict[tuple[int, int], list[tuple[Issue, str]]] = {}
    for issue, text in zip(issues, texts, strict=True):
        column = layout.column_of(issue.column)
        if issue.row is None or issue.row < 1 or column is None or not layout.covers(issue):
            continue
        grouped.setdefault((issue.row, column), []).append((issue, text))
    marks = {}
    for cell in sorted(grouped):
        found = grouped[cell]
        if len(found) == 1:
            text = found[0][1]
        else:
            text = "\n".join(f"• {words[issue.severity]}: {line}" for issue, line in found)
        marks[cell] = _Mark(error=any(issue.severity == "error" for issue, _ in found), text=_clean(text))
    return marks


def _comment(text: str) -> Comment:
    # openpyxl's default box (144 x 79 px) cuts a message off; size it to the text.
    lines = text.split("\n")
    width = int(min(420.0, max(180.0, 7.0 * max(map(_display_width, lines)))))
    wrapped = sum(1 + int(7.0 * _display_width(line) // width) for line in lines)
    return Comment(text, ANNOTATION_AUTHOR, height=min(400, 24 + 16 * wrapped), width=width)


def _solid(colour: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=colour, end_color=colour)


class _Styler:
    """Sets fills and fonts, reusing the result for cells that start with the same style.

    openpyxl hashes the whole style object on every assignment (about 0.1 ms), which a
    ledger with thousands of flagged cells would pay for each one; cells of one column
    mostly share their style, so each (style before, change) pair is worked out once and
    its style array copied from then on. A cell keeps its other attributes (number
    format, borders, font) because the change is applied on top of its own style."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, tuple[int, ...] | None], Any] = {}

    def apply(self, cell: Any, key: str, **attributes: Any) -> None:
        """Give ``cell`` the ``attributes`` (``fill=``, ``font=``); ``key`` names the change."""
        before = (key, tuple(cell._style) if cell._style is not None else None)
        after = self._done.get(before)
        if after is None:
            for name, value in attributes.items():
                setattr(cell, name, value)
            self._done[before] = copy(cell._style)
        else:
            cell._style = copy(after)


_FILLS: Final = {True: _solid(ERROR_FILL), False: _solid(WARNING_FILL)}
_LINK_FONT: Final = Font(color=_LINK_COLOUR, underline="single")
_BOLD: Final = Font(bold=True)


def _flag(styler: _Styler, cell: Any, mark: _Mark, comments: list[int], *, keep_note: bool = False) -> None:
    """Fill a cell for its mark and, while the budget in ``comments`` lasts, comment it
    (always when the comment carries an analyst's note, which must not be lost)."""
    styler.apply(cell, "error" if mark.error else "warning", fill=_FILLS[mark.error])
    if comments[0] > 0 or keep_note:
        comments[0] -= 1
        cell.comment = _comment(mark.text)


# --- the problems sheet ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Out:
    """One cell to write, the same way into a normal or a write-only sheet."""

    value: Any
    text: bool = False
    style: str | None = None
    link: str | None = None


_OUT_STYLES: Final[dict[str, dict[str, Any]]] = {
    "header": {"font": _BOLD, "fill": _solid(_HEADER_FILL)},
    "error": {"fill": _FILLS[True]},
    "warning": {"fill": _FILLS[False]},
    "link": {"font": _LINK_FONT},
}


def _write_row(ws: Any, row: int, cells: Sequence[_Out], write_only: bool, styler: _Styler) -> None:
    """Write ``cells`` as row ``row`` (a write-only sheet can only append, in order)."""
    out: list[Any] = []
    for j, spec in enumerate(cells, start=1):
        if spec.value is None or spec.value == "":
            out.append(None)
            continue
        cell = WriteOnlyCell(ws, spec.value) if write_only else ws.cell(row=row, column=j, value=spec.value)
        if spec.text:
            cell.data_type = "s"  # never a formula or an error value, whatever the text
        if spec.style:
            styler.apply(cell, spec.style, **_OUT_STYLES[spec.style])
        if spec.link:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=spec.link, tooltip=spec.link)
            styler.apply(cell, "link", **_OUT_STYLES["link"])
        out.append(cell)
    if write_only:
        ws.append(out)


def _target(issue: Issue, layout: _Layout | None) -> str | None:
    """Where an issue's link goes: its cell, else its row (column A), else its column's
    header; nowhere when the file has no sheet or the issue is about another one."""
    if layout is None or not layout.covers(issue):
        return None
    column = layout.column_of(issue.column)
    if issue.row is not None and issue.row >= 1:
        return _link(layout.sheet, issue.row, column or 1)
    if column is not None and layout.header_row is not None:
        return _link(layout.sheet, layout.header_row, column)
    return None


def _write_problems(book: Any, issues: Sequence[Issue], texts: Sequence[str], layout: _Layout | None,
                    words: Mapping[str, str], write_only: bool, styler: _Styler) -> None:
    """Append the problems sheet: a header, one row per issue (in the order given), a
    frozen header, an autofilter, widths from the content, and a link on the row number
    (on the column, for an issue without a row) to the issue's cell."""
    ws = book.create_sheet(PROBLEMS_SHEET)
    rows: list[list[_Out]] = []
    for issue, text in zip(issues, texts, strict=True):
        link = _target(issue, layout)
        rows.append([
            _Out(issue.row, link=link),
            _Out(_clean(issue.column or ""), text=True, link=link if issue.row is None else None),
            _Out(_clean(issue.value or ""), text=True),
            _Out(words[issue.severity], text=True, style=issue.severity),
            _Out(issue.code, text=True),
            _Out(_clean(text), text=True),
        ])
    header = [_Out(words[key], text=True, style="header") for key in _PROBLEM_COLUMNS]
    # Widths, frozen panes and the filter first: a write-only sheet writes its column and
    # view settings before the first row.
    for j, key in enumerate(_PROBLEM_COLUMNS, start=1):
        widest = max((_display_width(str(r[j - 1].value)) for r in rows if r[j - 1].value is not None), default=0.0)
        width = max(_display_width(words[key]) + 4, widest + 2)
        ws.column_dimensions[get_column_letter(j)].width = min(width, _MAX_WIDTH.get(key, 24.0))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(_PROBLEM_COLUMNS))}{len(rows) + 1}"
    _write_row(ws, 1, header, write_only, styler)
    for k, cells in enumerate(rows, start=2):
        _write_row(ws, k, cells, write_only, styler)


def _messages(issues: Sequence[Issue], message: Callable[[Issue], str]) -> list[str]:
    return [message(issue) for issue in issues]


# --- XLSX: annotate the original workbook in place ----------------------------------------


def _is_our_fill(fill: Any) -> bool:
    colour = getattr(getattr(fill, "fgColor", None), "rgb", None)
    return getattr(fill, "fill_type", None) == "solid" and isinstance(colour, str) and \
        colour[-6:].upper() in (ERROR_FILL, WARNING_FILL)


def _clear_annotations(ws: Any) -> None:
    """Remove the comments (and their fills) that an earlier round of this function wrote;
    an analyst's own note kept inside one of them is put back as it was."""
    for cell in list(ws._cells.values()):  # only existing cells: iter_rows would create the rest
        comment = cell.comment
        if comment is None or comment.author != ANNOTATION_AUTHOR:
            continue
        kept = _NOTE.split(comment.text, maxsplit=1)
        cell.comment = Comment(kept[2], kept[1]) if len(kept) == 3 else None
        if _is_our_fill(cell.fill):
            cell.fill = PatternFill(fill_type=None)


def _top_left(ws: Any, row: int, column: int) -> tuple[int, int]:
    """The visible cell of a merged range: a merged-away cell holds no value or comment."""
    if isinstance(ws._cells.get((row, column)), MergedCell):
        for merged in ws.merged_cells.ranges:
            if merged.min_row <= row <= merged.max_row and merged.min_col <= column <= merged.max_col:
                return merged.min_row, merged.min_col
    return row, column


def _freeze_below(ws: Any, header_row: int) -> None:
    """Freeze the rows down to the header, keeping any columns the sheet already froze."""
    column = "A"
    if ws.freeze_panes:
        column = "".join(ch for ch in ws.freeze_panes if ch.isalpha()) or "A"
    ws.sheet_view.pane = None
    ws.freeze_panes = f"{column}{header_row + 1}"


def _pick_sheet(book: Any, raw: RawTable | None, sheet: str | int | None, failure: ReadError | None) -> Any:
    """The worksheet read_table read, or, when it found no table, the one it tried."""
    if raw is not None:
        wanted: Any = raw.sheet
    else:
        wanted = (failure.params.get("sheet") if failure is not None else None) or sheet
    if isinstance(wanted, int):
        return book.worksheets[wanted] if 0 <= wanted < len(book.worksheets) else None
    if isinstance(wanted, str):
        return book[wanted] if wanted in book.sheetnames and book[wanted] in book.worksheets else None
    worksheets = [ws for ws in book.worksheets if ws.title != PROBLEMS_SHEET]
    return worksheets[0] if worksheets else None


def _annotate_xlsx(data: bytes, issues: Sequence[Issue], raw: RawTable | None, failure: ReadError | None,
                   sheet: str | int | None, words: Mapping[str, str], message: Callable[[Issue], str]) -> bytes | None:
    """The original workbook with the data sheet annotated, or None when openpyxl cannot
    load it (the caller then writes the cells as text)."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data))
    except Exception:  # openpyxl raises many kinds (KeyError, ValueError, zip errors) for what it cannot load
        return None
    ws = _pick_sheet(book, raw, sheet, failure)
    if ws is None:
        return None
    if PROBLEMS_SHEET in book.sheetnames and book[PROBLEMS_SHEET] is not ws:
        del book[PROBLEMS_SHEET]  # a previous round's list, stale by now
    for other in book.worksheets:
        _clear_annotations(other)
    layout = _layout(raw, ws.title) if raw is not None else _Layout(ws.title, _header_row(failure), {})
    texts = _messages(issues, message)
    styler = _Styler()
    comments = [MAX_COMMENTS]
    # Issues inside a merged range (a branch name merged down the loans) go to its visible
    # top-left cell, all in one comment.
    visible: dict[tuple[int, int], _Mark] = {}
    for (row, column), mark in _mark_cells(issues, layout, words, texts).items():
        at = _top_left(ws, row, column)
        seen = visible.get(at)
        visible[at] = mark if seen is None else _Mark(seen.error or mark.error, f"{seen.text}\n{mark.text}")
    for (row, column), mark in visible.items():
        cell = ws.cell(row=row, column=column)
        note = cell.comment
        if note is not None:  # the analyst's own note stays, below ours
            mark = _Mark(mark.error, f"{mark.text}\n\n———— {note.author or ''} ————\n{note.text}")
            cell.comment = None
        _flag(styler, cell, mark, comments, keep_note=note is not None)
    if layout.header_row is not None:
        _freeze_below(ws, layout.header_row)
    _write_problems(book, issues, texts, layout, words, False, styler)
    # Open on the data sheet, and on it alone: two selected tabs would group the sheets.
    for other in book.worksheets:
        other.sheet_view.tabSelected = other is ws
    book.active = book.worksheets.index(ws)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- CSV and XLS: every row as text cells ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Rows:
    """A sheet's rows as text, from the first each time ``read()`` is called (the text
    book reads them twice); ``literals`` is False when no cell can start with = or #, so
    no row needs checking for text openpyxl would misread."""

    read: Callable[[], Iterator[list[str]]]
    literals: bool


#: Write the plain rows of a text book straight into the sheet XML (see _splice_plain_rows);
#: False writes every cell through openpyxl (the reference the tests compare against).
_SPLICE_PLAIN_ROWS = True
#: The rows openpyxl writes for a write-only sheet: <row r="7">...</row>, or <row r="7"/>
#: when empty (lxml's form).
_ROW_XML: Final = re.compile(r'<row r="(\d+)"[^>]*/>|<row r="(\d+)"[^>]*>.*?</row>', re.DOTALL)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, as io.StringIO(text) yields them, without
    the copy StringIO makes (four bytes a character for Chinese text)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _csv_rows(data: bytes, file: str) -> _Rows | None:
    """Every record of a CSV as read_table counts them (title rows included), from the
    start each time it is called; None when the text cannot be decoded."""
    try:
        text, _ = decode_text(data, file)
    except ReadError:
        return None
    text = _clean(text)
    delimiter = _delimiter(text[:1 << 20])
    return _Rows(lambda: csv.reader(_lines(text), delimiter=delimiter), "=" in text or "#" in text)


def _grid_rows(data: bytes, raw: RawTable) -> _Rows | None:
    """The cells of the sheet read_table read, as text, without its merged-cell spreading."""
    import python_calamine

    if raw.sheet is None:
        return None
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        values = book.get_sheet_by_name(raw.sheet).to_python(skip_empty_area=False)
    except BaseException as exc:  # calamine's own errors, or a Rust panic (a BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        return None  # read_table read it a moment ago, so this is not expected
    rows: list[list[str]] = [[_clean(value) for value in row] for row in _grid_text(values).tolist()]
    return _Rows(lambda: iter(rows), any(_is_literal(value) for row in rows for value in row))


def _text_cell(ws: Any, value: str) -> Any:
    cell = WriteOnlyCell(ws, value)
    cell.data_type = "s"
    return cell


def _write_text_book(rows: _Rows, issues: Sequence[Issue], layout: _Layout, words: Mapping[str, str],
                     message: Callable[[Issue], str], *, splice: bool) -> bytes | None:
    """A streaming (write-only) workbook: the rows as text cells, flagged cells styled and
    commented, then the problems sheet.

    With ``splice``, openpyxl writes only the rows that need it (flagged cells, the
    header, text it must be told is text) and leaves the others empty for
    :func:`_splice_plain_rows`: openpyxl spends about 20 µs on each cell, two minutes for
    a 200,000 x 30 ledger. Returns None when the splice cannot be done."""
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet(layout.sheet)
    texts = _messages(issues, message)
    by_row: dict[int, dict[int, _Mark]] = {}
    for (at_row, at_column), mark in _mark_cells(issues, layout, words, texts).items():
        by_row.setdefault(at_row, {})[at_column] = mark
    styler = _Styler()
    comments = [MAX_COMMENTS]

    # Column widths and the frozen header must be set before the first row is written.
    widths: dict[int, float] = {}
    for row in islice(rows.read(), _WIDTH_SAMPLE_ROWS):
        for j, value in enumerate(row, start=1):
            widths[j] = max(widths.get(j, 0.0), _display_width(value))
    for j, width in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 6.0), 40.0)
    if layout.header_row is not None:
        ws.freeze_panes = f"A{layout.header_row + 1}"

    def special(k: int, row: list[str]) -> list[Any]:
        """A row with flagged cells, the header, or text openpyxl would misread."""
        flagged = by_row.get(k, {})
        cells: list[Any] = [_text_cell(ws, value) if _is_literal(value) or k == layout.header_row and value
                            else value or None for value in row]
        if len(cells) < max(flagged, default=0):  # a flagged empty cell past the row's last field
            cells.extend([None] * (max(flagged) - len(cells)))
        for j in sorted(flagged):
            if cells[j - 1] is None or isinstance(cells[j - 1], str):
                cells[j - 1] = WriteOnlyCell(ws, cells[j - 1])
                if cells[j - 1].value is not None:
                    cells[j - 1].data_type = "s"
            _flag(styler, cells[j - 1], flagged[j], comments)
        if k == layout.header_row:
            for cell in cells:
                if cell is not None:
                    styler.apply(cell, "bold", font=_BOLD)
        return cells

    written: set[int] = set()
    for k, row in enumerate(rows.read(), start=1):
        if k in by_row or k == layout.header_row or rows.literals and any(_is_literal(value) for value in row):
            ws.append(special(k, row))
            written.add(k)
        elif splice:
            ws.append([])  # an empty <row>, filled in after saving
        else:
            ws.append([value or None for value in row])  # plain text, empty cells left out
    _write_problems(book, issues, texts, layout, words, True, styler)
    out = io.BytesIO()
    book.save(out)
    if not splice:
        return out.getvalue()
    return _splice_plain_rows(out.getvalue(), ws.path.lstrip("/"), rows.read(), written)


def _xml_text(value: str) -> str:
    """A cell's text for <t>, as openpyxl would write it (32,767 characters at most)."""
    return value[:32767].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain_row_xml(k: int, row: list[str], letters: list[str]) -> str:
    parts = [f'<row r="{k}">']
    for j, value in enumerate(row):
        if value:
            while len(letters) <= j:
                letters.append(get_column_letter(len(letters) + 1))
            # Leading or trailing blanks survive only with xml:space="preserve".
            space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
            parts.append(f'<c r="{letters[j]}{k}" t="inlineStr"><is><t{space}>{_xml_text(value)}</t></is></c>')
    parts.append("</row>")
    return "".join(parts)


def _splice_plain_rows(book: bytes, part: str, rows: Iterator[list[str]], written: set[int]) -> bytes | None:
    """Put the plain rows into the sheet openpyxl saved with them left empty.

    Each row is the XML openpyxl writes for a text cell (an inline string), streamed into
    a new ZIP entry; the other entries, and the rows openpyxl wrote (styles, comments and
    their drawing refer to those), are copied unchanged. None when the sheet is not laid
    out as expected (rows missing or out of order)."""
    with zipfile.ZipFile(io.BytesIO(book)) as source:
        xml = source.read(part).decode("utf-8")
        head, opened, rest = xml.partition("<sheetData>")
        body, closed, tail = rest.partition("</sheetData>")
        if not (opened and closed):
            return None
        kept: dict[int, str] = {}
        count = 0
        for count, match in enumerate(_ROW_XML.finditer(body), start=1):
            number = int(match[1] or match[2])
            if number != count:
                return None
            if number in written:
                kept[number] = match[0]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                if info.filename != part:
                    target.writestr(info, source.read(info))
                    continue
                with target.open(part, "w", force_zip64=True) as sheet:
                    sheet.write((head + opened).encode("utf-8"))
                    letters: list[str] = []
                    chunk: list[str] = []
                    k = 0
                    for k, row in enumerate(rows, start=1):
                        chunk.append(kept[k] if k in kept else _plain_row_xml(k, row, letters))
                        if len(chunk) == 1000:
                            sheet.write("".join(chunk).encode("utf-8"))
                            chunk.clear()
                    if k != count:
                        return None
                    sheet.write(("".join(chunk) + closed + tail).encode("utf-8"))
    return out.getvalue()


def _header_row(failure: ReadError | None) -> int | None:
    """The header row a failed read found (``no_data_rows`` names it), for freezing."""
    row = failure.params.get("header_row") if failure is not None else None
    return row if isinstance(row, int) else None


def _problems_only(issues: Sequence[Issue], words: Mapping[str, str], message: Callable[[Issue], str]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    _write_problems(book, issues, _messages(issues, message), None, words, True, _Styler())
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def annotated_workbook(
    data: bytes, file: str, issues: Sequence[Issue], *, message: Callable[[Issue], str],
    labels: Mapping[str, str] | None = None, sheet: str | int | None = None,
) -> bytes:
    """The uploaded ledger as an .xlsx with its problems marked, for the analyst to fix.

    Parameters
    ----------
    data, file : bytes, str
        The file as uploaded and its name, exactly as given to ``check_ledger``.
    issues : sequence of Issue
        The problems to show, e.g. ``check_ledger(data, file).issues``.
    message : callable
        The text of one issue in the user's language (the UI passes its catalogue
        lookup, e.g. ``lambda i: issue_message(i, lang)``); used for comments and the list.
    labels : mapping, optional
        Problems-sheet column titles and severity words by key (see
        :data:`DEFAULT_LABELS`); missing keys keep the bilingual default.
    sheet : str, int or None
        The sheet given to ``check_ledger`` (None: the one read_table picks).

    Returns
    -------
    bytes
        An .xlsx workbook: the ledger sheet with errors filled :data:`ERROR_FILL` and
        warnings :data:`WARNING_FILL`, each flagged cell commented (one comment per cell,
        listing all its issues), the header row frozen; then :data:`PROBLEMS_SHEET` with
        one row per issue (row, column, value, severity, code, message) linking to the
        cell. A file that cannot be read gives the problems sheet alone.

    Raises
    ------
    ValueError
        ``labels`` has a key that is not in :data:`DEFAULT_LABELS`.
    """
    words = _labels(labels)
    raw: RawTable | None = None
    failure: ReadError | None = None
    try:
        raw = read_table(data, file, sheet=sheet)
    except ReadError as err:
        failure = err
    if failure is not None and failure.code in _UNREADABLE:
        return _problems_only(issues, words, message)
    fmt = raw.format if raw is not None else sniff_format(data, file)
    if fmt == "xlsx":
        annotated = _annotate_xlsx(data, issues, raw, failure, sheet, words, message)
        if annotated is not None:
            return annotated
    rows: _Rows | None = None
    layout: _Layout | None = None
    if fmt == "csv":
        rows = _csv_rows(data, file)
        title = _sheet_title(file)
        if raw is not None:
            layout = _layout(raw, title)
        else:
            layout = _Layout(title, _header_row(failure), {})
    elif raw is not None and raw.sheet is not None:
        # Legacy XLS (openpyxl cannot open it) or an XLSX openpyxl refuses: calamine's
        # cells as text; formats are lost but every value stays where it was.
        rows = _grid_rows(data, raw)
        layout = _layout(raw, raw.sheet[:31].translate(_SHEET_NAME_BAD).strip("'") or "Sheet1")
    if rows is None or layout is None:
        return _problems_only(issues, words, message)
    book = _write_text_book(rows, issues, layout, words, message, splice=_SPLICE_PLAIN_ROWS)
    if book is None:  # the splice found an unexpected sheet layout: let openpyxl write every cell
        book = _write_text_book(rows, issues, layout, words, message, splice=False)
    assert book is not None
    return book

"""Speed of the annotated download (riskcore.ingest.annotate) on a big ledger.

The bundled QD01 December book (GBK CSV, title row, 30 columns) repeated to 200,000 rows
with fresh loan ids and a few planted errors; check_ledger finds them, annotated_workbook
writes the workbook. ``--xlsx`` also times the in-place path on the same rows saved as a
typed XLSX (openpyxl loads every cell: minutes and gigabytes at 200,000 rows).

Run: python benchmarks/bench_annotate.py [--rows 200000] [--xlsx]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from riskcore.ingest.annotate import annotated_workbook  # noqa: E402
from riskcore.ingest.pipeline import check_ledger  # noqa: E402
from riskcore.ingest.read import read_table  # noqa: E402
from riskcore.sample import CSV_NAME, DEFAULT_DIR  # noqa: E402

T = TypeVar("T")
TITLE = "青岛市南支行小微企业贷款台账 2024年12月"


def build_ledger(rows: int) -> tuple[pd.DataFrame, dict[int, tuple[str, str]]]:
    """The QD01 book repeated to ``rows`` loans, and the planted errors by Excel row."""
    raw = read_table((DEFAULT_DIR / CSV_NAME).read_bytes(), CSV_NAME).frame.reset_index(drop=True)
    big = pd.concat([raw] * -(-rows // len(raw)), ignore_index=True).head(rows)
    big["借据号"] = [f"JJ{i:09d}" for i in range(rows)]
    planted = {
        10: ("发放日期", "2024-02-30"), rows // 4: ("贷款余额", "12O00.00"), rows // 2: ("五级分类", "优秀"),
        rows * 3 // 4: ("贷款余额", "-5000.00"), rows - 5: ("客户号", ""),
    }
    for excel_row, (column, value) in planted.items():
        big.loc[excel_row - 3, column] = value  # row 1 is the title, row 2 the header
    return big, planted


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--xlsx", action="store_true", help="also time the in-place XLSX path")
    args = parser.parse_args(argv)
    frame, planted = build_ledger(args.rows)
    data = (TITLE + "\r\n" + frame.to_csv(index=False, lineterminator="\r\n")).encode("gb18030")
    name = "ledger_2024-12.csv"
    print(f"ledger {args.rows:,} rows x {frame.shape[1]} columns, GBK csv {len(data) / 1e6:.1f} MB, "
          f"{len(planted)} planted errors")

    t_check, report = timed(lambda: check_ledger(data, name))
    print(f"{'check_ledger':<40} {t_check:7.2f} s   {len(report.issues)} issues at rows "
          f"{sorted({i.row for i in report.issues if i.row is not None})}")
    t_csv, book = timed(lambda: annotated_workbook(data, name, report.issues, message=lambda i: i.code))
    print(f"{'annotated_workbook, csv (write-only)':<40} {t_csv:7.2f} s   {len(book) / 1e6:.1f} MB xlsx")

    if args.xlsx:
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, startrow=1)
            writer.sheets["Sheet1"]["A1"] = TITLE
        xlsx = buf.getvalue()
        t_check, report = timed(lambda: check_ledger(xlsx, "ledger_2024-12.xlsx"))
        print(f"{'check_ledger, xlsx':<40} {t_check:7.2f} s   {len(report.issues)} issues")
        t_xlsx, book = timed(lambda: annotated_workbook(xlsx, "ledger_2024-12.xlsx", report.issues,
                                                        message=lambda i: i.code))
        print(f"{'annotated_workbook, xlsx (in place)':<40} {t_xlsx:7.2f} s   {len(book) / 1e6:.1f} MB xlsx")


if __name__ == "__main__":
    main()

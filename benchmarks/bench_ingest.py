"""Ledger ingestion speed (issue #3 bars): a 200,000-row x 30-column ledger as XLSX and
as GBK CSV, read + map + parse + validate, next to pandas.read_excel(engine="openpyxl")
reading the same XLSX in the same run.

Run: python benchmarks/bench_ingest.py [--rows 200000]
The ledger is the bundled QD01 December book repeated with fresh loan ids.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from riskcore.ingest.pipeline import check_ledger  # noqa: E402
from riskcore.ingest.read import read_table  # noqa: E402
from riskcore.ingest.schema import LOAN_FIELD_BY_NAME, map_columns  # noqa: E402
from riskcore.sample import DEFAULT_DIR, CSV_NAME  # noqa: E402


def build_ledger(rows: int) -> pd.DataFrame:
    raw = read_table((DEFAULT_DIR / CSV_NAME).read_bytes(), CSV_NAME).frame.reset_index(drop=True)
    reps = -(-rows // len(raw))
    big = pd.concat([raw] * reps, ignore_index=True).head(rows)
    big["借据号"] = [f"JJ{i:09d}" for i in range(rows)]
    return big


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The ledger as a core banking export writes a workbook: amounts, rates and day counts
    as numbers, dates as dates, ids and names as text."""
    mapping = map_columns(list(frame.columns))
    out = frame.copy()
    for header, name in mapping.columns.items():
        kind = LOAN_FIELD_BY_NAME[name].kind
        if kind in ("amount", "rate", "int"):
            out[header] = pd.to_numeric(frame[header], errors="coerce")
        elif kind == "date":
            out[header] = pd.to_datetime(frame[header], errors="coerce")
    return out


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="folder to keep the generated ledgers in and reuse them from "
                                                   "(writing the XLSX with openpyxl takes minutes)")
    args = parser.parse_args(argv)
    frame = build_ledger(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        csv_path = folder / f"ledger_{args.rows}_2024-12.csv"
        text = "青岛市南支行小微企业贷款台账 2024年12月\r\n" + frame.to_csv(index=False, lineterminator="\r\n")
        csv_path.write_bytes(text.encode("gb18030"))
        xlsx_path = folder / f"ledger_{args.rows}_2024-12.xlsx"
        seconds = 0.0
        if not xlsx_path.exists():
            seconds, _ = timed(lambda: typed(frame).to_excel(xlsx_path, index=False, engine="openpyxl"))
        print(f"ledger {args.rows:,} rows x {frame.shape[1]} columns; xlsx (typed cells) {xlsx_path.stat().st_size / 1e6:.1f} MB "
              f"(written in {seconds:.1f} s), GBK csv {csv_path.stat().st_size / 1e6:.1f} MB")

        xlsx = xlsx_path.read_bytes()
        t_ours, report = timed(lambda: check_ledger(xlsx, xlsx_path.name))
        print(f"{'xlsx: read + map + parse + validate (ours)':<48} {t_ours:7.2f} s   {report.rows:,} rows, "
              f"{len(report.issues)} issues")
        t_read, _ = timed(lambda: read_table(xlsx, xlsx_path.name))
        print(f"{'  of which read_table (sniff + calamine)':<48} {t_read:7.2f} s")
        t_openpyxl, _ = timed(lambda: pd.read_excel(io.BytesIO(xlsx), engine="openpyxl", dtype=str))
        print(f"{'xlsx: pandas.read_excel(engine=openpyxl), read only':<48} {t_openpyxl:7.2f} s")
        print(f"{'ratio ours / openpyxl read':<48} {t_ours / t_openpyxl:7.3f}     bar <= 0.125")
        print(f"load average (1 min): {os.getloadavg()[0]:.2f}")

        data = csv_path.read_bytes()
        t_csv, report = timed(lambda: check_ledger(data, csv_path.name))
        t_csv2, _ = timed(lambda: check_ledger(data, csv_path.name))
        print(f"{'GBK csv: read + map + parse + validate (ours)':<48} {t_csv:7.2f} s   {report.rows:,} rows, "
              f"encoding {report.encoding}   bar < 2 s")
        print(f"{'GBK csv: the same again (second run)':<48} {t_csv2:7.2f} s")


if __name__ == "__main__":
    main()

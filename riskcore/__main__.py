"""Command line: ``python -m riskcore validate FILE... [--json]`` and ``import FILE... [--branch B]``.

Each file is a loan ledger or a borrower table (financials per borrower and year), told
apart by its headers (``riskcore.ingest.borrowers.detect_table_kind``) unless
``--table loans|borrowers`` says which; a file that fits neither is checked as a ledger.

A shell like the pages: it calls riskcore for every figure and riskview only to word the
issues in Chinese or English. Exit status 1 when any file has an error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from riskcore.ingest.borrowers import TableKind, check_borrowers, detect_file_kind, import_borrowers
from riskcore.ingest.pipeline import LedgerReport, check_ledger, import_ledger
from riskcore.store import LedgerStore


def _report_dict(report: LedgerReport, lang: str, table: TableKind) -> dict[str, Any]:
    from riskview.i18n import issue_message

    periods = None
    if table == "borrowers" and report.frame is not None and "report_period" in report.frame:
        periods = sorted(int(p) for p in report.frame["report_period"].dropna().unique())
    return {
        "file": report.file,
        "table": table,
        "periods": periods,
        "format": report.format,
        "encoding": report.encoding,
        "sheet": report.sheet,
        "header_row": report.header_row,
        "as_of": report.as_of.date().isoformat() if report.as_of is not None else None,
        "as_of_source": report.as_of_source,
        "branch_source": report.branch_source,
        "rows": report.rows,
        "dropped_rows": [{"row": d.row, "reason": d.reason, "label": d.label} for d in report.dropped_rows],
        "mapping": dict(report.mapping.columns) if report.mapping else {},
        "units": dict(report.mapping.unit_labels) if report.mapping else {},
        "sums": {k: round(v, 2) for k, v in report.sums.items()},
        "reconciliation": [
            {"field": r.field, "column": r.column, "loaded": round(r.loaded, 2), "total_row": round(r.total_row, 2),
             "difference": round(r.difference, 2), "matches": r.matches}
            for r in report.reconciliation
        ] or None,
        "issues": [
            {"row": i.row, "column": i.column, "code": i.code, "severity": i.severity,
             "message": issue_message(i, lang)}
            for i in report.issues
        ],
    }


def _print_text(d: dict[str, Any]) -> None:
    where = f"{d['format'] or '?'}, encoding {d['encoding']}" if d["encoding"] else f"{d['format'] or '?'}"
    if d["sheet"]:
        where += f", sheet {d['sheet']}"
    when = (f"periods {', '.join(map(str, d['periods'] or [])) or '?'}" if d["table"] == "borrowers"
            else f"as of {d['as_of']} (from {d['as_of_source']})")
    print(f"{d['file']}: {d['table']} table, {where}; header row {d['header_row']}; {d['rows']} rows loaded; {when}")
    for drop in d["dropped_rows"]:
        print(f"  dropped row {drop['row']}: {drop['reason']} {drop['label']}".rstrip())
    for rec in d["reconciliation"] or []:
        verdict = "matches" if rec["matches"] else f"DIFFERS by {rec['difference']:,.2f}"
        print(f"  {rec['column']}: loaded {rec['loaded']:,.2f} vs total row {rec['total_row']:,.2f}: {verdict}")
    errors = sum(1 for i in d["issues"] if i["severity"] == "error")
    print(f"  {errors} errors, {len(d['issues']) - errors} warnings")
    for issue in d["issues"]:
        print(f"  [{issue['severity']}] {issue['message']}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m riskcore", description="SME credit-risk toolkit")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("validate", "check ledgers and print the report"), ("import", "store valid ledgers as snapshots")):
        p = sub.add_parser(name, help=text)
        p.add_argument("files", nargs="+", type=Path)
        p.add_argument("--json", action="store_true", help="print one JSON document")
        p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the messages")
        p.add_argument("--as-of", help="snapshot date for files without a date column (default: from the title or file name)")
        p.add_argument("--table", choices=("loans", "borrowers"),
                       help="what the files are (default: told from the headers, else loans)")
        p.add_argument("--branch", help="branch id for files without a branch column (default: a code leading "
                                        "the file name, e.g. QD02_2024-11_ledger.xlsx -> QD02)")
        if name == "import":
            p.add_argument("--store", type=Path, help="store file (default: $SME_RISK_STORE or data/store.duckdb)")
    args = parser.parse_args(argv)

    store = LedgerStore(args.store) if args.command == "import" else None
    reports = []
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"{path}: cannot read the file ({exc.strerror})", file=sys.stderr)
            return 2
        table: TableKind = args.table or detect_file_kind(data, path.name) or "loans"
        if table == "borrowers":
            if store is not None:
                report, batch = import_borrowers(store, data, path.name)
                d = _report_dict(report, args.lang, table)
                d["batch"] = None if batch is None else {
                    "id": batch.id, "rows": batch.rows, "recognised": batch.recognised,
                    "superseded": list(batch.superseded), "superseded_rows": batch.superseded_rows,
                }
            else:
                report = check_borrowers(data, path.name)
                d = _report_dict(report, args.lang, table)
        elif store is not None:
            report, records = import_ledger(store, data, path.name, branch=args.branch, as_of=args.as_of)
            d = _report_dict(report, args.lang, table)
            d["snapshots"] = [
                {"id": r.id, "branch_id": r.branch_id, "as_of": r.as_of.date().isoformat(), "rows": r.rows,
                 "recognised": r.recognised, "superseded": list(r.superseded)}
                for r in records
            ]
        else:
            report = check_ledger(data, path.name, as_of=args.as_of, branch=args.branch)
            d = _report_dict(report, args.lang, table)
        reports.append((report, d))
    if args.json:
        print(json.dumps([d for _, d in reports], ensure_ascii=False, indent=2))
    else:
        for _, d in reports:
            _print_text(d)
            for snap in d.get("snapshots", []):
                state = "already stored" if snap["recognised"] else "stored"
                print(f"  snapshot {snap['id']} {snap['branch_id']} {snap['as_of']}: {snap['rows']} loans {state}")
            if d.get("batch"):
                b = d["batch"]
                state = "already stored" if b["recognised"] else f"stored, {b['superseded_rows']} earlier rows superseded"
                print(f"  borrower batch {b['id']}: {b['rows']} rows {state}")
    return 1 if any(r.has_errors for r, _ in reports) else 0


if __name__ == "__main__":
    sys.exit(main())

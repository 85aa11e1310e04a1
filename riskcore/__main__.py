"""Command line: ``python -m riskcore validate FILE... [--json]``, ``import FILE... [--branch B]``
``portfolio [FILE...] [--by branch,industry] [--rules 2023|pre2023|card] [--json]``
and ``backtest FILE --default COLUMN [--indicators A:cost,B:benefit] [--weights entropy|equal] [--json]``.

Each file is a loan ledger or a borrower table (financials per borrower and year), told
apart by its headers (``riskcore.ingest.borrowers.detect_table_kind``) unless
``--table loans|borrowers`` says which; a file that fits neither is checked as a ledger.

``portfolio`` prints the portfolio ratios (riskcore.ratios) of every snapshot, and of
every group with ``--by``: of the given ledgers, checked as ``validate`` checks them (files
with errors are reported and left out), or without files of the snapshots in the store.

``backtest`` reads a borrower table (one row per borrower, numeric indicator columns and a
0/1 default column), grades the borrowers by grey relational analysis with entropy (or equal)
weights and validates the grade and every single indicator against the default column
(riskcore.validation: AUC with DeLong CI, Gini, KS, default rate per quintile band, A =
safest). Exit status 2 on a bad argument or column.

A shell like the pages: it calls riskcore for every figure and riskview only to word the
issues in Chinese or English. Exit status 1 when any file has an error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from riskcore.book import LedgerPart, assemble_book
from riskcore.classification import DEFAULT_RULES, RULE_SETS
from riskcore.ingest.borrowers import TableKind, check_borrowers, detect_file_kind, import_borrowers
from riskcore.ingest.pipeline import LedgerReport, check_ledger, import_ledger
from riskcore.ratios import PortfolioRatios, Ratio, grouped_ratios
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


#: ``--by`` names the analyst types, and the canonical columns they stand for.
BY_ALIASES: dict[str, str] = {
    "branch": "branch_id", "industry": "industry_code", "size": "enterprise_size", "guarantee": "guarantee_type",
    "region": "region_code",
}
#: The figures ``portfolio`` prints, in order (attributes of PortfolioRatios).
PORTFOLIO_FIGURES: tuple[str, ...] = (
    "loans", "balance", "npl_balance", "npl_ratio", "special_mention_ratio", "provisions", "provision_coverage",
    "loan_provision_ratio", "exceptions",
)
_AMOUNTS = frozenset({"balance", "npl_balance", "provisions"})


def _portfolio_dict(r: PortfolioRatios) -> dict[str, Any]:
    """One snapshot (and group): undefined figures are null, their reasons under ``undefined``."""
    out: dict[str, Any] = {"as_of": r.as_of.date().isoformat() if r.as_of is not None else None}
    if r.group:
        out["group"] = dict(r.group)
    undefined: dict[str, str] = {}
    for name in PORTFOLIO_FIGURES:
        value = getattr(r, name)
        if isinstance(value, Ratio):
            out[name] = value.value
            if value.reason is not None:
                undefined[name] = value.reason
        elif value is None:  # provisions without a provision column
            out[name] = None
            undefined[name] = r.provisions_reason or "undefined"
        else:
            out[name] = round(value, 2) if name in _AMOUNTS else value
    out["undefined"] = undefined
    return out


def _print_portfolio(d: dict[str, Any]) -> None:
    group = "  ".join(f"{k}={v if v is not None else '—'}" for k, v in (d.get("group") or {}).items())
    print(f"{d['as_of']}  {group}".rstrip())
    for name in PORTFOLIO_FIGURES:
        value = d[name]
        if value is None:
            text = f"— ({d['undefined'].get(name, 'undefined')})"
        elif name in _AMOUNTS:
            text = f"{value:,.2f}"
        elif name.endswith(("_ratio", "_coverage")):
            text = f"{value:.2%}"
        else:
            text = f"{value:,}"
        print(f"  {name:<24}{text}")


def _by_columns(spec: str | None) -> list[str]:
    if not spec:
        return []
    return [BY_ALIASES.get(name.strip(), name.strip()) for name in spec.split(",") if name.strip()]


def _portfolio(args: argparse.Namespace) -> int:
    """``python -m riskcore portfolio``: ratios per snapshot (and group) of files or the store."""
    from riskview.i18n import issue_message

    by = _by_columns(args.by)
    files: list[dict[str, Any]] = []
    failed = False
    if args.files:
        parts = []
        for path in args.files:
            try:
                data = path.read_bytes()
            except OSError as exc:
                print(f"{path}: cannot read the file ({exc.strerror})", file=sys.stderr)
                return 2
            report = check_ledger(data, path.name, as_of=args.as_of, branch=args.branch)
            errors = [i for i in report.issues if i.severity == "error"]
            failed |= bool(errors)
            files.append({
                "file": report.file, "rows": report.rows, "errors": len(errors),
                "warnings": len(report.issues) - len(errors),
                "issues": [{"row": i.row, "column": i.column, "code": i.code, "severity": i.severity,
                            "message": issue_message(i, args.lang)} for i in errors],
            })
            if not errors and report.frame is not None:
                parts.append(LedgerPart(report.frame, hashlib.sha256(data).hexdigest(), path.name, args.branch))
        loans = assemble_book(parts).loans if parts else None
    else:
        loans = LedgerStore(args.store).loans()
    results: list[PortfolioRatios] = []
    if loans is not None and len(loans):
        missing = [c for c in by if c not in loans.columns]
        if missing:
            print(f"--by: the loans have no column {', '.join(missing)} "
                  f"(use {', '.join(sorted(BY_ALIASES))} or a canonical column)", file=sys.stderr)
            return 2
        results = grouped_ratios(loans, by, rules=args.rules, debtor_rule=args.debtor_rule)
    snapshots = [_portfolio_dict(r) for r in results]
    if args.json:
        print(json.dumps({"source": "files" if args.files else "store", "rules": args.rules,
                          "debtor_rule": args.debtor_rule, "by": by, "files": files, "snapshots": snapshots},
                         ensure_ascii=False, indent=2))
    else:
        for f in files:
            print(f"{f['file']}: {f['rows']} rows, {f['errors']} errors, {f['warnings']} warnings"
                  + (" (left out)" if f["errors"] else ""))
            for issue in f["issues"]:
                print(f"  [error] {issue['message']}")
        if not snapshots:
            print("no loans to analyse" if args.files else "no stored snapshots")
        for d in snapshots:
            _print_portfolio(d)
    return 1 if failed else 0


class _BadArgument(Exception):
    """A ``backtest`` argument or column that cannot be used (exit status 2)."""


def _backtest_directions(spec: str | None, columns: Sequence[str], default: str) -> dict[str, str]:
    """``A:cost,B:benefit`` -> {A: cost, B: benefit}; a bare name takes the default system's
    direction; no spec = the columns that are indicators of the default system."""
    from riskcore.indicators import DEFAULT_INDICATORS

    known: dict[str, str] = {i.key: i.direction for i in DEFAULT_INDICATORS}
    if not spec:
        found = {c: known[c] for c in columns if c in known and c != default}
        if not found:
            raise _BadArgument("--indicators: none of the columns is an indicator of the default system; "
                               "name them, e.g. --indicators current_ratio:benefit,asset_liability_ratio:cost")
        return found
    out: dict[str, str] = {}
    for item in (p.strip() for p in spec.split(",")):
        if not item:
            continue
        name, _, direction = item.rpartition(":") if ":" in item else (item, "", "")
        name, direction = name.strip(), direction.strip().lower()
        if name not in columns:
            raise _BadArgument(f"--indicators: the table has no column {name!r} (columns: {', '.join(columns)})")
        if name == default:
            raise _BadArgument(f"--indicators: {name!r} is the --default column")
        if not direction:
            if name not in known:
                raise _BadArgument(f"--indicators: give the direction of column {name!r} ({name}:cost or "
                                   f"{name}:benefit); it is not an indicator of the default system")
            direction = known[name]
        if direction not in ("cost", "benefit"):
            raise _BadArgument(f"--indicators: the direction of column {name!r} must be cost or benefit; "
                               f"got {direction!r}")
        out[name] = direction
    if not out:
        raise _BadArgument("--indicators: no indicator given")
    return out


def _numeric_column(frame: Any, column: str) -> Any:
    """Column as float64, or _BadArgument naming it and the first bad row."""
    import pandas as pd

    text = frame[column].astype("string").str.strip()
    values = pd.to_numeric(text.replace("", None), errors="coerce")
    bad = values.isna()
    if bad.any():
        row = frame.index[bad.to_numpy()][0]
        raise _BadArgument(f"column {column!r} has {int(bad.sum())} empty or non-numeric cells "
                           f"(first at row {row}: {text[row]!r})")
    return values.astype("float64")


def _backtest(args: argparse.Namespace) -> int:
    """``python -m riskcore backtest``: AUC, CI, Gini, KS and default rate per band of the GRA
    grade and of each indicator, against a 0/1 default column of a borrower table."""
    import numpy as np

    from riskcore.grey import grey_relational
    from riskcore.ingest.read import ReadError, read_table
    from riskcore.validation import validate_score

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"{args.file}: cannot read the file ({exc.strerror})", file=sys.stderr)
        return 2
    try:
        frame = read_table(data, args.file.name).frame
        columns = [str(c) for c in frame.columns]
        if args.default not in columns:
            raise _BadArgument(f"--default: the table has no column {args.default!r} (columns: {', '.join(columns)})")
        directions = _backtest_directions(args.indicators, columns, args.default)
        flag = _numeric_column(frame, args.default)
        odd = sorted(set(flag[~flag.isin([0.0, 1.0])].tolist()))
        if odd:
            raise _BadArgument(f"--default: column {args.default!r} must hold 0/1; found {odd[:5]}")
        if flag.sum() == 0 or flag.sum() == len(flag):
            raise _BadArgument(f"--default: column {args.default!r} has "
                               f"{'no defaults' if flag.sum() == 0 else 'no non-defaults'}; nothing to validate")
        values = frame[list(directions)].copy()
        for col in directions:
            values[col] = _numeric_column(frame, col)
        if len(values) < 2:
            raise _BadArgument(f"{args.file.name}: at least 2 borrowers are needed")
        grey = grey_relational(values, directions, "entropy" if args.weights == "entropy" else None)
    except ReadError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except _BadArgument as exc:
        print(f"{args.file.name}: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # e.g. entropy weights of an all-constant table
        print(f"{args.file.name}: {exc}", file=sys.stderr)
        return 2
    y = flag.astype(np.int64)
    scores: list[dict[str, Any]] = []
    grade = validate_score(grey.grades, y, higher_is_riskier=False, ci=args.ci, resamples=args.resamples)
    scores.append({"score": "grade", "direction": "higher = safer", **grade.summary()})
    for col, direction in directions.items():
        rep = validate_score(values[col], y, higher_is_riskier=direction == "cost", ci=args.ci,
                             resamples=args.resamples)
        scores.append({"score": col, "direction": direction, **rep.summary()})
    doc = {"file": args.file.name, "default": args.default, "weighting": args.weights, "borrowers": len(values),
           "defaults": int(y.sum()), "weights": {str(k): float(v) for k, v in grey.weights.items()},
           "scores": scores}
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    print(f"{doc['file']}: {doc['borrowers']} borrowers, {doc['defaults']} defaults ({args.default}); "
          f"{args.weights} weights")
    print("  weights: " + ", ".join(f"{k} {v:.4f}" for k, v in doc["weights"].items()))
    for d in scores:
        lo, hi = d["auc_ci"]
        print(f"{d['score']} ({d['direction']}): auc {d['auc']:.4f}  auc_ci [{lo:.4f}, {hi:.4f}] ({d['auc_ci_method']})"
              f"  gini {d['gini']:.4f}  ks {d['ks']:.4f}")
        bands = "  ".join(f"{b['band']} {b['defaults']}/{b['n']}"
                          + (f" {b['default_rate']:.1%}" if b["default_rate"] is not None else "")
                          for b in d["bands"])
        print(f"  default rate by band (A = safest): {bands}")
        if d["violations"]:
            print("  not monotone: " + ", ".join(f"{v['riskier']} < {v['safer']}" for v in d["violations"]))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m riskcore", description="SME credit-risk toolkit")
    sub = parser.add_subparsers(dest="command", required=True)
    pf = sub.add_parser("portfolio", help="portfolio ratios per snapshot (of files, or of the stored snapshots)")
    pf.add_argument("files", nargs="*", type=Path, help="loan ledgers (default: the snapshots in the store)")
    pf.add_argument("--by", help="group by these columns, comma-separated: branch, industry, size, guarantee, "
                                 "region or a canonical column name")
    pf.add_argument("--rules", choices=tuple(RULE_SETS), default=DEFAULT_RULES,
                    help="DPD floor rule set (default: the 2023 Measures)")
    pf.add_argument("--debtor-rule", action="store_true",
                    help="apply the debtor rule (> 10 %% of a debtor's balance NPL -> all of it NPL)")
    pf.add_argument("--json", action="store_true", help="print one JSON document")
    pf.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the messages")
    pf.add_argument("--as-of", help="snapshot date for files without a date column")
    pf.add_argument("--branch", help="branch id for files without a branch column")
    pf.add_argument("--store", type=Path, help="store file (default: $SME_RISK_STORE or data/store.duckdb)")
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
    bt = sub.add_parser("backtest", help="AUC, Gini, KS and default rate by band of the grey relational grade "
                                         "and of each indicator against a 0/1 default column")
    bt.add_argument("file", type=Path, help="borrower table (CSV/XLSX), one row per borrower")
    bt.add_argument("--default", required=True, help="the 0/1 default column (1 = defaulted)")
    bt.add_argument("--indicators", help="indicator columns with directions, e.g. A:cost,B:benefit (a bare name "
                                         "takes the default system's direction; default: the columns that are "
                                         "default-system indicators)")
    bt.add_argument("--weights", choices=("entropy", "equal"), default="entropy", help="indicator weights")
    bt.add_argument("--ci", choices=("delong", "bootstrap"), default="delong", help="AUC interval method")
    bt.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (with --ci bootstrap)")
    bt.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    if args.command == "portfolio":
        return _portfolio(args)
    if args.command == "backtest":
        return _backtest(args)

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

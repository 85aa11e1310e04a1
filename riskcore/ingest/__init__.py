"""Loan books in: reading bank ledger exports (CSV/XLSX/XLS) into raw text tables.

Mapping onto the canonical schema, parsing and validation build on :func:`read_table`
(issue #3).
"""

from riskcore.ingest.borrowers import BORROWER_FIELDS, check_borrowers, detect_table_kind
from riskcore.ingest.parse import Issue, ParsedLedger, parse_ledger
from riskcore.ingest.read import DroppedRow, RawTable, ReadError, decode_text, read_table, sniff_format
from riskcore.ingest.schema import LOAN_FIELDS, ColumnMapping, map_columns
from riskcore.ingest.validate import validate_loans

__all__ = [
    "DroppedRow", "RawTable", "ReadError", "decode_text", "read_table", "sniff_format",
    "LOAN_FIELDS", "ColumnMapping", "map_columns", "Issue", "ParsedLedger", "parse_ledger", "validate_loans",
    "BORROWER_FIELDS", "check_borrowers", "detect_table_kind",
]
